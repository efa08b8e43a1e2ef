"""How `nurture import` cuts a file into requests: a person's rows stay in file order."""

from __future__ import annotations

from nurture.cli.import_send import batches


def rows(*emails: str) -> list[tuple[int, list[str], dict[str, str]]]:
    return [(n + 2, [e], {"email": e}) for n, e in enumerate(emails)]


def test_rows_go_in_batches_of_the_size_asked() -> None:
    plan = batches(rows(*(f"p{n}@x.example.com" for n in range(5))), size=2)
    assert [[line for line, _, _ in chunk] for chunk, _ in plan] == [[2, 3], [4, 5], [6]]
    assert [after for _, after in plan] == [set(), set(), set()]


def test_a_later_row_of_the_same_person_waits_for_the_batch_before_it() -> None:
    plan = batches(
        rows("ann@x.example.com", "bob@x.example.com", "cy@x.example.com", "ANN@x.example.com"),
        size=1,
    )
    assert [after for _, after in plan] == [set(), set(), set(), {0}]


def test_the_same_person_twice_in_one_batch_needs_no_wait() -> None:
    plan = batches(rows("ann@x.example.com", "ann@x.example.com", "bob@x.example.com"), size=2)
    assert [after for _, after in plan] == [set(), set()]
