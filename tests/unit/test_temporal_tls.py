"""How nurture reaches a Temporal that wants TLS (Temporal Cloud, a cluster behind TLS): off
on the dev server, on with an API key, mTLS with a client certificate, a private CA."""

from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.service import TLSConfig

from nurture.settings import Settings
from nurture.temporal import tls_of


def test_the_dev_server_is_reached_without_tls() -> None:
    assert tls_of(Settings(_env_file=None)) is False


def test_an_api_key_brings_tls_and_blank_means_none() -> None:
    assert tls_of(Settings(temporal_api_key="a-cloud-api-key")) is True
    assert Settings(temporal_api_key="  ").temporal_api_key is None
    assert tls_of(Settings(temporal_tls=True)) is True


def test_a_client_certificate_and_a_private_ca_are_read_from_their_files(tmp_path: Path) -> None:
    for name in ("client.pem", "client.key", "ca.pem"):
        (tmp_path / name).write_bytes(f"-----{name}-----\n".encode())
    tls = tls_of(
        Settings(
            temporal_tls_cert_file=str(tmp_path / "client.pem"),
            temporal_tls_key_file=str(tmp_path / "client.key"),
            temporal_tls_ca_file=str(tmp_path / "ca.pem"),
        )
    )
    assert isinstance(tls, TLSConfig)
    assert tls.client_cert == b"-----client.pem-----\n"
    assert tls.client_private_key == b"-----client.key-----\n"
    assert tls.server_root_ca_cert == b"-----ca.pem-----\n"


def test_a_private_ca_alone_verifies_the_server_without_a_client_certificate(
    tmp_path: Path,
) -> None:
    (tmp_path / "ca.pem").write_bytes(b"ca")
    tls = tls_of(Settings(temporal_tls_ca_file=str(tmp_path / "ca.pem")))
    assert isinstance(tls, TLSConfig)
    assert tls.server_root_ca_cert == b"ca" and tls.client_cert is None


def test_a_certificate_without_its_key_is_refused_naming_both() -> None:
    with pytest.raises(ValidationError, match="NURTURE_TEMPORAL_TLS_KEY_FILE go together"):
        Settings(temporal_tls_cert_file="/etc/nurture/client.pem")


def test_a_missing_certificate_file_fails_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    settings = Settings(temporal_tls_cert_file=str(missing), temporal_tls_key_file=str(missing))
    with pytest.raises(FileNotFoundError, match=r"nope\.pem"):
        tls_of(settings)
