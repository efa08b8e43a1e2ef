"""Which leads make one account, and when its buying group is ready."""

from __future__ import annotations

import uuid

import pytest

from nurture.rules.accounts import BuyingGroup, account_id, company_domain
from scenarios.scoring import email_kind


@pytest.mark.parametrize(
    ("email", "domain"),
    [
        ("sato@acme.co.jp", "acme.co.jp"),
        ("Suzuki@Mail.ACME.co.jp", "acme.co.jp"),  # a mail host of the company: the company
        ("ann@eu.acme.com", "acme.com"),
        ("bo@acme.com.", "acme.com"),
        ("cy@acme.co.uk", "acme.co.uk"),
        ("di@team-a.github.io", "team-a.github.io"),  # a private suffix: one site, one company
        ("ed@gmail.com", None),  # free mail never merges people
        ("fu@yahoo.co.jp", None),
        ("gi@competitor.example", None),  # nor does a competitor's domain
        ("ho@co.jp", None),  # a public suffix is nobody's company
        ("io@localhost", None),
    ],
)
def test_the_company_of_an_address(email: str, domain: str | None) -> None:
    assert company_domain(email, email_kind(email)) == domain


def test_an_account_id_is_the_same_for_the_same_company_and_shows_no_domain() -> None:
    assert account_id("acme.co.jp") == account_id("acme.co.jp") != account_id("acme.com")
    assert "acme" not in str(account_id("acme.co.jp"))


def test_a_buying_group_needs_enough_engaged_people() -> None:
    ann, ben, cy = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    group = BuyingGroup(people=2, engaged_at=20, engagement=50)
    assert not group.qualifies({ann: 45, ben: 10})  # one engaged person is not a group
    assert group.engaged({ann: 45, ben: 20, cy: 0}) == {ann, ben}
    assert group.qualifies({ann: 30, ben: 20})
    assert not group.qualifies({ann: 20, ben: 20, cy: 5})  # two engaged, 45 in all < 50
    with pytest.raises(ValueError, match="at least one person"):
        BuyingGroup(people=0)
