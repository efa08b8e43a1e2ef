"""The words nurture writes to a sales rep, in the rep's language and time zone.

Pure (no I/O), so the handoff mails (activities/email.py), the rep's link pages
(api/services/rep_links.py) and the `/sales` workspace say the same things the same way:
the score breakdown as reasons, the assignment reason, the lead's recent activity and
times, in English or Japanese. Internal terms (stage and rule keys, `round-robin: ...`,
`nurturing → mql`) stay in the read model for ops; nothing here passes one through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nurture.rules.score_state import ScoreState
from nurture.rules.scoring import ScoringModel

LANGUAGES = ("en", "ja")
WHY_ITEMS = 4  # the strongest reasons a "why" line names
JA_WEEKDAYS = "月火水木金土日"


def language_for(language: str | None, default: str) -> str:
    """The rep's language when it is one nurture writes in, else the default (else en)."""
    for candidate in (language, default):
        if candidate in LANGUAGES:
            return str(candidate)
    return "en"


def zone_for(timezone: str | None, default: ZoneInfo) -> ZoneInfo:
    """The rep's IANA zone, else `default` (the SLA calendar's); an unknown name: default."""
    if not timezone:
        return default
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return default


# --- times ---------------------------------------------------------------------------


def zone_name(at: datetime, zone: ZoneInfo) -> str:
    """The zone's abbreviation at that moment ("JST", "EST" or "EDT")."""
    return at.astimezone(zone).strftime("%Z")


def local_time(at: datetime, zone: ZoneInfo, language: str, now: datetime | None = None) -> str:
    """A moment as the rep reads it: "Tue, Dec 1, 15:00 JST" / 「12月1日(火) 15:00 JST」.

    The year is added when `now` is given and falls in another year.
    """
    local = at.astimezone(zone)
    year = now is not None and now.astimezone(zone).year != local.year
    clock = local.strftime("%H:%M %Z")
    if language == "ja":
        day = f"{local.month}月{local.day}日({JA_WEEKDAYS[local.weekday()]})"
        return f"{local.year}年{day} {clock}" if year else f"{day} {clock}"
    day = local.strftime("%a, %b ") + str(local.day)
    return f"{day}, {local.year}, {clock}" if year else f"{day}, {clock}"


def local_clock(at: datetime, zone: ZoneInfo) -> str:
    """The time of day with the zone: "14:05 JST" (the same in both languages)."""
    return at.astimezone(zone).strftime("%H:%M %Z")


def span(delta: timedelta, language: str, days: bool = True) -> str:
    """A length of time, sign dropped: "1 h 5 min" / 「1時間5分」; days past a day, unless
    `days` is False (business time, where a day is not 24 hours: "30 h")."""
    minutes = int(abs(delta.total_seconds()) // 60)
    whole_days, minutes = divmod(minutes, 24 * 60) if days else (0, minutes)
    hours, minutes = divmod(minutes, 60)
    if language == "ja":
        units = ((whole_days, "日"), (hours, "時間"), (minutes, "分"))
        return "".join(f"{n}{u}" for n, u in units if n) or "0分"
    parts = [f"{whole_days} d"] if whole_days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes or not parts else []
    return " ".join(parts)


def business_span(within: timedelta, business_day: timedelta, language: str) -> str:
    """An SLA allowance: "2 business hours", "1 business day" / 「2営業時間」「1営業日」."""
    if business_day and within >= business_day and within % business_day == timedelta(0):
        n = within // business_day
        return f"{n}営業日" if language == "ja" else f"{n} business day{'s' * (n != 1)}"
    hours = within.total_seconds() / 3600
    n_text = f"{hours:g}"
    return (
        f"{n_text}営業時間" if language == "ja" else f"{n_text} business hour{'s' * (hours != 1)}"
    )


# --- the lead, in words --------------------------------------------------------------

PRIORITIES = {
    "en": {"hot": "hot", "normal": "normal"},
    "ja": {"hot": "至急", "normal": "通常"},
}


def priority_name(priority: str, language: str) -> str:
    return PRIORITIES.get(language, PRIORITIES["en"]).get(priority, priority)


def priority_text(priority: str, within: timedelta, business_day: timedelta, language: str) -> str:
    """ "hot: acknowledge within 2 business hours" / 「至急: 2営業時間以内に受領してください」."""
    name, allowance = (
        priority_name(priority, language),
        business_span(within, business_day, language),
    )
    if language == "ja":
        return f"{name}: {allowance}以内に受領してください"
    return f"{name}: acknowledge within {allowance}"


def why(breakdown: Mapping[str, int], language: str, model: ScoringModel) -> str:
    """The strongest reasons the lead scored: "decision maker, top-target industry, viewed
    pricing" / 「決裁者、重点業種、料金ページを閲覧」 (points first, then the model's order)."""
    order = {key: n for n, key in enumerate(model.rule_keys)}
    rules = sorted(
        (key for key, points in breakdown.items() if points > 0),
        key=lambda key: (-breakdown[key], order.get(key, len(order))),
    )
    return ("、" if language == "ja" else ", ").join(
        model.why_in(key, language) for key in rules[:WHY_ITEMS]
    )


def lead_axes(
    fit_grade: str | None, engagement: int | None, breakdown: Mapping[str, int], model: ScoringModel
) -> tuple[str, int]:
    """The lead's fit grade and engagement as its workflow last wrote them; a row not scored
    since the axes existed: from its breakdown under `model`."""
    if fit_grade is not None and engagement is not None:
        return fit_grade, engagement
    state = ScoreState(breakdown=dict(breakdown))
    return model.fit_grade(state), model.engagement(state)


class Person(Protocol):
    """A lead row as the rep's mail and pages list it (nurture.tables.Lead)."""

    id: Any
    name: str
    email: str
    job_title: str
    fit_grade: str | None
    engagement: int | None
    score_breakdown: dict[str, int]


def group_lines(people: Iterable[Person], model: ScoringModel) -> list[dict[str, Any]]:
    """The other engaged people of an account handed over as a whole, for the rep: who
    they are and how engaged, most engaged first as the claim listed them."""
    return [
        {
            "id": str(p.id),
            "name": p.name or "-",
            "email": p.email,
            "job_title": p.job_title or "-",
            "engagement": lead_axes(p.fit_grade, p.engagement, p.score_breakdown, model)[1],
        }
        for p in people
    ]


def axes(fit_grade: str, engagement: int, language: str) -> str:
    """The score's two axes in a few words: "Fit B · Engagement 45" / 「適合度 B · 関心度 45」."""
    if language == "ja":
        return f"適合度 {fit_grade} · 関心度 {engagement}"
    return f"Fit {fit_grade} · Engagement {engagement}"


def breakdown_lines(
    breakdown: Mapping[str, int], language: str, model: ScoringModel
) -> list[dict[str, Any]]:
    """The score by rule, largest first: `label` in the rep's language and `points`."""
    return [
        {"label": model.label_in(rule, language), "points": points}
        for rule, points in sorted(breakdown.items(), key=lambda kv: -kv[1])
        if points
    ]


# The reasons nurture.repo.reps.choose stores, read back as words for the rep.
_REASONS: tuple[tuple[re.Pattern[str], dict[str, str]], ...] = (
    (
        re.compile(r"^round-robin: next in turn of 1 available reps?$"),
        {"en": "you are the only rep available", "ja": "対応できる担当者はあなただけでした"},
    ),
    (
        re.compile(r"^round-robin: next in turn of (?P<n>\d+) available reps$"),
        {
            "en": "you are next in turn among {n} reps",
            "ja": "{n}名の担当者のうち、あなたの順番でした",
        },
    ),
    (
        re.compile(r"^territory .* match, in turn among (?P<n>\d+) reps$"),
        {"en": "you cover the lead's territory", "ja": "リードの地域の担当です"},
    ),
    (
        re.compile(r"^industry match, in turn among (?P<n>\d+) reps$"),
        {"en": "you cover the lead's industry", "ja": "リードの業種の担当です"},
    ),
    (
        re.compile(r"^no rep covers .*; round-robin of (?P<n>\d+)$"),
        {
            "en": "no rep covers the lead's territory or industry; you are next in turn "
            "among {n} reps",
            "ja": "リードの地域・業種の担当者がいないため、{n}名のうちあなたの順番でした",
        },
    ),
    (
        re.compile(r"^weighted: "),
        {
            "en": "you are next by the team's share of leads",
            "ja": "担当件数の配分による割り当てです",
        },
    ),
    (
        re.compile(r"manager|reassign", re.IGNORECASE),
        {"en": "your manager gave you this lead", "ja": "マネージャーがあなたに割り当てました"},
    ),
)
_ANY_REASON = {"en": "assigned to you under the SLA", "ja": "SLA に基づく割り当てです"}


def assignment_reason(reason: str, language: str) -> str:
    """Why the lead is the rep's, in words: "you are next in turn among 3 reps", never the
    stored technical reason ("round-robin: next in turn of 3 available reps")."""
    for pattern, words in _REASONS:
        found = pattern.search(reason)
        if found:
            return words.get(language, words["en"]).format(**found.groupdict())
    return _ANY_REASON.get(language, _ANY_REASON["en"])


# The SLA's reject and lost reasons (scenarios/sla.py) as a rep reads them.
OUTCOME_REASONS = {
    "en": {
        "not_a_fit": "not a fit",
        "no_budget": "no budget",
        "no_authority": "no authority to decide",
        "no_need": "no need",
        "bad_timing": "bad timing",
        "bad_contact_data": "wrong contact details",
        "duplicate": "duplicate",
        "existing_customer": "existing customer",
        "price": "price",
        "competitor": "went with a competitor",
        "no_decision": "no decision",
        "timing": "timing",
        "features": "missing features",
        "other": "other",
    },
    "ja": {
        "not_a_fit": "対象外",
        "no_budget": "予算なし",
        "no_authority": "決裁権なし",
        "no_need": "ニーズなし",
        "bad_timing": "時期が合わない",
        "bad_contact_data": "連絡先の誤り",
        "duplicate": "重複",
        "existing_customer": "既存顧客",
        "price": "価格",
        "competitor": "競合に決定",
        "no_decision": "結論が出ず",
        "timing": "時期",
        "features": "機能不足",
        "other": "その他",
    },
}


def _worded(tables: Mapping[str, Mapping[str, str]], key: str, language: str) -> str:
    """`key` in the language's table, else the English one's, else without underscores."""
    table = tables.get(language, tables["en"])
    return table.get(key) or tables["en"].get(key) or key.replace("_", " ")


def outcome_reason(reason: str, language: str) -> str:
    """A reject or lost reason in words; one the table lacks, without its underscores."""
    return _worded(OUTCOME_REASONS, reason, language)


HANDOFF_STATUSES = {
    "en": {
        "pending": "waiting for your acknowledgement",
        "accepted": "acknowledged",
        "rejected": "rejected",
        "opportunity": "opportunity",
        "won": "won",
        "lost": "lost",
        "withdrawn": "withdrawn",
        "reassigned": "reassigned",
    },
    "ja": {
        "pending": "受領待ち",
        "accepted": "受領済み",
        "rejected": "差し戻し",
        "opportunity": "商談中",
        "won": "受注",
        "lost": "失注",
        "withdrawn": "引き上げ",
        "reassigned": "再割り当て",
    },
}


# A handoff waiting for acknowledgement, as read by someone who is not its rep (a manager).
PENDING_FOR_OTHERS = {"en": "waiting for acknowledgement", "ja": "受領待ち"}


def handoff_status(status: str, language: str, own: bool = True) -> str:
    """The handoff's status in words; `own` False when the reader is not its rep."""
    if status == "pending" and not own:
        return PENDING_FOR_OTHERS.get(language, PENDING_FOR_OTHERS["en"])
    return _worded(HANDOFF_STATUSES, status, language)


# --- recent activity -----------------------------------------------------------------

STAGES = {
    "en": {
        "new": "new lead",
        "nurturing": "marketing started sending content",
        "mql": "became a marketing-qualified lead",
        "sales_pending": "handed to sales",
        "sales_accepted": "accepted by sales",
        "opportunity": "became an opportunity",
        "won": "won",
        "lost": "lost",
        "recycled": "back with marketing",
        "unsubscribed": "unsubscribed from marketing mail",
        "bounced": "mail to the lead bounced",
        "disqualified": "marketing stopped following up",
    },
    "ja": {
        "new": "新しいリード",
        "nurturing": "マーケティングがコンテンツの配信を開始",
        "mql": "有望リードになりました",
        "sales_pending": "営業に引き継ぎ",
        "sales_accepted": "営業が受領",
        "opportunity": "商談化",
        "won": "受注",
        "lost": "失注",
        "recycled": "マーケティングに戻りました",
        "unsubscribed": "マーケティングメールの配信を停止",
        "bounced": "リードへのメールが届きませんでした",
        "disqualified": "マーケティングがフォローを終了",
    },
}

EVENTS = {
    "en": {
        "whitepaper_download": "downloaded a whitepaper",
        "webinar_registered": "registered for a webinar",
        "webinar_attended": "attended a webinar",
        "webinar_question": "asked a question in the webinar",
        "survey_high_interest": "showed high interest in the webinar survey",
        "pricing_page_view": "viewed the pricing page",
        "case_study_download": "downloaded a case study",
        "email_open": "opened a mail",
        "email_click": "clicked a link in a mail",
        "meeting_booked": "booked a meeting",
        "page_view": "viewed a page",
    },
    "ja": {
        "whitepaper_download": "ホワイトペーパーをダウンロード",
        "webinar_registered": "ウェビナーに申込",
        "webinar_attended": "ウェビナーに参加",
        "webinar_question": "ウェビナーで質問",
        "survey_high_interest": "ウェビナーのアンケートで関心が高いと回答",
        "pricing_page_view": "料金ページを閲覧",
        "case_study_download": "導入事例をダウンロード",
        "email_open": "メールを開封",
        "email_click": "メールのリンクをクリック",
        "meeting_booked": "商談を予約",
        "page_view": "ページを閲覧",
    },
}

SALES = {
    "en": {
        "assigned": "assigned to {rep}",
        "reassigned": "reassigned to {rep}",
        "reminder": "reminder sent to {rep}",
        "escalation": "not acknowledged in time; the manager was told",
        "breach": "not acknowledged within the SLA; taken back from sales",
        "ack": "acknowledged by {rep}",
        "reject": "rejected by {rep} ({reason})",
        "opportunity": "opportunity recorded by {rep}",
        "won": "won by {rep}",
        "lost": "lost ({reason})",
        "waiting_for_rep": "waiting for a sales rep: none is available yet",
    },
    "ja": {
        "assigned": "{rep} さんに割り当て",
        "reassigned": "{rep} さんに再割り当て",
        "reminder": "{rep} さんにリマインド",
        "escalation": "期限内に受領されず、マネージャーに通知",
        "breach": "SLA の期限内に受領されず、営業から引き上げ",
        "ack": "{rep} さんが受領",
        "reject": "{rep} さんが差し戻し（{reason}）",
        "opportunity": "{rep} さんが商談化を記録",
        "won": "{rep} さんが受注",
        "lost": "失注（{reason}）",
        "waiting_for_rep": "営業担当者の空きを待っています（対応できる担当者がいません）",
    },
}


class TimelineItem(Protocol):
    """What the read model's timeline gives (nurture.repo.leads.TimelineEntry)."""

    @property
    def at(self) -> datetime: ...

    @property
    def kind(self) -> str: ...

    @property
    def data(self) -> dict[str, Any]: ...


def _points(points: int, language: str) -> str:
    return f"（{points:+d}点）" if language == "ja" else f" ({points:+d})"


def timeline_text(
    kind: str, data: Mapping[str, Any], language: str, model: ScoringModel
) -> str | None:
    """One timeline entry as a rep reads it; None for what is not for a rep (ops notes,
    failed deliveries, zero-point bookkeeping)."""
    lang = language if language in LANGUAGES else "en"
    if kind == "event":
        what = EVENTS[lang].get(str(data.get("type")))
        if what is None:
            return None
        points = int(data.get("points") or 0)
        return what + (_points(points, lang) if points else "")
    if kind == "score":
        points = int(data.get("points") or 0)
        if not points:
            return None
        return model.label_in(str(data.get("rule")), lang) + _points(points, lang)
    if kind == "stage":
        return STAGES[lang].get(str(data.get("to")))
    if kind == "email":
        subject = str(data.get("subject") or "")
        if data.get("kind") == "rep":
            return f"営業へのメール「{subject}」" if lang == "ja" else f"mail to sales: “{subject}”"
        return f"メール送信「{subject}」" if lang == "ja" else f"mail sent: “{subject}”"
    if kind == "sales":
        template = SALES[lang].get(str(data.get("event")))
        if template is None:
            return None
        rep = str(data.get("rep") or "-")
        reason = outcome_reason(str(data.get("reason") or ""), lang)
        return template.format(rep=rep, reason=reason)
    return None


ROUTINE_SALES = {"assigned", "reassigned", "reminder", "escalation", "waiting_for_rep"}


def _routine(kind: str, data: Mapping[str, Any]) -> bool:
    if kind == "email":
        return data.get("kind") == "rep"
    return kind == "sales" and str(data.get("event")) in ROUTINE_SALES


def recent_activity(
    entries: Sequence[TimelineItem],
    zone: ZoneInfo,
    language: str,
    model: ScoringModel,
    limit: int,
    now: datetime | None = None,
) -> list[dict[str, str]]:
    """The last `limit` entries a rep reads, oldest first: `at` (local) and `text`.

    What the lead did and what sales decided; not the handoff's own routine (assignments,
    reminders, mail to reps), which would push the lead's behaviour out of a short list.
    """
    said = [
        (e.at, timeline_text(e.kind, e.data, language, model))
        for e in entries
        if not _routine(e.kind, e.data)
    ]
    return [
        {"at": local_time(at, zone, language, now), "text": text}
        for at, text in said
        if text is not None
    ][-limit:]
