"""Amounts as reps type them into the pages."""

import pytest

from nurture.rules.typed_amounts import plain_amount


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("1200000", "1200000"),
        ("1,200,000", "1200000"),
        ("¥1,500,000", "1500000"),
        ("￥1,500,000", "1500000"),
        ("１，５００，０００", "1500000"),
        ("120万円", "1200000"),
        ("１２０万円", "1200000"),
        ("1.5億", "150000000"),
        ("JPY 3000", "3000"),
        ("$ 12,000.50", "12000.50"),
        ("1200000円", "1200000"),
        (" 42 ", "42"),
        ("", ""),
    ],
)
def test_what_a_rep_types_becomes_the_number(typed: str, plain: str) -> None:
    assert plain_amount(typed) == plain


@pytest.mark.parametrize("typed", ["a lot", "12abc", "万", "1,2,3x", "NaN", "Infinity"])
def test_what_is_no_amount_is_left_for_the_api_to_refuse(typed: str) -> None:
    assert plain_amount(typed) == typed
