"""Letter classes for regular expressions, taken from Unicode's own properties: Python's `re` has
no \\p{Lu}, and a hand-written list forgets letters ("Š", "Ž", "Ł") that names begin with."""

from __future__ import annotations

from collections.abc import Callable

# The alphabets invoices are written in here: Latin with its extensions, Greek, Cyrillic.
_BLOCKS = (range(0x41, 0x530), range(0x1E00, 0x2000))


def _class_body(test: Callable[[str], bool]) -> str:
    """The letters passing `test`, as the inside of a character class, in ranges."""
    ranges: list[list[int]] = []
    for block in _BLOCKS:
        for point in block:
            if not test(chr(point)):
                continue
            if ranges and ranges[-1][1] == point - 1:
                ranges[-1][1] = point
            else:
                ranges.append([point, point])
    return "".join(
        chr(start) if start == end else f"{chr(start)}-{chr(end)}" for start, end in ranges
    )


# Capital (and title-case) letters, and small letters, as the inside of a `[...]` class.
UPPER = _class_body(lambda char: char.isupper() or char.istitle())
LOWER = _class_body(str.islower)
