// A counter's evaluation pad (评价器): who serves here; when a service is completed at the
// counter, the five levels to rate it (好差评), with a reason for a bad one.
//
// Only a `counter` message with `completed` asks for a rating: a snapshot (connect, reconnect,
// resync) never brings back an old request. A newer completion replaces an unanswered request
// (the older one can still be rated on the ticket's page). Without a tap for the hall's
// `pad_timeout_seconds`, the pad goes back to idle.
"use strict";

(function () {
  const { hall, counter, heartbeat, staffNumbers, staffPhotos, levels, timeout } = window.PAD;
  const $ = (id) => document.getElementById(id);
  const log = (window.PAD.log = { snapshots: 0, boards: [], requests: [], posted: [], views: [] });
  const THANKS_MS = 3000;
  const labels = Object.fromEntries(levels.map((l) => [l.value, l]));

  let token = null;
  let current = null;  // the request on screen: {completed, level, reason, busy}
  let lastService = -1;  // the newest completion offered: never offered twice
  let idleTimer = null;
  let doneTimer = null;

  function view(name) {
    for (const id of ["idle", "request", "bad", "done"]) $(id).hidden = id !== name;
    $("pad").dataset.view = name;
    log.views.push(name);
  }

  function clearTimers() {
    clearTimeout(idleTimer);
    clearTimeout(doneTimer);
    idleTimer = doneTimer = null;
  }

  function idle() {
    clearTimers();
    current = null;
    view("idle");
  }

  // Every tap (and typing) gives the citizen another `timeout` seconds.
  function arm() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(idle, timeout * 1000);
  }

  // ---------------------------------------------------------------- idle: the counter and its staff

  function showBoard(board) {
    $("pad-counter").textContent = board.name;
    const name = $("staff-name"), number = $("staff-no"), state = $("pad-state");
    if (board.staff_name) {
      name.textContent = board.staff_name;
      const no = staffNumbers[board.staff] || "";
      number.textContent = no ? `工号 ${no}` : "";
      number.dataset.no = no;
      state.textContent = board.state === "open" ? "" : board.state_text;
    } else {
      name.textContent = "暂停服务";
      number.textContent = "未签到";
      number.dataset.no = "";
      state.textContent = "";
    }
    const photo = $("staff-photo"), src = (board.staff_name && staffPhotos[board.staff]) || "";
    photo.hidden = !src;
    if (src && photo.getAttribute("src") !== src) photo.src = src;
    photo.alt = board.staff_name || "";
    $("pad").classList.toggle("nobody", !board.staff_name);
    log.boards.push({ staff: board.staff, staff_name: board.staff_name, state: board.state });
  }

  // ---------------------------------------------------------------- a request to rate

  function offer(completed) {
    if (completed.service === lastService) return;  // already offered
    lastService = completed.service;
    clearTimers();
    current = { completed, level: null, reasons: [], busy: false };
    $("req-number").textContent = completed.number;
    $("req-item").textContent = completed.item_name;
    $("req-staff").textContent = completed.staff_name || "—";
    $("req-staff").parentElement.hidden = !completed.staff_name;
    $("bad-text").value = "";
    busy(false);
    view("request");
    arm();
    log.requests.push({ service: completed.service, number: completed.number });
  }

  function busy(on) {
    if (current) current.busy = on;
    document.querySelectorAll(".pad-level, .pad-reason, #bad-back").forEach((b) => { b.disabled = on; });
    $("bad-submit").disabled = on || !(current && current.reasons.length);
    $("pad").classList.toggle("busy", on);
  }

  function chooseLevel(level) {
    if (!current || current.busy) return;
    arm();
    current.level = level;
    if (labels[level].bad) {
      current.reasons = [];
      document.querySelectorAll(".pad-reason").forEach((b) => b.setAttribute("aria-checked", "false"));
      $("bad-level").textContent = labels[level].label;
      $("bad").style.setProperty("--level", labels[level].colour);
      busy(false);
      view("bad");
    } else {
      send({ level });
    }
  }

  // One or more reasons (up to three): a tap picks one, a second tap takes it back.
  const MAX_REASONS = 3;
  function chooseReason(reason) {
    if (!current || current.busy) return;
    arm();
    const chosen = current.reasons;
    if (chosen.includes(reason)) chosen.splice(chosen.indexOf(reason), 1);
    else if (chosen.length < MAX_REASONS) chosen.push(reason);
    document.querySelectorAll(".pad-reason").forEach((b) => {
      b.setAttribute("aria-checked", chosen.includes(b.dataset.reason) ? "true" : "false");
    });
    $("bad-submit").disabled = chosen.length === 0;
  }

  function submitBad() {
    if (!current || current.busy || !current.reasons.length) return;
    send({ level: current.level, reasons: [...current.reasons], text: $("bad-text").value.trim().slice(0, 500) });
  }

  async function send(fields) {
    const request = current;
    arm();
    busy(true);
    const body = { service: request.completed.service, ...fields };
    const result = await Hall.api("POST", `/api/halls/${hall.id}/ratings`, body, token);
    log.posted.push({ body, status: result.status });
    if (current !== request) return;  // replaced (a newer completion) or timed out meanwhile
    busy(false);
    if (result.ok) {
      done("感谢您的评价", "Thank you for your feedback");
    } else if (result.status === 409) {
      done(Hall.message(result), "This service has already been rated");  // 该次服务已评价，感谢您的反馈
    } else {
      // The network, or the server: say so and keep the request, to be tried again.
      const text = result.status === 0 || result.status >= 500 ? "网络连接失败，请重试 · Please try again" : Hall.message(result);
      Hall.toast(text, true);
      arm();
    }
  }

  function done(text, en) {
    clearTimers();
    current = null;
    $("done-text").textContent = text;
    $("done-en").textContent = en;
    view("done");
    doneTimer = setTimeout(idle, THANKS_MS);
  }

  // ---------------------------------------------------------------- taps

  $("levels").addEventListener("click", (event) => {
    const button = event.target.closest(".pad-level");
    if (button) chooseLevel(button.dataset.level);
  });
  $("reasons").addEventListener("click", (event) => {
    const button = event.target.closest(".pad-reason");
    if (button) chooseReason(button.dataset.reason);
  });
  $("bad-text").addEventListener("input", () => { if (current) arm(); });
  $("bad-back").addEventListener("click", () => {
    if (!current || current.busy) return;
    arm();
    view("request");
  });
  $("bad-submit").addEventListener("click", submitBad);

  // ---------------------------------------------------------------- the counter's channel

  const handlers = {
    snapshot(message) {
      log.snapshots += 1;
      if (message.counters.length) showBoard(message.counters[0]);  // never a request to rate
    },
    message(message) {
      if (!message.counter || message.counter.number !== counter) return;
      showBoard(message.counter);
      if (message.type === "counter" && message.completed) offer(message.completed);
    },
    status(connected) { $("conn").hidden = connected; },
  };

  view("idle");
  token = deviceToken(hall.id, "pad-token");
  $("setup").hidden = !!token;
  if (token) {
    window.PAD.channel = new DeviceChannel(`/ws/halls/${hall.id}/counters/${counter}`, token, handlers, heartbeat);
    window.PAD.channel.start();
  }
})();
