"""A short-lived cache of lead rows for the webhook path.

Events name leads that exist and rarely change; a cached row saves a database round
trip (and a thread hop) per event. The row only feeds signal-with-start's start input,
used when the lead's workflow is somehow not running, so a minute of staleness is harmless.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from nurture.tables import Lead


@dataclass
class LeadCache:
    ttl_seconds: float = 60.0
    max_entries: int = 20_000
    _by_id: OrderedDict[uuid.UUID, tuple[float, Lead]] = field(default_factory=OrderedDict)
    _id_by_email: dict[str, uuid.UUID] = field(default_factory=dict)

    def get(self, lead_id: uuid.UUID | None = None, email: str | None = None) -> Lead | None:
        if lead_id is None and email is not None:
            lead_id = self._id_by_email.get(email)
        if lead_id is None:
            return None
        entry = self._by_id.get(lead_id)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, lead: Lead) -> None:
        self._by_id[lead.id] = (time.monotonic() + self.ttl_seconds, lead)
        self._by_id.move_to_end(lead.id)
        self._id_by_email[lead.email] = lead.id
        while len(self._by_id) > self.max_entries:
            _, (_, old) = self._by_id.popitem(last=False)
            self._id_by_email.pop(old.email, None)
