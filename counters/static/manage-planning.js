// 排班规划: the day's forecast, the plan grid (hours × counter kinds), the simulator's results with
// their intervals, the advised plan and why, and the replay of a recorded day.
"use strict";

const Planning = {
  scenario: null,   // the forecast day as a scenario (the server's), the grid's plan goes into it
  current: null,    // the grid's plan as last simulated
  el: (...args) => Manage.el(...args),

  status(id, text, bad) {
    const box = document.getElementById(id);
    box.textContent = text;
    box.classList.toggle("error", !!bad);
  },

  hours() {
    const s = Planning.scenario.scenario;
    const [h1, m1] = s.start.split(":").map(Number), [h2, m2] = s.end.split(":").map(Number);
    const first = h1 * 60 + m1, last = h2 * 60 + m2;
    const labels = [];
    for (let t = first; t < last; t += 60) labels.push(`${String(Math.floor(t / 60)).padStart(2, "0")}:${String(t % 60).padStart(2, "0")}`);
    return labels;
  },

  nextWorkingDay() {
    const d = new Date(window.MANAGE.today + "T00:00:00");
    d.setDate(d.getDate() + 1);
    while (d.getDay() === 0 || d.getDay() === 6) d.setDate(d.getDate() + 1);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  },

  async forecast() {
    const { hall, itemNames } = window.MANAGE;
    const day = document.getElementById("day-form").elements.day.value;
    Planning.status("forecast-status", "预测中… forecasting");
    const r = await Manage.api("GET", `/api/halls/${hall}/planning/forecast?day=${day}`);
    if (!r.ok) { Planning.status("forecast-status", Manage.refusal(r), true); return; }
    const { forecast, accuracy, scenario } = r.data;
    Planning.scenario = scenario;
    Planning.status("forecast-status", forecast.open ? `预计 ${forecast.total.toFixed(0)} 人 expected` : "当日不办公 closed");
    document.getElementById("forecast-basis").textContent = forecast.basis.length
      ? `依据：${forecast.basis.join("、")} 的同类日子${forecast.notes.length ? "；" + forecast.notes.join("；") : ""}`
      : forecast.notes.join("；");
    const rows = forecast.items.filter((i) => i.total > 0).sort((a, b) => b.total - a.total);
    const table = document.getElementById("forecast-items");
    table.querySelector("thead").replaceChildren(Planning.el("tr", {}, Planning.el("th", { text: "事项" }),
      Planning.el("th", { class: "num", text: "预计人数" }), Planning.el("th", { class: "num", text: "其中预约" })));
    table.querySelector("tbody").replaceChildren(...rows.map((i) => Planning.el("tr", {},
      Planning.el("th", { text: itemNames[i.item] || i.item }), Planning.el("td", { class: "num", text: i.total.toFixed(1) }),
      Planning.el("td", { class: "num", text: i.appointments.reduce((a, b) => a + b, 0).toFixed(1) }))));
    document.getElementById("forecast-accuracy").textContent = accuracy.wape === null ? "尚无可检验的历史预测 no past forecast to check"
      : `预测误差（过去 ${accuracy.days.length} 天，按事项×半小时）WAPE ${(100 * accuracy.wape).toFixed(0)}%，日总量平均偏差 ${(100 * accuracy.total_error).toFixed(1)}%`;
    Planning.grid(null);
  },

  // The plan grid: one row per counter kind, one column per hour; ``plan`` fills it (else all open).
  grid(plan) {
    const { kinds } = window.MANAGE;
    const hours = Planning.hours();
    const table = document.getElementById("plan");
    table.querySelector("thead").replaceChildren(Planning.el("tr", {}, Planning.el("th", { text: "窗口类型" }),
      ...hours.map((h) => Planning.el("th", { class: "num", text: h }))));
    table.querySelector("tbody").replaceChildren(...kinds.map((kind) => Planning.el("tr", {},
      Planning.el("th", { text: `${kind.name}（共${kind.count}）` }),
      ...hours.map((_, h) => Planning.el("td", { class: "num" }, Planning.el("input", {
        type: "number", min: 0, max: kind.count, value: plan ? ((plan[kind.key] || [])[h] ?? 0) : kind.count,
        "data-kind": kind.key, "data-hour": h, "aria-label": `${kind.name} ${hours[h]}`,
      }))))));
  },

  plan() {
    const plan = {};
    document.querySelectorAll("#plan input").forEach((input) => {
      (plan[input.dataset.kind] ||= [])[Number(input.dataset.hour)] = Number(input.value || 0);
    });
    return plan;
  },

  body(withTarget) {
    const form = document.getElementById("run-form").elements;
    const body = structuredClone(Planning.scenario);
    delete body.path;
    body.scenario.replications = Number(form.replications.value || 300);
    body.plan = Planning.plan();
    const minutes = Number(form.minutes.value || window.MANAGE.target);
    body.target = form.target_kind.value === "mean" ? { hourly_mean_wait_minutes: minutes }
      : { service_level: { within_minutes: minutes, share: Number(form.share.value || 0.8) } };
    body.limits = form.staff.value ? { staff: Number(form.staff.value) } : {};
    if (!withTarget) delete body.limits;
    return body;
  },

  pm: (...args) => Manage.pm(...args),

  summary(results) {
    const rows = [
      ["平均等候(分) mean wait", (r) => Planning.pm({ mean: r.wait_minutes.mean, ci95: r.wait_minutes.ci95 })],
      ["等候 p90 (分)", (r) => Planning.pm(r.wait_minutes.p90)],
      ["等候过15分钟 share over 15 min", (r) => Planning.pm(r.wait_over["15"], 1, 100) + "%"],
      ["需等候的比例 waited at all", (r) => Planning.pm(r.waited_share, 1, 100) + "%"],
      ["窗口利用率 utilisation", (r) => Planning.pm(r.utilisation, 1, 100) + "%"],
      ["最后办结 last served", (r) => r.last_served || "–"],
      ["超负荷时段 overloaded hours", (r) => r.overloaded.join("、") || "无"],
    ];
    const table = document.getElementById("summary");
    table.querySelector("thead").replaceChildren(Planning.el("tr", {}, Planning.el("th", { text: "指标" }),
      ...results.map(([label]) => Planning.el("th", { class: "num", text: label }))));
    table.querySelector("tbody").replaceChildren(...rows.map(([label, show]) => Planning.el("tr", {},
      Planning.el("th", { text: label }), ...results.map(([, r]) => Planning.el("td", { class: "num", text: show(r) })))));
    const hours = document.getElementById("hours");
    hours.querySelector("thead").replaceChildren(Planning.el("tr", {}, Planning.el("th", { text: "时段" }),
      ...results.flatMap(([label]) => [Planning.el("th", { class: "num", text: `${label} 到达` }),
        Planning.el("th", { class: "num", text: `${label} 窗口` }), Planning.el("th", { class: "num", text: `${label} 平均等候` })])));
    hours.querySelector("tbody").replaceChildren(...results[0][1].hours.map((_, h) => Planning.el("tr", {},
      Planning.el("th", { text: results[0][1].hours[h].start }),
      ...results.flatMap(([, r]) => {
        const hour = r.hours[h];
        return [Planning.el("td", { class: "num", text: hour.arrivals.toFixed(1) }), Planning.el("td", { class: "num", text: hour.open.toFixed(1) }),
          Planning.el("td", { class: `num${hour.overloaded ? " bad" : ""}`, text: hour.overloaded ? "超负荷 overloaded" : Planning.pm(hour.wait_minutes) })];
      }))));
    Planning.chart(results);
  },

  async chart(results) {
    const { hall } = window.MANAGE;
    const form = document.getElementById("run-form").elements;
    const r = await fetch(`/api/halls/${hall}/planning/chart.svg`, {
      method: "POST",
      headers: { Authorization: "Bearer " + Manage.session.token, "Content-Type": "application/json" },
      body: JSON.stringify({ results: results.map(([label, result]) => ({ label, result })), target_minutes: Number(form.minutes.value) || null }),
    });
    if (!r.ok) return;
    const img = document.getElementById("planning-chart");
    if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(await r.blob());
  },

  async simulate() {
    if (!Planning.scenario) return;
    const { hall } = window.MANAGE;
    Planning.status("run-status", "模拟中… simulating");
    const r = await Manage.api("POST", `/api/halls/${hall}/planning/simulate`, Planning.body(false));
    if (!r.ok) { Planning.status("run-status", Manage.refusal(r), true); return; }
    Planning.status("run-status", `已模拟 ${r.data.replications} 天 simulated days`);
    document.getElementById("why").replaceChildren();
    Planning.summary([["本方案 this plan", r.data]]);
  },

  async advise() {
    if (!Planning.scenario) return;
    const { hall } = window.MANAGE;
    Planning.status("run-status", "计算建议方案… searching (up to half a minute)");
    const r = await Manage.api("POST", `/api/halls/${hall}/planning/advise`, Planning.body(true));
    if (!r.ok) { Planning.status("run-status", Manage.refusal(r), true); return; }
    const advice = r.data;
    Planning.status("run-status", `建议方案 ${advice.counter_hours} 窗口·小时（原 ${advice.current_counter_hours}），${advice.seconds} 秒`
      + (advice.unmet.length ? `；${advice.unmet.join("、")} 在限制内达不到目标` : ""));
    Planning.grid(advice.plan);
    Planning.summary([["原方案 current", advice.current], ["建议 advised", advice.result]]);
    document.getElementById("why").replaceChildren(...advice.hours.map((h) => Planning.el("li", {
      class: h.met ? "" : "bad", text: `${h.start} ${h.why}` })));
  },

  async replay() {
    const { hall } = window.MANAGE;
    const form = document.getElementById("replay-form").elements;
    const body = { day: form.day.value, changes: [] };
    if (form.counter.value) {
      body.changes.push({ at: form.from.value, counter: Number(form.counter.value), action: "open" });
      body.changes.push({ at: form.to.value, counter: Number(form.counter.value), action: "close" });
    }
    Planning.status("replay-status", "回放中… replaying");
    const r = await Manage.api("POST", `/api/halls/${hall}/planning/replay`, body);
    if (!r.ok) { Planning.status("replay-status", Manage.refusal(r), true); return; }
    const d = r.data;
    Planning.status("replay-status", `${d.day}：${d.recorded.tickets} 张号；当天窗口有人等候时空闲 ${d.idle_waiting_minutes} 窗口·分钟`);
    const rows = [
      ["实际 recorded", d.recorded.wait_mean, d.recorded.wait_p90, d.recorded.over_15],
      ["按当天窗口回放 replayed as it was", d.own.wait_minutes.mean, d.own.wait_minutes.p90.mean, d.own.wait_over["15"].mean],
      ["按新安排回放 replayed with the change", d.replayed.wait_minutes.mean, d.replayed.wait_minutes.p90.mean, d.replayed.wait_over["15"].mean],
    ];
    const table = document.getElementById("replay");
    table.querySelector("thead").replaceChildren(Planning.el("tr", {}, ...["", "平均等候(分)", "p90(分)", "等候过15分钟"]
      .map((t, i) => Planning.el("th", { class: i ? "num" : "", text: t }))));
    const f = (v, pct) => (v === null || v === undefined ? "–" : pct ? `${(100 * v).toFixed(1)}%` : v.toFixed(1));
    table.querySelector("tbody").replaceChildren(...rows.map(([label, mean, p90, over]) => Planning.el("tr", {},
      Planning.el("th", { text: label }), Planning.el("td", { class: "num", text: f(mean) }),
      Planning.el("td", { class: "num", text: f(p90) }), Planning.el("td", { class: "num", text: f(over, true) }))));
  },
};

document.getElementById("day-form").elements.day.value = Planning.nextWorkingDay();
document.getElementById("replay-form").elements.day.value = (() => {
  const d = new Date(window.MANAGE.today + "T00:00:00");
  d.setDate(d.getDate() - 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
})();
document.getElementById("day-form").addEventListener("submit", (e) => { e.preventDefault(); Planning.forecast(); });
document.getElementById("run-form").addEventListener("submit", (e) => { e.preventDefault(); Planning.simulate(); });
document.getElementById("advise").addEventListener("click", () => Planning.advise());
document.getElementById("plan-all").addEventListener("click", () => Planning.scenario && Planning.grid(null));
document.getElementById("replay-form").addEventListener("submit", (e) => { e.preventDefault(); Planning.replay(); });

Manage.start(window.MANAGE, () => Planning.forecast());
