"""Weighing what a document says about one field: each reading is a candidate with a score, and
the value with the most support wins, with a confidence that says how clearly it won.

A value's support is the best score among its candidates, raised a little by each further
candidate that reads the same value elsewhere (a number printed in the header and again in the
payment line). Its confidence is that support, lowered by the best rival value's support: a
field two readings disagree on is one a person should check.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from scanner.extraction.record import Found

# Each further reading of the same value adds this share of what is left below 1.
AGREEMENT_BONUS = 0.3
# A rival as strong as the winner takes this share of the winner's confidence away.
RIVAL_PENALTY = 0.5


@dataclass(frozen=True, slots=True)
class Candidate[T]:
    """One reading of a field: its value, how strongly it supports it (0..1), and its place
    in the document's reading order."""

    value: T
    score: float
    order: int = 0


def decide[T](
    candidates: Iterable[Candidate[T]],
    *,
    key: Callable[[T], Hashable] = lambda value: value,
) -> Found[T] | None:
    """The best-supported value among `candidates` (compared by `key`) and its confidence;
    between values of equal support the first read wins."""
    groups: dict[Hashable, list[Candidate[T]]] = {}
    for candidate in candidates:
        if candidate.score > 0:
            groups.setdefault(key(candidate.value), []).append(candidate)
    if not groups:
        return None
    supports = []
    for group in groups.values():
        group.sort(key=lambda c: -c.score)
        support = group[0].score
        for extra in group[1:]:
            support += (1 - support) * AGREEMENT_BONUS * extra.score
        order = -min(c.order for c in group)
        supports.append((support, order, group[0]))
    supports.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
    best_support, _, best = supports[0]
    rival = supports[1][0] if len(supports) > 1 else 0.0
    confidence = best_support * (1 - RIVAL_PENALTY * rival / best_support)
    return Found(best.value, round(min(max(confidence, 0.0), 1.0), 3))
