// 统计报表: the report of a range of days, its charts, tables and downloads.
"use strict";

const Reports = {
  report: null,
  el: (...args) => Manage.el(...args),

  range() {
    const form = document.getElementById("range");
    const params = new URLSearchParams({ from: form.elements.from.value, to: form.elements.to.value });
    if (form.elements.target.value) params.set("target", form.elements.target.value);
    return params;
  },

  status(text, bad) {
    const box = document.getElementById("report-status");
    box.textContent = text;
    box.classList.toggle("error", !!bad);
  },

  async load() {
    const { hall } = window.MANAGE;
    Reports.status("统计中… computing");
    const r = await Manage.api("GET", `/api/halls/${hall}/stats?${Reports.range()}`);
    if (!r.ok) { Reports.status(Manage.refusal(r), true); return; }
    Reports.report = r.data;
    Reports.status(`${r.data.since} 至 ${r.data.until}，${r.data.days} 个有业务的日子`);
    Reports.overview(r.data);
    Reports.figures();
    Reports.grid("counter-figures", r.data.counters.counter || [],
      [["label", "窗口"], ["open_hours", "开放(时)"], ["busy_hours", "办理(时)"], ["utilisation", "利用率", "pct"],
       ["idle_waiting_hours", "有人等候时空闲(时)"], ["served", "办结"]]);
    Reports.grid("clerks", r.data.clerks,
      [["name", "工作人员"], ["served", "办结"], ["service_mean", "平均办理(分)"], ["utilisation", "利用率", "pct"],
       ["rating_score", "好差评均分"], ["ratings", "评价数"], ["minutes_as_a", "A岗(分)"], ["minutes_as_b", "B岗顶岗(分)"]]);
    Reports.grid("estimates", r.data.estimates.ahead || [],
      [["label", "取号时前面人数"], ["tickets", "票数"], ["quoted_mean", "告知(分)"], ["actual_mean", "实际(分)"],
       ["mean_absolute_error", "平均绝对误差"], ["bias", "偏差"], ["within_5", "±5分钟内", "pct"]]);
    Reports.grid("appointments", r.data.appointments,
      [["key", "日期"], ["booked", "预约"], ["checked_in", "按时签到"], ["late", "迟到"], ["no_show", "爽约"],
       ["cancelled", "本人取消"], ["cancelled_by_hall", "大厅取消"], ["seats", "号源"], ["slot_fill", "号源使用率", "pct"]]);
    for (const [chart] of window.MANAGE.charts) Reports.chart(chart);
  },

  pct(value) { return value === null || value === undefined ? "–" : `${(100 * value).toFixed(1)}%`; },

  overview(report) {
    const now = report.total;
    const before = report.previous || {};
    const rows = [
      ["到达 arrivals", "arrivals"], ["办结 served", "served"], ["过号 no-show", "no_show"], ["取消 cancelled", "cancelled"],
      ["过期离开 expired", "expired"], ["平均等候(分) wait mean", "wait_mean"], ["等候 p90 (分)", "wait_p90"],
      ["等候 p95 (分)", "wait_p95"], ["最长等候(分) max", "wait_max"], ["服务水平（全部到达）", "service_level", "pct"],
      ["服务水平（仅办结）", "service_level_served", "pct"], ["平均办理(分) service", "service_mean"], ["办理 p90 (分)", "service_p90"],
    ];
    document.querySelector("#overview tbody").replaceChildren(...rows.map(([label, key, kind]) => {
      const a = now[key], b = before[key];
      const show = (v) => (kind === "pct" ? Reports.pct(v) : v ?? "–");
      let change = "–";
      if (a !== null && a !== undefined && b !== null && b !== undefined) {
        const d = kind === "pct" ? 100 * (a - b) : a - b;
        change = `${d > 0 ? "+" : ""}${Number(d.toFixed(2))}${kind === "pct" ? " 个百分点" : ""}`;
      }
      return Reports.el("tr", {}, Reports.el("th", { text: label }), Reports.el("td", { class: "num", text: show(a) }),
        Reports.el("td", { class: "num", text: show(b) }), Reports.el("td", { class: "num", text: change }));
    }));
  },

  figures() {
    const dimension = document.getElementById("dimension").value;
    const rows = (Reports.report.tickets[dimension] || []);
    Reports.grid("figures", [Reports.report.total, ...rows],
      [["label", "分组"], ["arrivals", "到达"], ["served", "办结"], ["no_show", "过号"], ["cancelled", "取消"],
       ["expired", "过期"], ["wait_mean", "平均等候"], ["wait_p50", "p50"], ["wait_p90", "p90"], ["wait_p95", "p95"],
       ["wait_max", "最长"], ["service_mean", "平均办理"], ["service_p90", "办理p90"],
       ["service_level", "服务水平(全部)", "pct"], ["service_level_served", "服务水平(办结)", "pct"]]);
  },

  grid(id, rows, columns) {
    const table = document.getElementById(id);
    table.querySelector("thead").replaceChildren(Reports.el("tr", {},
      ...columns.map(([, name], i) => Reports.el("th", { class: i ? "num" : "", text: name }))));
    table.querySelector("tbody").replaceChildren(...(rows.length ? rows.map((row) => Reports.el("tr", {},
      ...columns.map(([key, , kind], i) => Reports.el(i ? "td" : "th", { class: i ? "num" : "",
        text: kind === "pct" ? Reports.pct(row[key]) : (row[key] ?? "–") }))))
      : [Reports.el("tr", {}, Reports.el("td", { colspan: columns.length, class: "muted", text: "该期间没有数据 No data" }))]));
  },

  async fetchFile(path) {
    const r = await fetch(path, { headers: { Authorization: "Bearer " + Manage.session.token } });
    if (r.status === 401) { Manage.signOut("登录已失效，请重新登录"); return null; }
    if (!r.ok) {
      let data = null;
      try { data = await r.json(); } catch (err) { data = null; }
      Hall.toast(Manage.refusal({ status: r.status, data }), true);
      return null;
    }
    return r;
  },

  async chart(chart) {
    const { hall } = window.MANAGE;
    const r = await Reports.fetchFile(`/api/halls/${hall}/stats/charts/${chart}.svg?${Reports.range()}`);
    if (!r) return;
    const img = document.getElementById(`chart-${chart}`);
    if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(await r.blob());
  },

  async download(path) {
    Reports.status("正在生成… preparing");
    const r = await Reports.fetchFile(path);
    Reports.status("");
    if (!r) return;
    const name = (r.headers.get("content-disposition") || "").match(/filename="?([^";]+)"?/);
    const href = URL.createObjectURL(await r.blob());
    const link = Reports.el("a", { href, download: name ? decodeURIComponent(name[1]) : "report" });
    document.body.append(link);
    link.click();
    setTimeout(() => { link.remove(); URL.revokeObjectURL(href); }, 2000);  // after the browser has taken it
  },

  quick(period) {
    const form = document.getElementById("range");
    const today = new Date(window.MANAGE.today + "T00:00:00");
    const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    let first = new Date(today), last = new Date(today);
    if (period === "week") { first.setDate(today.getDate() - ((today.getDay() + 6) % 7)); last = new Date(first); last.setDate(first.getDate() + 6); }
    if (period === "month") { first = new Date(today.getFullYear(), today.getMonth(), 1); last = new Date(today.getFullYear(), today.getMonth() + 1, 0); }
    if (period === "year") { first = new Date(today.getFullYear(), 0, 1); last = new Date(today.getFullYear(), 11, 31); }
    form.elements.from.value = iso(first);
    form.elements.to.value = iso(last);
    Reports.load();
  },
};

document.getElementById("range").addEventListener("submit", (event) => { event.preventDefault(); Reports.load(); });
document.querySelectorAll("[data-period]").forEach((b) => b.addEventListener("click", () => Reports.quick(b.dataset.period)));
document.getElementById("dimension").addEventListener("change", () => Reports.report && Reports.figures());
document.querySelectorAll("[data-table]").forEach((b) => b.addEventListener("click", () => {
  const params = Reports.range();
  params.set("table", b.dataset.table);
  params.set("format", b.dataset.format);
  Reports.download(`/api/halls/${window.MANAGE.hall}/stats/export?${params}`);
}));
document.querySelectorAll("[data-pdf]").forEach((b) => b.addEventListener("click", () => {
  const params = Reports.range();
  params.set("period", b.dataset.pdf);
  params.set("day", document.getElementById("range").elements.to.value);
  Reports.download(`/api/halls/${window.MANAGE.hall}/stats/report.pdf?${params}`);
}));

Manage.start(window.MANAGE, () => Reports.load());
