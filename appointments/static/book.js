// Booking on a phone (预约取号): an item, a day, a slot, then who comes (or who books for them:
// 代办). What the server answers is shown as it is (masked); what was typed is cleared once booked.
"use strict";

Hall.largeType(document.getElementById("large-type"), true);  // 适老化, remembered on this phone

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

  // 4. who comes. Only what is missing is named here; the numbers' shapes, the phones and the
  // consents are the server's to check (one set of rules), and its answer names the field.
  const agentBox = $("agent");
  function onBehalf(yes) {  // 代办: the agent's name and phone asked, the person's own phone optional
    form.elements.on_behalf.checked = yes;
    agentBox.hidden = !yes;
    $("who").hidden = !yes;
    $("phone-optional").hidden = !yes;
  }
  form.elements.on_behalf.addEventListener("change", () => onBehalf(form.elements.on_behalf.checked));

  // The phone the notices go to (the agent's for 代办) gets a one-time code, typed in below it;
  // another code no sooner than a minute after (the server says so too).
  const getCode = $("get-code");
  const codeStatus = $("code-status");
  const noticePhone = () => (form.elements.on_behalf.checked ? "agent_phone" : "phone");
  let countdown = null;
  function waitToAskAgain(seconds) {
    clearInterval(countdown);
    getCode.disabled = true;
    const tick = () => {
      if (seconds <= 0) {
        clearInterval(countdown);
        getCode.disabled = false;
        getCode.innerHTML = "重新获取 <small>Get another</small>";
        return;
      }
      getCode.innerHTML = `${seconds}秒后重新获取 <small>Again in ${seconds} s</small>`;
      seconds -= 1;
    };
    tick();
    countdown = setInterval(tick, 1000);
  }
  getCode.addEventListener("click", async () => {
    const field = noticePhone();
    const phone = form.elements[field].value.trim();
    form.elements[field].removeAttribute("aria-invalid");
    if (!phone) {
      mark(field);
      say(field === "phone" ? "请先填写手机号 · Type the phone number first" : "请先填写代办人手机号 · Type your phone number first");
      return;
    }
    say("");
    getCode.disabled = true;
    const result = await Hall.api("POST", `/api/halls/${hall}/appointments/phone-codes`, { phone });
    if (!result.ok) {
      getCode.disabled = false;
      say(Hall.message(result));
      if (result.status === 422) mark(field);
      return;
    }
    codeStatus.textContent = `验证码已发送至 ${result.data.phone}，${Math.round(result.data.valid_seconds / 60)}分钟内有效 · ` +
      `Code sent to ${result.data.phone}, valid ${Math.round(result.data.valid_seconds / 60)} minutes`;
    waitToAskAgain(result.data.again_seconds);
    $("phone-code").focus();
  });
  if (new URLSearchParams(location.search).get("for") === "someone") onBehalf(true);  // the service desk's link
  form.elements.document_kind.addEventListener("change", () => {
    const option = form.elements.document_kind.selectedOptions[0];
    $("id-shape").textContent = option.dataset.shape;
  });

  function problem(person, code) {
    if (person.agent && !person.agent.name) return ["agent_name", "请填写代办人姓名"];
    if (person.agent && !person.agent.phone) return ["agent_phone", "请填写代办人手机号"];
    if (!person.name) return ["name", person.agent ? "请填写办事人姓名" : "请填写姓名"];
    if (!person.id_number) return ["id_number", "请填写证件号码"];
    if (!person.agent && !person.phone) return ["phone", "请填写手机号"];
    if (!code) return ["phone_code", "请先获取并填写手机验证码 · Get the code sent to the phone and type it in"];
    return null;
  }
  // the server's "person.agent.phone: …" names the field to mark
  const FIELDS = { "person.name": "name", "person.id_number": "id_number", "person.document_kind": "document_kind",
    "person.phone": "phone", "person.email": "email", "person.agent.name": "agent_name",
    "person.agent.phone": "agent_phone", "privacy_consent": "privacy_consent", "document_consent": "document_consent",
    "phone_code": "phone_code" };
  function mark(name) {
    const field = form.elements[name];
    if (!field) return;
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!chosen.slot || submit.disabled) return;
    const text = (name) => form.elements[name].value.trim();
    const person = {
      name: text("name"),
      document_kind: form.elements.document_kind.value,
      id_number: text("id_number"),
      phone: text("phone"),
      email: text("email"),
    };
    if (form.elements.on_behalf.checked) person.agent = { name: text("agent_name"), phone: text("agent_phone") };
    form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
    const code = text("phone_code");
    const wrong = problem(person, code);
    if (wrong) {
      mark(wrong[0]);
      say(wrong[1]);
      return;
    }
    say("");
    submit.disabled = true;
    try {
      const result = await Hall.api("POST", `/api/halls/${hall}/appointments`, {
        item: chosen.item, slot_start: chosen.slot.start, person,
        privacy_consent: form.elements.privacy_consent.checked,
        document_consent: form.elements.document_consent.checked,
        phone_code: code,
      });
      if (result.ok) { done(result.data); return; }
      say(Hall.message(result));
      const field = FIELDS[String((result.data && result.data.detail) || "").split(":")[0]];
      if (result.status === 422 && field) mark(field);
      if (result.status === 409 && ["phone_code", "phone_code_wrong"].includes(result.data && result.data.code)) mark("phone_code");
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
    codeStatus.textContent = "";
    $("steps").hidden = true;
    $("done-code").textContent = booking.code;
    $("done-qr").src = `/halls/${hall}/appointments/${encodeURIComponent(booking.code)}/qr.svg`;
    $("done-item").textContent = booking.item_name;
    $("done-slot").textContent = slotText(booking.slot_start, booking.slot_end);
    $("done-name").textContent = booking.name;
    $("done-document").textContent = booking.document_name;
    $("done-id").textContent = booking.id_number;
    $("done-phone").textContent = booking.phone || "—";
    $("done-agent").textContent = booking.agent_name ? `${booking.agent_name} ${booking.agent_phone}（代办）` : "";
    document.querySelectorAll(".agent-fact").forEach((el) => { el.hidden = !booking.agent_name; });
    // a text message may not reach a phone outside the mainland: the code is what they keep
    $("done-abroad").hidden = !(booking.agent_phone || booking.phone).startsWith("+");
    $("done-link").href = booking.status_path;
    $("done").hidden = false;
    window.scrollTo(0, 0);
  }

  $("again").addEventListener("click", () => { location.reload(); });
})();

// 查找我的预约: the bookings ahead for an ID number and the phone booked with.
(function () {
  const hall = window.BOOK.hall, $ = (id) => document.getElementById(id);
  $("find-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { document_kind: $("find-kind").value, id_number: $("find-id").value.trim(), phone: $("find-phone").value.trim() };
    const r = await Hall.api("POST", `/api/halls/${hall}/appointments/find`, body);
    const message = $("find-message");
    message.hidden = false;
    if (!r.ok) { message.textContent = Hall.message(r); $("found-bookings").replaceChildren(); return; }
    message.textContent = r.data.length ? `找到 ${r.data.length} 个预约 · Found ${r.data.length}`
      : "没有找到未办理的预约：请核对证件号码和手机号 · No booking ahead with these";
    $("found-bookings").replaceChildren(...r.data.map((b) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = b.status_path;
      a.textContent = `${b.item_name} · ${new Date(b.slot_start).toLocaleString("zh-CN", { timeZone: window.BOOK.zone, month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" })} · 预约码 ${b.code}`;
      li.append(a);
      return li;
    }));
  });
})();
