"""The words of a rep's action pages, in the languages nurture writes to reps (en, ja).

The page speaks the link's rep's language (else NURTURE_DEFAULT_LANGUAGE, as before the
link is read); statuses, priorities, reasons and times come from nurture.rules.rep_words.
The API's own messages (details under a refusal) stay English.
"""

from __future__ import annotations

EN = {
    "lang": "en",
    "ack": "Acknowledge",
    "reject": "Reject",
    "opportunity": "Record an opportunity",
    "won": "Mark as won",
    "lost": "Mark as lost",
    "view": "The lead",
    "company": "Company",
    "job_title": "Job title",
    "score": "Score",
    "priority": "Priority",
    "status": "Status",
    "deadline": "Acknowledge by",
    "reason": "Reason",
    "note": "Note (optional)",
    "amount": "Amount",
    "amount_optional": "Amount (optional)",
    "ack_hint": "Acknowledging stops the SLA clock.",
    "reject_hint": "The lead goes back to marketing.",
    "done_ack": "Acknowledged at {at}, {delta} the deadline.",
    "before": "{d} before",
    "after": "{d} after",
    "done_reject": "Rejected ({reason}). The lead is back with marketing.",
    "done_opportunity": "Recorded as an opportunity.",
    "done_won": "Recorded as won: {amount}.",
    "done_lost": "Recorded as lost ({reason}).",
    "next_ack": "Next: once there is a valid opportunity, use Opportunity… in the mail; "
    "then Won… or Lost… when it is decided.",
    "next_opportunity": "Next: Won… or Lost… in the mail, when it is decided.",
    "next_closed": "Nothing more to do for this lead.",
    "invalid": "This link is not valid",
    "invalid_text": "It may have been cut or changed. Open the link from the mail again. "
    "Nothing was changed.",
    "expired": "This link has expired",
    "expired_text": "Nothing was changed. Use the sales API, or ask marketing for the lead.",
    "stale_page": "This page has expired",
    "stale_page_text": "Open the link from the mail again and confirm there. Nothing was changed.",
    "moved_on": "This lead was reassigned",
    "moved_on_text": "It was reassigned to {rep}. There is nothing more for you to do; "
    "nothing was changed.",
    "forbidden": "This link is not yours",
    "forbidden_text": "This handoff is not assigned to the rep the link was made for. "
    "Nothing was changed.",
    "not_found": "No such handoff",
    "used": "This link was already used",
    "used_text": "The handoff is already {status}. Nothing was changed.",
    "closed": "This handoff is closed",
    "closed_text": "It is {status}; nothing more can be done. Nothing was changed.",
    "conflict": "Not possible now",
    "unavailable": "Please try again in a moment",
    "invalid_form": "Please check the form",
    "bad_request": "Something is wrong with this request",
}

JA = {
    **EN,
    "lang": "ja",
    "ack": "受領する",
    "reject": "差し戻す",
    "opportunity": "商談化を記録",
    "won": "受注を記録",
    "lost": "失注を記録",
    "view": "リード",
    "company": "会社",
    "job_title": "役職",
    "score": "スコア",
    "priority": "優先度",
    "status": "状態",
    "deadline": "受領期限",
    "reason": "理由",
    "note": "メモ（任意）",
    "amount": "金額",
    "amount_optional": "金額（任意）",
    "ack_hint": "受領すると SLA の時計が止まります。",
    "reject_hint": "リードはマーケティングに戻ります。",
    "done_ack": "{at} に受領しました（期限の{delta}）。",
    "before": "{d}前",
    "after": "{d}後",
    "done_reject": "差し戻しました（{reason}）。リードはマーケティングに戻りました。",
    "done_opportunity": "商談化を記録しました。",
    "done_won": "受注を記録しました: {amount}。",
    "done_lost": "失注を記録しました（{reason}）。",
    "next_ack": "次は: 有効な商談になったらメールの「商談化」を、その後「受注」か「失注」を。",
    "next_opportunity": "次は: 決まったらメールの「受注」か「失注」を。",
    "next_closed": "このリードで行うことはもうありません。",
    "invalid": "このリンクは無効です",
    "invalid_text": "途中で切れたか変更された可能性があります。メールのリンクを開き直してください。"
    "何も変更していません。",
    "expired": "このリンクは期限切れです",
    "expired_text": "何も変更していません。",
    "stale_page": "このページは期限切れです",
    "stale_page_text": "メールのリンクを開き直して、そこで確定してください。何も変更していません。",
    "moved_on": "このリードは再割り当てされました",
    "moved_on_text": "{rep}さんに再割り当てされました。あなたが対応することはもうありません。"
    "何も変更していません。",
    "forbidden": "あなた宛てのリンクではありません",
    "forbidden_text": "この引き継ぎはリンクの宛先の担当者に割り当てられていません。"
    "何も変更していません。",
    "not_found": "引き継ぎが見つかりません",
    "used": "このリンクは使用済みです",
    "used_text": "引き継ぎはすでに {status} です。何も変更していません。",
    "closed": "この引き継ぎは終了しています",
    "closed_text": "状態は {status} で、これ以上の操作はできません。何も変更していません。",
    "conflict": "今はできません",
    "unavailable": "少し待ってからもう一度お試しください",
    "invalid_form": "入力を確認してください",
    "bad_request": "リクエストに問題があります",
}

WORDS = {"en": EN, "ja": JA}


def words(language: str) -> dict[str, str]:
    return WORDS.get(language, EN)
