// A ticket's page on a phone (扫码查看): its state every 10 s, and the rating of the service once done.
"use strict";

(function () {
  const { hall, zone } = window.TICKET;
  const id = document.getElementById("ticket").dataset.id;
  const ratingKey = window.TICKET.rating_key;  // 评价码 of the slip's link ("" without it: no rating here)
  const labels = {
    waiting: "等候中", called: "已叫号", serving: "办理中", suspended: "已挂起",
    no_show: "已过号", completed: "已办结", cancelled: "已取消", expired: "已过期",
  };
  Hall.largeType(document.getElementById("large-type"), true);  // 适老化, remembered on this phone
  const issued = document.getElementById("t-issued");
  issued.textContent = Hall.time(issued.dataset.iso, zone);
  // People ahead and the wait mean something only while the ticket waits.
  const showWaiting = (state) => document.querySelectorAll(".waiting-only").forEach((el) => { el.hidden = state !== "waiting"; });
  showWaiting(window.TICKET.state);
  async function refresh() {
    const r = await Hall.api("GET", `/api/halls/${hall}/tickets/${id}`);
    if (!r.ok) return;
    const t = r.data;
    const state = document.getElementById("t-state");
    state.textContent = labels[t.state] || t.state;
    state.className = "state " + t.state;
    document.getElementById("t-item").textContent = t.item_name;
    document.getElementById("t-ahead").textContent = (t.people_ahead ?? "—") + " 人";
    document.getElementById("t-wait").textContent =
      t.people_ahead === null ? "—" : Hall.waitWords(t.estimated_wait_minutes, t.opens_at, zone, t.estimated_wait_range).zh;
    document.getElementById("t-where").textContent = t.counters.length ? Hall.counterSpans(t.counters) + "号" : "—";
    document.getElementById("t-callout").hidden = t.state !== "called";
    showWaiting(t.state);
    offerRating(t.state);
    document.getElementById("t-counter").textContent = t.counter_name || (t.counter + "号窗口");
  }
  setInterval(refresh, 10000);

  // ---- 评价本次服务: a level; for 不满意/非常不满意 a reason; a phone number if they want a reply
  const $ = (elementId) => document.getElementById(elementId);
  const rating = { level: null, bad: false, reasons: [], busy: false };
  // "open": the form is offered; "done": rated; "none": nothing to rate yet (offered once completed);
  // "slip": to be rated, but this page was opened without the slip's key (scan its QR code)
  let rateState = window.TICKET.rate;
  function canSubmit() {
    $("rate-submit").disabled = rating.busy || !rating.level || (rating.bad && !rating.reasons.length);
  }
  function pick(container, attribute, value) {
    container.querySelectorAll("[role=radio]").forEach((b) => {
      b.setAttribute("aria-checked", b.dataset[attribute] === value ? "true" : "false");
    });
  }
  function offerRating(state) {
    if (state === "completed" && rateState === "none") {
      rateState = ratingKey ? "open" : "slip";
      $(ratingKey ? "rate" : "rate-slip").hidden = false;
    }
  }
  function finish(text, en) {
    rateState = "done";
    $("rate").hidden = true;
    $("rate-done-text").textContent = text;
    $("rate-done-en").textContent = en;
    $("rate-done").hidden = false;
  }
  $("rate-levels").addEventListener("click", (event) => {
    const button = event.target.closest(".rate-level");
    if (!button || rating.busy) return;
    rating.level = button.dataset.level;
    rating.bad = button.dataset.bad === "true";
    pick($("rate-levels"), "level", rating.level);
    $("rate").style.setProperty("--chosen", button.style.getPropertyValue("--level"));
    $("rate-bad").hidden = !rating.bad;
    canSubmit();
  });
  $("rate-reasons").addEventListener("click", (event) => {
    const button = event.target.closest(".rate-reason");
    if (!button || rating.busy) return;
    const reason = button.dataset.reason;  // several may be picked (up to three); a second tap takes one back
    if (rating.reasons.includes(reason)) rating.reasons.splice(rating.reasons.indexOf(reason), 1);
    else if (rating.reasons.length < 3) rating.reasons.push(reason);
    $("rate-reasons").querySelectorAll("[role=checkbox]").forEach((b) => {
      b.setAttribute("aria-checked", rating.reasons.includes(b.dataset.reason) ? "true" : "false");
    });
    canSubmit();
  });
  $("rate-phone").addEventListener("input", () => { $("rate-error").hidden = true; });
  $("rate-submit").addEventListener("click", async () => {
    if (rating.busy || !rating.level) return;
    const phone = $("rate-phone").value.trim();
    if (phone && !/^\d{11}$/.test(phone)) {
      $("rate-error").textContent = "请填写 11 位手机号，或留空";
      $("rate-error").hidden = false;
      return;
    }
    const body = { ticket_id: id, rating_key: ratingKey, level: rating.level };
    if (rating.bad) {
      body.reasons = [...rating.reasons];
      const text = $("rate-text").value.trim();
      if (text) body.text = text.slice(0, 500);
    }
    if (phone) body.phone = phone;
    rating.busy = true;
    canSubmit();
    const r = await Hall.api("POST", `/api/halls/${hall}/ratings`, body);
    rating.busy = false;
    canSubmit();
    if (r.ok) finish("感谢您的评价", "Thank you for your feedback");
    else if (r.status === 409) finish(Hall.message(r), "Already rated, thank you");
    else Hall.toast(r.status === 0 ? "网络连接失败，请稍后重试" : Hall.message(r), true);  // kept, to be sent again
  });
})();
