// A counter's LED board (窗口屏): the number being served, or the counter's state.
"use strict";

(function () {
  const { hall, counter, heartbeat } = window.BOARD;
  const $ = (id) => document.getElementById(id);
  const log = (window.BOARD.log = { shown: [] });

  function show(board, flash) {
    $("board-name").textContent = board.name;
    const serving = board.current && board.state !== "closed";
    $("board-number").textContent = serving ? board.current : "";
    $("board-state").textContent = serving ? "请到本窗口办理" : (board.state === "open" ? "请稍候" : board.state_text);
    $("board").className = "board " + board.state + (serving ? " serving" : "");
    $("board-staff").textContent = board.staff_name ? `工作人员 ${board.staff_name}` : "";
    log.shown.push(serving ? board.current : board.state_text);
    if (flash) {
      $("board-number").classList.remove("flash");
      void $("board-number").offsetWidth;
      $("board-number").classList.add("flash");
    }
  }

  const handlers = {
    snapshot(message) { if (message.counters.length) show(message.counters[0], false); },
    message(message) {
      if (message.counter && message.counter.number === counter) {
        show(message.counter, message.type === "call" || message.type === "recall");
      }
    },
    status(connected) { $("conn").hidden = connected; },
    stale(behind) { $("behind").hidden = !behind; },
  };

  const token = deviceToken(hall.id);
  $("setup").hidden = !!token;
  if (token) new DeviceChannel(`/ws/halls/${hall.id}/counters/${counter}`, token, handlers, heartbeat).start();
})();
