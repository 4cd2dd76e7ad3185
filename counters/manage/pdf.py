"""The periodic report as a PDF (日报、周报、月报、年报; SZDB/Z 179 6.2.6.2): reportlab, with the
CJK font the PDF tickets embed (subset), the same charts as the pages, and the main tables."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from counters.manage.charts import render
from counters.manage.report import PERIODS, Report
from printers.pdf import register_font  # the CJK font, registered once per process

__all__ = ["pdf_report"]


def _fmt(value: object, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}{suffix}"
    return f"{value}{suffix}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _change(now: float | None, before: float | None, pct: bool = False) -> str:
    if now is None or before is None:
        return "—"
    delta = (now - before) * (100 if pct else 1)
    return f"{delta:+.1f}{'个百分点' if pct else ''}"


def pdf_report(report: Report, period: str, folder: Path, font: str) -> Path:
    name = register_font(Path(font))
    title = ParagraphStyle("title", fontName=name, fontSize=18, leading=24, spaceAfter=6)
    heading = ParagraphStyle("heading", fontName=name, fontSize=13, leading=18, spaceBefore=10, spaceAfter=4)
    body = ParagraphStyle("body", fontName=name, fontSize=9.5, leading=13)
    halls = "、".join(h.name for h in report.halls)
    story: list = [
        Paragraph(f"{halls} {PERIODS.get(period, '统计报告')}", title),
        Paragraph(
            f"统计期间 {report.since} 至 {report.until}（有业务的大厅日 {report.days} 天）；服务目标：叫号等候不超过"
            f"{report.target_minutes}分钟；生成于 {report.generated_at:%Y-%m-%d %H:%M} UTC",
            body,
        ),
        Spacer(1, 4 * mm),
    ]
    total, before = report.total, report.previous
    rows = [
        ["指标 Figure", "本期 This period", "上期 Previous", "变化 Change"],
        ["到达 arrivals", _fmt(total.arrivals), _fmt(before.arrivals if before else None),
         _change(total.arrivals, before.arrivals if before else None)],
        ["办结 served", _fmt(total.served), _fmt(before.served if before else None),
         _change(total.served, before.served if before else None)],
        ["过号 no-show", _fmt(total.no_show), _fmt(before.no_show if before else None), ""],
        ["取消 cancelled", _fmt(total.cancelled), _fmt(before.cancelled if before else None), ""],
        ["过期离开 expired", _fmt(total.expired), _fmt(before.expired if before else None), ""],
        ["平均等候 wait mean (分)", _fmt(total.wait_mean), _fmt(before.wait_mean if before else None),
         _change(total.wait_mean, before.wait_mean if before else None)],
        ["等候 p90 (分)", _fmt(total.wait_p90), _fmt(before.wait_p90 if before else None),
         _change(total.wait_p90, before.wait_p90 if before else None)],
        ["服务水平（全部到达）service level, all", _pct(total.service_level),
         _pct(before.service_level if before else None),
         _change(total.service_level, before.service_level if before else None, pct=True)],
        ["服务水平（仅办结）service level, served", _pct(total.service_level_served),
         _pct(before.service_level_served if before else None), ""],
        ["平均办理 service mean (分)", _fmt(total.service_mean), _fmt(before.service_mean if before else None), ""],
    ]  # fmt: skip
    story += [Paragraph("一、总体 Overview", heading), _table(rows, name, [70 * mm, 35 * mm, 35 * mm, 35 * mm])]
    story.append(Paragraph("二、图表 Charts", heading))
    for chart in ("hourly", "groups", "utilisation", "heatmap", "mix"):
        png = render(report, chart, "png")
        story.append(Image(io.BytesIO(png), width=170 * mm, height=170 * mm * 4.2 / 8))
    story.append(PageBreak())
    group_rows = [["业务组 group", "到达", "办结", "平均等候", "p90", "服务水平(全部)", "服务水平(办结)"]]
    for r in report.tickets.get("group", []):
        group_rows.append([r.label, r.arrivals, r.served, _fmt(r.wait_mean), _fmt(r.wait_p90),
                           _pct(r.service_level), _pct(r.service_level_served)])  # fmt: skip
    story += [Paragraph("三、各业务组 By service group", heading), _table(group_rows, name)]
    counter_rows = [["窗口 counter", "开放(时)", "办理(时)", "利用率", "有人等候时空闲(时)", "办结"]]
    for r in report.counters.get("counter", []):
        counter_rows.append([r.label, _fmt(r.open_hours), _fmt(r.busy_hours), _pct(r.utilisation),
                             _fmt(r.idle_waiting_hours), r.served])  # fmt: skip
    story += [Paragraph("四、窗口 Counters", heading), _table(counter_rows, name)]
    estimate_rows = [["前面人数 ahead", "票数", "告知(分)", "实际(分)", "平均绝对误差", "偏差", "±5分钟内"]]
    for r in report.estimates.get("ahead", []):
        estimate_rows.append([r.label, r.tickets, _fmt(r.quoted_mean), _fmt(r.actual_mean),
                              _fmt(r.mean_absolute_error), _fmt(r.bias), _pct(r.within_5)])  # fmt: skip
    story += [Paragraph("五、预计等候的准确度 Estimate accuracy", heading), _table(estimate_rows, name)]
    if report.appointments and report.appointments[0].booked:
        a = report.appointments[0]
        appointment_rows = [
            ["预约 booked", "按时签到", "迟到", "爽约", "本人取消", "大厅取消", "号源使用率"],
            [a.booked, a.checked_in, a.late, a.no_show, a.cancelled, a.cancelled_by_hall, _pct(a.slot_fill)],
        ]
        story += [Paragraph("六、网上预约 Appointments", heading), _table(appointment_rows, name)]
    clerk_rows = [["工作人员 clerk", "办结", "平均办理(分)", "利用率", "好差评均分", "A岗(分)", "B岗顶岗(分)"]]
    for c in report.clerks:
        clerk_rows.append([c.name, c.served, _fmt(c.service_mean), _pct(c.utilisation), _fmt(c.rating_score),
                           _fmt(c.minutes_as_a), _fmt(c.minutes_as_b)])  # fmt: skip
    story += [Paragraph("七、工作人员 Staff", heading), _table(clerk_rows, name)]
    path = folder / f"report-{report.since}-{report.until}-{secrets.token_hex(4)}.pdf"
    document = SimpleDocTemplate(
        str(path), pagesize=A4, title=f"{halls} {PERIODS.get(period, '统计报告')}", author=halls, invariant=1
    )
    document.build(story)
    return path


def _table(rows: list[list], font: str, widths: list[float] | None = None) -> Table:
    table = Table([[str(cell) for cell in row] for row in rows], colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa9b8")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table
