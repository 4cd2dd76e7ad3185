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

  // A kiosk is not left by a tap: links do nothing, no long-press menu, no dragging, no
  // middle click, and the browser's back (a swipe) lands here again.
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("a[href]")) event.preventDefault();
  }, true);
  document.addEventListener("auxclick", (event) => event.preventDefault(), true);
  document.addEventListener("contextmenu", (event) => event.preventDefault());
  document.addEventListener("dragstart", (event) => event.preventDefault());
  history.pushState(null, "", location.pathname);
  window.addEventListener("popstate", () => history.pushState(null, "", location.pathname));

  // 适老化: large type for this citizen; the next one starts with the usual size (after a
  // ticket, or when nobody has touched the screen for a minute and a half).
  const setLarge = Hall.largeType(document.getElementById("large-type"), false);
  let untouched = null;
  document.addEventListener("pointerdown", () => {
    clearTimeout(untouched);
    untouched = setTimeout(() => setLarge(false), 90000);
  }, true);

  // What went wrong, large, in the middle of the screen, with what to do next.
  const problemBox = document.getElementById("problem");
  let problemTimer = null;
  function problem(zh, en) {
    document.getElementById("problem-text").textContent = zh;
    document.getElementById("problem-en").textContent = en || "";
    problemBox.classList.add("show");
    document.getElementById("problem-close").focus();  // a dialog: the focus goes to its answer
    clearTimeout(problemTimer);
    problemTimer = setTimeout(() => problemBox.classList.remove("show"), 15000);
  }
  document.getElementById("problem-close").addEventListener("click", () => problemBox.classList.remove("show"));
  const NO_TOKEN = ["本机尚未配置，请到服务台取号", "This machine is not set up. Please get your ticket at the service desk."];
  const BAD_TOKEN = ["本机设备令牌无效，请到服务台取号", "This machine is not authorised. Please get your ticket at the service desk."];
  const OFFLINE = ["网络连接失败，请到服务台取号", "The machine cannot reach the server. Please get your ticket at the service desk."];
  // The server's refusal in its words (Chinese and English), e.g. "当前不在取号时间…"
  const refusal = (result) => [Hall.message(result), (result.data && result.data.detail) || ""];

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
    if (!token) { problem(...NO_TOKEN); return; }
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
      else if (result.status === 401) problem(...BAD_TOKEN);  // not "please sign in"
      else if (result.status === 0 || result.status >= 500) { problem(...OFFLINE); refresh(); }
      else problem(...refusal(result));
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
    // Minutes only while a counter for it is staffed; else when service begins (no 0 minutes made up).
    const minutes = ticket.estimated_wait_minutes;
    const range = ticket.estimated_wait_range;  // the middle half, when the wait may spread widely
    document.getElementById("result-wait").textContent = range ? `${range[0]}–${range[1]}` : (minutes ?? "-");
    document.getElementById("result-wait-box").hidden = minutes === null || minutes === undefined;
    const waitNote = document.getElementById("result-note");
    waitNote.hidden = ticket.people_ahead === null || (minutes !== null && minutes !== undefined);
    if (!waitNote.hidden) {
      const words = Hall.waitWords(minutes, ticket.opens_at, zone);
      waitNote.textContent = `${words.zh} · ${words.en[0].toUpperCase()}${words.en.slice(1)}`;
    }
    const where = document.getElementById("result-where");
    where.hidden = !(ticket.counters && ticket.counters.length);
    where.textContent = where.hidden ? "" : `办理窗口：${Hall.counterSpans(ticket.counters)}号，请在附近留意叫号 · ` +
      `Counter${ticket.counters.length > 1 ? "s" : ""} ${Hall.counterSpans(ticket.counters, ", ")}`;
    document.getElementById("result-green").hidden = ticket.priority !== "green";
    document.getElementById("result-time").textContent =
      "取号时间 " + new Date(ticket.issued_at).toLocaleString("zh-CN", { timeZone: zone });
    // The address as text to copy, not a link: a tap must not take the kiosk to it. The hall's
    // public address, as the QR code beside it (phones may not reach the kiosk's own address).
    // With the ticket's rating key (评价码): whoever scans the slip's code may rate the service.
    const link = document.getElementById("result-link");
    const key = ticket.rating_key ? `?k=${encodeURIComponent(ticket.rating_key)}` : "";
    link.textContent = `${link.dataset.base}/halls/${hall}/tickets/${ticket.id}${key}`;
    document.getElementById("result-qr").src = `/halls/${hall}/tickets/${ticket.id}/qr.svg${key}`;
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
      else if (result.status === 0 || result.status >= 500) problem(...OFFLINE);
      else problem(...refusal(result));
    } finally {
      reprint.disabled = false;
    }
  });

  function close() { overlay.classList.remove("show"); shown = null; setLarge(false); refresh(); }
  document.getElementById("result-close").addEventListener("click", close);
  document.querySelectorAll(".item-btn").forEach((b) => b.addEventListener("click", () => issue(b)));

  // 预约签到: a booking's code, its QR code's link (a scanner types it), or the ID number.
  // Not retried on its own: a check-in that went through answers "already checked in" the second time.
  const checkin = document.getElementById("checkin");
  if (checkin) {
    const form = document.getElementById("checkin-form");
    const input = document.getElementById("checkin-input");
    const submit = document.getElementById("checkin-submit");
    const error = document.getElementById("checkin-error");
    const say = (zh, en) => { error.textContent = en ? `${zh} ${en}` : zh; error.hidden = !zh; };
    let idleTimer = null;
    const idle = () => { clearTimeout(idleTimer); idleTimer = setTimeout(closeCheckin, 60000); };
    function openCheckin(typed) {
      if (!token) { problem(...NO_TOKEN); return; }
      if (overlay.classList.contains("show")) { clearTimeout(closeTimer); close(); }
      problemBox.classList.remove("show");
      say("");
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
    input.addEventListener("input", () => { say(""); idle(); });
    // The on-screen keypad types into the field (the page's only keyboard on a touch screen).
    // A key never takes the focus: a scanner or ID reader typing next still types into the field.
    const keypad = document.getElementById("keypad");
    keypad.addEventListener("pointerdown", (event) => event.preventDefault());
    keypad.addEventListener("mousedown", (event) => event.preventDefault());
    keypad.addEventListener("click", (event) => {
      const key = event.target.closest("[data-key]");
      if (!key) return;
      const k = key.dataset.key;
      input.value = k === "back" ? input.value.slice(0, -1) : k === "clear" ? "" : (input.value + k).slice(0, 200);
      input.focus();
      say("");
      idle();
    });
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
      if (!text) { say("请先输入预约码或证件号码", "Type your booking code or card number first"); input.focus(); return; }
      if (checking) return;
      const body = /^\d{17}[\dXx]$/.test(text) ? { id_number: text.toUpperCase() } : { code: text };
      checking = true;
      submit.disabled = true;
      try {
        const result = await Hall.api("POST", `/api/halls/${hall}/appointments/check-in`, body, token);
        if (result.ok) {
          closeCheckin();
          const late = result.data.late;
          show(result.data.ticket, {
            late,
            text: late ? "已超过签到时间，按现场号办理 Late: a walk-in ticket" : "预约签到成功 Checked in",
          });
        } else {
          if (result.status === 401) say(...BAD_TOKEN);
          else if (result.status === 0 || result.status >= 500) say(...OFFLINE);
          else say(...refusal(result));
          input.select();
          idle();
        }
      } finally {
        checking = false;
        submit.disabled = false;
      }
    });
  }

  // On each button: how many wait, and what a ticket taken now would be told. The server out
  // of reach (twice running): the machine says to get a ticket at the service desk.
  const offline = document.getElementById("offline");
  let failures = 0;
  const refresh = Hall.serial(async () => {  // one read at a time, however slow the server
    const result = await Hall.api("GET", `/api/halls/${hall}/queue`);
    if (result.status === 0 || result.status >= 500) {  // out of reach (a 4xx is an answer)
      failures += 1;
      if (failures >= 2) offline.hidden = false;
      return;
    }
    if (!result.ok) return;
    failures = 0;
    offline.hidden = true;
    for (const item of result.data.items) {
      const el = document.querySelector(`[data-waiting="${item.code}"]`);
      if (el) el.textContent = `等候 ${item.waiting} 人`;
      const expect = document.querySelector(`[data-expect="${item.code}"]`);
      if (!expect) continue;
      const words = item.serving ? Hall.waitWords(item.wait_minutes, item.opens_at, zone, item.wait_range)
        : { zh: "暂无窗口办理", en: "", open: false };
      expect.textContent = words.open ? `预计等候${words.zh}` : words.zh;
      expect.classList.toggle("closed", !words.open);
      expect.closest(".item-btn").classList.toggle("unserved", !item.serving);
    }
  });
  refresh();
  setInterval(refresh, 5000);
})();
