// The ticket machine: tap an item, get a number. A double tap or a retry reuses the
// same idempotency key, so it never prints two tickets for one person.
"use strict";

(function () {
  const { hall, zone } = window.KIOSK;
  const tokenKey = "kiosk-token:" + hall;
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    localStorage.setItem(tokenKey, fromHash);
    history.replaceState(null, "", location.pathname);  // keep the token out of sight
  }
  const token = localStorage.getItem(tokenKey);
  document.getElementById("setup").hidden = !!token;
  Hall.startClock(document.getElementById("clock"), zone);

  // Tabs
  const tabs = document.querySelectorAll("[data-tab]");
  tabs.forEach((tab) => tab.addEventListener("click", () => {
    tabs.forEach((t) => t.setAttribute("aria-selected", t === tab ? "true" : "false"));
    document.querySelectorAll("[data-panel]").forEach((p) => { p.hidden = p.dataset.panel !== tab.dataset.tab; });
  }));

  // Green channel
  const green = document.getElementById("green");
  if (green) green.addEventListener("click", () => {
    green.setAttribute("aria-pressed", green.getAttribute("aria-pressed") === "true" ? "false" : "true");
  });

  // Issuing
  let pending = null;  // {item, key}: one request in flight, one key per tap
  const overlay = document.getElementById("result");
  let closeTimer = null;

  async function issue(button) {
    if (!token) { Hall.toast("本机尚未配置设备令牌，请联系工作人员", true); return; }
    const item = button.dataset.item;
    if (pending) return;  // a second tap while the first is on its way
    const priority = green && green.getAttribute("aria-pressed") === "true" ? "green" : null;
    pending = { item, key: Hall.newKey() };
    document.querySelectorAll(".item-btn").forEach((b) => { b.disabled = true; });
    try {
      let result;
      for (let attempt = 0; attempt < 3; attempt++) {  // retries reuse the key: still one ticket
        result = await Hall.api("POST", `/api/halls/${hall}/tickets`,
          { item, priority, idempotency_key: pending.key }, token);
        if (result.status !== 0 && result.status < 500) break;
        await new Promise((r) => setTimeout(r, 800));
      }
      if (result.ok) show(result.data);
      else if (result.status === 401) Hall.toast("本机设备令牌无效，请联系工作人员", true);  // not "please sign in"
      else Hall.toast(Hall.message(result), true);
    } finally {
      pending = null;
      document.querySelectorAll(".item-btn").forEach((b) => { b.disabled = false; });
      if (green) green.setAttribute("aria-pressed", "false");
    }
  }

  // ``checkIn``: the line a checked-in booking adds ({text, late}); none for a ticket taken here.
  function show(ticket, checkIn) {
    const note = document.getElementById("result-checkin");
    note.hidden = !checkIn;
    note.textContent = checkIn ? checkIn.text : "";
    note.classList.toggle("late", !!(checkIn && checkIn.late));
    document.getElementById("result-number").textContent = ticket.number;
    document.getElementById("result-item").textContent = ticket.item_name;
    document.getElementById("result-ahead").textContent = ticket.people_ahead ?? "-";
    document.getElementById("result-wait").textContent = ticket.estimated_wait_minutes ?? "-";
    document.getElementById("result-green").hidden = ticket.priority !== "green";
    document.getElementById("result-time").textContent =
      "取号时间 " + new Date(ticket.issued_at).toLocaleString("zh-CN", { timeZone: zone });
    const link = `${location.origin}/halls/${hall}/tickets/${ticket.id}`;
    const a = document.createElement("a");
    a.href = link; a.textContent = link;
    document.getElementById("result-link").replaceChildren(a);
    document.getElementById("result-qr").src = `/halls/${hall}/tickets/${ticket.id}/qr.svg`;
    shown = ticket;
    overlay.classList.add("show");
    stayOpen(20000);
    follow(ticket.print_job);
  }

  // The slip: the ticket exists whatever the printer does; if it fails, the number and its
  // QR code stay on screen longer and the citizen can print again.
  let shown = null;
  const printState = document.getElementById("result-print");
  const reprint = document.getElementById("result-reprint");
  const FAULTS = { offline: "打印机未连接", paper_out: "打印机缺纸", error: "打印机故障" };

  function stayOpen(ms) { clearTimeout(closeTimer); closeTimer = setTimeout(close, ms); }

  async function follow(job) {
    reprint.hidden = true;
    printState.hidden = !job;
    if (!job) return;
    const ticket = shown;
    printState.className = "print-state";
    printState.textContent = "正在打印凭条… Printing your slip…";
    const result = await Hall.api("GET", `/api/halls/${hall}/print-jobs/${job.id}?wait=8`, undefined, token);
    if (shown !== ticket) return;  // the next citizen's ticket is on screen by now
    const state = result.ok ? result.data.state : "unknown";
    if (state === "printed") {
      printState.classList.add("ok");
      printState.textContent = "请取走凭条 Please take your slip";
      return;
    }
    printState.classList.add("bad");
    if (state === "queued" || state === "sent") {
      printState.textContent = "凭条尚未打出，请记下号码或扫码 Slip not printed yet: note your number or scan the code";
    } else {
      const why = (result.ok && FAULTS[result.data.fault]) || "未能打印";
      printState.textContent = `${why}，请记下号码或扫码 Could not print your slip: note your number or scan the code`;
    }
    reprint.hidden = false;
    stayOpen(60000);
  }

  reprint.addEventListener("click", async () => {
    if (!shown) return;
    reprint.disabled = true;
    try {
      const result = await Hall.api("POST", `/api/halls/${hall}/tickets/${shown.id}/print`, undefined, token);
      if (result.ok) follow(result.data);
      else Hall.toast(Hall.message(result), true);
    } finally {
      reprint.disabled = false;
    }
  });

  function close() { overlay.classList.remove("show"); shown = null; refresh(); }
  document.getElementById("result-close").addEventListener("click", close);
  document.querySelectorAll(".item-btn").forEach((b) => b.addEventListener("click", () => issue(b)));

  // 预约签到: a booking's code, its QR code's link (a scanner types it), or the ID number.
  // Not retried on its own: a check-in that went through answers "already checked in" the second time.
  const checkin = document.getElementById("checkin");
  if (checkin) {
    const form = document.getElementById("checkin-form");
    const input = document.getElementById("checkin-input");
    const submit = document.getElementById("checkin-submit");
    let idleTimer = null;
    const idle = () => { clearTimeout(idleTimer); idleTimer = setTimeout(closeCheckin, 60000); };
    function openCheckin(typed) {
      if (!token) { Hall.toast("本机尚未配置设备令牌，请联系工作人员", true); return; }
      if (overlay.classList.contains("show")) { clearTimeout(closeTimer); close(); }
      input.value = typed || "";
      checkin.classList.add("show");
      input.focus();
      idle();
    }
    function closeCheckin() {
      clearTimeout(idleTimer);
      checkin.classList.remove("show");
      input.value = "";
    }
    document.getElementById("checkin-open").addEventListener("click", () => openCheckin());
    document.getElementById("checkin-close").addEventListener("click", closeCheckin);
    input.addEventListener("input", idle);
    // A scanner types into whatever has the focus: with the panel closed, its first key opens it.
    document.addEventListener("keydown", (event) => {
      if (checkin.classList.contains("show") || event.key.length !== 1 || event.key === " " || event.ctrlKey || event.altKey || event.metaKey) return;
      if (event.target instanceof HTMLInputElement) return;
      event.preventDefault();
      openCheckin(event.key);
    });

    let checking = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) { Hall.toast("请输入预约码或身份证号", true); input.focus(); return; }
      if (checking) return;
      const body = /^\d{17}[\dXx]$/.test(text) ? { id_number: text.toUpperCase() } : { code: text };
      checking = true;
      submit.disabled = true;
      try {
        const result = await Hall.api("POST", `/api/halls/${hall}/appointments/check-in`, body, token);
        if (result.ok) {
          closeCheckin();
          const toast = document.getElementById("toast");  // an earlier refusal is no longer the news
          if (toast) toast.classList.remove("show");
          const late = result.data.late;
          show(result.data.ticket, {
            late,
            text: late ? "已超过签到时间，按现场号办理 Late: a walk-in ticket" : "预约签到成功 Checked in",
          });
        } else {
          Hall.toast(result.status === 401 ? "本机设备令牌无效，请联系工作人员" : Hall.message(result), true);
          input.select();
          idle();
        }
      } finally {
        checking = false;
        submit.disabled = false;
      }
    });
  }

  // Waiting counts on the buttons
  async function refresh() {
    const result = await Hall.api("GET", `/api/halls/${hall}/queue`);
    if (!result.ok) return;
    for (const item of result.data.items) {
      const el = document.querySelector(`[data-waiting="${item.code}"]`);
      if (el) el.textContent = `等候 ${item.waiting} 人`;
    }
  }
  refresh();
  setInterval(refresh, 5000);
})();
