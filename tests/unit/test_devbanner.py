"""`make run`'s banner: the dev write key a newcomer points an SDK at, never a real one."""

from nurture.cli.devbanner import render
from nurture.settings import Settings

PORTS = {"api_port": 8001, "ui_port": 8233, "temporal_port": 7233, "smtp_port": 1025}


def _banner(settings: Settings) -> str:
    return render(settings, mail_port=8025, logs=[], **PORTS)


def test_the_dev_write_key_is_printed_with_the_host_to_give_the_sdk() -> None:
    banner = _banner(Settings(_env_file=None))
    assert "CDP write key    dev-write-key  (dev default; SDK host http://localhost:8001)" in banner


def test_configured_write_keys_are_counted_not_printed() -> None:
    key = "k" * 24
    banner = _banner(Settings(_env_file=None, segment_write_keys=f"{key}=web,{key}x=app"))
    assert "2 (from NURTURE_SEGMENT_WRITE_KEYS)" in banner and key not in banner
