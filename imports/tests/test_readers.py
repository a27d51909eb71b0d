"""Reading CSV cells: the row-at-a-time shortcut cleans exactly as the rule for each cell does."""

import itertools

from imports import readers

PIECES = ["a", " ", "\t", "\n", "\xa0", "'", "=", "+", "-", "@", "\x1f", "\x01", "\x7f", "\u2028", "\u3000", "\x85",
          "\x0b"]  # fmt: skip


def _shortcut(cells: list[str]) -> list[str]:
    # What readers.records does for a CSV row.
    if readers._NEEDS_CLEANING.search("\x00".join(cells)) is None:
        return cells
    return [readers._clean_text(cell) for cell in cells]


def test_a_csv_row_the_shortcut_passes_as_it_is_needs_no_cleaning():
    cells = ["".join(combination) for combination in itertools.product(PIECES, repeat=2)]
    cells += ["plain", "'=SUM(A1)", "x'=", "a b", ""]
    for first, second in itertools.product(cells, ["ok", "", " x", "'@x"]):
        row = [first, second]
        assert _shortcut(row) == [readers._clean_text(cell) for cell in row], row


def test_the_shortcut_lets_the_usual_row_through_untouched():
    row = ["Ada", "Lovelace", "ada@example.com", "+44 20 1234", "vip, news", "", "DE"]
    assert readers._NEEDS_CLEANING.search("\x00".join(row)) is None
