"""Random numbers for a simulated day: arrivals, who each citizen is, how long each takes.

Every stream is seeded from text (``random.Random(str)`` hashes it with SHA-512), so a
seed gives the same day in every process and on every machine. Each item has its own
streams, and a citizen's attributes (class, no-show, service time, transfer) are drawn
the moment the citizen is made, from the item's own stream, in a fixed order: the n-th
citizen of an item is the same person whatever plan is simulated. That is what makes
two plans compared on the same seed differ only by the plan (common random numbers).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence

import numpy as np

from queueing.simulation.scenario import Demand, ServiceTime

__all__ = ["Citizen", "Sampler", "arrivals", "generator", "sampler", "stream"]


def stream(seed: int, replication: int, *names: str) -> random.Random:
    """A scalar stream (one draw at a time: the what-if's citizens already in the hall)."""
    return random.Random(":".join((str(seed), str(replication), *names)))


def generator(seed: int, replication: int, *names: str) -> np.random.Generator:
    """A vector stream (a day's arrivals, drawn a whole item at a time), seeded from text."""
    text = ":".join((str(seed), str(replication), *names))
    return np.random.default_rng(int.from_bytes(hashlib.sha512(text.encode()).digest()[:32], "little"))


class Sampler:
    """Service minutes of one distribution: one at a time (``sampler(rng)``) or many (``many``)."""

    __slots__ = ("distribution", "mean", "mu", "sigma", "values")

    def __init__(self, service: ServiceTime, record: Sequence[float] = ()) -> None:
        self.distribution = service.distribution
        self.mean = float(service.minutes if service.distribution == "fixed" else service.mean_minutes or 0.0)
        self.sigma = float(service.sigma_log or 0.0)
        self.mu = math.log(self.mean) - self.sigma**2 / 2 if self.mean > 0 else 0.0  # so the mean is ``mean``
        self.values = np.asarray(record, dtype=float)
        if self.distribution == "empirical" and not self.values.size:
            raise ValueError("an empirical service time needs the hall's recorded service times")

    def __call__(self, rng: random.Random) -> float:
        if self.distribution == "exponential":
            return rng.expovariate(1.0 / self.mean)
        if self.distribution == "lognormal":
            return rng.lognormvariate(self.mu, self.sigma)
        if self.distribution == "fixed":
            return self.mean
        return float(self.values[int(rng.random() * self.values.size)])

    def many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.distribution == "exponential":
            return rng.exponential(self.mean, n)
        if self.distribution == "lognormal":
            return rng.lognormal(self.mu, self.sigma, n)
        if self.distribution == "fixed":
            return np.full(n, self.mean)
        return self.values[rng.integers(0, self.values.size, n)]


def sampler(service: ServiceTime, record: Sequence[float] = ()) -> Sampler:
    """Service minutes drawn from ``service``; ``record`` holds the hall's own recorded
    minutes for an ``empirical`` distribution (drawn with replacement)."""
    return Sampler(service, record)


class Citizen:
    """One simulated arrival, with everything about it decided up front."""

    __slots__ = (
        "at",
        "item",
        "leaves",
        "no_show",
        "rank",
        "service",
        "slot",
        "ticket",
        "transfer_service",
        "transfer_to",
    )

    def __init__(
        self,
        at: float,
        item: str,
        rank: int,
        no_show: bool,
        service: float,
        transfer_to: str | None = None,
        transfer_service: float = 0.0,
        *,
        ticket: str | None = None,
        slot: float | None = None,
        leaves: float | None = None,
    ) -> None:
        self.at = at  # minutes after midnight: takes the ticket (an appointment: checks in)
        self.item = item
        self.rank = rank  # 0 green, 1 appointment, 2 walk-in
        self.no_show = no_show  # does not come when called: the counter recalls, then marks 过号
        self.service = service  # minutes at the first counter (a no-show: until marked)
        self.transfer_to = transfer_to  # then sent on to this item (一票到底)
        self.transfer_service = transfer_service  # minutes at the second counter
        self.ticket = ticket  # already waiting in a hall cloned from the live one: its ticket id
        self.slot = slot  # an appointment's slot (its place in line); None: ``at``
        self.leaves = leaves  # gives up waiting then (a recorded day's cancellation)


def arrivals(
    demand: Demand,
    start: float,
    end: float,
    rng_at: np.random.Generator,
    rng_who: np.random.Generator,
    service: Sampler,
    transfer_service: dict[str, Sampler],
    no_show_minutes: float = 3.0,
) -> list[Citizen]:
    """The citizens of one item over ``start``–``end`` (minutes after midnight): a Poisson
    process with piecewise-constant rates (each piece: a Poisson number of arrivals, spread
    uniformly over it). A no-show holds the counter ``no_show_minutes`` (the recalls, then 过号)."""
    pieces = []
    piece_start = start
    for length, rate in demand.rates():
        piece_end = min(piece_start + length, end)
        if rate > 0 and piece_end > piece_start:
            count = int(rng_at.poisson(rate * (piece_end - piece_start)))
            pieces.append(np.sort(rng_at.uniform(piece_start, piece_end, count)))
        piece_start += length
        if piece_start >= end:
            break
    at = np.concatenate(pieces) if pieces else np.empty(0)
    n = at.size
    # Always the same draws in the same order, used or not: the n-th citizen of an item is the
    # same person whatever the plan (common random numbers).
    u_class, u_show, u_transfer = rng_who.random((3, n))
    minutes = service.many(rng_who, n)
    rank = np.where(u_class < demand.green, 0, np.where(u_class < demand.green + demand.appointments, 1, 2))
    to: list[str | None] = [None] * n
    after = np.zeros(n)
    below = 0.0
    for transfer in demand.transfers:  # the first transfer whose share the draw falls in
        chosen = (u_transfer >= below) & (u_transfer < below + transfer.share)
        after = np.where(chosen, transfer_service[transfer.item].many(rng_who, n), after)
        for k in np.flatnonzero(chosen).tolist():
            to[k] = transfer.item
        below += transfer.share
    absent = u_show < demand.no_show
    item = demand.item
    return [
        Citizen(t, item, r, True, no_show_minutes) if gone else Citizen(t, item, r, False, m, dest, later)
        for t, r, gone, m, dest, later in zip(
            at.tolist(), rank.tolist(), absent.tolist(), minutes.tolist(), to, after.tolist(), strict=True
        )
    ]
