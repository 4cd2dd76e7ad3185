"""How loaded a set of open counters is by an hour's work, whoever calls whom.

Each item brings work (arrivals per minute × minutes each, in erlangs: busy counters it
needs on average); each counter may do the items its kind serves, at most one erlang. The
**load** is the least ρ such that the work can be shared out with no counter above ρ: a
max-flow question (items → counters that may serve them), answered by bisection. At
ρ ≥ 1 no order of calling keeps up: the line grows as long as the hour lasts (an
overloaded steady state has no finite wait). With one item and ``c`` counters it is the
familiar ρ = λ·E[S] / c.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping

__all__ = ["hour_load"]


def hour_load(work: Mapping[str, float], servers: Iterable[tuple[frozenset[str], float]]) -> float:
    """The least per-counter load that carries ``work`` (item → erlangs) on ``servers``
    ((items a kind serves, counters of it open)); ``inf`` if some work has no counter."""
    demand = {item: w for item, w in work.items() if w > 0}
    if not demand:
        return 0.0
    pooled: dict[frozenset[str], float] = {}
    for items, count in servers:
        if count > 0:
            pooled[items] = pooled.get(items, 0.0) + count
    if any(not any(item in items for items in pooled) for item in demand):
        return math.inf
    total = math.fsum(demand.values())
    low, high = 0.0, total / min(pooled.values())
    for _ in range(60):
        middle = (low + high) / 2
        if _max_flow(demand, pooled, middle) >= total * (1 - 1e-12):
            high = middle
        else:
            low = middle
        if high - low < 1e-6 * max(high, 1e-9):
            break
    return high


def _max_flow(demand: Mapping[str, float], pooled: Mapping[frozenset[str], float], rho: float) -> float:
    """Source → item (its work) → kind (∞, if the kind serves it) → sink (ρ × its counters)."""
    items = list(demand)
    kinds = list(pooled)
    n_items = len(items)
    source, sink = 0, 1 + n_items + len(kinds)
    size = sink + 1
    capacity = [[0.0] * size for _ in range(size)]
    for i, item in enumerate(items):
        capacity[source][1 + i] = demand[item]
        for k, served in enumerate(kinds):
            if item in served:
                capacity[1 + i][1 + n_items + k] = math.inf
    for k, served in enumerate(kinds):
        capacity[1 + n_items + k][sink] = rho * pooled[served]
    flow = 0.0
    while True:
        parent = [-1] * size
        parent[source] = source
        queue = deque([source])
        while queue and parent[sink] < 0:
            u = queue.popleft()
            for v in range(size):
                if parent[v] < 0 and capacity[u][v] > 1e-15:
                    parent[v] = u
                    queue.append(v)
        if parent[sink] < 0:
            return flow
        push, v = math.inf, sink
        while v != source:
            push = min(push, capacity[parent[v]][v])
            v = parent[v]
        v = sink
        while v != source:
            u = parent[v]
            capacity[u][v] -= push
            if capacity[v][u] != math.inf:
                capacity[v][u] += push
            v = u
        flow += push
