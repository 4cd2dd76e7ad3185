// Booking on a phone (预约取号): an item, a day, a slot, then who comes. What the server
// answers is shown as it is (masked); the typed ID number and phone are cleared once booked.
"use strict";

(function () {
  const { hall, zone, days, show_days: showDays } = window.BOOK;
  const $ = (id) => document.getElementById(id);
  const message = $("message");
  const form = $("person");
  const submit = $("submit");
  const WEEK = "日一二三四五六";
  let chosen = { item: null, name: "", day: null, slot: null };
  let slotsByDay = new Map();  // "2026-11-24" -> the slots the API gave for that day
  let asked = 0;  // answers to an older question (another item tapped since) are dropped

  function say(text) {
    message.textContent = text || "";
    message.hidden = !text;
  }

  function hallToday() {
    const parts = {};
    new Intl.DateTimeFormat("en-US", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(new Date()).forEach((p) => { parts[p.type] = p.value; });
    return `${parts.year}-${parts.month}-${parts.day}`;
  }

  // The API gives slots in the hall's own time ("2026-11-24T10:00:00+08:00"): its date and
  // clock time are read off the text, whatever the phone's own time zone.
  function dayParts(day) {
    const [y, m, d] = day.split("-").map(Number);
    return { m, d, weekday: WEEK[new Date(Date.UTC(y, m - 1, d)).getUTCDay()] };
  }
  function dayName(day) {
    const today = hallToday();
    const next = (iso, n) => {
      const [y, m, d] = iso.split("-").map(Number);
      return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
    };
    const weekday = "周" + dayParts(day).weekday;
    if (day === today) return "今天 " + weekday;
    if (day === next(today, 1)) return "明天 " + weekday;
    if (day === next(today, 2)) return "后天 " + weekday;
    return weekday;
  }
  const clock = (iso) => iso.slice(11, 16);
  function slotText(start, end) {
    const p = dayParts(start.slice(0, 10));
    return `${p.m}月${p.d}日 周${p.weekday} ${clock(start)}–${clock(end)}`;
  }

  function press(container, button) {
    container.querySelectorAll("[aria-pressed]").forEach((b) => b.setAttribute("aria-pressed", b === button ? "true" : "false"));
  }
  function showFrom(step) {  // the steps after the one being chosen again start over
    const order = ["step-day", "step-slot", "step-person"];
    order.forEach((id, i) => { if (i >= order.indexOf(step)) $(id).hidden = true; });
  }
  function reveal(id) {
    const el = $(id);
    el.hidden = false;
    el.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  // 1. the item
  document.querySelectorAll("[data-item]").forEach((button) => button.addEventListener("click", () => {
    press($("step-item"), button);
    chosen = { item: button.dataset.item, name: button.dataset.name, day: null, slot: null };
    say("");
    showFrom("step-day");
    $("day-item").textContent = chosen.name;
    loadSlots();
    reveal("step-day");
  }));

  async function loadSlots() {
    const mine = ++asked;
    $("days").replaceChildren();
    $("no-days").hidden = true;
    $("day-loading").hidden = false;
    const result = await Hall.api("GET",
      `/api/halls/${hall}/appointments/slots?item=${encodeURIComponent(chosen.item)}&days=${days}`);
    if (mine !== asked) return;
    $("day-loading").hidden = true;
    if (!result.ok) { say(Hall.message(result)); return; }
    slotsByDay = new Map();
    for (const slot of result.data) {
      if (slot.state === "not_bookable") continue;  // gone by, too soon or too far ahead
      const day = slot.start.slice(0, 10);
      if (!slotsByDay.has(day)) slotsByDay.set(day, []);
      slotsByDay.get(day).push(slot);
    }
    renderDays();
  }

  // 2. the day: the coming days that have slots; a day with none left cannot be chosen
  function renderDays() {
    const list = $("days");
    const buttons = [...slotsByDay.keys()].slice(0, showDays).map((day) => {
      const slots = slotsByDay.get(day);
      const left = slots.filter((s) => s.state === "open").reduce((n, s) => n + s.left, 0);
      const p = dayParts(day);
      const b = document.createElement("button");
      b.type = "button";
      b.className = "choice day";
      b.dataset.day = day;
      b.setAttribute("aria-pressed", day === chosen.day ? "true" : "false");
      b.disabled = left === 0;
      b.innerHTML = `<b></b><span class="sub"></span><span class="left"></span>`;
      b.children[0].textContent = `${p.m}月${p.d}日`;
      b.children[1].textContent = dayName(day);
      b.children[2].textContent = left ? `余 ${left}` : "已约满";
      b.addEventListener("click", () => {
        press(list, b);
        chosen.day = day;
        chosen.slot = null;
        say("");
        showFrom("step-slot");
        renderSlots();
        reveal("step-slot");
      });
      return b;
    });
    list.replaceChildren(...buttons);
    $("no-days").hidden = buttons.length > 0;
  }

  // 3. the slot: seats left; full and closed ones shown but not chosen
  function renderSlots() {
    const list = $("slots");
    const buttons = (slotsByDay.get(chosen.day) || []).map((slot) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "choice slot";
      b.dataset.start = slot.start;
      b.dataset.state = slot.state;
      b.setAttribute("aria-pressed", chosen.slot && chosen.slot.start === slot.start ? "true" : "false");
      b.disabled = slot.state !== "open";
      b.innerHTML = `<b></b><span class="left"></span>`;
      b.children[0].textContent = `${clock(slot.start)}–${clock(slot.end)}`;
      b.children[1].textContent = slot.state === "open" ? `余 ${slot.left} 个` : (slot.state === "full" ? "已约满 Full" : "暂停预约 Closed");
      b.addEventListener("click", () => {
        press(list, b);
        chosen.slot = slot;
        say("");
        $("chosen").textContent = `${chosen.name} · ${slotText(slot.start, slot.end)}`;
        reveal("step-person");
      });
      return b;
    });
    list.replaceChildren(...buttons);
  }

  // 4. who comes: checked here first, so that a typo is named; the server checks again
  function idNumberOk(value) {
    if (!/^\d{17}[\dX]$/.test(value)) return false;
    const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const sum = weights.reduce((n, w, i) => n + w * Number(value[i]), 0);
    return "10X98765432"[sum % 11] === value[17];
  }

  function problem(person) {
    if (!person.name) return ["name", "请填写姓名"];
    if (!/^\d{17}[\dX]$/.test(person.id_number)) return ["id_number", "身份证号应为18位（17位数字加1位数字或X）"];
    if (!idNumberOk(person.id_number)) return ["id_number", "身份证号有误，请核对后重新输入"];
    if (!/^1[3-9]\d{9}$/.test(person.phone)) return ["phone", "请填写11位手机号码"];
    if (person.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(person.email)) return ["email", "邮箱格式有误"];
    return null;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!chosen.slot || submit.disabled) return;
    const person = {
      name: form.elements.name.value.trim(),
      id_number: form.elements.id_number.value.trim().toUpperCase(),
      phone: form.elements.phone.value.replace(/[\s-]/g, ""),
      email: form.elements.email.value.trim(),
    };
    form.querySelectorAll("input").forEach((input) => input.removeAttribute("aria-invalid"));
    const wrong = problem(person);
    if (wrong) {
      form.elements[wrong[0]].setAttribute("aria-invalid", "true");
      form.elements[wrong[0]].focus();
      say(wrong[1]);
      return;
    }
    say("");
    submit.disabled = true;
    try {
      const result = await Hall.api("POST", `/api/halls/${hall}/appointments`,
        { item: chosen.item, slot_start: chosen.slot.start, person });
      if (result.ok) { done(result.data); return; }
      say(Hall.message(result));
      if (result.status === 409 && ["full", "too_soon", "too_far"].includes(result.data && result.data.code)) {
        // the slot went meanwhile: show what is left now
        const day = chosen.day;
        await loadSlots();
        chosen.day = day;
        chosen.slot = null;
        $("step-person").hidden = true;
        if (slotsByDay.has(day)) { renderDays(); renderSlots(); }
      }
    } finally {
      submit.disabled = false;
    }
  });

  // The booking: its code, its QR code, its page. Nothing typed stays on the screen.
  function done(booking) {
    form.reset();
    $("steps").hidden = true;
    $("done-code").textContent = booking.code;
    $("done-qr").src = `/halls/${hall}/appointments/${encodeURIComponent(booking.code)}/qr.svg`;
    $("done-item").textContent = booking.item_name;
    $("done-slot").textContent = slotText(booking.slot_start, booking.slot_end);
    $("done-name").textContent = booking.name;
    $("done-id").textContent = booking.id_number;
    $("done-phone").textContent = booking.phone;
    $("done-link").href = booking.status_path;
    $("done").hidden = false;
    window.scrollTo(0, 0);
  }

  $("again").addEventListener("click", () => { location.reload(); });
})();
