// AB岗排班与在岗情况: a day's roster (who is A and who is B of each counter post), and the
// posts' coverage over a date range: minutes staffed by A, by B, by someone else, and empty
// (空岗), with a timeline per post and day. The server decides; refusals are shown as given.
"use strict";

(function () {
  const config = window.MANAGE;
  const { hall, zone, axis } = config;
  const $ = (id) => document.getElementById(id);
  const el = Manage.el;
  const staffName = Object.fromEntries(config.staff.map((s) => [s.username, s.name]));
  const counterName = Object.fromEntries(config.counters.map((c) => [c.number, c.name]));
  const whoName = { A: "A岗", B: "B岗", other: "他人", empty: "空岗" };
  let rostered = new Set();  // counters that have an entry on the shown day: saved even when cleared

  const rows = () => [...document.querySelectorAll("#roster .post")];
  const pick = (row, post) => row.querySelector(`select[name="${post}"]`);

  function status(text, isError) {
    const box = $("roster-status");
    box.textContent = text;
    box.classList.toggle("error", !!isError);
  }

  function fillRoster(entries) {
    const byCounter = Object.fromEntries(entries.map((e) => [e.counter, e]));
    rostered = new Set(entries.map((e) => e.counter));
    rows().forEach((row) => {
      const entry = byCounter[row.dataset.counter] || { a: "", b: "" };
      pick(row, "a").value = entry.a;
      pick(row, "b").value = entry.b;
    });
  }

  async function loadRoster() {
    const r = await Manage.api("GET", `/api/halls/${hall}/roster/${$("day").value}`);
    if (!r.ok) { status(Manage.refusal(r), true); return; }
    fillRoster(r.data);
    status(r.data.length ? "" : "该日尚未排班");
  }

  async function save() {
    const entries = rows()
      .map((row) => ({ counter: Number(row.dataset.counter), a: pick(row, "a").value, b: pick(row, "b").value }))
      .filter((e) => e.a || e.b || rostered.has(e.counter));
    const r = await Manage.api("PUT", `/api/halls/${hall}/roster/${$("day").value}`, entries);
    if (!r.ok) {
      const why = Manage.refusal(r);
      status("未保存：" + why, true);
      Hall.toast(why, true);
      return;
    }
    fillRoster(r.data);
    status(`已保存 ${$("day").value} 的排班`);
    Hall.toast("排班已保存");
    await loadCoverage();
  }

  // ---- copying: the day before, last week, or this week onto the next weeks (a weekly template)
  const addDays = (iso, n) => {
    const d = new Date(iso + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  };
  const monday = (iso) => addDays(iso, -((new Date(iso + "T00:00:00Z").getUTCDay() + 6) % 7));
  async function copy(body, what) {
    const last = addDays(body.target, body.days * (body.times || 1) - 1);
    const span = body.target === last ? body.target : `${body.target} 至 ${last}`;
    if (!window.confirm(`${what}：将覆盖 ${span} 的排班（今天之前的日子不变，未保存的修改将丢失），确定吗？`)) return;
    const r = await Manage.api("POST", `/api/halls/${hall}/roster/copy`, body);
    if (!r.ok) { status("未复制：" + Manage.refusal(r), true); return; }
    const dropped = r.data.dropped.length ? `（${r.data.dropped.join("、")} 已不在本厅，其岗位留空）` : "";
    const past = r.data.past.length ? `（今天之前的 ${r.data.past.length} 天保持原样）` : "";
    await loadRoster();
    await loadCoverage();
    status(`已复制到 ${r.data.days.length} 天${past}${dropped}`);
    Hall.toast("排班已复制");
  }
  $("copy-day").addEventListener("click", () =>
    copy({ source: addDays($("day").value, -1), target: $("day").value, days: 1 }, "复制前一天"));
  $("copy-week").addEventListener("click", () => {
    const start = monday($("day").value);
    return copy({ source: addDays(start, -7), target: start, days: 7 }, "复制上周到本周");
  });
  $("copy-template").addEventListener("click", () => {
    const start = monday($("day").value);
    const times = Number($("template-weeks").value);
    return copy({ source: start, target: addDays(start, 7), days: 7, times }, `本周作为模板填到之后 ${times} 周`);
  });

  // ---- coverage

  const clockParts = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  function minuteOfDay(iso) {  // in the hall's zone, with the seconds
    const parts = Object.fromEntries(clockParts.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
    return Number(parts.hour) * 60 + Number(parts.minute) + Number(parts.second) / 60;
  }
  const hhmm = (minute) => {
    const whole = Math.floor(minute);
    return `${String(Math.floor(whole / 60)).padStart(2, "0")}:${String(whole % 60).padStart(2, "0")}`;
  };
  const minutes = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

  function timeline(post) {
    const bar = el("div", { class: "timeline", role: "img" });
    if (!post.open_minutes) {
      bar.classList.add("closed");
      bar.textContent = "未开放";
      bar.setAttribute("aria-label", "未开放");
      return bar;
    }
    const [from, to] = axis;
    const span = to - from;
    const said = [];
    post.intervals.forEach((interval) => {
      const start = minuteOfDay(interval.start);
      const end = start + (new Date(interval.end) - new Date(interval.start)) / 60000;  // up to 24:00
      const left = Math.max(start, from), right = Math.min(end, to);
      const person = interval.staff ? (staffName[interval.staff] || interval.staff) : "";
      const what = interval.who === "empty"
        ? `空岗：${interval.reason || "无人在岗"}`
        : `${whoName[interval.who]} ${person}`;
      const title = `${hhmm(start)}–${hhmm(end)} ${what}`;
      said.push(title);
      bar.append(el("span", {
        class: "seg " + interval.who,
        title,
        dataset: { who: interval.who, reason: interval.reason || "", staff: interval.staff || "" },
        style: `left:${((left - from) / span) * 100}%;width:${(Math.max(right - left, 0) / span) * 100}%`,
      }));
    });
    bar.setAttribute("aria-label", said.join("；") || "尚无记录");
    return bar;
  }

  async function loadCoverage() {
    const since = $("from").value, until = $("to").value;
    const r = await Manage.api("GET", `/api/halls/${hall}/coverage?from=${since}&to=${until}`);
    const body = $("coverage").querySelector("tbody");
    if (!r.ok) { body.replaceChildren(); Hall.toast(Manage.refusal(r), true); return; }
    const several = since !== until;
    body.replaceChildren(...r.data.map((post) => el("tr", { dataset: { counter: post.counter, day: post.day } },
      el("td", { text: post.day }),
      el("td", { text: counterName[post.counter] || `${post.counter}号窗口` }),
      el("td", { text: post.a ? staffName[post.a] || post.a : "—" }),
      el("td", { text: post.b ? staffName[post.b] || post.b : "—" }),
      el("td", { class: "num", dataset: { minutes: "a" }, text: minutes(post.minutes_a) }),
      el("td", { class: "num", dataset: { minutes: "b" }, text: minutes(post.minutes_b) }),
      el("td", { class: "num", dataset: { minutes: "other" }, text: minutes(post.minutes_other) }),
      el("td", { class: "num" + (post.minutes_empty > 0 ? " bad" : ""), dataset: { minutes: "empty" }, text: minutes(post.minutes_empty) }),
      el("td", {}, timeline(post)),
    )));
    $("coverage").classList.toggle("one-day", !several);
    $("coverage-empty").hidden = r.data.some((p) => p.open_minutes > 0);
  }

  $("axis-start").textContent = hhmm(axis[0]);
  $("axis-end").textContent = hhmm(axis[1]);
  $("day").addEventListener("change", async () => {
    if (!$("day").value) return;
    $("from").value = $("to").value = $("day").value;
    await loadRoster();
    await loadCoverage();
  });
  $("save").addEventListener("click", save);
  $("show-coverage").addEventListener("click", loadCoverage);

  Manage.start(config, async () => {
    await loadRoster();
    await loadCoverage();
  });
})();
