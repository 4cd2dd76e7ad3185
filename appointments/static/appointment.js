// A booking's page (预约详情): its state, a countdown to its slot, cancelling it.
"use strict";

Hall.largeType(document.getElementById("large-type"), true);  // 适老化, remembered on this phone

(function () {
  const { hall, code, zone, labels } = window.BOOKING;
  let state = window.BOOKING.state;
  const start = Date.parse(window.BOOKING.slot_start);  // an instant: the countdown is the same in any zone
  const $ = (id) => document.getElementById(id);
  const message = $("message");

  function say(text) {
    message.textContent = text || "";
    message.hidden = !text;
  }

  // 预约倒计时: days, hours, minutes and seconds to the slot's start, every second.
  const pad = (n) => String(n).padStart(2, "0");
  function tick() {
    const left = Math.floor((start - Date.now()) / 1000);
    const el = $("countdown");
    if (left <= 0) {
      const at = new Date(start).toLocaleTimeString("zh-CN", { timeZone: zone, hour: "2-digit", minute: "2-digit" });
      el.textContent = `预约时段已于 ${at} 开始，请尽快签到`;
      return;
    }
    const d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600);
    const m = Math.floor((left % 3600) / 60), s = left % 60;
    el.textContent = (d ? `${d}天 ` : "") + `${pad(h)}小时 ${pad(m)}分 ${pad(s)}秒`;
  }
  tick();
  setInterval(tick, 1000);

  function show(booking) {
    state = booking.state;
    const badge = $("b-state");
    badge.textContent = labels[state] || state;
    badge.className = "state state-" + state;
    $("b-note-text").textContent = booking.note || "";
    $("b-note").hidden = !(state === "cancelled_by_hall" && booking.note);
    $("countdown-box").hidden = state !== "booked";
    $("window-box").hidden = !(state === "booked" || state === "no_show");
    $("cancel-box").hidden = state !== "booked";
    $("ticket-box").hidden = !booking.ticket_id;
    if (booking.ticket_id) $("ticket-link").href = `/halls/${hall}/tickets/${encodeURIComponent(booking.ticket_id)}`;
  }

  const cancel = $("cancel");
  cancel.addEventListener("click", async () => {
    // The code alone may be on a screenshot: the phone number or ID number booked with proves it is theirs.
    const proof = $("cancel-proof").value.trim();
    if (!proof) { say("请先输入预约时填写的手机号或证件号码 · Type the phone or document number you booked with"); $("cancel-proof").focus(); return; }
    if (!confirm("确定取消该预约吗？取消后名额将让给他人。\nCancel this booking?")) return;
    // A phone or the document's number: no guess here (a Taiwan permit may start with 00, a phone
    // be typed without its +852): the server compares it as either and names what is malformed.
    const body = { phone: proof, id_number: proof };
    cancel.disabled = true;
    try {
      const result = await Hall.api("POST", `/api/halls/${hall}/appointments/${encodeURIComponent(code)}/cancel`, body);
      if (result.ok) {
        show(result.data);
        say("");
        Hall.toast("预约已取消 Booking cancelled");
      } else {
        say(Hall.message(result));
        refresh();
      }
    } finally {
      cancel.disabled = false;
    }
  });

  // Checked in at the hall meanwhile, or cancelled by the hall: the page follows.
  async function refresh() {
    const result = await Hall.api("GET", `/api/halls/${hall}/appointments/${encodeURIComponent(code)}`);
    if (result.ok && result.data.state !== state) show(result.data);
  }
  setInterval(refresh, 30000);
})();
