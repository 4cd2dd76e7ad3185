// The counter's virtual caller (虚拟叫号器). The server decides; this page shows the
// counter as it is and sends what the clerk presses, with the ticket it showed, so a
// stale screen can never complete someone else's ticket.
"use strict";

(function () {
  const { hall, zone, number, maxRecalls, graceMinutes, heartbeat } = window.COUNTER;
  const base = `/api/halls/${hall}/counters/${number}`;
  const staff = Hall.staffSession(hall);  // one sign-in serves a manager on every page
  let session = staff.current();
  let view = null;  // the counter (CounterView)
  let desk = null;  // the clerk's view: current ticket in full, who is next, the other counters
  let busy = false;
  let rendered = 0;  // renders so far: a press knows whether its answer was shown
  let alerts = null;  // the hall channel, for 空岗提醒 while someone is signed in

  const $ = (id) => document.getElementById(id);
  const labels = { closed: "已关闭", open: "服务中", paused: "暂停服务" };
  const ticketLabels = { called: "已叫号", serving: "办理中" };

  function showLogin(yes) {
    $("login").hidden = !yes;
    $("desk").hidden = yes;
    $("logout").hidden = yes;
  }

  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await staff.signIn(new FormData(e.target));
    if (!r.ok) { Hall.toast(Hall.message(r), true); return; }
    session = r.data;
    e.target.reset();
    start();
  });
  function signOut(end = true) {  // end: 退出登录 ends the token; a token refused already is only forgotten
    staff.signOut(end);
    session = null;
    stopAlerts();
    showLogin(true);
  }
  $("logout").addEventListener("click", () => signOut());

  // 空岗提醒: the B person of an empty post is asked to cover it (a manager sees every alert).
  function watchAlerts() {
    stopAlerts();
    const me = session;
    alerts = PostAlerts.watch({
      hall, zone, heartbeat, token: me.token, box: $("post-alerts"),
      concerns: (alert) => alert.b === me.username || me.role === "manager" || me.role === "admin",
    });
  }
  function stopAlerts() {
    if (alerts) alerts.stop();
    alerts = null;
  }

  async function act(path, body) {
    const r = await Hall.api("POST", `${base}/${path}`, body, session.token);
    if (r.status === 401) signOut(false);
    if (!r.ok) Hall.toast(Hall.message(r), true);
    return r;
  }

  // What the clerk should know about a ticket at a glance: its class, and where it came from.
  const CLASSES = { green: ["绿色通道", "green"], appointment: ["预约", "appointment"] };
  function marks(t) {
    const out = [];
    if (CLASSES[t.priority]) {
      const [text, css] = CLASSES[t.priority];
      out.push([t.priority === "appointment" && t.appointment_slot ? `${text} ${Hall.time(t.appointment_slot, zone)}` : text, css]);
    }
    if (booked.get(bookedKey(t))) out.push([booked.get(bookedKey(t)), "appointment"]);
    if (t.transferred_from) out.push([`转自${t.transferred_from}号窗口`, "transferred"]);
    if (t.reinstated) out.push(["过号重排", "reinstated"]);
    if (t.overdue) out.push(["超时优先", "overdue"]);
    return out.map(([text, css]) => {
      const span = document.createElement("span");
      span.className = "mark " + css;
      span.textContent = text;
      return span;
    });
  }
  // The current appointment's booking, asked once per ticket: the document to see (护照…) and
  // who booked it for the person (代办), masked. The clerk's view has no ticket ids (the slip's
  // credential): today's ticket of that number gives it, as at the service desk.
  const booked = new Map();  // number and issue time -> "护照 · 代办 王**", "" while asked or if none
  const bookedKey = (t) => `${t.number} ${t.issued_at}`;
  async function lookUpBooking(t) {
    if (!t || t.priority !== "appointment" || booked.has(bookedKey(t))) return;
    const key = bookedKey(t), token = session && session.token;
    booked.set(key, "");
    const found = await Hall.api("GET", `/api/halls/${hall}/tickets?number=${encodeURIComponent(t.number)}&limit=1`,
      undefined, token);
    const ticket = found.ok && found.data.find((f) => Date.parse(f.issued_at) === Date.parse(t.issued_at));
    if (!ticket) return;
    const r = await Hall.api("GET", `/api/halls/${hall}/appointments/by-ticket/${encodeURIComponent(ticket.id)}`,
      undefined, token);
    if (!r.ok) return;
    const b = r.data;
    booked.set(key, [b.document_kind !== "resident_id" ? b.document_name : "",
      b.agent_name ? `代办 ${b.agent_name} ${b.agent_phone}` : ""].filter(Boolean).join(" · "));
    if (desk && desk.current && bookedKey(desk.current) === key) render();
  }
  const minutesSince = (iso, until) => Math.max(0, Math.floor(((until ? new Date(until) : new Date()) - new Date(iso)) / 60000));
  function clockSince(iso) {
    const s = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  // The number on screen guards every action: a stale screen cannot act on another ticket.
  const current = () => (view && view.current ? view.current.number : null);

  const handlers = {
    "call-next": async () => {
      const r = await act("call-next");
      if (r.status === 204) Hall.toast("暂无等候的号 No one is waiting");
      else if (r.ok) Hall.toast(`请 ${r.data.number} 号到 ${number} 号窗口`);
    },
    "complete-next": async () => {
      if (current()) {
        const done = await act("complete", { ticket: current() });
        if (!done.ok) return;
      }
      await handlers["call-next"]();
    },
    recall: () => act("recall", { ticket: current() }),
    start: () => act("start", { ticket: current() }),
    complete: () => act("complete", { ticket: current() }),
    "no-show": async () => {
      const shown = current();  // the one asked about, even if the screen moves on meanwhile
      if (await Hall.confirm(`确认 ${shown} 号过号？ Mark ${shown} as a no-show?`)) await act("no-show", { ticket: shown });
    },
    suspend: () => act("suspend", { ticket: current() }),
    transfer: async () => {
      // The dialog opens at once, with the counters as last read (every 2 s); their states are
      // read again behind it. Waiting for that read first left a press on a slow network
      // looking swallowed, and the next press was dropped while it was busy.
      if (!view.current) return;
      $("transfer-number").textContent = view.current.number;
      $("transfer-form").reset();
      fillTransferCounters();
      $("transfer-dialog").showModal();
      await refresh();
      if ($("transfer-dialog").open) fillTransferCounters();
    },
    "sign-in": () => act("sign-in"),
    "sign-out": async () => {
      const own = view.staff === session.username;  // a manager signing a clerk out stays signed in
      const r = await act("sign-out");
      // The clerk leaving the PC: his sign-in here ends too, if he says so (签退 is not 退出登录).
      if (r.ok && own && await Hall.confirm("已签退。是否同时退出登录？ Signed out of the counter. Also sign out of this PC?")) {
        signOut();
      }
    },
    open: () => act("open"),
    pause: () => new Promise((resolve) => {
      const dialog = $("pause-dialog");
      $("pause-form").reset();
      dialog.onclose = async () => {
        if (dialog.returnValue === "ok") {
          const form = new FormData($("pause-form"));
          const body = { reason: form.get("reason") || "" };
          const back = Number(form.get("back") || 0);
          if (back) body.back_in_minutes = back;
          await act("pause", body);
        }
        resolve();
      };
      dialog.returnValue = "";  // Esc keeps the last value: it must not pause
      dialog.showModal();
    }),
    close: async () => {
      if (await Hall.confirm(`确认关闭${number}号窗口？ Close counter ${number}?`)) await act("close");
    },
  };

  // Only an open counter can take a ticket now; the others are listed, not offered. A choice
  // already made stays chosen while it is still open.
  function fillTransferCounters() {
    const select = $("transfer-counter");
    const chosen = select.value;
    select.replaceChildren(select.options[0]);
    for (const c of desk.counters) {
      const option = new Option(`${c.name}（${labels[c.state]}）`, c.number);
      option.disabled = c.state !== "open";
      select.add(option);
    }
    const still = [...select.options].find((o) => o.value === chosen && !o.disabled);
    select.value = still ? chosen : "";
  }

  $("transfer-form").addEventListener("submit", async (e) => {
    const choice = e.submitter ? e.submitter.value : "cancel";
    if (choice !== "ok") return;
    const form = new FormData(e.target);
    const body = { ticket: current() };
    if (form.get("item")) body.item = form.get("item");
    if (form.get("counter")) body.counter = Number(form.get("counter"));
    if (form.get("note").trim()) body.note = form.get("note").trim();
    const r = await act("transfer", body);
    if (r.ok) Hall.toast("已转移 Transferred");
    await refresh();
  });

  document.querySelectorAll("[data-do]").forEach((button) => button.addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    // While a press is on its way the buttons wait, greyed: a second press (暂停 right after
    // 办结) was swallowed unseen. The answer's render sets them again; if none comes, as they were.
    const enabled = [...document.querySelectorAll("[data-do]")].filter((b) => !b.disabled);
    enabled.forEach((b) => { b.disabled = true; });
    const renders = rendered;
    try { await handlers[button.dataset.do](); } finally {
      busy = false;
      await refresh();
      if (rendered === renders) enabled.forEach((b) => { b.disabled = false; });
      if (session && button.dataset.do === "no-show") await refreshMissed();  // show its 恢复 button now
    }
  }));

  function render() {
    rendered += 1;
    const me = session ? session.username : null;
    const badge = $("state-badge");
    badge.textContent = labels[view.state] + (view.pause_reason === "signed_out" ? "（无人）" : "");
    badge.className = "badge " + view.state;
    $("who").textContent = view.staff ? `签到：${view.staff_name || view.staff}` : "未签到";
    const cur = view.current;
    const full = desk && desk.current;
    $("cur-number").textContent = cur ? cur.number : "—";
    $("cur-item").textContent = cur ? cur.item_name : "";
    $("cur-marks").replaceChildren(...(full ? marks(full) : []));
    lookUpBooking(full);
    $("cur-meta").textContent = cur
      ? `${ticketLabels[cur.state] || cur.state} · 叫号 ${Hall.time(cur.called_at, zone)} · 重呼 ${cur.recalls}/${maxRecalls}`
      : "";
    $("cur-times").hidden = !full;
    if (full) $("cur-waited").textContent = `${minutesSince(full.waiting_since, full.called_at)} 分钟`;
    tick();
    $("cur-note").hidden = !(full && full.transfer_note);
    $("cur-note").textContent = full && full.transfer_note ? `转办说明：${full.transfer_note}` : "";
    $("waiting").textContent = desk ? desk.waiting : view.waiting;
    const mine = view.staff === me || (session && (session.role === "manager" || session.role === "admin"));
    const isOpen = view.state === "open";
    const enable = {
      "call-next": mine && isOpen && !cur,
      "complete-next": mine && isOpen,
      recall: mine && cur && cur.state === "called" && cur.recalls < maxRecalls,
      start: mine && cur && cur.state === "called",
      complete: mine && !!cur,
      "no-show": mine && cur && cur.state === "called",
      suspend: mine && !!cur,
      transfer: mine && !!cur && !!desk,
      "sign-in": !view.staff,
      "sign-out": view.staff === me || (mine && !!view.staff),
      open: mine && view.state !== "open",
      pause: mine && isOpen,
      close: mine && view.state !== "closed" && !cur,
    };
    document.querySelectorAll("[data-do]").forEach((b) => { b.disabled = !enable[b.dataset.do]; });

    // Whom this counter would call next, in that order; any of them can be called by name (指定叫号).
    const canCall = mine && isOpen && !cur;
    const rows = (desk ? desk.next_up : []).map((t) => {
      const tr = document.createElement("tr");
      const numberCell = document.createElement("td");
      numberCell.className = "nu-number";
      numberCell.textContent = t.number;
      const what = document.createElement("td");
      what.append(document.createTextNode(t.item_name + " "), ...marks(t));
      if (t.transfer_note) {
        const note = document.createElement("div");
        note.className = "nu-note";
        note.textContent = t.transfer_note;
        what.append(note);
      }
      const waited = document.createElement("td");
      waited.textContent = `${minutesSince(t.waiting_since)} 分`;
      const action = document.createElement("td");
      const button = document.createElement("button");
      button.className = "btn secondary small";
      button.textContent = "叫此号";
      button.setAttribute("aria-label", `叫此号 ${t.number}`);  // 指定叫号, its visible words first
      button.disabled = !canCall;
      button.addEventListener("click", async () => {
        if (busy) return;
        busy = true;
        try {
          const r = await act("call", { ticket: t.number });
          if (r.ok) Hall.toast(`请 ${t.number} 号到 ${number} 号窗口`);
        } finally { busy = false; await refresh(); }
      });
      action.append(button);
      tr.append(numberCell, what, waited, action);
      return tr;
    });
    $("next-up").replaceChildren(...rows);
    $("next-up-table").hidden = rows.length === 0;
    $("next-up-empty").hidden = rows.length !== 0;

    const suspended = $("suspended");
    suspended.replaceChildren(...view.suspended.map((t) => row(t, "恢复办理", () => act("resume", { ticket: t.number }))));
    $("suspended-box").hidden = view.suspended.length === 0;
  }

  // The service timer: from the call (or the start of service), every second.
  function tick() {
    const full = desk && desk.current;
    if (full) $("cur-timer").textContent = clockSince(full.started_at || full.called_at);
  }

  function row(ticket, label, onClick) {
    const li = document.createElement("li");
    const text = document.createElement("span");
    text.textContent = `${ticket.number} · ${ticket.item_name}`;
    const button = document.createElement("button");
    button.className = "btn secondary";
    button.style.minHeight = "44px";
    button.style.padding = "8px 14px";
    button.textContent = label;
    button.addEventListener("click", async () => { await onClick(); await refresh(); });
    li.append(text, button);
    return li;
  }

  async function refreshMissed() {
    const r = await Hall.api("GET", `/api/halls/${hall}/tickets?state=no_show&counter=${number}`, undefined, session.token);
    if (!r.ok) return;
    const fresh = r.data.filter((t) => Date.now() - new Date(t.missed_at).getTime() < graceMinutes * 60000);
    $("missed").replaceChildren(...fresh.map((t) => row(t, "恢复 Reinstate", async () => {
      const res = await Hall.api("POST", `/api/halls/${hall}/tickets/${t.id}/reinstate`, undefined, session.token);
      Hall.toast(res.ok ? `${t.number} 已恢复排队` : Hall.message(res), !res.ok);
      await refreshMissed();
    })));
    $("missed-box").hidden = fresh.length === 0;
  }

  // One read of the desk at a time (Hall.serial): the 2-second reads never pile up behind a press.
  const refresh = Hall.serial(async () => {
    if (!session) return;
    const r = await Hall.api("GET", `${base}/desk`, undefined, session.token);
    if (r.status === 401) { signOut(false); return; }
    if (!r.ok) { Hall.toast(Hall.message(r), true); return; }
    if (!session) return;  // signed out while it was on its way
    desk = r.data;
    view = desk.counter;
    render();
  });

  let timers = [];
  function start() {
    showLogin(false);
    $("who").textContent = session.name;
    timers.forEach(clearInterval);
    refresh();
    refreshMissed();
    timers = [setInterval(refresh, 2000), setInterval(refreshMissed, 10000), setInterval(tick, 1000)];
    watchAlerts();
  }

  if (session) start();
  else showLogin(true);
})();
