"""An amount as a person types it into a page: "1,200,000", "¥1,500,000", "１２０万円".

Pages accept what a rep would write; the API keeps its exact number format. The result is
the plain number text the API's Money type reads, or the input unchanged when it is not an
amount (so the API's own check says what is wrong).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

_MARKS = re.compile(r"^(?:[¥$€£]|JPY|USD|EUR)?\s*(.*?)\s*(?:円|JPY|USD|EUR)?$", re.IGNORECASE)
_UNITS = {"万": Decimal(10_000), "億": Decimal(100_000_000), "千": Decimal(1_000)}


def plain_amount(typed: str) -> str:
    """The amount as digits with an optional decimal point; `typed` if it is no amount."""
    text = unicodedata.normalize("NFKC", typed).strip()  # full-width digits, ￥ → ¥
    if not text:
        return ""
    match = _MARKS.match(text)
    core = (match.group(1) if match else text).replace(",", "").replace(" ", "")
    unit = Decimal(1)
    if core and core[-1] in _UNITS:
        core, unit = core[:-1], _UNITS[core[-1]]
    try:
        value = Decimal(core) * unit
    except InvalidOperation:
        return typed
    if not value.is_finite():
        return typed
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
