"""Tracking and unsubscribe tokens: only what we signed, for the purpose we signed it."""

import pytest

from nurture import tokens

KEY = "k" * 32


def test_round_trip() -> None:
    token = tokens.make(KEY, "click", {"l": "lead", "u": "https://example.com/a?b=c"})
    assert tokens.read(KEY, "click", token) == {"l": "lead", "u": "https://example.com/a?b=c"}


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: "e30" + t[t.index(".") :],  # payload swapped for {}
        lambda t: t.split(".")[0],  # signature dropped
        lambda t: "",
        lambda t: "x" * 5000,
    ],
)
def test_tampered_tokens_are_refused(mangle: object) -> None:
    token = tokens.make(KEY, "click", {"u": "https://example.com"})
    with pytest.raises(tokens.BadToken):
        tokens.read(KEY, "click", mangle(token))  # type: ignore[operator]


def test_a_token_works_only_for_its_purpose_and_key() -> None:
    token = tokens.make(KEY, "click", {"l": "lead"})
    with pytest.raises(tokens.BadToken):
        tokens.read(KEY, "unsubscribe", token)
    with pytest.raises(tokens.BadToken):
        tokens.read("other" * 8, "click", token)
