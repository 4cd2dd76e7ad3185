"""The report's charts, drawn by matplotlib on the server: SVG for the pages (text drawn as
outlines, so a screen needs no Chinese font and no library from anywhere), PNG for the PDF.

- ``hourly``: arrivals and the mean wait by hour of the day;
- ``groups``: the mean and the p90 wait of each service group;
- ``utilisation``: each counter's utilisation (busy ÷ open);
- ``heatmap``: the mean wait by weekday × hour;
- ``mix``: open counter-hours by counter kind, and the share served at no-difference counters.

Labels are Chinese when a CJK font is installed (the one the PDF tickets use), else English.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")  # no screen on a server

from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from counters.manage.report import Report

__all__ = ["CHARTS", "render"]

_lock = threading.Lock()  # pyplot keeps global state
_font: list[str | None] = []  # the CJK font family, once looked for


def _chinese() -> bool:
    if not _font:
        family = None
        try:
            from matplotlib import font_manager

            from printers.pdf import FontMissing, find_font

            path = find_font()
            font_manager.fontManager.addfont(str(path))
            family = font_manager.FontProperties(fname=str(path)).get_name()
            matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
            matplotlib.rcParams["axes.unicode_minus"] = False
        except (FontMissing, OSError, RuntimeError):
            family = None
        _font.append(family)
    return _font[0] is not None


def _t(zh: str, en: str) -> str:
    return zh if _chinese() else en


def _empty(ax, text: str) -> None:  # type: ignore[no-untyped-def]
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_xticks([])
    ax.set_yticks([])


def hourly(report: Report, fig: Figure) -> None:
    ax = fig.subplots()
    rows = report.tickets.get("hour", [])
    if not rows:
        return _empty(ax, _t("该时段没有数据", "no data in this range"))
    hours = [int(r.key) for r in rows]
    ax.bar(hours, [r.arrivals for r in rows], color="#4a7fb5", label=_t("到达人数", "arrivals"))
    ax.set_xlabel(_t("到达时段（时）", "hour of arrival"))
    ax.set_ylabel(_t("到达人数", "arrivals"))
    ax.set_xticks(hours)
    waits = ax.twinx()
    waits.plot(hours, [r.wait_mean or 0 for r in rows], color="#d9822b", marker="o", label=_t("平均等候", "mean wait"))
    waits.set_ylabel(_t("平均等候（分钟）", "mean wait (min)"))
    waits.axhline(report.target_minutes, color="#c62828", linestyle="--", linewidth=1)
    ax.set_title(_t("各时段到达与等候", "Arrivals and waits by hour"))


def groups(report: Report, fig: Figure) -> None:
    ax = fig.subplots()
    rows = [r for r in report.tickets.get("group", []) if r.called]
    if not rows:
        return _empty(ax, _t("该时段没有数据", "no data in this range"))
    labels = [r.key for r in rows]
    positions = range(len(rows))
    ax.bar(
        [p - 0.2 for p in positions], [r.wait_mean or 0 for r in rows], 0.4, label=_t("平均", "mean"), color="#4a7fb5"
    )
    ax.bar([p + 0.2 for p in positions], [r.wait_p90 or 0 for r in rows], 0.4, label="p90", color="#d9822b")
    ax.set_xticks(list(positions), labels)
    ax.axhline(report.target_minutes, color="#c62828", linestyle="--", linewidth=1)
    ax.set_ylabel(_t("等候（分钟）", "wait (min)"))
    ax.legend()
    ax.set_title(_t("各业务组等候时间", "Waits by service group"))


def utilisation(report: Report, fig: Figure) -> None:
    ax = fig.subplots()
    rows = [r for r in report.counters.get("counter", []) if r.open_hours]
    if not rows:
        return _empty(ax, _t("该时段没有窗口开放", "no counter open in this range"))
    labels = [r.key.rsplit("/", 1)[-1] for r in rows]
    ax.barh(labels, [100 * (r.utilisation or 0) for r in rows], color="#4a7fb5")
    ax.set_xlim(0, 100)
    ax.set_xlabel(_t("利用率（%）", "utilisation (%)"))
    ax.set_ylabel(_t("窗口", "counter"))
    ax.invert_yaxis()
    ax.set_title(_t("窗口利用率（办理时间÷开放时间）", "Counter utilisation (busy ÷ open)"))


def heatmap(report: Report, fig: Figure) -> None:
    ax = fig.subplots()
    rows = report.tickets.get("weekday_hour", [])
    if not rows:
        return _empty(ax, _t("该时段没有数据", "no data in this range"))
    hours = sorted({int(r.key.split("-")[1]) for r in rows})
    grid = [[float("nan")] * len(hours) for _ in range(7)]
    for r in rows:
        weekday, hour = r.key.split("-")
        grid[int(weekday) - 1][hours.index(int(hour))] = r.wait_mean if r.wait_mean is not None else float("nan")
    image = ax.imshow(grid, aspect="auto", cmap="YlOrRd")
    ax.set_xticks(range(len(hours)), [str(h) for h in hours])
    names = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"] if _chinese() else list("MTWTFSS")
    ax.set_yticks(range(7), names)
    ax.set_xlabel(_t("到达时段（时）", "hour of arrival"))
    fig.colorbar(image, ax=ax, label=_t("平均等候（分钟）", "mean wait (min)"))
    ax.set_title(_t("星期 × 时段 平均等候", "Mean wait by weekday × hour"))


def mix(report: Report, fig: Figure) -> None:
    ax = fig.subplots()
    rows = report.mix
    if not rows:
        return _empty(ax, _t("该时段没有数据", "no data in this range"))
    kinds = sorted({k for r in rows for k in r.open_hours})
    names = {"no_difference": ("无差别", "no-difference"), "domain": ("分领域", "domain"),
             "cross_province": ("跨省通办", "cross-province"), "pickup": ("出件", "pick-up")}  # fmt: skip
    bottom = [0.0] * len(rows)
    for kind in kinds:
        values = [r.open_hours.get(kind, 0.0) for r in rows]
        label = _t(*names.get(kind, (kind, kind)))
        ax.bar([r.key[5:] for r in rows], values, bottom=bottom, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel(_t("开放窗口·小时", "open counter-hours"))
    share = ax.twinx()
    share.plot([r.key[5:] for r in rows], [100 * (r.share_no_difference or 0) for r in rows], color="black", marker=".")
    share.set_ylabel(_t("无差别窗口办结占比（%）", "served at no-difference (%)"))
    share.set_ylim(0, 100)
    ax.legend(loc="upper left", fontsize="small")
    ax.tick_params(axis="x", rotation=60, labelsize="small")
    ax.set_title(_t("窗口配置与无差别占比", "Counter mix"))


CHARTS: dict[str, Callable[[Report, Figure], None]] = {
    "hourly": hourly,
    "groups": groups,
    "utilisation": utilisation,
    "heatmap": heatmap,
    "mix": mix,
}


def render(report: Report, chart: str, form: str = "svg") -> bytes:
    """A chart of the report as SVG or PNG bytes."""
    with _lock:
        _chinese()
        fig = plt.figure(figsize=(8, 4.2), dpi=150, layout="constrained")
        try:
            CHARTS[chart](report, fig)
            out = io.BytesIO()
            fig.savefig(out, format=form, metadata={"Date": None} if form == "svg" else None)
            return out.getvalue()
        finally:
            plt.close(fig)


def planning(results: list[tuple[str, object]], target_minutes: float | None = None) -> bytes:
    """Simulated plans side by side, hour by hour: each one's mean wait with its 95 % interval
    (an hour overloaded is marked), and the counters open (SVG)."""
    with _lock:
        _chinese()
        fig = plt.figure(figsize=(8, 5), dpi=150, layout="constrained")
        try:
            waits, counters = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.3])
            width = 0.8 / max(len(results), 1)
            colours = ["#4a7fb5", "#d9822b", "#5a9e5a", "#8e5ea2"]
            for k, (label, result) in enumerate(results):
                hours = result.hours  # type: ignore[attr-defined]
                xs = [h + (k - (len(results) - 1) / 2) * width for h in range(len(hours))]
                means = [r.wait_minutes.mean or 0.0 for r in hours]
                low = [
                    m - (r.wait_minutes.ci95[0] if r.wait_minutes.ci95 else m)
                    for m, r in zip(means, hours, strict=True)
                ]
                high = [
                    (r.wait_minutes.ci95[1] if r.wait_minutes.ci95 else m) - m
                    for m, r in zip(means, hours, strict=True)
                ]
                waits.bar(xs, means, width, yerr=[low, high], capsize=2, color=colours[k % 4], label=label)
                for x, r in zip(xs, hours, strict=True):
                    if r.overloaded:
                        waits.annotate("!", (x, 0), ha="center", va="bottom", color="#c62828", fontweight="bold")
                counters.bar(xs, [r.open for r in hours], width, color=colours[k % 4])
            if target_minutes:
                waits.axhline(target_minutes, color="#c62828", linestyle="--", linewidth=1)
            first = results[0][1].hours if results else []  # type: ignore[attr-defined]
            counters.set_xticks(range(len(first)), [r.start for r in first])
            waits.set_ylabel(_t("平均等候（分钟，95%区间）", "mean wait (min, 95% CI)"))
            counters.set_ylabel(_t("开放窗口", "open"))
            waits.legend()
            waits.set_title(_t("各时段到达者的平均等候（模拟）", "Mean wait of each hour's arrivals (simulated)"))
            out = io.BytesIO()
            fig.savefig(out, format="svg", metadata={"Date": None})
            return out.getvalue()
        finally:
            plt.close(fig)
