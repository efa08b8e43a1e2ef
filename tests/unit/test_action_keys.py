"""The update ID that makes a retried sales action one action."""

from __future__ import annotations

from decimal import Decimal

from api.services.action_keys import action_update_id

REP = "6f1c2b1e-0000-4000-8000-000000000001"


def _key(
    handoff_id: str = "handoff-x-1",
    action: str = "won",
    rep_id: str | None = REP,
    reason: str | None = None,
    note: str = "",
    amount: Decimal | None = Decimal("500000"),
) -> str:
    return action_update_id(handoff_id, action, rep_id, reason=reason, note=note, amount=amount)


def test_the_same_request_has_the_same_id_and_amounts_compare_as_money() -> None:
    assert _key() == _key()
    assert _key() == _key(amount=Decimal("500000.00"))
    assert _key().startswith(f"handoff-x-1:won:rep-{REP}:")


def test_another_action_actor_or_body_is_another_request() -> None:
    others = {
        _key(action="opportunity"),
        _key(rep_id=None),
        _key(amount=Decimal("500001")),
        _key(note="signed today"),
        _key(reason="price"),
        _key(handoff_id="handoff-x-2"),
    }
    assert _key() not in others and len(others) == 6
    assert ":admin:" in _key(rep_id=None)


def test_the_note_stays_out_of_the_id() -> None:
    assert "Kato" not in _key(note="call Kato on Monday")
