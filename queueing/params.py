"""The bounds of ``queueing.bounds`` as HTTP parameters (a path's or a query's number), so that
Litestar refuses a number out of range with a 400 naming it and the OpenAPI document states it."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

from queueing.bounds import COUNTER_MAX, INT64_MAX

__all__ = ["CounterParam", "CounterQuery", "RowParam"]

CounterParam = Annotated[int, Parameter(ge=1, le=COUNTER_MAX, description="a counter's number (窗口号)")]
RowParam = Annotated[int, Parameter(ge=1, le=INT64_MAX)]
CounterQuery = Annotated[int | None, Parameter(ge=1, le=COUNTER_MAX, description="a counter's number (窗口号)")]
