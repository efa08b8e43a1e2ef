"""The handoff's Slack post: which notices go to chat, and the activity call that posts one.

Workflow code (deterministic, no side effects of its own): the handoff starts it beside
the notice's mail and sales webhook, so a slow or failing Slack delays neither, nor the
SLA clock; what it gives up on is returned for the handoff to record, never raised.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, CancelledError

with workflow.unsafe.imports_passed_through():
    from activities.chat import ChatActivities
    from nurture.models import NoticeKind, NotifyRepInput
    from workflows import policies

# Handoffs from here on post their notices to Slack when the assignment says chat is set up.
PATCH = "handoff-chat"
# Assignment (a reassignment too: the next rep's assignment), reminder, escalation.
KINDS = frozenset({NoticeKind.ASSIGNED, NoticeKind.REMINDER, NoticeKind.MANAGER})


async def post(notice: NotifyRepInput) -> str | None:
    """Post the notice to chat; why it was given up, or None once posted or called off (the
    handoff ended while it retried: news of it no longer applies, and that is no failure)."""
    try:
        await workflow.execute_activity_method(
            ChatActivities.post_chat,
            notice,
            start_to_close_timeout=policies.CHAT_TIMEOUT,
            retry_policy=policies.CHAT_RETRY,
        )
    except ActivityError as err:
        if isinstance(err.cause, CancelledError):
            return None
        return f"{notice.kind.value}: {err.cause}"
    return None
