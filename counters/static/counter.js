// The counter's virtual caller (虚拟叫号器). The server decides; this page shows the
// counter as it is and sends what the clerk presses, with the ticket it showed, so a
// stale screen can never complete someone else's ticket.
"use strict";

(function () {
  const { hall, zone, number, maxRecalls, graceMinutes, heartbeat } = window.COUNTER;
  const base = `/api/halls/${hall}/counters/${number}`;
  const tokenKey = "staff-token:" + hall;
  let session = JSON.parse(localStorage.getItem(tokenKey) || "null");
  let view = null;
  let busy = false;
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
    const form = new FormData(e.target);
    const r = await Hall.api("POST", "/api/auth/login",
      { hall, username: form.get("username"), password: form.get("password") });
    if (!r.ok) { Hall.toast(Hall.message(r), true); return; }
    session = r.data;
    localStorage.setItem(tokenKey, JSON.stringify(session));
    e.target.reset();
    start();
  });
  function signOut() {
    localStorage.removeItem(tokenKey);
    session = null;
    stopAlerts();
    showLogin(true);
  }
  $("logout").addEventListener("click", signOut);

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
    if (r.status === 401) signOut();
    if (!r.ok) Hall.toast(Hall.message(r), true);
    return r;
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
    "no-show": () => act("no-show", { ticket: current() }),
    suspend: () => act("suspend", { ticket: current() }),
    transfer: () => {
      $("transfer-number").textContent = view.current ? view.current.number : "";
      $("transfer-dialog").showModal();
    },
    "sign-in": () => act("sign-in"),
    "sign-out": () => act("sign-out"),
    open: () => act("open"),
    pause: () => act("pause", { reason: "" }),
    close: () => act("close"),
  };

  $("transfer-form").addEventListener("submit", async (e) => {
    const choice = e.submitter ? e.submitter.value : "cancel";
    if (choice !== "ok") return;
    const form = new FormData(e.target);
    const body = { ticket: current() };
    if (form.get("item")) body.item = form.get("item");
    if (form.get("counter")) body.counter = Number(form.get("counter"));
    const r = await act("transfer", body);
    if (r.ok) Hall.toast("已转移 Transferred");
    await refresh();
  });

  document.querySelectorAll("[data-do]").forEach((button) => button.addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    try { await handlers[button.dataset.do](); } finally {
      busy = false;
      await refresh();
      if (session && button.dataset.do === "no-show") await refreshMissed();  // show its 恢复 button now
    }
  }));

  function render() {
    const me = session ? session.username : null;
    const badge = $("state-badge");
    badge.textContent = labels[view.state] + (view.pause_reason === "signed_out" ? "（无人）" : "");
    badge.className = "badge " + view.state;
    $("who").textContent = view.staff ? `签到：${view.staff_name || view.staff}` : "未签到";
    const cur = view.current;
    $("cur-number").textContent = cur ? cur.number : "—";
    $("cur-item").textContent = cur ? cur.item_name : "";
    $("cur-meta").textContent = cur
      ? `${ticketLabels[cur.state] || cur.state} · 叫号 ${Hall.time(cur.called_at, zone)} · 重呼 ${cur.recalls}/${maxRecalls}`
      : "";
    $("waiting").textContent = view.waiting;
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
      transfer: mine && !!cur,
      "sign-in": !view.staff,
      "sign-out": view.staff === me || (mine && !!view.staff),
      open: mine && view.state !== "open",
      pause: mine && isOpen,
      close: mine && view.state !== "closed" && !cur,
    };
    document.querySelectorAll("[data-do]").forEach((b) => { b.disabled = !enable[b.dataset.do]; });

    const suspended = $("suspended");
    suspended.replaceChildren(...view.suspended.map((t) => row(t, "恢复办理", () => act("resume", { ticket: t.number }))));
    $("suspended-box").hidden = view.suspended.length === 0;
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

  async function refresh() {
    if (!session) return;
    const r = await Hall.api("GET", base);
    if (!r.ok) { Hall.toast(Hall.message(r), true); return; }
    view = r.data;
    render();
  }

  let timers = [];
  function start() {
    showLogin(false);
    $("who").textContent = session.name;
    timers.forEach(clearInterval);
    refresh();
    refreshMissed();
    timers = [setInterval(refresh, 2000), setInterval(refreshMissed, 10000)];
    watchAlerts();
  }

  if (session && new Date(session.expires_at) > new Date()) start();
  else showLogin(true);
})();
