// 审计日志: the audit trail searched (GET /api/halls/{hall}/audit), newest first, a page at a
// time. Personal data arrives masked by the server; it is shown as text, never as markup.
"use strict";

(function () {
  const config = window.MANAGE;
  const { hall, zone } = config;
  const $ = (id) => document.getElementById(id);
  const el = Manage.el;
  const staffName = Object.fromEntries(config.staff.map((s) => [s.username, s.name]));
  const kinds = { staff: "工作人员", device: "设备", citizen: "群众", command: "命令行", system: "系统" };
  const PAGE = 50;
  let before = null;

  const when = (iso) => new Date(iso).toLocaleString("zh-CN", {
    timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });

  function who(e) {
    const name = e.actor_kind === "staff" && staffName[e.actor] ? `${staffName[e.actor]}（${e.actor}）` : e.actor;
    return el("span", {}, name || "—", el("small", { class: "muted", text: ` ${kinds[e.actor_kind] || e.actor_kind}` }));
  }

  function row(e) {
    const details = Object.keys(e.details || {}).length ? JSON.stringify(e.details) : "";
    return el("tr", { dataset: { id: String(e.id) } },
      el("td", { text: when(e.at) }),
      el("td", {}, who(e)),
      el("td", { text: e.address || "—" }),
      el("td", { class: "action", text: e.action }),
      el("td", { text: e.target || "" }),
      el("td", { class: e.outcome === "ok" ? "ok" : "refused", text: e.outcome === "ok" ? "成功 ok" : e.outcome }),
      el("td", { class: "details" }, el("code", { text: details })));
  }

  async function search(more) {
    const query = new URLSearchParams({ limit: String(PAGE) });
    [["actor", "audit-actor"], ["action", "audit-action"], ["outcome", "audit-outcome"],
      ["since", "audit-since"], ["until", "audit-until"]].forEach(([name, id]) => {
      const value = $(id).value.trim();
      if (value) query.set(name, value);
    });
    if (more && before) query.set("before", String(before));
    const r = await Manage.api("GET", `/api/halls/${hall}/audit?${query}`);
    const body = $("audit").querySelector("tbody");
    if (!r.ok) { Hall.toast(Manage.refusal(r), true); return; }
    const rows = r.data.entries.map(row);
    if (more) body.append(...rows); else body.replaceChildren(...rows);
    before = r.data.next_before;
    $("audit-more").hidden = before === null || before === undefined;
    $("no-audit").hidden = body.children.length > 0;
    $("audit-summary").textContent = `${body.children.length} 条 entries`;
  }

  $("audit-search").addEventListener("submit", (e) => { e.preventDefault(); search(false); });
  $("audit-more").addEventListener("click", () => search(true));

  Manage.start(config, () => search(false));
})();
