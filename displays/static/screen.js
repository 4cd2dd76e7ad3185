// The hall screen: the newest call large and flashing, the calls before it, every
// counter that serves with its current number, how many wait per group; the voice
// announces each call and recall, one after another, never two at once, shorter while behind.
"use strict";

(function () {
  const config = window.SCREEN;
  const hall = config.hall;
  const zone = hall.timezone;
  const STALE_AFTER_MS = 10000;  // cut off this long: the numbers shown may no longer be true
  // Calls this screen missed (a resync after a gap, a reconnection): said if at most this old
  // when the screen learns of them, else listed as not announced. (Calls whose counter has
  // moved on are not in the snapshot: their citizens are served.)
  const MISSED_SAID_WITHIN_MS = 2 * 60 * 1000;
  let staleTimer = null;
  const $ = (id) => document.getElementById(id);
  // ``speaking``: the call being said now, lit on the screen (its tile, its line)
  const state = { recent: [], counters: new Map(), groups: [], speaking: null };
  // What the screen did, for whoever looks (tests, a technician's console).
  const log = (window.SCREEN.log = { calls: [], played: [], snapshots: 0, missed: [] });

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- clock
  function tick() {
    $("clock").textContent = new Date().toLocaleString("zh-CN", {
      timeZone: zone, year: "numeric", month: "long", day: "numeric", weekday: "short",
      hour: "2-digit", minute: "2-digit",
    });
  }
  tick();
  setInterval(tick, 5000);

  // ---- drawing
  // The earlier calls the hall lists (recent_calls counts the newest too): the list keeps a slot
  // for each, in one column or two (displays.css), so that all of them show, however few are called.
  const slots = Math.max(1, hall.recent_calls - 1);
  $("recent").style.setProperty("--rows", String(slots));
  $("recent").style.setProperty("--rows-2", String(Math.ceil(slots / 2)));
  $("recent").classList.toggle("many", slots > 9);
  let flashTimer = null;
  function drawCalls(flash) {
    // only the calls still at their counters (being called or served): a finished one goes
    state.recent = state.recent.filter(atCounter);
    const [latest, ...rest] = state.recent.slice(0, hall.recent_calls);
    const said = state.speaking;
    const lit = (call) => !!said && call.number === said.number && call.counter === said.counter;
    $("latest").hidden = !latest;
    $("idle").hidden = !!latest;
    $("latest").classList.toggle("speaking", !!latest && lit(latest));
    if (latest) {
      $("latest-number").textContent = latest.number;
      $("latest-counter").textContent = latest.counter_name;
      $("latest-counter-en").textContent = `Counter ${latest.counter}`;
      $("latest-item").textContent = latest.item_name;
      $("latest-missed").replaceChildren(...(latest.missed ? [missedTag(latest.missed)] : []));
      if (flash) {
        $("latest").classList.remove("flash");
        void $("latest").offsetWidth;  // restart the animation
        $("latest").classList.add("flash");
        clearTimeout(flashTimer);
        flashTimer = setTimeout(() => $("latest").classList.remove("flash"), hall.flash_seconds * 1000);
      }
    }
    $("recent").replaceChildren(...rest.map((call) => {
      const li = el("li", lit(call) ? "speaking" : "");
      li.dataset.key = `${call.number}@${call.counter}`;
      li.append(el("span", "num", call.number), el("span", "to", call.counter_name));
      if (call.missed) li.append(missedTag(call.missed));
      return li;
    }));
  }

  // a missed call's mark: "said" late (补报), or too old to say (未播报)
  function missedTag(how) {
    return how === "said" ? el("span", "missed said", "补报 Late") : el("span", "missed", "未播报 Not announced");
  }

  function drawCounters() {
    const shown = [...state.counters.values()].filter((c) => c.state !== "closed");
    $("counters").replaceChildren(...shown.map((c) => {
      const said = state.speaking && state.speaking.counter === c.number && state.speaking.number === c.current;
      const tile = el("div", `tile ${c.state}${said ? " speaking" : ""}`);
      tile.dataset.counter = c.number;
      tile.append(el("div", "tile-name", c.name), el("div", "tile-number", c.state === "paused" && !c.current ? c.state_text : (c.current || "—")));
      return tile;
    }));
  }

  function drawGroups(groups) {
    $("groups").replaceChildren(...groups.map((g) => {
      const box = el("div", "group");
      box.append(el("span", "g-prefix", g.prefix), el("span", "g-name", g.name), el("span", "g-count", String(g.waiting)), el("span", "g-unit", "人"));
      return box;
    }));
  }

  // a call is "now calling" while its counter is on it (being called or served)
  function atCounter(call) {
    return (state.counters.get(call.counter) || {}).current === call.number;
  }

  // The calls in a snapshot the screen had not heard of (it was behind, or cut off): the ones
  // called at most MISSED_SAID_WITHIN_MS before are said, oldest first (shorter while behind,
  // as any call); each is marked on the screen either way.
  function catchUp(message) {
    const key = (c) => `${c.number}@${c.counter}@${c.at}`;
    const heard = new Map(state.recent.map((c) => [key(c), c]));
    const now = Date.parse(message.at);
    for (const call of message.recent) if (heard.has(key(call))) call.missed = heard.get(key(call)).missed;  // marked still
    const missed = message.recent.filter((c) => !heard.has(key(c)));
    for (const call of missed.reverse()) {
      call.missed = now - Date.parse(call.at) <= MISSED_SAID_WITHIN_MS ? "said" : "listed";
      log.missed.push({ number: call.number, counter: call.counter, how: call.missed });
    }
    return missed.filter((c) => c.missed === "said");
  }

  function remember(call) {  // at most one call per counter stays (atCounter): no cap needed here
    state.recent = [call, ...state.recent.filter((c) => !(c.number === call.number && c.counter === call.counter))];
  }

  // ---- voice: one announcement at a time, in order, and never minutes behind.
  // A call waits in line to be said; what is said depends on how many wait behind it: none,
  // the whole announcement (chime, every language, repeated); one, the brief form (the first
  // language once: "A零零一号，三号窗口"); more, the number alone (under a second), its
  // counter lit on the screen. A call said whole is cut short once heard whole, if others
  // wait; with three or more waiting it gives way at once and is said again, short. A recall
  // of a call still waiting is not said twice. No call is dropped while its counter is still on
  // it (a screen that could not speak for an hour does not read out the served).
  const player = (config.player = new Audio());  // on window.SCREEN too, for whoever looks
  log.heard = [];  // {number, counter, form, queued, started}: when each call began to be heard
  log.cut = [];  // {url, at, heard_whole}: a whole call cut short (others waiting) once said whole
  const FAR_BEHIND = 3;  // calls waiting: a whole announcement under way gives way
  const LONG_WAIT_MS = 8000;  // a call waiting this long is not kept waiting by a brief one
  const waiting = [];
  let playing = null;  // the entry being said
  let blocked = false;
  let channel = null;  // the device channel, to tell the manager whether this screen can speak
  let told = null;
  function say(voice, call) {
    if (!voice) return;
    const key = call ? `${call.number}@${call.counter}` : null;
    if (key && waiting.some((e) => e.key === key)) return;  // said soon anyway
    waiting.push({ key, call, audio: voice.audio, queued: Date.now() });
    cutIfHeard();
    next();
  }
  function source(entry) {
    const behind = waiting.length;
    if (!entry.call || behind === 0) return { url: entry.audio, form: "full" };
    // brief with one behind, unless that one has waited long already
    const form = behind === 1 && Date.now() - waiting[0].queued < LONG_WAIT_MS ? "brief" : "number";
    return { url: `${entry.audio}?form=${form}`, form };
  }
  function heardWhole() {
    // the end of the first round of a full call: the chime, then one round of its languages
    // (the WAV's layout from displays/voice.py, given with the page)
    const { repeat, chime, round_gap, tail } = config.voice;
    const d = player.duration;
    if (!isFinite(d)) return Infinity;
    const intro = chime ? config.voice.chime_seconds : 0;
    const round = (d - intro - tail - round_gap * (repeat - 1)) / repeat;
    return intro + round;
  }
  function cutIfHeard() {
    if (!playing || !playing.call || playing.form !== "full" || waiting.length === 0) return;
    const at = player.currentTime, whole = heardWhole();
    if (at >= whole) {
      log.cut.push({ url: playing.url, at, heard_whole: whole, again: false });
      finished();
    } else if (waiting.length >= FAR_BEHIND) {
      // Far behind (counters calling at once): a whole announcement would hold them all up for
      // ten seconds and more. It stops, and is said again at once, as short as the others.
      log.cut.push({ url: playing.url, at, heard_whole: whole, again: true });
      const { key, call, audio, queued } = playing;
      waiting.unshift({ key, call, audio, queued });
      finished();
    }
  }
  function mark(call) {
    // Lit now on what is drawn; the drawings light it again whenever they are redrawn.
    state.speaking = call;
    const key = (c) => (c ? `${c.number}@${c.counter}` : "");
    for (const li of $("recent").children) li.classList.toggle("speaking", !!call && li.dataset.key === key(call));
    for (const tile of $("counters").children) {
      const board = state.counters.get(Number(tile.dataset.counter)) || {};
      tile.classList.toggle("speaking", !!call && board.number === call.counter && board.current === call.number);
    }
    $("latest").classList.toggle("speaking", !!call && key(state.recent[0]) === key(call));
  }
  function status(audio) {
    if (audio === told) return;
    told = audio;
    if (channel) channel.send({ type: "status", audio });
  }
  function next() {
    if (playing || blocked) return;
    while (waiting.length && waiting[0].call && !atCounter(waiting[0].call)) waiting.shift();  // done meanwhile
    if (waiting.length === 0) return;
    const entry = waiting.shift();
    const { url, form } = source(entry);
    playing = Object.assign(entry, { url, form });
    player.src = url;
    player.play().then(() => {
      if (playing !== entry) return;  // cut meanwhile
      log.played.push(url);
      if (entry.call) log.heard.push({ number: entry.call.number, counter: entry.call.counter, form, queued: entry.queued, started: Date.now() });
      mark(entry.call);
      $("sound").hidden = true;
      status("ok");
    }).catch((error) => {
      if (playing !== entry || error.name !== "NotAllowedError") return;  // cut, or the WAV failed ("error" below)
      // The browser wants a tap first (autoplay policy): keep it, ask for the tap, tell the manager.
      waiting.unshift(entry);
      playing = null;
      blocked = true;
      $("sound").hidden = false;
      status("blocked");
    });
  }
  function finished() {
    playing = null;
    mark(null);
    next();
  }
  player.addEventListener("timeupdate", cutIfHeard);
  player.addEventListener("ended", finished);
  player.addEventListener("error", () => { status("failed"); finished(); });
  document.addEventListener("click", () => { $("sound").hidden = true; blocked = false; next(); });

  // ---- the channel
  const handlers = {
    snapshot(message, first) {
      log.snapshots += 1;
      const late = first ? [] : catchUp(message);  // the first: nothing was heard before
      state.recent = message.recent.slice();
      state.counters = new Map(message.counters.map((c) => [c.number, c]));
      drawCalls(false);
      drawCounters();
      drawGroups(message.groups);
      for (const call of late) say({ audio: `/halls/${hall.id}/voice/call/${call.number}/${call.counter}` }, call);
    },
    stale(behind) { $("behind").hidden = !behind; },
    message(message) {
      switch (message.type) {
        case "call":
        case "recall":
          log.calls.push({ type: message.type, number: message.call.number, counter: message.call.counter, seq: message.seq });
          remember(message.call);
          state.counters.set(message.counter.number, message.counter);
          drawCalls(true);
          drawCounters();
          if (message.groups) drawGroups(message.groups);
          say(message.voice, message.call);
          break;
        case "counter":
          state.counters.set(message.counter.number, message.counter);
          drawCalls(false);
          drawCounters();
          drawGroups(message.groups);
          break;
        case "queue":
          drawGroups(message.groups);
          break;
        case "announcement":
          $("announcement").textContent = message.text + (hall.english && message.text_en ? "  " + message.text_en : "");
          $("announcement").hidden = false;
          say(message.voice);
          break;
      }
    },
    status(connected) {
      $("conn").hidden = connected;
      // A blip (a server restart) shows the small badge only; cut off longer, the whole screen
      // says that its numbers may be out of date, with when it last heard the hall.
      // (Each refused retry says "not connected" again: the first one starts the count.)
      if (connected) {
        clearTimeout(staleTimer);
        staleTimer = null;
        $("stale").hidden = true;
      } else if (staleTimer === null) {
        const since = new Date().toLocaleTimeString("zh-CN", { timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit" });
        staleTimer = setTimeout(() => { $("stale-since").textContent = since; $("stale").hidden = false; }, STALE_AFTER_MS);
      }
      if (connected && told && channel) channel.send({ type: "status", audio: told });  // a new connection knows nothing
    },
  };

  const token = deviceToken(hall.id);
  $("setup").hidden = !!token;
  if (token) {
    channel = new DeviceChannel(`/ws/halls/${hall.id}`, token, handlers, config.heartbeat);
    channel.start();
  }
})();
