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

import msgspec
import numpy as np

from counters.manage.report import ReportBuilder, ReportRequest, check_request
from queueing.errors import Invalid
from queueing.stats.figures import COUNTER_DIMENSIONS, DIMENSIONS
from queueing.stats.table import FLOATS, INTS, OUTCOMES, WORDS

__all__ = ["export", "table_names"]

FORMS = ("csv", "xlsx")

_TICKET_COLUMNS = (
    ("hall", "大厅"),
    ("number", "号码"),
    ("item", "事项编码"),
    ("item_name", "事项"),
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
        report = asyncio.run(builder.build(msgspec.structs.replace(request, by=by or request.by, compare=False)))
        header, rows = _report_rows(report, name, dimension)
    path = folder / f"{table.replace(':', '-')}-{secrets.token_hex(6)}.{form}"
    count = _write_csv(path, header, rows) if form == "csv" else _write_xlsx(path, table, header, rows)
    return str(path), count


class Instant(float):
    """A cell that is a moment (seconds since the epoch, already moved to the hall's local
    time): CSV writes it as text, XLSX as a date Excel can sort and filter."""

    __slots__ = ()


def _local_seconds(values: np.ndarray, day: dt.date, zone: ZoneInfo) -> np.ndarray:
    """Epoch seconds moved to local wall-clock seconds (NaN stays NaN)."""
    midnight = dt.datetime.combine(day, dt.time(), zone)
    after = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    first, last = midnight.utcoffset(), after.utcoffset()
    if first == last and first is not None:  # no clock change that day: one offset for all
        return values + first.total_seconds()
    offsets = [
        (dt.datetime.fromtimestamp(v, zone).utcoffset() or dt.timedelta()).total_seconds() if v == v else 0.0
        for v in values.tolist()
    ]
    return values + np.array(offsets)


def _ticket_rows(builder: ReportBuilder, request: ReportRequest) -> tuple[list[str], Iterator[list]]:
    names = builder.names(request.halls)
    now = request.now or dt.datetime.now(dt.UTC)
    header = [f"{zh} {en}" for en, zh in _TICKET_COLUMNS]
    outcomes = [_OUTCOMES.get(o, o) for o in OUTCOMES]

    def rows() -> Iterator[list]:
        for hall in request.halls:
            parts = builder.halls[hall]
            zone = ZoneInfo(parts.queue.info.timezone)
            for table in builder.facts.each_day(parts.queue.rules, request.since, request.until, now):
                floats, ints, codes = table.arrays()
                f = dict(zip(FLOATS, floats, strict=True))
                i = {name: column.tolist() for name, column in zip(INTS, ints, strict=True)}
                c = {name: column.tolist() for name, column in zip(WORDS, codes, strict=True)}
                words = table.words
                local = {
                    name: [None if v != v else Instant(v) for v in _local_seconds(f[name], table.day, zone).tolist()]
                    for name in ("arrived", "slot", "first_called", "started", "ended")
                }
                wait = [None if v != v else round(v / 60, 2) for v in f["wait"].tolist()]
                service = [None if v != v else round(v / 60, 2) for v in f["service"].tolist()]
                quoted = [None if v != v else int(v) for v in f["quoted_minutes"].tolist()]
                items, priorities = words["item"], words["priority"]
                channels, kinds, clerks, numbers = words["channel"], words["kind"], words["clerk"], words["number"]
                for k in range(table.size):
                    item = items[c["item"][k]]
                    clerk = clerks[c["clerk"][k]]
                    counter = i["counter"][k]
                    yield [
                        hall,
                        numbers[c["number"][k]],
                        item,
                        names.items.get(item, item),
                        names.domains.get(names.item_domain.get(item, ""), ""),
                        priorities[c["priority"][k]],
                        channels[c["channel"][k]],
                        local["arrived"][k],
                        local["slot"][k],
                        None if i["quoted_ahead"][k] < 0 else i["quoted_ahead"][k],
                        quoted[k],
                        local["first_called"][k],
                        wait[k],
                        None if counter < 0 else counter,
                        kinds[c["kind"][k]],
                        names.clerks.get(clerk, clerk),
                        local["started"][k],
                        local["ended"][k],
                        service[k],
                        outcomes[i["outcome"][k]],
                        i["recalls"][k],
                        i["transfers"][k],
                        i["reinstated"][k],
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


def _text(cell: object) -> object:
    if cell is None:
        return ""
    if isinstance(cell, Instant):
        return _EPOCH + dt.timedelta(seconds=round(cell))
    return cell


_EPOCH = dt.datetime(1970, 1, 1)  # local wall-clock seconds count from here


def _write_csv(path: Path, header: list[str], rows: Iterable[list]) -> int:
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:  # the BOM: Excel reads UTF-8
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_text(cell) for cell in row])
            count += 1
    return count


def _write_xlsx(path: Path, table: str, header: list[str], rows: Iterable[list]) -> int:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet(table.replace(":", " ")[:31])
    bold = workbook.add_format({"bold": True})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.write_row(0, 0, header, bold)
    # Cell by cell with the writer that fits (write_row would test every cell's type in turn),
    # through XlsxWriter's undecorated writers (row and column numbers, not "A1" names: the
    # decorated ones parse their arguments on every cell); an empty cell is not written at all.
    write_string = getattr(sheet, "_write_string", sheet.write_string)
    write_number = getattr(sheet, "_write_number", sheet.write_number)
    count = 0
    for count, row in enumerate(rows, start=1):
        for column, cell in enumerate(row):
            kind = cell.__class__
            if kind is str:
                if cell:
                    write_string(count, column, cell)
            elif kind is Instant:
                write_number(count, column, cell / 86400 + 25569, moment)  # Excel's day count from 1900
            elif cell is not None:
                write_number(count, column, cell)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return count
