// The hall screen: the newest call large and flashing, the calls before it, every
// counter that serves with its current number, how many wait per group; the voice
// announces each call and recall, one after another, never two at once.
"use strict";

(function () {
  const config = window.SCREEN;
  const hall = config.hall;
  const zone = hall.timezone;
  const $ = (id) => document.getElementById(id);
  const state = { recent: [], counters: new Map(), groups: [] };
  // What the screen did, for whoever looks (tests, a technician's console).
  const log = (window.SCREEN.log = { calls: [], played: [], snapshots: 0 });

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
  let flashTimer = null;
  function drawCalls(flash) {
    const [latest, ...rest] = state.recent;
    $("latest").hidden = !latest;
    if (latest) {
      $("latest-number").textContent = latest.number;
      $("latest-counter").textContent = latest.counter_name;
      $("latest-counter-en").textContent = `Counter ${latest.counter}`;
      $("latest-item").textContent = latest.item_name;
      if (flash) {
        $("latest").classList.remove("flash");
        void $("latest").offsetWidth;  // restart the animation
        $("latest").classList.add("flash");
        clearTimeout(flashTimer);
        flashTimer = setTimeout(() => $("latest").classList.remove("flash"), hall.flash_seconds * 1000);
      }
    }
    $("recent").replaceChildren(...rest.map((call) => {
      const li = el("li");
      li.append(el("span", "num", call.number), el("span", "to", call.counter_name));
      return li;
    }));
  }

  function drawCounters() {
    const shown = [...state.counters.values()].filter((c) => c.state !== "closed");
    $("counters").replaceChildren(...shown.map((c) => {
      const tile = el("div", "tile " + c.state);
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

  function remember(call) {
    state.recent = [call, ...state.recent.filter((c) => !(c.number === call.number && c.counter === call.counter))];
    state.recent = state.recent.slice(0, hall.recent_calls);
  }

  // ---- voice: one announcement at a time, in order
  const player = (config.player = new Audio());  // on window.SCREEN too, for whoever looks
  const waiting = [];
  let playing = false;
  function say(voice) {
    if (!voice) return;
    waiting.push(voice.audio);
    next();
  }
  function next() {
    if (playing || waiting.length === 0) return;
    playing = true;
    const url = waiting.shift();
    player.src = url;
    player.play().then(() => { log.played.push(url); $("sound").hidden = true; }).catch((error) => {
      if (error.name !== "NotAllowedError") return;  // the WAV failed (server away): "error" below skips it
      // The browser wants a tap first (autoplay policy): keep it, ask for the tap.
      waiting.unshift(url);
      playing = false;
      $("sound").hidden = false;
    });
  }
  player.addEventListener("ended", () => { playing = false; next(); });
  player.addEventListener("error", () => { playing = false; next(); });
  document.addEventListener("click", () => { $("sound").hidden = true; next(); });

  // ---- the channel
  const handlers = {
    snapshot(message) {
      log.snapshots += 1;
      state.recent = message.recent.slice();
      state.counters = new Map(message.counters.map((c) => [c.number, c]));
      drawCalls(false);
      drawCounters();
      drawGroups(message.groups);
    },
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
          say(message.voice);
          break;
        case "counter":
          state.counters.set(message.counter.number, message.counter);
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
    status(connected) { $("conn").hidden = connected; },
  };

  const token = deviceToken(hall.id);
  $("setup").hidden = !!token;
  if (token) new DeviceChannel(`/ws/halls/${hall.id}`, token, handlers, config.heartbeat).start();
})();
