"""What `nurture dev` prints once everything is up: where each part is and how to poke it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from nurture.settings import (
    DEV_ADMIN_TOKEN,
    DEV_SEGMENT_WRITE_KEY,
    DEV_SITE_PATH,
    DEV_WEBHOOK_SECRET,
    STATE_DIR,
    Settings,
)


def _tool(name: str) -> str:
    """The venv's script, relative when it sits below the current directory (`.venv/bin/x`)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        return name
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else str(path)


def _secret(value: str, dev_default: str, variable: str) -> str:
    # Only the built-in dev values are printed; anything the user set stays unprinted.
    return f"{value}  (dev default)" if value == dev_default else f"(from {variable})"


def _write_key_row(settings: Settings, api: str) -> list[tuple[str, str]]:
    """The dev write key, for a CDP SDK pointed at this stack (`host` = the API's URL)."""
    keys = [k.key.get_secret_value() for k in settings.segment_write_keys]
    if DEV_SEGMENT_WRITE_KEY in keys:
        return [("CDP write key", f"{DEV_SEGMENT_WRITE_KEY}  (dev default; SDK host {api})")]
    if keys:
        return [("CDP write keys", f"{len(keys)} (from NURTURE_SEGMENT_WRITE_KEYS)")]
    return []


def _rep_rows(settings: Settings) -> list[tuple[str, str]]:
    """Dev reps get `dev-rep-<n>` tokens (see repo.reps.sync_from_config); say which is whose."""
    if settings.env != "dev":
        return []
    rows = [
        ("Rep token" if n == 1 else "", f"dev-rep-{n}  ({rep.name} <{rep.email}>)")
        for n, rep in enumerate(settings.sales_reps, start=1)
    ]
    managers = sorted({str(rep.manager) for rep in settings.sales_reps if rep.manager})
    if managers:  # a manager signs in at /sales like a rep and gets the Team view
        rows.append(("Sales manager", f"{', '.join(managers)}  (signs in at /sales: Team)"))
    return rows


def _website(settings: Settings, api: str) -> str:
    """Where the mails' content links go: the user's site, else the API's placeholder pages."""
    if os.environ.get("NURTURE_SITE_URL", "").strip():
        return f"{settings.content_base}  (NURTURE_SITE_URL: content links in mail)"
    return f"{api}{DEV_SITE_PATH}  (placeholder pages; set NURTURE_SITE_URL to your website)"


def render(
    settings: Settings,
    *,
    api_port: int,
    ui_port: int,
    temporal_port: int,
    smtp_port: int,
    mail_port: int,
    logs: list[Path],
) -> str:
    """The banner text; ports are the ones this stack was started with."""
    api = f"http://localhost:{api_port}"
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    viewer = f"http://localhost:{mail_port}" if mail_port else "off (--mail-port 0)"
    admin = settings.admin_token.get_secret_value()
    webhook = settings.webhook_secret.get_secret_value()
    names = ",".join(p.stem for p in logs)
    token = admin if admin == DEV_ADMIN_TOKEN else "$NURTURE_ADMIN_TOKEN"
    lead = '{"email":"a@b.example.com","name":"Test","company":"Acme","scenario":"whitepaper"}'
    rows = [
        ("API", api),
        ("OpenAPI docs", f"{api}/docs"),
        ("Sales workspace", f"{api}/sales  (a rep signs in with their email; the link is mailed)"),
        ("Dashboard", f"{api}/dashboard  (any user name; the password is the admin token)"),
        ("Website", _website(settings, api)),
        ("Temporal UI", f"http://localhost:{ui_port}"),
        ("Temporal", f"127.0.0.1:{temporal_port} (namespace {settings.temporal_namespace})"),
        ("Mail viewer", viewer),
        ("SMTP sink", f"localhost:{smtp_port}"),
        ("Admin token", _secret(admin, DEV_ADMIN_TOKEN, "NURTURE_ADMIN_TOKEN")),
        ("Webhook secret", _secret(webhook, DEV_WEBHOOK_SECRET, "NURTURE_WEBHOOK_SECRET")),
        *_write_key_row(settings, api),
        *_rep_rows(settings),
        ("Database", database),
        ("Temporal data", str(STATE_DIR / "temporal.db")),
        ("Logs", f"{STATE_DIR / 'logs'}/{{{names}}}.log"),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"  {label.ljust(width)}  {value}" for label, value in rows]
    return "\n".join(
        [
            "",
            "nurture dev stack is up. Ctrl-C stops it; data stays in .nurture/ for the next run.",
            "",
            *lines,
            "",
            f"  Read mail here:   {_tool('nurture')} mail   ({_tool('nurture')} mail --show 1)",
            f"  Awaiting ack:     {_tool('temporal')} workflow list "
            f"--address 127.0.0.1:{temporal_port} --query \"HandoffState='pending'\"",
            f"  New lead:         curl -X POST {api}/v1/leads -H 'Authorization: Bearer {token}' "
            f"-H 'content-type: application/json' -d '{lead}'",
            "",
        ]
    )
