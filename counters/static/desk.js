// The service desk (服务台/导办台): find a ticket by its number and see what became of it,
// put a no-show back in line, cancel, print a slip again, issue a ticket (green channel or
// ordinary) for someone, check a booking in. Staff only; every action goes to the API.
"use strict";

(function () {
  const { hall, zone } = window.DESK;
  const $ = (id) => document.getElementById(id);
  // Where slips print: a ticket machine's printer, chosen once on this PC (the reception's, if any).
  const printerKey = "desk-printer:" + hall;
  const machines = [...$("printer").options].map((o) => o.value);
  const kept = localStorage.getItem(printerKey);
  $("printer").value = machines.includes(kept) ? kept : (machines.includes("reception") ? "reception" : machines[0] || "");
  $("printer").addEventListener("change", () => localStorage.setItem(printerKey, $("printer").value));
  const printer = () => $("printer").value;
  const staff = Hall.staffSession(hall);
  let session = staff.current();
  let found = null;  // the ticket on screen
  const labels = { waiting: "等候中", called: "已叫号", serving: "办理中", suspended: "已挂起",
    no_show: "已过号", completed: "已办结", cancelled: "已取消", expired: "已过期" };

  function show(signedIn) {
    $("login").hidden = signedIn;
    $("work").hidden = !signedIn;
    $("logout").hidden = !signedIn;
    $("who").textContent = signedIn ? session.name : "";
  }
  const say = (id, text) => { $(id).textContent = text || ""; $(id).hidden = !text; };
  async function api(method, path, body) {
    const r = await Hall.api(method, path, body, session.token);
    if (r.status === 401) { signOut(false); }
    return r;
  }

  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await staff.signIn(new FormData(e.target));
    if (!r.ok) { Hall.toast(Hall.message(r), true); return; }
    session = r.data;
    e.target.reset();
    show(true);
  });
  function signOut(end = true) {  // end: 退出登录 ends the token; a token refused already is only forgotten
    staff.signOut(end);
    session = null;
    show(false);
  }
  $("logout").addEventListener("click", () => signOut());

  // ---- find a ticket and what became of it
  async function find(number) {
    say("find-error", "");
    const r = await api("GET", `/api/halls/${hall}/tickets?number=${encodeURIComponent(number.trim())}&limit=1`);
    if (!r.ok || !r.data.length) {  // nothing on screen to act on by mistake
      found = null;
      $("found").hidden = true;
      say("find-error", r.ok ? `今日没有 ${number.trim().toUpperCase()} 号 · No such ticket today` : Hall.message(r));
      return;
    }
    found = r.data[0];
    const history = await api("GET", `/api/halls/${hall}/tickets/${found.id}/history`);
    render(history.ok ? history.data : []);
    if (!history.ok) say("find-error", "经过未能读取：" + Hall.message(history));
    $("f-booking").hidden = true;
    if (found.priority === "appointment") {  // who booked it: the person, or an agent for them (代办)
      const b = await api("GET", `/api/halls/${hall}/appointments/by-ticket/${encodeURIComponent(found.id)}`);
      if (b.ok && found && found.id === b.data.ticket_id) {
        $("f-booking").textContent = bookingWords(b.data);
        $("f-booking").hidden = false;
      }
    }
  }
  // 预约码 ABCD2345 · 张* · 护照 E1*****78 · 代办 李* 139****0002
  function bookingWords(b) {
    return [`预约码 ${b.code}`, b.name, `${b.document_name} ${b.id_number}`,
      b.agent_name ? `代办 ${b.agent_name} ${b.agent_phone}` : ""].filter(Boolean).join(" · ");
  }
  function render(steps) {
    const t = found;
    $("found").hidden = false;
    $("f-number").textContent = t.number;
    $("f-state").textContent = labels[t.state] || t.state;
    $("f-state").className = "badge " + t.state;
    $("f-item").textContent = t.item_name + (t.priority === "green" ? " · 绿色通道" : t.priority === "appointment" ? " · 预约" : "");
    const facts = [`取号 ${Hall.time(t.issued_at, zone)}`];
    if (t.state === "waiting" && t.people_ahead !== null) {
      facts.push(`前面 ${t.people_ahead} 人`, Hall.waitWords(t.estimated_wait_minutes, t.opens_at, zone, t.estimated_wait_range).zh);
    }
    if (t.counter_name && t.state !== "waiting") facts.push(t.counter_name);
    $("f-facts").textContent = facts.join(" · ");
    const can = {
      reinstate: t.state === "no_show",
      cancel: ["waiting", "no_show", "suspended"].includes(t.state),
      print: ["waiting", "no_show", "suspended"].includes(t.state) && !!printer(),
    };
    document.querySelectorAll("[data-act]").forEach((b) => { b.disabled = !can[b.dataset.act]; });
    $("move-form").hidden = t.state !== "waiting";  // only a waiting ticket is moved
    if ($("move-form").dataset.ticket !== t.id) $("move-form").reset();  // nothing chosen for another
    $("move-form").dataset.ticket = t.id;
    $("f-history").replaceChildren(...steps.map((step) => {
      const li = document.createElement("li");
      li.textContent = `${Hall.time(step.at, zone)} ${step.label}` + (step.counter ? ` · ${step.counter}号窗口` : "") +
        (step.actor ? ` · ${step.actor}` : "") + (step.note ? ` · ${step.note}` : "");
      return li;
    }));
  }
  $("find-form").addEventListener("submit", (e) => { e.preventDefault(); find($("find-number").value); });

  const ACTIONS = {
    reinstate: { ask: (t) => `恢复 ${t.number} 号排队？`, run: (t) => api("POST", `/api/halls/${hall}/tickets/${t.id}/reinstate`), done: "已恢复排队" },
    cancel: { ask: (t) => `取消 ${t.number} 号？取消后不能恢复。`, run: (t) => api("POST", `/api/halls/${hall}/tickets/${t.id}/cancel`), done: "已取消" },
    print: { ask: null, run: (t) => api("POST", `/api/halls/${hall}/tickets/${t.id}/print`, { device: printer() }), done: "已发送打印" },
  };
  document.querySelectorAll("[data-act]").forEach((button) => button.addEventListener("click", async () => {
    const action = ACTIONS[button.dataset.act];
    if (!found) return;
    if (action.ask && !(await Hall.confirm(action.ask(found)))) return;
    const r = await action.run(found);
    if (!r.ok) { say("find-error", Hall.message(r)); return; }
    Hall.toast(`${found.number} ${action.done}`);
    await find(found.number);
  }));

  // ---- 改派: a waiting ticket to another item's line or to one counter, in its place
  $("move-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const t = found;  // the ticket on screen now, whatever is found while the request runs
    if (!t) return;
    const form = new FormData(e.target);
    const body = { note: form.get("note").trim() };
    if (form.get("item")) body.item = form.get("item");
    if (form.get("to_counter")) body.to_counter = Number(form.get("to_counter"));
    const r = await api("POST", `/api/halls/${hall}/tickets/${t.id}/move`, body);
    if (!r.ok) { say("find-error", Hall.message(r)); return; }
    Hall.toast(`${t.number} 已改派`);
    e.target.reset();
    await find(t.number);
  });

  // ---- a ticket for someone (the green channel is issued here, not at the kiosk)
  // One key per filled-in form: a double click or a retry is the same ticket, not a second one.
  let issueKey = null;
  $("issue-form").addEventListener("input", () => { issueKey = null; });
  $("issue-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if ($("issue-submit").disabled) return;
    say("issue-error", "");
    const form = new FormData(e.target);
    issueKey = issueKey || Hall.newKey();
    const body = { item: form.get("item"), idempotency_key: issueKey };
    if (form.get("green")) body.priority = "green";
    $("issue-submit").disabled = true;
    let r;
    try { r = await api("POST", `/api/halls/${hall}/tickets`, body); } finally { $("issue-submit").disabled = false; }
    if (!r.ok) { say("issue-error", Hall.message(r)); return; }
    issueKey = null;
    const t = r.data;
    let printed = "";
    if (printer()) {
      const p = await api("POST", `/api/halls/${hall}/tickets/${t.id}/print`, { device: printer() });
      printed = p.ok ? "，凭条已发送打印" : `，未能打印（${Hall.message(p)}）`;
    }
    $("issued").textContent = `${t.number} · ${t.item_name}${t.priority === "green" ? " · 绿色通道" : ""} · 前面 ${t.people_ahead ?? "-"} 人${printed}`;
    $("issued").hidden = false;
    e.target.reset();
  });

  // ---- a booking checked in for someone (a code, or an 18-character card's number)
  $("checkin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say("checkin-error", "");
    const text = new FormData(e.target).get("code").trim();
    const body = /^\d{17}[\dXx]$/.test(text) ? { id_number: text.toUpperCase() } : { code: text };
    const r = await api("POST", `/api/halls/${hall}/appointments/check-in`, body);
    if (!r.ok) { say("checkin-error", Hall.message(r)); return; }
    const t = r.data.ticket;
    $("checked").textContent = `${t.number} · ${t.item_name}${r.data.late ? " · 已超过签到时间，按现场号办理" : " · 签到成功"}` +
      ` · ${bookingWords(r.data.booking)}`;
    $("checked").hidden = false;
    e.target.reset();
  });

  show(!!session);
})();
