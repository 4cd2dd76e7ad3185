"""Who is called next: the calling rule, in one place.

A counter that calls next looks at the head of every line it may serve (its items, in
each priority class, and its own line of tickets transferred to it by name) and takes
the first by this order:

1. Fairness: a ticket that has waited ``fairness_minutes`` or more is taken before all
   others, the longest-waiting first. No one waits forever behind later priorities.
2. Priority class: green channel (绿色通道), then checked-in appointments (by slot
   time), then walk-ins.
3. The counter's profile: within a class, its preferred items first (a domain counter
   prefers its own domain); a ticket transferred to it by name counts as preferred.
4. First come, first served: the earliest place in line (issue time; slot time for
   appointments).

Because every line is sorted by the same key, the head of each line is the only
candidate that line can offer, and the rule above picks among heads only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from queueing.events import OrderKey

__all__ = ["Candidate", "call_rank", "choose_next"]


class Candidate(NamedTuple):
    """The head of one line, as seen from the calling counter."""

    key: OrderKey
    ticket_id: str
    rank: int  # priority class rank: 0 green, 1 appointment, 2 walk-in
    preferred: bool  # the counter's profile prefers this ticket's item


def call_rank(candidate: Candidate, now_us: int, fairness_us: int | None) -> tuple:
    """Smaller is called first."""
    if fairness_us is not None and now_us - candidate.key[0] >= fairness_us:
        return (0, candidate.key, candidate.ticket_id)
    return (1, candidate.rank, not candidate.preferred, candidate.key, candidate.ticket_id)


def choose_next(candidates: Sequence[Candidate], now_us: int, fairness_us: int | None) -> Candidate | None:
    """The first of ``candidates`` by ``call_rank``, without building its tuple for each."""
    if len(candidates) < 2:  # one line's head (or none): nothing to rank
        return candidates[0] if candidates else None
    if fairness_us is not None:
        due = now_us - fairness_us
        overdue = [c for c in candidates if c[0][0] <= due]
        if overdue:  # the longest waiting: a candidate's own order is its key, then its ticket
            return min(overdue)
    return min(candidates, key=_in_class_order)


def _in_class_order(candidate: Candidate) -> tuple:
    return (candidate[2], not candidate[3], candidate[0], candidate[1])
