"""Every table of a report, as CSV (UTF-8 with a BOM, so Excel opens the Chinese as it is) or
XLSX (XlsxWriter, row by row in its constant-memory mode).

The tables:

- ``tickets``: one row per ticket of the range, read a month of days at a time, so six months
  of a busy hall go out in bounded memory;
- ``figures`` (``by`` a dimension), ``counters`` (by counter, kind, clerk, day …),
  ``estimates`` (by hour, by people ahead), ``mix``, ``appointments``, ``clerks``: the report's.
"""

from __future__ import annotations

import csv
import datetime as dt
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from counters.manage.report import ReportBuilder, ReportRequest, check_request
from queueing.errors import Invalid
from queueing.stats.figures import COUNTER_DIMENSIONS, DIMENSIONS

__all__ = ["TABLES", "export", "table_names"]

FORMS = ("csv", "xlsx")
TABLES = ("tickets", "figures", "counters", "estimates", "mix", "appointments", "clerks")

_TICKET_COLUMNS = (
    ("hall", "大厅"),
    ("day", "日期"),
    ("number", "号码"),
    ("item", "事项编码"),
    ("item_name", "事项"),
    ("group", "业务组"),
    ("domain", "领域"),
    ("priority", "类别"),
    ("channel", "取号方式"),
    ("arrived", "到达时间"),
    ("slot", "预约时段"),
    ("quoted_ahead", "取号时前面人数"),
    ("quoted_minutes", "取号时预计等候(分)"),
    ("first_called", "首次叫号"),
    ("wait_minutes", "等候(分)"),
    ("counter", "办理窗口"),
    ("kind", "窗口类型"),
    ("clerk", "工作人员"),
    ("started", "开始办理"),
    ("ended", "结束"),
    ("service_minutes", "办理(分)"),
    ("outcome", "结果"),
    ("recalls", "重呼"),
    ("transfers", "转移"),
    ("reinstated", "过号恢复"),
)
_OUTCOMES = {"served": "办结", "no_show": "过号", "cancelled": "取消", "expired": "过期离开", "waiting": "等候中"}


def table_names() -> list[str]:
    """What ``table`` may be: a table, or a table by a dimension (``figures:hour``)."""
    names = ["tickets", "mix", "appointments", "clerks", "estimates:hour", "estimates:ahead"]
    names += [f"figures:{d}" for d in DIMENSIONS]
    names += [f"counters:{d}" for d in COUNTER_DIMENSIONS]
    return names


def export(builder: ReportBuilder, request: ReportRequest, table: str, form: str, folder: Path) -> tuple[str, int]:
    """Write ``table`` of the report ``request`` asks for, as ``form``; (the file, its rows)."""
    check_request(request, set(builder.halls))
    if form not in FORMS:
        raise Invalid(f"format: {form!r}; csv or xlsx", "导出格式应为csv或xlsx")
    if table not in table_names():
        raise Invalid(f"table: {table!r}; one of {', '.join(table_names())}", "没有该报表")
    name, _, dimension = table.partition(":")
    if name == "tickets":
        header, rows = _ticket_rows(builder, request)
    else:
        import asyncio

        by = (dimension,) if dimension and name in ("figures", "counters") else ()
        report = asyncio.run(builder.build(msgspec_replace(request, by=by or request.by, compare=False)))
        header, rows = _report_rows(report, name, dimension)
    path = folder / f"{table.replace(':', '-')}-{secrets.token_hex(6)}.{form}"
    count = _write_csv(path, header, rows) if form == "csv" else _write_xlsx(path, table, header, rows)
    return str(path), count


def msgspec_replace(request: ReportRequest, **changes: object) -> ReportRequest:
    import msgspec

    return msgspec.structs.replace(request, **changes)


def _local(t: float | None, zone: ZoneInfo) -> str:
    return "" if t is None else dt.datetime.fromtimestamp(t, zone).strftime("%Y-%m-%d %H:%M:%S")


def _ticket_rows(builder: ReportBuilder, request: ReportRequest) -> tuple[list[str], Iterator[list]]:
    names = builder.names(request.halls)
    now = request.now or dt.datetime.now(dt.UTC)
    header = [f"{zh} {en}" for en, zh in _TICKET_COLUMNS]

    def rows() -> Iterator[list]:
        for hall in request.halls:
            parts = builder.halls[hall]
            zone = ZoneInfo(parts.queue.info.timezone)
            for facts in builder.facts.each_day(parts.queue.rules, request.since, request.until, now):
                for t in facts.tickets:
                    wait = t.wait()
                    served = t.served_visit() if t.outcome == "served" else None
                    at = served or (t.visits[0] if t.visits else None)
                    service = None
                    if served is not None and served.ended is not None:
                        began = served.started if served.started is not None else served.called
                        service = round(max(served.ended - began - served.suspended, 0.0) / 60, 2)
                    yield [
                        hall,
                        facts.day.isoformat(),
                        t.number,
                        t.item,
                        names.items.get(t.item, t.item),
                        t.group,
                        names.domains.get(names.item_domain.get(t.item, ""), ""),
                        t.priority,
                        t.channel,
                        _local(t.arrived, zone),
                        _local(t.slot, zone),
                        t.quoted_ahead,
                        t.quoted_minutes,
                        _local(t.first_called, zone),
                        None if wait is None else round(wait / 60, 2),
                        at.counter if at else None,
                        at.kind if at else "",
                        names.clerks.get(at.clerk, at.clerk) if at else "",
                        _local(served.started if served else None, zone),
                        _local(t.ended, zone),
                        service,
                        _OUTCOMES.get(t.outcome, t.outcome),
                        sum(v.recalls for v in t.visits),
                        t.transfers,
                        t.reinstated,
                    ]

    return header, rows()


def _report_rows(report: object, name: str, dimension: str) -> tuple[list[str], Iterable[list]]:
    import msgspec

    if name == "figures":
        rows = [report.total, *report.tickets.get(dimension, [])] if dimension else [report.total]  # type: ignore[attr-defined]
    elif name == "counters":
        rows = report.counters.get(dimension, [])  # type: ignore[attr-defined]
    elif name == "estimates":
        rows = report.estimates.get(dimension, [])  # type: ignore[attr-defined]
    else:
        rows = getattr(report, name)
    plain = [msgspec.to_builtins(row) for row in rows]
    if not plain:
        return ["(empty)"], []
    header = list(plain[0])
    return header, [[_cell(row.get(column)) for column in header] for row in plain]


def _cell(value: object) -> object:
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def _write_csv(path: Path, header: list[str], rows: Iterable[list]) -> int:
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:  # the BOM: Excel reads UTF-8
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if cell is None else cell for cell in row])
            count += 1
    return count


def _write_xlsx(path: Path, table: str, header: list[str], rows: Iterable[list]) -> int:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet(table.replace(":", " ")[:31])
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, header, bold)
    count = 0
    for count, row in enumerate(rows, start=1):
        sheet.write_row(count, 0, ["" if cell is None else cell for cell in row])
    sheet.freeze_panes(1, 0)
    workbook.close()
    return count
