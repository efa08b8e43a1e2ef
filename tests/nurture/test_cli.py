"""The `nurture` command as a user runs it: output, readable errors, exit codes."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from typer.testing import CliRunner

from nurture import signing
from nurture.cli.main import app
from scenarios import SCENARIOS
from tests.utils.processes import cli

run = cli


def test_sign_prints_a_header_the_api_accepts(tmp_path: Path) -> None:
    body = b'{"event_id": "e1", "email": "a@b.example.com", "type": "page_view"}'
    (tmp_path / "event.json").write_bytes(body)
    result = run("sign", str(tmp_path / "event.json"), env={"NURTURE_WEBHOOK_SECRET": "topsecret"})
    assert result.returncode == 0, result.stderr
    signing.verify(result.stdout.strip(), body, "topsecret", tolerance=60)


def test_sign_reads_stdin() -> None:
    result = run("sign", "-", "--secret", "k", stdin=b"{}")
    assert result.returncode == 0
    signing.verify(result.stdout.strip(), b"{}", "k", tolerance=60)


def test_sign_of_a_missing_file_is_a_readable_error(tmp_path: Path) -> None:
    result = run("sign", str(tmp_path / "nope.json"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "nope.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_without_secrets_refuses_to_start() -> None:
    result = run("worker", env={"NURTURE_ENV": "production"})
    assert result.returncode == 2
    assert "needs real secrets" in result.stderr and "NURTURE_ADMIN_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_never_print_secrets() -> None:
    result = run("settings", env={"NURTURE_WEBHOOK_SECRET": "do-not-print-me"})
    assert result.returncode == 0
    assert "do-not-print-me" not in result.stdout and '"task_queue": "nurture"' in result.stdout


def test_mail_lists_and_shows_what_the_sink_kept(tmp_path: Path) -> None:
    for n in (1, 2):
        msg = EmailMessage()
        msg["To"], msg["Subject"], msg["Date"] = (
            f"r{n}@example.com",
            f"Subject {n}",
            "Tue, 24 Nov 2026 0{n}:00:00 +0000",
        )
        msg.set_content(f"body {n}")
        (tmp_path / f"2026112{n}T000000-{n}.eml").write_bytes(bytes(msg))
    listing = run("mail", "--folder", str(tmp_path))
    assert listing.returncode == 0
    lines = listing.stdout.strip().splitlines()
    assert "Subject 2" in lines[0] and "Subject 1" in lines[1]  # newest first
    shown = run("mail", "--folder", str(tmp_path), "--show", "2")
    assert "Subject: Subject 1" in shown.stdout and "body 1" in shown.stdout
    bad = run("mail", "--folder", str(tmp_path), "--show", "9")
    assert bad.returncode == 2 and "between 1 and 2" in bad.stderr


def test_preview_renders_a_step_in_japanese(tmp_path: Path) -> None:
    lead = tmp_path / "lead.json"
    lead.write_text(
        '{"name": "Kato Mei", "company": "Kato Seiki", "attributes": {"webinar_title": "DX Live"}}'
    )
    result = run("preview", "webinar", "thanks-recording", "--lead", str(lead), "--language", "ja")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Subject: 「DX Live」にご参加いただきありがとうございました")
    assert "Kato Mei 様" in result.stdout
    out = tmp_path / "mail.html"
    result = run("preview", "whitepaper", "thanks", "--html", str(out))
    assert result.returncode == 0 and "<html" in out.read_text()


def test_preview_shows_the_content_links_on_the_site_tagged(tmp_path: Path) -> None:
    lead = tmp_path / "lead.json"
    lead.write_text('{"source": "wp-dx-guide"}')
    env = {"NURTURE_SITE_URL": "https://www.example.com"}
    result = run("preview", "whitepaper", "demo-offer", "--lead", str(lead), env=env)
    assert result.returncode == 0, result.stderr
    assert (
        "- https://www.example.com/book-a-demo?utm_source=nurture&utm_medium=email"
        "&utm_campaign=wp-dx-guide&utm_content=whitepaper%2Fdemo-offer"
    ) in result.stdout
    bad = run("preview", "whitepaper", "demo-offer", env={"NURTURE_SITE_URL": "example.com"})
    assert bad.returncode == 2 and "NURTURE_SITE_URL must be an http(s) address" in bad.stderr


def test_production_without_a_site_refuses_to_start() -> None:
    strong = "s" * 32
    secrets = {
        f"NURTURE_{name}": strong for name in ("WEBHOOK_SECRET", "SECRET_KEY", "ADMIN_TOKEN")
    }
    result = run("api", env={"NURTURE_ENV": "production", **secrets})
    assert result.returncode == 2
    assert "needs NURTURE_SITE_URL, the company's website" in result.stderr
    assert "Traceback" not in result.stderr


def test_preview_says_what_exists(tmp_path: Path) -> None:
    """In this process (typer's runner), so that a scenario a test registers is listed."""
    runner = CliRunner()
    result = runner.invoke(app, ["preview", "whitepaper", "nope"])
    assert result.exit_code == 2
    assert "steps: case-studies, demo-offer, hearing, thanks" in result.stderr
    result = runner.invoke(app, ["preview", "coldcall", "x"])
    assert result.exit_code == 2 and f"scenarios: {', '.join(sorted(SCENARIOS))}" in result.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    result = runner.invoke(app, ["preview", "whitepaper", "thanks", "--lead", str(bad)])
    assert result.exit_code == 2 and "not valid JSON" in result.stderr


def test_reps_lifecycle_and_readable_errors(tmp_path: Path) -> None:
    env = {"NURTURE_DATABASE_URL": f"sqlite:///{tmp_path / 'reps.db'}"}
    args = [
        "--name",
        "Suzuki Ichiro",
        "--email",
        "Ichiro@Example.com",
        "--manager",
        "boss@example.com",
        "--territory",
        "kanto",
        "--weight",
        "2",
        "--language",
        "ja",
        "--timezone",
        "America/New_York",
    ]
    added = run("reps", "add", *args, env=env)
    assert added.returncode == 0, added.stderr
    token = added.stdout.split("keep it safe): ")[1].strip()
    assert token.startswith("nrt_")
    listed = run("reps", "list", env=env).stdout
    assert "ichiro@example.com" in listed and "weight 2" in listed and "kanto" in listed
    assert "reads ja/America/New_York" in listed
    wrong = run(
        "reps", "add", "--name", "X", "--email", "x@example.com", "--timezone", "Mars/Base", env=env
    )
    assert wrong.returncode == 2 and "not an IANA time zone" in wrong.stderr, wrong.stderr
    assert token not in listed  # shown once, stored hashed
    assert (
        run("reps", "away", "ichiro@example.com", "--until", "2026-12-31", env=env).returncode == 0
    )
    assert "away until" in run("reps", "list", env=env).stdout
    assert run("reps", "disable", "ichiro@example.com", env=env).returncode == 0
    assert "disabled" in run("reps", "list", env=env).stdout

    for args, message in [
        (["reps", "add", "--name", "X", "--email", "ichiro@example.com"], "exists already"),
        (["reps", "add", "--name", "X", "--email", "not-an-email"], "not a valid email"),
        (["reps", "add", "--name", " ", "--email", "x@example.com"], "--name must not be empty"),
        (["reps", "away", "ichiro@example.com", "--until", "soon"], "is not a date"),
        (["reps", "disable", "nobody@example.com"], "no rep with email"),
    ]:
        result = run(*args, env=env)
        assert result.returncode == 2, args
        assert message in result.stderr and "Traceback" not in result.stderr


def test_mail_show_prints_plain_newlines_so_a_piped_link_works(tmp_path: Path) -> None:
    """The sink keeps mail as it came over SMTP, with CRLF; the terminal gets \\n only."""
    msg = EmailMessage()
    msg["To"], msg["Subject"] = "r@example.com", "Thanks"
    msg.set_content("Hello,\n\nRead it: http://localhost:8000/t/c/abc.def\n\nBye\n")
    (tmp_path / "20261124T000000-1.eml").write_bytes(msg.as_bytes(policy=SMTP))
    assert b"\r\n" in (tmp_path / "20261124T000000-1.eml").read_bytes()

    result = CliRunner().invoke(app, ["mail", "--folder", str(tmp_path), "--show", "1"])

    assert result.exit_code == 0, result.output
    assert b"\r" not in result.stdout_bytes
    links = [w for w in result.stdout.split() if w.startswith("http")]
    assert links == ["http://localhost:8000/t/c/abc.def"]
    assert "\nRead it: http://localhost:8000/t/c/abc.def\n" in result.stdout
