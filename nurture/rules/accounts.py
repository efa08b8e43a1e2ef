"""Accounts: the leads of one company, and when a buying group inside it is ready.

A company is its registrable domain, by the Public Suffix List the `publicsuffixlist`
package ships (mail.acme.co.jp and acme.co.jp are one company; x.github.io and
y.github.io are two). Only business addresses make accounts: free-mail and competitors'
addresses never merge people (the scoring model says which kind an address is). An
account's id is derived from its domain, so every process names it alike and no domain
appears in a URL or a workflow id.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

ACCOUNT_NAMESPACE = uuid.UUID("6f1c9f3e-2b7a-5d4e-9c1a-7e0b3d5a8f21")
BUSINESS = "business"


@lru_cache(maxsize=1)
def _suffixes() -> PublicSuffixList:
    from publicsuffixlist import PublicSuffixList  # reads its bundled list once

    return PublicSuffixList()


def company_domain(email: str, kind: str) -> str | None:
    """The company an address belongs to, as its registrable domain; None for an address of
    another kind than business, or whose domain is a public suffix or not a domain."""
    if kind != BUSINESS or "@" not in email:
        return None
    host = email.rsplit("@", 1)[1].strip().rstrip(".").casefold()
    if not host or "." not in host:
        return None
    return _suffixes().privatesuffix(host)


def account_id(domain: str) -> uuid.UUID:
    """The account's id: the same domain, the same id, in every process."""
    return uuid.uuid5(ACCOUNT_NAMESPACE, domain)


@dataclass(frozen=True)
class BuyingGroup:
    """When an account is ready for sales as a whole: `people` leads each with at least
    `engaged_at` engagement (behaviour points), and together at least `engagement`."""

    people: int = 2
    engaged_at: int = 20
    engagement: int = 0

    def __post_init__(self) -> None:
        if self.people < 1:
            raise ValueError("a buying group needs at least one person")
        if self.engaged_at < 1:
            raise ValueError("engaged_at must be at least 1: everyone has 0 engagement")

    @property
    def asks_over(self) -> int:
        """A person's check is worth making once their engagement rises over this."""
        return self.engaged_at - 1

    def engaged(self, engagement: Mapping[uuid.UUID, int]) -> set[uuid.UUID]:
        """The account's leads engaged enough to count in the group."""
        return {lead for lead, points in engagement.items() if points >= self.engaged_at}

    def qualifies(self, engagement: Mapping[uuid.UUID, int]) -> bool:
        """`engagement`: each of the account's leads' engagement now."""
        return (
            len(self.engaged(engagement)) >= self.people
            and sum(engagement.values()) >= self.engagement
        )
