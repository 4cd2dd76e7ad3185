// 好差评: the follow-up cases of bad ratings (差评整改: reply, fix, appeal and its decision,
// call-backs to the citizen (回访) with their outcome, the deadline tier; every step listed
// with who and when; overdue cases stand out), and the statistics by counter, staff member,
// item or day. The server decides which action a case allows; refusals are shown. A real-name
// rating's phone is opened on request only (the server records who opened it) and is gone
// from the page at the next refresh.
"use strict";

(function () {
  const config = window.MANAGE;
  const { hall, zone } = config;
  const $ = (id) => document.getElementById(id);
  const el = Manage.el;
  const staffName = Object.fromEntries(config.staff.map((s) => [s.username, s.name]));
  const counterName = Object.fromEntries(config.counters.map((c) => [c.number, c.name]));
  const itemName = Object.fromEntries(config.items.map((i) => [i.code, i.name]));
  const levelName = Object.fromEntries(config.levels.map((l) => [l.value, l.name]));
  const states = { open: "待处理", replied: "已回复", fixed: "已整改", appealed: "申诉中", void: "已作废" };
  const actions = { reply: "回复", fix: "整改", appeal: "申诉", uphold_appeal: "申诉成立", reject_appeal: "驳回申诉" };
  const allowed = {  // as the server's rules allow (counters/ratings.py)
    open: ["reply", "appeal"],
    replied: ["fix", "appeal"],
    appealed: ["uphold_appeal", "reject_appeal"],
    fixed: [],
    void: [],
  };
  const steps = { ...actions, call_back: "回访", tier: "定级", phone: "查看号码" };
  const outcomes = { reached: "已接通并答复", no_answer: "未接通", wrong_number: "号码有误" };
  const tiers = { on_the_spot: "当场解决", one_day: "1个工作日", five_days: "5个工作日", fifteen_days: "15个工作日" };
  const keyNames = { counter: "窗口", staff: "人员", item: "事项", day: "日期" };
  let busy = false;

  const when = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", {
    timeZone: zone, month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit",
  }) : "");
  const percent = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);

  // ---- cases

  function stepLine(step) {
    const detail = step.action === "call_back" ? `（${outcomes[step.outcome] || step.outcome}）`
      : step.action === "tier" ? ` ${tiers[step.outcome] || step.outcome}` : "";
    return el("li", { dataset: { action: step.action } },
      el("b", { text: (steps[step.action] || step.action) + detail + (step.note ? "：" : "") }), step.note,
      el("small", { text: ` ${staffName[step.by] || step.by} ${when(step.at)}` }));
  }

  function record(c) {
    if (c.steps.length) return el("ul", { class: "record" }, ...c.steps.map(stepLine));
    // a case worked before each step was kept: what it kept
    const lines = [
      ["回复", c.reply, c.replied_at], ["整改", c.fix, c.fixed_at], ["申诉", c.appeal, c.appealed_at],
      ["结论", c.resolution, c.closed_at],
    ].filter(([, text]) => text);
    if (!lines.length) return el("span", { class: "muted", text: "尚未处理" });
    const list = el("ul", { class: "record" }, ...lines.map(([label, text, at]) =>
      el("li", {}, el("b", { text: label + "：" }), text, at ? el("small", { text: ` ${when(at)}` }) : null)));
    if (c.handled_by) list.append(el("li", { class: "muted", text: `经办：${staffName[c.handled_by] || c.handled_by}` }));
    return list;
  }

  function actionsCell(c) {
    const moves = allowed[c.state] || [];
    const callable = Boolean(c.contact_masked) && c.state !== "void";  // a real-name rating: call back
    if (!moves.length && !callable) return el("span", { class: "muted", text: "已办结" });
    const text = el("textarea", {
      rows: "2", maxlength: "1000", placeholder: "处理内容（必填）", "aria-label": `处理内容 ${c.number}`,
    });
    const buttons = moves.map((action) => el("button", {
      type: "button",
      class: "btn small" + (action === "appeal" || action === "reject_appeal" ? " secondary" : ""),
      dataset: { action },
      text: actions[action],
      onclick: () => act(c, action, { text: text.value.trim() }, text),
    }));
    return el("div", { class: "case-actions" }, text, el("div", { class: "case-buttons" }, ...buttons),
      callable ? callBack(c, text) : null,
      moves.length ? tierPicker(c, text) : null);
  }

  function callBack(c, box) {
    const phone = el("a", { class: "phone", hidden: "" });
    const show = c.phone_sealed ? el("button", {
      type: "button", class: "btn small secondary", text: "查看号码", onclick: () => openPhone(c, phone, show),
    }) : null;
    const outcome = el("select", { "aria-label": `回访结果 ${c.number}` },
      ...Object.entries(outcomes).map(([value, name]) => el("option", { value, text: name })));
    const done = el("button", {
      type: "button", class: "btn small", dataset: { action: "call_back" }, text: "记录回访",
      onclick: () => act(c, "call-back", { outcome: outcome.value, note: box.value.trim() }, box),
    });
    return el("div", { class: "call-back" },
      el("span", { class: "muted", text: `回访 ${c.contact_masked}` }), show, phone, outcome, done);
  }

  function tierPicker(c, box) {
    const tier = el("select", { "aria-label": `整改时限 ${c.number}` },
      ...Object.entries(tiers).map(([value, name]) => el("option", { value, text: name })));
    tier.value = c.tier;
    const set = el("button", {
      type: "button", class: "btn small secondary", dataset: { action: "tier" }, text: "设定时限",
      onclick: () => act(c, "tier", { tier: tier.value, note: box.value.trim() }, null),
    });
    return el("div", { class: "tier-picker" }, tier, set);
  }

  // The number in clear for the call, until the next refresh; the server records who opened it.
  async function openPhone(c, link, button) {
    if (busy) return;
    busy = true;
    try {
      const r = await Manage.api("POST", `/api/halls/${hall}/rating-cases/${c.id}/phone`);
      if (!r.ok) { Hall.toast(Manage.refusal(r), true); return; }
      link.textContent = r.data.phone;
      link.href = `tel:${r.data.phone}`;
      link.hidden = false;
      button.hidden = true;
    } finally {
      busy = false;
    }
  }

  const said = { "call-back": "回访", tier: "时限" };

  // ``box``: the text the action needs (none for a tier, whose note is optional).
  async function act(c, action, body, box) {
    if (box && !box.value.trim()) { Hall.toast("请填写处理内容", true); box.focus(); return; }
    if (busy) return;
    busy = true;
    try {
      const r = await Manage.api("POST", `/api/halls/${hall}/rating-cases/${c.id}/${action}`, body);
      if (!r.ok) { Hall.toast(Manage.refusal(r), true); return; }
      const what = said[action] || actions[action];
      Hall.toast(`${c.number}：${what}已记录，当前状态 ${states[r.data.state] || r.data.state}`);
    } finally {
      busy = false;
    }
    await loadCases();
    await loadStats();
  }

  function caseRow(c) {
    const rating = el("div", { class: "rating" },
      el("span", { class: `level ${c.level}`, text: levelName[c.level] || c.level }),
      c.reason ? el("span", { class: "reason", text: c.reason }) : null,
      c.text ? el("q", { text: c.text }) : null,
      c.contact_masked ? el("small", { class: "muted", text: `实名 ${c.contact_masked}` }) : null);
    const state = el("div", { class: "state-cell" },
      el("span", { class: `case-state ${c.state}`, text: states[c.state] || c.state }),
      c.overdue ? el("span", { class: "overdue-tag", text: "超期" }) : null,
      el("div", { class: "tier", text: `时限 ${tiers[c.tier] || c.tier}` }),
      el("div", { class: "deadline", text: `期限 ${c.deadline}` }));
    return el("tr", { class: c.overdue ? "overdue" : "", dataset: { case: c.id, state: c.state, number: c.number } },
      el("td", {}, el("b", { class: "case-number", text: c.number }),
        el("div", { text: itemName[c.item] || c.item }), el("small", { class: "muted", text: when(c.served_at) })),
      el("td", {}, el("div", { text: counterName[c.counter] || `${c.counter}号窗口` }),
        el("div", { text: c.staff_name || staffName[c.staff] || c.staff })),
      el("td", {}, rating),
      el("td", {}, state),
      el("td", {}, record(c)),
      el("td", {}, actionsCell(c)));
  }

  async function loadCases() {
    const query = new URLSearchParams();
    if ($("case-state").value) query.set("state", $("case-state").value);
    if ($("only-overdue").checked) query.set("overdue", "true");
    const r = await Manage.api("GET", `/api/halls/${hall}/rating-cases?${query}`);
    if (!r.ok) { Hall.toast(Manage.refusal(r), true); return; }
    $("cases").querySelector("tbody").replaceChildren(...r.data.map(caseRow));
    const late = r.data.filter((c) => c.overdue).length;
    $("cases-summary").textContent = `共 ${r.data.length} 件` + (late ? `，超期 ${late} 件` : "");
    $("no-cases").hidden = r.data.length > 0;
  }

  // ---- statistics

  function keyText(by, key) {
    if (by === "counter") return counterName[key] || `${key}号窗口`;
    if (by === "staff") return staffName[key] ? `${staffName[key]} · ${key}` : key;
    if (by === "item") return itemName[key] ? `${itemName[key]} · ${key}` : key;
    return key;
  }

  function statsRow(by, s, total) {
    const head = total ? el("th", { scope: "row", text: "合计" }) : el("th", { scope: "row", text: keyText(by, s.key) });
    return el("tr", { dataset: { key: total ? "" : s.key } }, head,
      el("td", { class: "num", text: String(s.ratings) }),
      ...config.levels.map((l) => el("td", { class: "num", text: String(s.levels[l.value] || 0) })),
      el("td", { class: "num", text: s.score === null ? "—" : s.score.toFixed(2) }),
      el("td", { class: "num" + (s.bad_share ? " bad" : ""), text: percent(s.bad_share) }),
      el("td", { class: "num", text: String(s.real_name_bad) }),
      el("td", { class: "num", text: String(s.real_name_bad_replied) }),
      el("td", { class: "num", text: percent(s.reply_rate) }));
  }

  function totals(list) {
    const ratings = list.reduce((n, s) => n + s.ratings, 0);
    const levels = {};
    config.levels.forEach((l) => { levels[l.value] = list.reduce((n, s) => n + (s.levels[l.value] || 0), 0); });
    const bad = config.levels.filter((l) => l.bad).reduce((n, l) => n + levels[l.value], 0);
    const real = list.reduce((n, s) => n + s.real_name_bad, 0);
    const replied = list.reduce((n, s) => n + s.real_name_bad_replied, 0);
    const scoreSum = list.reduce((n, s) => n + (s.score || 0) * s.ratings, 0);
    return {
      ratings, levels, score: ratings ? scoreSum / ratings : null, bad_share: ratings ? bad / ratings : null,
      real_name_bad: real, real_name_bad_replied: replied, reply_rate: real ? replied / real : null,
    };
  }

  async function loadStats() {
    const by = $("stats-by").value;
    const query = new URLSearchParams({ by, from: $("from").value, to: $("to").value });
    const r = await Manage.api("GET", `/api/halls/${hall}/ratings/stats?${query}`);
    const table = $("stats");
    if (!r.ok) { table.querySelector("tbody").replaceChildren(); Hall.toast(Manage.refusal(r), true); return; }
    $("stats-key").textContent = keyNames[by];
    table.querySelector("tbody").replaceChildren(...r.data.map((s) => statsRow(by, s, false)));
    table.querySelector("tfoot").replaceChildren(...(r.data.length > 1 ? [statsRow(by, totals(r.data), true)] : []));
    $("no-stats").hidden = r.data.length > 0;
  }

  $("case-state").addEventListener("change", loadCases);
  $("only-overdue").addEventListener("change", loadCases);
  $("refresh-cases").addEventListener("click", loadCases);
  $("stats-by").addEventListener("change", loadStats);
  $("show-stats").addEventListener("click", loadStats);

  Manage.start(config, async () => {
    await loadCases();
    await loadStats();
  });
})();
