"""The import's shortcut for cells of the common shape takes them exactly as the full rules do."""

import pytest

from customers.services import import_checks

SAMPLES = [
    "DE", "de", "D", "DEU", "K\u212a", "Ké",
    "a@b.co", "A.B+news@Example.COM", "x@y", "ünï@x.de", "a..b@x.de", "\u212a@x.de", "ı@x.com", "a@-x.de",
    "vip, VIP ,news", "a,,b", " x ", "x" * 60, "x" * 101, "a," * 40, "Bob", "0049 30 1234",
]  # fmt: skip
TARGETS = ["email", "country", "company", "tags", "first_name", "last_name", "phone", "postal_code", "notes"]


@pytest.mark.parametrize("target", TARGETS)
def test_a_cell_the_shortcut_takes_is_taken_as_the_full_rules_take_it(target):
    plain = import_checks._plain_lengths()
    taken = 0
    for raw in SAMPLES:
        quick, full = import_checks.ImportRow(number=2), import_checks.ImportRow(number=2)
        if not (len(raw) <= plain[target] and import_checks._take_plain(quick, target, raw)):
            continue
        taken += 1
        import_checks._set_value(full, target, raw, {})  # raises if the full rules would refuse the cell
        assert (quick.values, quick.company, quick.tags) == (full.values, full.company, full.tags), raw
    assert taken  # the shortcut took some of the samples


@pytest.mark.parametrize(
    ("target", "raw"),
    [("email", "ünï@x.de"), ("email", "\u212a@x.de"), ("country", "K\u212a"), ("country", "D"), ("tags", "a," * 40)],
)
def test_a_cell_of_another_shape_is_left_to_the_full_rules(target, raw):
    plain = import_checks._plain_lengths()
    row = import_checks.ImportRow(number=2)
    assert not (len(raw) <= plain[target] and import_checks._take_plain(row, target, raw))
    assert row == import_checks.ImportRow(number=2)
