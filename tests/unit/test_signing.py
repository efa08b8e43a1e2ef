"""Webhook signatures: what a sender signs is what the API verifies, and nothing else passes."""

import pytest

from nurture import signing

SECRET = "s3cret"
BODY = b'{"event_id":"e1"}'


def test_signed_body_verifies() -> None:
    header = signing.sign(BODY, SECRET, timestamp=1_000)
    signing.verify(header, BODY, SECRET, tolerance=300, now=1_100)


def test_header_format_is_the_documented_one() -> None:
    header = signing.sign(BODY, SECRET, timestamp=1_700_000_000)
    t, v1 = header.split(",")
    assert t == "t=1700000000"
    # HMAC-SHA256 of "1700000000." + body with key "s3cret", computed independently with openssl.
    # echo -n '1700000000.{"event_id":"e1"}' | openssl dgst -sha256 -hmac s3cret
    assert v1 == "v1=b7ae34b78dfdf65e437098c4dc42d89f96f5dd9152180c66b3c5aec58df53b7a"


@pytest.mark.parametrize(
    ("header", "body", "secret", "now", "expected"),
    [
        (None, BODY, SECRET, 1_000, "missing"),
        ("v1=abc", BODY, SECRET, 1_000, "numeric t"),
        ("t=1000", BODY, SECRET, 1_000, "lacks v1"),
        ("t=1000;v1=abc", BODY, SECRET, 1_000, "numeric t"),
        ("t=1000,v1", BODY, SECRET, 1_000, "malformed"),
        (signing.sign(BODY, SECRET, 1_000), BODY + b" ", SECRET, 1_000, "does not match"),
        (signing.sign(BODY, "other", 1_000), BODY, SECRET, 1_000, "does not match"),
        (signing.sign(BODY, SECRET, 1_000), BODY, SECRET, 1_301, "tolerance 300 s"),
        (signing.sign(BODY, SECRET, 1_000), BODY, SECRET, 699, "tolerance 300 s"),
    ],
)
def test_refusals_say_why(
    header: str | None, body: bytes, secret: str, now: float, expected: str
) -> None:
    with pytest.raises(signing.SignatureError, match=expected):
        signing.verify(header, body, secret, tolerance=300, now=now)


def test_any_of_several_v1_values_may_match_during_secret_rotation() -> None:
    good = signing.sign(BODY, SECRET, 1_000).split(",")[1]
    signing.verify(f"t=1000,v1={'0' * 64},{good}", BODY, SECRET, tolerance=300, now=1_000)
