"""Timeouts and retry policies for every activity call, in one place."""

from datetime import timedelta

from temporalio.common import RetryPolicy

# Read-model writes: local and quick; retried for an hour of database outage, then given up
# (logged) rather than failing the lead: the workflow's own state stays the truth.
RECORD_TIMEOUT = timedelta(seconds=30)
RECORD_GIVE_UP_AFTER = timedelta(hours=1)
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=0,
)

# The account check (lead-account-handoff): the lead's scoring waits for it, so it gives up
# after ten minutes of database outage; the lead asks again on its next rise of engagement.
ACCOUNT_CHECK_TIMEOUT = timedelta(seconds=30)
ACCOUNT_CHECK_GIVE_UP_AFTER = timedelta(minutes=10)
# The claim's end, after the handoff that carried the account: held open, the account
# would never be handed again, so it is retried for a day of outage.
ACCOUNT_END_GIVE_UP_AFTER = timedelta(days=1)

# Scoring: pure code in a local activity; a failure is a bug, retried until a fix is deployed.
SCORE_TIMEOUT = timedelta(seconds=10)
SCORE_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=100),
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=0,
)

# SMTP: a relay or configuration failure holds the mail; the activity retries it with this
# backoff until NURTURE_SMTP_HOLD_DAYS pass, then gives up (SmtpGaveUp). A template bug or a
# refused recipient does not retry. The heartbeat notices a worker that died mid-send.
SEND_TIMEOUT = timedelta(minutes=10)  # beyond any SMTP session; heartbeats catch a dead one
SEND_HEARTBEAT = timedelta(seconds=10)
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=0,
    non_retryable_error_types=[
        "TemplateNotFound",
        "TemplateError",
        "RecipientRejected",
        "LeadNotFound",
        "SmtpGaveUp",
        "MailCancelled",
    ],
)

ASSIGN_TIMEOUT = timedelta(seconds=30)
ASSIGN_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=20,
    non_retryable_error_types=["NoRepAvailable", "LeadNotFound"],
)

# Outbound sales webhook (Slack, CRM): backs off, gives up after about a day.
WEBHOOK_TIMEOUT = timedelta(seconds=30)
WEBHOOK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(hours=1),
    maximum_attempts=30,
)

# Slack: a notice is news for minutes, not days. About three minutes of backoff (3 s
# doubling, 7 attempts), then given up and recorded (chat_failed); a refusal is not retried.
CHAT_TIMEOUT = timedelta(seconds=30)
CHAT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=3),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=2),
    maximum_attempts=7,
    non_retryable_error_types=["ChatRejected", "ChatMisconfigured", "ChatHandoffNotFound"],
)

# Asking Temporal where a handoff stands (a reset or resumed lead adopting it).
LOOKUP_TIMEOUT = timedelta(seconds=30)
LOOKUP_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=0,
)
