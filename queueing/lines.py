"""The waiting lines: an index of waiting tickets, sorted, one line per item and class.

A ticket waits in exactly one line: the line of its item and priority class, or, after
a transfer to a named counter, the line of that counter and its class. Each line is a
list kept sorted by order key, so the head of a line is its next ticket and "who is
before me" is a binary search. Calling next looks only at line heads: its cost grows
with the number of items a counter serves, never with the number of people waiting.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator, KeysView
from typing import NamedTuple

from queueing.events import OrderKey

__all__ = ["Line", "WaitingLines", "key_time", "micros"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)


def micros(at: dt.datetime) -> int:
    """Microseconds since the epoch: exact, unlike float timestamps."""
    return (at - _EPOCH) // _MICRO


def key_time(key: OrderKey) -> dt.datetime:
    """The instant a ticket counts as waiting since (the first element of its key)."""
    return _EPOCH + key[0] * _MICRO


class Line(NamedTuple):
    """An item's line (``counter`` None) or a named counter's line, for one class rank."""

    item: str | None
    counter: int | None
    rank: int

    @classmethod
    def for_item(cls, item: str, rank: int) -> Line:
        return cls(item, None, rank)

    @classmethod
    def for_counter(cls, counter: int, rank: int) -> Line:
        return cls(None, counter, rank)


class WaitingLines:
    __slots__ = ("_items", "_lines", "_named", "_of_item", "_place")

    def __init__(self) -> None:
        self._lines: dict[Line, list[tuple[OrderKey, str]]] = {}
        self._place: dict[str, tuple[Line, OrderKey]] = {}
        self._named = 0  # tickets waiting in counters' own lines (transferred by name)
        self._items: dict[str, int] = {}  # tickets waiting per item, all classes (the items with anyone)
        self._of_item: dict[str, tuple[Line, ...]] = {}  # an item's lines, one per class: made once

    def item_line(self, item: str, rank: int) -> Line:
        """The line of ``item`` for class ``rank`` (the same object each time: quick to hash)."""
        lines = self._of_item.get(item)
        if lines is None:
            lines = self._of_item[item] = tuple(Line(item, None, r) for r in range(3))
        return lines[rank]

    def item_heads(self, item: str) -> list[tuple[int, OrderKey, str]]:
        """The head of each of ``item``'s non-empty lines: (class rank, key, ticket)."""
        lines = self._of_item.get(item)
        if lines is None:
            lines = self._of_item[item] = tuple(Line(item, None, r) for r in range(3))
        found = []
        get = self._lines.get
        for rank, line in enumerate(lines):
            entries = get(line)
            if entries:
                key, ticket_id = entries[0]
                found.append((rank, key, ticket_id))
        return found

    def add(self, ticket_id: str, line: Line, key: OrderKey) -> None:
        if ticket_id in self._place:
            raise ValueError(f"ticket {ticket_id} is already waiting")
        entries = self._lines.get(line)
        if entries is None:
            entries = self._lines[line] = []
        entry = (key, ticket_id)
        if not entries or entries[-1] < entry:
            entries.append(entry)  # the usual case: a new ticket goes to the end of its line
        else:
            bisect.insort(entries, entry)
        self._place[ticket_id] = (line, key)
        if line.counter is not None:
            self._named += 1
        else:
            self._items[line.item] = self._items.get(line.item, 0) + 1  # type: ignore[index]

    def remove(self, ticket_id: str) -> None:
        line, key = self._place.pop(ticket_id)
        entries = self._lines[line]
        index = bisect.bisect_left(entries, (key, ticket_id))
        del entries[index]
        if line.counter is not None:
            self._named -= 1
        else:
            left = self._items[line.item] - 1  # type: ignore[index]
            if left:
                self._items[line.item] = left  # type: ignore[index]
            else:
                del self._items[line.item]  # type: ignore[arg-type]

    @property
    def items(self) -> KeysView[str]:
        """The items someone waits for (in their item's line)."""
        return self._items.keys()

    def waiting_per_item(self) -> dict[str, int]:
        """How many wait in each item's line, all classes (a copy; counters' own lines not in it)."""
        return dict(self._items)

    def waiting_in_items(self, items: frozenset[str]) -> int:
        """How many wait in the lines of ``items``, all classes (counters' own lines not in it)."""
        counts = self._items
        if len(counts) <= len(items):  # few items have anyone waiting: look only at those
            return sum(n for item, n in counts.items() if item in items)
        get = counts.get
        return sum(get(item, 0) for item in items)

    @property
    def named(self) -> int:
        """How many tickets wait in counters' own lines (sent to a counter by name)."""
        return self._named

    def __contains__(self, ticket_id: str) -> bool:
        return ticket_id in self._place

    def __len__(self) -> int:
        return len(self._place)

    def place(self, ticket_id: str) -> tuple[Line, OrderKey]:
        return self._place[ticket_id]

    def head(self, line: Line) -> tuple[OrderKey, str] | None:
        entries = self._lines.get(line)
        return entries[0] if entries else None

    def size(self, line: Line) -> int:
        return len(self._lines.get(line, ()))

    def count_before(self, line: Line, key: OrderKey) -> int:
        """How many in ``line`` come before ``key``."""
        entries = self._lines.get(line)
        return bisect.bisect_left(entries, (key,)) if entries else 0

    def key_at(self, line: Line, index: int) -> OrderKey | None:
        entries = self._lines.get(line)
        return entries[index][0] if entries and index < len(entries) else None

    def lines(self) -> Iterator[tuple[Line, int]]:
        """Every non-empty line with its length."""
        return ((line, len(entries)) for line, entries in self._lines.items() if entries)

    def by_line(self) -> dict[Line, list[tuple[OrderKey, str]]]:
        """Every non-empty line's entries, in order: the lines themselves, to read, not to change."""
        return {line: entries for line, entries in self._lines.items() if entries}

    def entries(self, line: Line) -> list[tuple[OrderKey, str]]:
        """The line's (key, ticket) pairs, in order."""
        return list(self._lines.get(line, ()))

    def ticket_ids(self, line: Line) -> list[str]:
        return [ticket_id for _, ticket_id in self._lines.get(line, ())]
