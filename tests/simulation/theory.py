"""Queueing theory's closed forms, written here apart from the product (the advice has its own
Erlang C): what the simulator's long runs are checked against.

- M/M/c (Erlang C): the probability of waiting, the mean wait, the tail P(W > t);
- M/M/c with non-preemptive priority classes of equal exponential service (Cobham 1954):
  each class's mean wait.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

__all__ = ["cobham", "erlang_c", "mmc_mean_wait", "mmc_wait_over", "ratio_ci", "z_for"]


def erlang_c(servers: int, load: float) -> float:
    """P(wait > 0) in M/M/c, through the Erlang B recursion (stable for large c)."""
    if load >= servers:
        return 1.0
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return servers * b / (servers - load * (1 - b))


def mmc_mean_wait(servers: int, arrivals_per_minute: float, mean_service: float) -> float:
    """Mean time in queue, minutes."""
    rate = 1 / mean_service
    return erlang_c(servers, arrivals_per_minute * mean_service) / (servers * rate - arrivals_per_minute)


def mmc_wait_over(servers: int, arrivals_per_minute: float, mean_service: float, minutes: float) -> float:
    """P(W > t) = C · exp(−(cμ − λ) t)."""
    rate = 1 / mean_service
    c = erlang_c(servers, arrivals_per_minute * mean_service)
    return c * math.exp(-(servers * rate - arrivals_per_minute) * minutes)


def cobham(servers: int, arrivals_per_minute: Sequence[float], mean_service: float) -> list[float]:
    """Each class's mean wait (highest priority first), non-preemptive, one exponential service
    time for all: W_k = (C(c, a) / cμ) / ((1 − σ_{k−1})(1 − σ_k)), σ_k the load of classes 1..k."""
    capacity = servers / mean_service
    w0 = erlang_c(servers, sum(arrivals_per_minute) * mean_service) / capacity
    waits, before = [], 0.0
    for rate in arrivals_per_minute:
        upto = before + rate / capacity
        waits.append(w0 / ((1 - before) * (1 - upto)))
        before = upto
    return waits


def z_for(confidence: float, comparisons: int = 1) -> float:
    """The normal quantile of a two-sided interval, Bonferroni-corrected for ``comparisons``."""
    return statistics.NormalDist().inv_cdf(1 - (1 - confidence) / (2 * comparisons))


def ratio_ci(numerators: Sequence[float], denominators: Sequence[float], z: float) -> tuple[float, float]:
    """Σ y ÷ Σ x over replications and its half-width (delta method), with quantile ``z``."""
    n = len(denominators)
    ratio = sum(numerators) / sum(denominators)
    mean_x = sum(denominators) / n
    residuals = [y - ratio * x for y, x in zip(numerators, denominators, strict=True)]
    variance = sum(r * r for r in residuals) / (n - 1) / (n * mean_x * mean_x)
    return ratio, z * math.sqrt(variance)
