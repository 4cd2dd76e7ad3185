// 大厅实况: the live view pushed over /ws/halls/{hall}/manage, and acting on the hall from it.
"use strict";

const Live = {
  socket: null,
  view: null,
  retry: 1000,
  counter: null,  // the counter being re-purposed
  el: (...args) => Manage.el(...args),

  connect() {
    const { hall } = window.MANAGE;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/ws/halls/${encodeURIComponent(hall)}/manage?token=${encodeURIComponent(Manage.session.token)}`;
    if (Live.socket) Live.socket.close();
    const socket = new WebSocket(url);
    Live.socket = socket;
    socket.onopen = () => { Live.retry = 1000; Live.state("已连接 live", false); };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "live") Live.show(message);
    };
    socket.onclose = () => {
      if (Live.socket !== socket || !Manage.session) return;
      Live.state("连接中断，正在重连… reconnecting", true);
      setTimeout(() => { if (Manage.session) Live.connect(); }, Live.retry);
      Live.retry = Math.min(Live.retry * 2, 15000);
    };
  },

  state(text, bad) {
    const box = document.getElementById("live-state");
    box.textContent = text;
    box.classList.toggle("error", bad);
  },

  minutes(value) { return value === null || value === undefined ? "–" : String(value); },

  show(view) {
    Live.view = view;
    const $ = (id) => document.getElementById(id);
    $("sum-waiting").textContent = view.waiting;
    $("sum-longest").textContent = Live.minutes(view.longest_wait_minutes);
    $("sum-served").textContent = view.served_today;
    $("sum-open").textContent = view.counters.filter((c) => c.state === "open").length;
    Live.state(`已更新 ${Hall.time(view.at, window.MANAGE.zone)}`, false);
    Live.alerts(view.alerts);
    Live.tiles(view.counters);
    Live.table("group-table", view.groups);
    Live.table("domain-table", view.domains);
    Live.printers(view.printers || []);
    Live.devices(view.devices || []);
    Live.slots(view.appointments || []);
  },

  alerts(alerts) {
    const list = document.getElementById("alerts");
    list.replaceChildren(...(alerts.length ? alerts.map((a) => Live.el("li", { class: `alert ${a.severity}`, dataset: { about: a.about, kind: a.kind } },
      Live.el("span", { class: "alert-text", text: a.text }),
      ...(a.remedy ? [Live.el("span", { class: "alert-remedy", title: a.remedy_en, text: `模拟建议：${a.remedy}` })] : []),
      Live.el("a", { href: a.link, class: "alert-link", text: "去处理 Act →" }),
    )) : [Live.el("li", { class: "muted", text: "暂无提醒 No alerts" })]));
  },

  tiles(counters) {
    const box = document.getElementById("tiles");
    box.replaceChildren(...counters.map((c) => {
      const now = c.current ? `${c.current} · ${c.current_item || ""} · ${Live.minutes(c.current_minutes)}分钟` : "—";
      const state = c.state === "paused" ? `${c.state_name}${c.pause_reason ? "（" + c.pause_reason + "）" : ""} · ${c.state_minutes}分钟` : c.state_name;
      const act = (label, action, enabled) => {
        const button = Live.el("button", { class: "btn small secondary", type: "button", onclick: () => Live.act(c, action) }, label);
        button.disabled = !enabled;
        return button;
      };
      const tile = Live.el("article", { class: `tile ${c.state}${c.empty_post ? " empty" : ""}`, id: `counter-${c.number}`, "aria-label": c.name },
        Live.el("h3", {}, c.name, Live.el("small", { text: ` ${c.kind_name}` })),
        Live.el("p", { class: "tile-state", text: state }),
        Live.el("p", { text: `人员：${c.clerk_name || "无人签到"}` }),
        Live.el("p", { class: "tile-now", text: `当前：${now}` }),
        Live.el("p", { class: "muted", text: `今日办结 ${c.served_today} · 可叫 ${c.waiting}${c.suspended ? " · 挂起 " + c.suspended : ""}` }),
        Live.el("div", { class: "tile-actions" },
          act("开始服务", "open", c.state !== "open"),
          act("暂停", "pause", c.state === "open"),
          act("关闭", "close", c.state !== "closed" && !c.current),
          act("调整", "repurpose", true)),
      );
      return tile;
    }));
  },

  table(id, rows) {
    const body = document.querySelector(`#${id} tbody`);
    body.replaceChildren(...rows.map((r) => Live.el("tr", { class: r.waiting && !r.open_counters ? "bad" : "" },
      Live.el("th", { text: `${r.name}` }),
      Live.el("td", { class: "num", text: r.waiting }),
      Live.el("td", { class: "num", text: Live.minutes(r.longest_wait_minutes) }),
      Live.el("td", { class: `num${r.over_target ? " bad" : ""}`, text: r.over_target }),
      Live.el("td", { class: `num${r.waiting && !r.open_counters ? " bad" : ""}`, text: r.open_counters }),
    )));
  },

  printers(rows) {
    const names = { ok: "正常", offline: "未连接", paper_out: "缺纸", error: "故障", unknown: "未知" };
    document.querySelector("#printer-table tbody").replaceChildren(...rows.map((p) => Live.el("tr", {},
      Live.el("th", { text: p.device }),
      Live.el("td", { text: p.printer }),
      Live.el("td", { class: p.state === "ok" || p.state === "unknown" ? "" : "bad",
        text: names[p.state] + (p.agent_connected === false ? "（打印代理未连接）" : "") + (p.error ? "：" + p.error : "") }),
      Live.el("td", { text: Hall.time(p.last_printed_at, window.MANAGE.zone) || "–" }),
      Live.el("td", { class: "num", text: p.waiting_jobs }),
    )));
  },

  devices(rows) {
    const kinds = { display: "综合屏", counter_board: "窗口屏", evaluation_pad: "评价器" };
    const audioText = { ok: "正常", blocked: "等待点击，无声", failed: "播放失败" };
    document.querySelector("#device-table tbody").replaceChildren(...rows.map((d) => Live.el("tr", {},
      Live.el("th", { text: d.name }),
      Live.el("td", { text: kinds[d.kind] || d.kind }),
      Live.el("td", { class: d.connected ? "" : "bad", text: d.connected ? "在线" : "未连接" }),
      Live.el("td", { text: d.last_seen ? new Date(d.last_seen).toLocaleString("zh-CN", { timeZone: window.MANAGE.zone }) : "从未连接" }),
      Live.el("td", { class: d.audio === "blocked" || d.audio === "failed" ? "bad" : "", text: audioText[d.audio] || "—" }),
    )));
  },

  slots(rows) {
    const zone = window.MANAGE.zone;
    document.querySelector("#slot-table tbody").replaceChildren(...rows.map((s) => Live.el("tr", {},
      Live.el("th", { text: `${Hall.time(s.start, zone)}–${Hall.time(s.end, zone)}` }),
      Live.el("td", { class: "num", text: s.seats }),
      Live.el("td", { class: "num", text: s.booked }),
      Live.el("td", { class: "num", text: s.checked_in }),
      Live.el("td", { class: `num${s.missed ? " bad" : ""}`, text: s.missed }),
      Live.el("td", { class: "num", text: s.pending }),
    )));
  },

  async act(counter, action) {
    const { hall } = window.MANAGE;
    if (action === "repurpose") return Live.openRepurpose(counter);
    let body;
    if (action === "pause") {
      const reason = prompt(`暂停${counter.name}的原因（如：午休、培训）`, "");
      if (reason === null) return;
      body = { reason };
    }
    if (action === "close" && !confirm(`确认关闭${counter.name}？`)) return;
    const r = await Manage.api("POST", `/api/halls/${hall}/counters/${counter.number}/${action}`, body);
    Hall.toast(r.ok ? `${counter.name}：已${{ open: "开始服务", pause: "暂停", close: "关闭" }[action]}` : Manage.refusal(r), !r.ok);
  },

  openRepurpose(counter) {
    Live.counter = counter;
    const form = document.getElementById("repurpose-form");
    document.getElementById("repurpose-counter").textContent = `${counter.name}（现为${counter.kind_name}）`;
    form.elements.kind.value = counter.kind;
    for (const box of form.querySelectorAll("input[name=domains]")) box.checked = false;
    document.getElementById("preview").textContent = "";
    document.getElementById("apply-button").disabled = true;
    document.getElementById("repurpose").showModal();
  },

  change() {
    const form = document.getElementById("repurpose-form");
    const domains = [...form.querySelectorAll("input[name=domains]:checked")].map((b) => b.value);
    const change = { kind: form.elements.kind.value, domains };
    if (form.elements.profile.value) change.profile = form.elements.profile.value;
    return change;
  },

  async preview() {
    const { hall } = window.MANAGE;
    const box = document.getElementById("preview");
    const r = await Manage.api("POST", `/api/halls/${hall}/counters/${Live.counter.number}/preview`, Live.change());
    if (!r.ok) { box.textContent = Manage.refusal(r); box.className = "preview error"; return; }
    const p = r.data;
    document.getElementById("apply-button").disabled = !(p.allowed && p.changed);
    box.className = `preview${p.allowed ? "" : " error"}`;
    if (!p.allowed) { box.textContent = `不能这样调整：${p.refusal}`; return; }
    const names = Object.fromEntries(window.MANAGE.items.map((i) => [i.code, i.name]));
    const list = (codes) => codes.map((c) => names[c] || c).join("、") || "无";
    box.replaceChildren(
      Live.el("p", { text: p.changed ? `调整后可办理 ${p.serves.length} 项事项` : "与现在相同，无需调整" }),
      Live.el("p", { text: `新增：${list(p.gains)}` }),
      Live.el("p", { text: `不再办理：${list(p.loses)}` }),
      Live.el("p", { class: "could-call", text: `调整后可叫号 ${p.waiting} 人：${p.could_call.join("、") || "无"}` }),
    );
  },

  async apply() {
    const { hall } = window.MANAGE;
    const r = await Manage.api("PATCH", `/api/halls/${hall}/counters/${Live.counter.number}`, Live.change());
    if (!r.ok) { Hall.toast(Manage.refusal(r), true); return; }
    Hall.toast(`${r.data.name}已调整为${r.data.kind_name}`, false);
    document.getElementById("repurpose").close();
  },
};

// 假如现在…: the rest of today simulated as it is and with the manager's changes from now (the
// what-if of POST /api/halls/{hall}/planning/what-if), the two side by side.
const WhatIf = {
  el: (...args) => Manage.el(...args),

  add() {
    const row = document.getElementById("what-if-row").content.firstElementChild.cloneNode(true);
    row.querySelector("[data-remove]").addEventListener("click", () => row.remove());
    row.addEventListener("change", () => WhatIf.sync(row));
    document.getElementById("what-if-changes").append(row);
    WhatIf.sync(row);
    return row;
  },

  // The kind only for a change of kind; the domains only for a domain counter.
  sync(row) {
    const reconfigure = row.querySelector("select[name=action]").value === "reconfigure";
    const kind = row.querySelector("select[name=kind]");
    kind.disabled = !reconfigure;
    row.querySelector(".domains").hidden = !(reconfigure && kind.value === "domain");
  },

  changes() {
    return [...document.querySelectorAll("#what-if-changes > li")].map((row) => {
      const value = (name) => row.querySelector(`[name=${name}]`).value;
      const change = { counter: Number(value("counter")), action: value("action") };
      if (change.action === "reconfigure") {
        change.kind = value("kind");
        if (change.kind === "domain") change.domains = [...row.querySelectorAll("input[name=domains]:checked")].map((b) => b.value);
      }
      return change;
    });
  },

  status(zh, en, bad) {
    const box = document.getElementById("what-if-status");
    box.replaceChildren(zh, ...(en ? [WhatIf.el("br"), WhatIf.el("small", { text: en })] : []));
    box.classList.toggle("error", !!bad);
  },

  busy(on) {
    // on the result alone: a busy subtree holds back the status box's announcements (模拟中…)
    document.getElementById("what-if-result").setAttribute("aria-busy", String(on));
    document.getElementById("what-if-run").disabled = on;
  },

  async run() {
    const form = document.getElementById("what-if-form").elements;
    const body = { changes: WhatIf.changes(), target_minutes: Number(form.target.value), replications: Number(form.replications.value) };
    WhatIf.busy(true);
    WhatIf.status("模拟中…", "simulating…");
    let r;
    try {
      r = await Manage.api("POST", `/api/halls/${window.MANAGE.hall}/planning/what-if`, body);
    } finally {
      WhatIf.busy(false);
    }
    if (!r.ok) {
      document.getElementById("what-if-result").hidden = true;
      const d = r.data || {};
      WhatIf.status(`未能模拟：${d.detail_zh || `请求失败 (${r.status})`}`,
        `could not simulate: ${typeof d.detail === "string" ? d.detail : `request failed (${r.status})`}`, true);
      return;
    }
    WhatIf.show(r.data);
  },

  show(w) {
    const t = w.target_minutes, over = String(t);
    const both = (zh, en) => [zh, WhatIf.el("small", { text: en })];  // in Chinese, English beneath
    const rows = [
      [both("平均等候（分钟）", "mean wait (min)"), (r) => Manage.pm({ mean: r.wait_minutes.mean, ci95: r.wait_minutes.ci95 })],
      [both("p90 等候（分钟）", "p90 wait (min)"), (r) => Manage.pm(r.wait_minutes.p90)],
      [both(`等候超过${t}分钟的比例`, `share waiting over ${t} min`), (r) => `${Manage.pm(r.wait_over[over], 1, 100)}%`],
      [both("最后一位办结", "last citizen served"), (r) => r.last_served || "–"],
      [both(`p90 等候回到${t}分钟内`, `p90 wait back under ${t} min`), (r, at) => at || both("今日回不到", "not today")],
    ];
    const columns = [[w.baseline, w.baseline_recovers_at], [w.changed, w.changed_recovers_at]];
    const table = document.getElementById("what-if-result");
    table.querySelector("tbody").replaceChildren(...rows.map(([label, show]) => WhatIf.el("tr", {},
      WhatIf.el("th", { scope: "row" }, ...label),
      ...columns.map(([r, at]) => WhatIf.el("td", { class: "num" }, ...[].concat(r ? show(r, at) : "–"))))));
    table.hidden = false;
    const at = Hall.time(w.at, window.MANAGE.zone);
    WhatIf.status(`已模拟 ${w.replications} 次，自 ${at} 起${w.changed ? "" : "（未设调整，只有现状）"}`,
      `simulated ${w.replications}× from ${at}${w.changed ? "" : " (no change given: as it is only)"}`);
  },
};

document.getElementById("what-if-add").addEventListener("click", () => WhatIf.add().querySelector("select").focus());
document.getElementById("what-if-form").addEventListener("submit", (event) => { event.preventDefault(); WhatIf.run(); });
WhatIf.add();
document.getElementById("preview-button").addEventListener("click", () => Live.preview());
document.getElementById("apply-button").addEventListener("click", () => Live.apply());
document.getElementById("repurpose-form").addEventListener("change", () => { document.getElementById("apply-button").disabled = true; });
document.getElementById("announce").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const r = await Manage.api("POST", `/api/halls/${window.MANAGE.hall}/announcements`,
    { text: form.get("text"), text_en: form.get("text_en") || "" });
  Hall.toast(r.ok ? "广播已发布" : Manage.refusal(r), !r.ok);
  if (r.ok) event.target.reset();
});

Manage.start(window.MANAGE, () => Live.connect());
