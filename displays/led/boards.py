"""What the boards show, from the device channel's messages (pure: no I/O, no clock).

What a board shows (``board_text``), like the browser board (``static/board.js``):

- line 1: the counter's name (``3号 无差别综合窗口``; ``3号窗口`` if the hall gives none);
- line 2: the ticket number being served (``A001``), else ``请稍候`` (open, nobody called),
  ``暂停服务`` (paused) or ``已关闭`` (closed).

The channel (``BoardState``) is followed exactly as ``static/channel.js`` does: a snapshot
sets every board; the message with the next ``seq`` is applied (a call, recall or counter
message updates that counter's board; tick, queue and announcement change no board); an
older one is ignored; a later one, a ``reset``, or a heartbeat with a newer ``seq`` asks for
a fresh snapshot (``{"type": "resync"}``); every heartbeat is answered with
``{"type": "pong"}``. ``stale``: the boards may be missing a call (a resync is under way, or
the last heartbeat said the server does not hear the other server processes, Redis away).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import msgspec

from displays.messages import (
    Call,
    CounterBoard,
    CounterChanged,
    Heartbeat,
    Message,
    Pong,
    Recall,
    Reset,
    Resync,
    Snapshot,
)

__all__ = ["PONG", "BoardState", "BoardText", "Reaction", "board_text"]

log = logging.getLogger("hall.led")


@dataclass(frozen=True)
class BoardText:
    """The text of one board: its counter number (the controller address) and its lines."""

    counter: int
    lines: tuple[str, ...]

    def __str__(self) -> str:
        return f"[{self.counter}] " + " | ".join(self.lines)


def board_text(board: CounterBoard) -> BoardText:
    """The two lines of a counter's board, as the browser board shows them."""
    serving = board.current is not None and board.state != "closed"
    if serving:
        second = board.current
    elif board.state == "open":
        second = "请稍候"
    else:
        second = board.state_text  # 暂停服务 / 已关闭
    return BoardText(board.number, (board.name or f"{board.number}号窗口", second))


_message_decoder = msgspec.json.Decoder(Message)


class _Envelope(msgspec.Struct):
    type: str
    seq: int | None = None


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_RESYNC = msgspec.json.encode(Resync()).decode()
PONG = msgspec.json.encode(Pong()).decode()


@dataclass
class Reaction:
    """What one message asks for: boards to show, and replies to send to the server."""

    boards: list[BoardText] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)


class BoardState:
    """The boards of a hall (or of one counter) from the channel's messages, kept in
    sequence exactly like ``static/channel.js``."""

    def __init__(self, counter: int | None = None) -> None:
        self.counter = counter  # only this counter's board; None: every counter of the hall
        self.seq = -1
        self.resyncing = False
        self.relayed = True  # as the last heartbeat said
        self.boards: dict[int, BoardText] = {}
        self.snapshots = 0

    @property
    def stale(self) -> bool:
        return self.resyncing or not self.relayed

    def connected(self) -> None:
        """A new connection: the server starts it with a snapshot; no resync is pending."""
        self.resyncing = False

    def _resync(self, reaction: Reaction) -> None:
        if not self.resyncing:
            self.resyncing = True
            reaction.replies.append(_RESYNC)

    def receive(self, raw: str | bytes) -> Reaction:
        reaction = Reaction()
        try:
            message: object = _message_decoder.decode(raw)
        except msgspec.DecodeError:
            # A message this bridge does not know (a newer server): it still takes its place
            # in the sequence, like a tick; something that is not a message at all is ignored.
            try:
                message = _envelope_decoder.decode(raw)
            except msgspec.DecodeError:
                log.warning("ignoring a message that is not one: %.200r", raw)
                return reaction
            if message.seq is None:
                return reaction
        if isinstance(message, Snapshot):
            self._snapshot(message, reaction)
            return reaction
        if isinstance(message, Heartbeat):
            reaction.replies.append(PONG)
            self.relayed = message.relayed
            if message.seq > self.seq:  # we missed a message: the hall's record is ahead
                self._resync(reaction)
            return reaction
        seq: int = message.seq  # type: ignore[attr-defined]
        if seq <= self.seq:
            return reaction  # already in the snapshot
        if seq != self.seq + 1 or isinstance(message, Reset):
            self._resync(reaction)
            return reaction
        self.seq = seq
        if isinstance(message, Call | Recall | CounterChanged):
            self._board(message.counter, reaction, always=not isinstance(message, CounterChanged))
        return reaction

    def _mine(self, number: int) -> bool:
        return self.counter is None or number == self.counter

    def _board(self, board: CounterBoard, reaction: Reaction, always: bool) -> None:
        if not self._mine(board.number):
            return
        text = board_text(board)
        if always or self.boards.get(board.number) != text:  # a call or recall is shown again
            self.boards[board.number] = text
            reaction.boards.append(text)

    def _snapshot(self, snapshot: Snapshot, reaction: Reaction) -> None:
        self.seq = snapshot.seq
        self.resyncing = False
        self.snapshots += 1
        fresh = {b.number: board_text(b) for b in snapshot.counters if self._mine(b.number)}
        gone = [BoardText(number, ()) for number in self.boards if number not in fresh]  # blanked
        self.boards = fresh
        reaction.boards.extend(gone)
        reaction.boards.extend(fresh[number] for number in sorted(fresh))  # every board, again
