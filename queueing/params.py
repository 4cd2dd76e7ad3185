"""The bounds of ``queueing.bounds`` as HTTP parameters (a path's or a query's number), so that
Litestar refuses a number out of range with a 400 naming it and the OpenAPI document states it."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter, QueryParameter

from queueing.bounds import COUNTER_MAX, DAY_RULE, INT64_MAX, MAX_RANGE_DAYS

__all__ = ["CounterParam", "CounterQuery", "RowParam", "range_end"]

CounterParam = Annotated[int, Parameter(ge=1, le=COUNTER_MAX, description="a counter's number (窗口号)")]
RowParam = Annotated[int, Parameter(ge=1, le=INT64_MAX)]
CounterQuery = Annotated[int | None, Parameter(ge=1, le=COUNTER_MAX, description="a counter's number (窗口号)")]


def range_end(name: str, most: int = MAX_RANGE_DAYS) -> QueryParameter:
    """A range's ``from`` or ``to`` day, its bounds said in the OpenAPI document (a date's
    schema has no minimum: ``check_days`` refuses what is outside)."""
    return QueryParameter(name=name, description=f"{DAY_RULE}; at most {most} days from 'from' to 'to'")
