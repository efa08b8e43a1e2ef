"""One settings object for the API, the worker and the CLI, read from NURTURE_* variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, EmailStr, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_WEBHOOK_SECRET = "dev-webhook-secret"
DEV_SECRET_KEY = "dev-secret-key-change-me"
DEV_ADMIN_TOKEN = "dev-admin-token"
DEV_SEGMENT_WRITE_KEY = "dev-write-key"

# How the worker and the replayer run workflow code (workflows/registry.py says what each is).
WorkflowRunnerKind = Literal["sandbox", "passthrough", "unsandboxed"]
DEFAULT_WORKFLOW_RUNNER: WorkflowRunnerKind = "unsandboxed"

STATE_DIR = Path(".nurture")
DEV_SITE_PATH = "/site"  # where the dev API serves placeholder pages of the company's site


def is_web_base(url: str) -> bool:
    """An absolute http(s) address with a host and neither query nor fragment."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "https://[": not even a URL
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not (parts.query or parts.fragment)
    )


class RepConfig(BaseModel):
    """A sales rep named in configuration; assignment rotates through them."""

    name: str
    email: EmailStr
    manager: EmailStr | None = None
    language: Literal["en", "ja"] | None = None  # None: NURTURE_DEFAULT_LANGUAGE
    timezone: str | None = None  # IANA; None: the SLA calendar's time zone

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{value!r} is not an IANA time zone like Asia/Tokyo") from None
        return value


class WriteKey(BaseModel):
    """A CDP source's write key (what its SDK sends as the Basic user name) and the campaign
    key its new leads are attributed to when they carry no `source` trait."""

    key: SecretStr = Field(min_length=1)
    # Held to a lead's `source` rules, so a mistyped one stops the start, not every identify.
    campaign: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")


def _parse_write_keys(value: object) -> object:
    """Accept `key=campaign,key2=campaign-b,key3` as well as a JSON object `{key: campaign}`."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("{"):
        import json

        pairs = json.loads(text)
        if not isinstance(pairs, dict):
            raise ValueError("NURTURE_SEGMENT_WRITE_KEYS as JSON must be an object")
        return [{"key": k, "campaign": v or None} for k, v in pairs.items()]
    keys = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, campaign = part.partition("=")
        keys.append({"key": key.strip(), "campaign": campaign.strip() or None})
    return keys


def _parse_reps(value: object) -> object:
    """Accept `Name <email>, Name <email>` as well as a JSON list."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return []
    if text.startswith("["):
        import json

        return json.loads(text)
    reps = []
    for part in text.split(","):
        part = part.strip()
        if "<" in part and part.endswith(">"):
            name, _, email = part[:-1].partition("<")
            reps.append({"name": name.strip(), "email": email.strip()})
        else:
            reps.append({"name": part.split("@")[0], "email": part})
    return reps


class Settings(BaseSettings):
    """Every knob of nurture. Outside `dev`, the built-in dev secrets are refused."""

    model_config = SettingsConfigDict(env_prefix="NURTURE_", extra="ignore")

    env: str = "dev"
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "nurture"
    # Temporal Cloud, or a cluster behind TLS: an API key, or a client certificate (mTLS).
    temporal_api_key: SecretStr | None = None
    temporal_tls: bool = False  # implied by an API key or any of the files below
    temporal_tls_cert_file: str | None = None
    temporal_tls_key_file: str | None = None
    temporal_tls_ca_file: str | None = None  # a private CA of the frontend's certificate
    database_url: str = f"sqlite:///{STATE_DIR / 'nurture.db'}"
    # The API's waits on the database; the worker keeps longer ones (nurture.db.make_engine).
    database_busy_timeout_seconds: float = Field(default=3.0, gt=0)
    database_statement_timeout_seconds: float = Field(default=30.0, gt=0)
    smtp_host: str = "localhost"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 30.0
    smtp_ca_file: str | None = None  # a PEM bundle to trust for the relay's certificate
    # A relay or configuration failure holds mail and retries this long before giving up.
    smtp_hold_days: float = 3.0
    mail_from: str = "Nurture <nurture@localhost>"
    public_url: str = "http://localhost:8000"
    # The company's website, base of every content link in mail. Required outside dev; in dev
    # it defaults to the API's placeholder pages, `<public_url>/site` (api.routes.dev_site).
    site_url: str | None = None
    webhook_secret: SecretStr = SecretStr(DEV_WEBHOOK_SECRET)
    webhook_tolerance_seconds: int = 300
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    admin_token: SecretStr = SecretStr(DEV_ADMIN_TOKEN)
    sales_reps: Annotated[list[RepConfig], NoDecode] = Field(default_factory=list)
    # CDP sources whose official SDKs post to /v1/batch: `key=campaign,...` (see WriteKey).
    segment_write_keys: Annotated[list[WriteKey], NoDecode] = Field(default_factory=list)
    sales_webhook_url: str | None = None
    sales_webhook_secret: SecretStr | None = None
    # A Slack incoming webhook: its URL is its credential, so it is a secret, never logged.
    slack_webhook_url: SecretStr | None = None
    log_level: str = "INFO"
    intake_wait_seconds: float = 10.0
    # How often each worker starts workflows for stored leads that lack one and marks leads
    # whose workflow ops closed in Temporal.
    reconcile_seconds: float = Field(default=30.0, gt=0)
    send_window: bool = True
    default_language: Literal["en", "ja"] = "en"
    # Workflow activations the worker runs at once (threads sharing one GIL; each must end
    # within the SDK's 2 s deadlock timer). More workers scale out, not more threads.
    worker_workflow_tasks: int = Field(default=8, ge=1, le=100)
    # The SDK's sandbox, or none (then the worker refuses scenario or workflow code that
    # nurture's static check faults): see workflows/registry.py and the README.
    workflow_runner: WorkflowRunnerKind = DEFAULT_WORKFLOW_RUNNER
    # Activities a worker runs at once (mail sends, the sales webhook, Slack: async, on the
    # worker's event loop, beside the workflow activations) and local activities (scoring,
    # read-model writes: each in an activity thread). See the README's settings table.
    worker_activities: int = Field(default=16, ge=1, le=500)
    worker_local_activities: int = Field(default=8, ge=1, le=500)
    # Bulk intake (POST /v1/leads/bulk) answers 429 while this many workflow and activity
    # tasks wait on the lead task queue for a worker: a load goes in at the rate the
    # workers absorb it.
    intake_max_backlog: int = Field(default=100, ge=1)
    # Told when a lead waits because no rep can take it; unset: every rep's manager.
    sales_admin_email: str | None = None
    # How long a sales rep's one-click link in the handoff mail works (nurture.rep_links).
    action_link_hours: float = Field(default=72.0, gt=0)
    # The /sales workspace: how long its emailed sign-in link works, and a session lasts.
    sign_in_link_minutes: float = Field(default=15.0, gt=0)
    sales_session_hours: float = Field(default=12.0, gt=0)

    @field_validator("slack_webhook_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`NURTURE_SLACK_WEBHOOK_URL=` (an .env line left empty) means no Slack."""
        if isinstance(value, str | SecretStr):
            text = value.get_secret_value() if isinstance(value, SecretStr) else value
            return text.strip() or None
        return value

    @field_validator(
        "temporal_api_key",
        "temporal_tls_cert_file",
        "temporal_tls_key_file",
        "temporal_tls_ca_file",
        mode="before",
    )
    @classmethod
    def _blank_temporal_tls_is_unset(cls, value: object) -> object:
        """An .env line left empty (`NURTURE_TEMPORAL_API_KEY=`) means none."""
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _client_certificate_pair(self) -> Settings:
        if bool(self.temporal_tls_cert_file) != bool(self.temporal_tls_key_file):
            raise ValueError(
                "NURTURE_TEMPORAL_TLS_CERT_FILE and NURTURE_TEMPORAL_TLS_KEY_FILE go together "
                "(a client certificate and its private key, for mTLS); set both or neither"
            )
        return self

    @field_validator("site_url", mode="before")
    @classmethod
    def _site_is_a_web_address(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if not is_web_base(text):
                raise ValueError(
                    f"NURTURE_SITE_URL must be an http(s) address without query or fragment, "
                    f"like https://www.example.com, not {text!r}"
                )
            return text.rstrip("/")
        return value

    @model_validator(mode="before")
    @classmethod
    def _split_reps(cls, data: object) -> object:
        if isinstance(data, dict) and "sales_reps" in data:
            data["sales_reps"] = _parse_reps(data["sales_reps"])
        if isinstance(data, dict) and "segment_write_keys" in data:
            data["segment_write_keys"] = _parse_write_keys(data["segment_write_keys"])
        return data

    @model_validator(mode="after")
    def _refuse_dev_secrets_outside_dev(self) -> Settings:
        if self.env == "dev":
            if self.site_url is None:
                self.site_url = f"{self.public_url.rstrip('/')}{DEV_SITE_PATH}"
            if not self.sales_reps:
                manager = "sales.manager@sales.example.com"
                self.sales_reps = [
                    RepConfig(
                        name="Sato Aiko", email="aiko.sato@sales.example.com", manager=manager
                    ),
                    RepConfig(
                        name="Tanaka Ken", email="ken.tanaka@sales.example.com", manager=manager
                    ),
                ]
            if not self.segment_write_keys:
                self.segment_write_keys = [WriteKey(key=SecretStr(DEV_SEGMENT_WRITE_KEY))]
            return self
        dev_values = {
            "NURTURE_WEBHOOK_SECRET": (self.webhook_secret, DEV_WEBHOOK_SECRET),
            "NURTURE_SECRET_KEY": (self.secret_key, DEV_SECRET_KEY),
            "NURTURE_ADMIN_TOKEN": (self.admin_token, DEV_ADMIN_TOKEN),
        }
        for i, write_key in enumerate(self.segment_write_keys):
            dev_values[f"NURTURE_SEGMENT_WRITE_KEYS (key {i + 1})"] = (
                write_key.key,
                DEV_SEGMENT_WRITE_KEY,
            )
        weak = [
            name
            for name, (value, dev) in dev_values.items()
            if value.get_secret_value() == dev
            or len(value.get_secret_value()) < 16
            or value.get_secret_value().startswith("change-me")
        ]
        problems = []
        if weak:
            problems.append(
                f"NURTURE_ENV={self.env!r} needs real secrets (16+ characters, not the dev "
                f"defaults or a change-me placeholder) in: {', '.join(weak)}"
            )
        if self.site_url is None:
            problems.append(
                f"NURTURE_ENV={self.env!r} needs NURTURE_SITE_URL, the company's website that "
                "content links in mail lead to (e.g. https://www.example.com)"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def content_base(self) -> str:
        """The site every content link starts with (set in dev, required elsewhere)."""
        return self.site_url or f"{self.public_url.rstrip('/')}{DEV_SITE_PATH}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own `Settings(...)` instead."""
    return Settings()
