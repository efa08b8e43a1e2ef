"""Schemathesis hooks for the fuzz test (loaded through SCHEMATHESIS_HOOKS).

Every request is signed as a webhook sender signs (`X-Nurture-Signature` over the exact
bytes sent), so the webhook endpoints are fuzzed past their signature check; the admin
token comes from the command line; the CDP SDK paths (/v1/batch...) get the write key as
the Basic user name, as the SDKs send it. Two rules the document cannot state are left to the
API's own 422, so valid-by-the-document requests breaking them are not generated: a date
range whose `to` is before its `from` (OpenAPI has no constraint between two parameters),
and a campaign that ends before it starts (nor between two properties). Batches are kept
small: a valid batch of 1,000 events is 1,000 real signals, seconds of work that would only
re-measure throughput (the limits themselves have their own tests).
"""

from __future__ import annotations

import base64
import os
import re
from typing import Any
from urllib.parse import urlsplit

import requests
import schemathesis

from api.schemas.segment import SDK_PATHS
from nurture import signing

SECRET = os.environ["NURTURE_FUZZ_WEBHOOK_SECRET"]
WRITE_KEY = base64.b64encode(f"{os.environ['NURTURE_FUZZ_WRITE_KEY']}:".encode()).decode()
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MOST_ITEMS = 20


class Signed(requests.auth.AuthBase):
    """Signs the prepared request's body, after serialization, as it goes on the wire."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else body
        if isinstance(raw, bytes):
            request.headers[signing.HEADER] = signing.sign(raw, SECRET)
        if urlsplit(request.url or "").path in SDK_PATHS:
            request.headers["Authorization"] = f"Basic {WRITE_KEY}"
        return request


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: Any, kwargs: dict[str, Any]) -> None:
    kwargs["auth"] = Signed()


def _reversed(start: Any, end: Any) -> bool:
    days = all(isinstance(v, str) and DAY.fullmatch(v) for v in (start, end))
    return days and str(end) < str(start)


@schemathesis.hook
def filter_query(context: schemathesis.HookContext, query: dict[str, Any] | None) -> bool:
    return not (isinstance(query, dict) and _reversed(query.get("from"), query.get("to")))


def _items(body: Any) -> int:
    if isinstance(body, dict) and isinstance(body.get("batch"), list):
        return len(body["batch"])
    return len(body) if isinstance(body, list) else 1


@schemathesis.hook
def filter_body(context: schemathesis.HookContext, body: Any) -> bool:
    if isinstance(body, dict) and _reversed(body.get("starts_on"), body.get("ends_on")):
        return False
    return _items(body) <= MOST_ITEMS
