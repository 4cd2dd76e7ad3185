// 空岗提醒 on a page. The hall channel (opened with a staff or manager token, see channel.js)
// brings an ``alert`` when a rostered counter post is empty while tickets wait for it. The
// page shows one banner per post, for as long as nobody serves the post again, or until the
// reader dismisses it. ``concerns(alert)`` says whether this reader is to see an alert (the
// B person asked to cover the post, or a manager). The channel's snapshot carries the alerts
// standing when the page (re)connects, so a page opened later sees them too.
"use strict";

const PostAlerts = {
  text(alert) {
    const who = alert.b ? `B岗 ${alert.b_name || alert.b} 请补位` : "请安排人员补位";
    return `【空岗提醒】${alert.counter_name}无人在岗，${alert.waiting}人等候；${who}`;
  },

  // Opens the channel; returns {stop()}, which closes it for good and clears the banners.
  watch({ hall, zone, token, heartbeat, box, concerns }) {
    const shown = new Map();  // counter number -> its banner
    const root = document.documentElement;

    function clear(counter) {
      const banner = shown.get(counter);
      if (banner) { banner.remove(); shown.delete(counter); }
    }

    function show(alert) {
      clear(alert.counter);
      const banner = document.createElement("div");
      banner.className = "post-alert";
      banner.setAttribute("role", "alert");
      banner.dataset.counter = alert.counter;
      const text = document.createElement("span");
      text.className = "post-alert-text";
      text.textContent = PostAlerts.text(alert);
      const since = document.createElement("small");
      since.textContent = ` ${Hall.time(alert.since, zone)} 起`;
      text.append(since);
      const dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "post-alert-dismiss";
      dismiss.textContent = "知道了";
      dismiss.setAttribute("aria-label", `知道了：${alert.counter_name}空岗提醒`);
      dismiss.addEventListener("click", () => clear(alert.counter));
      banner.append(text, dismiss);
      box.prepend(banner);
      shown.set(alert.counter, banner);
    }

    const channel = new DeviceChannel(`/ws/halls/${hall}`, token, {
      snapshot(message) {
        const standing = new Set((message.alerts || []).map((a) => a.counter));
        for (const counter of [...shown.keys()]) if (!standing.has(counter)) clear(counter);
        for (const alert of message.alerts || []) if (concerns(alert) && !shown.has(alert.counter)) show(alert);
      },
      message(message) {
        if (message.type === "alert") {
          if (concerns(message.alert)) show(message.alert);
          return;
        }
        const board = message.counter;  // a call or a change at a counter: someone serves the post again?
        if (board && typeof board === "object" && board.state === "open" && board.staff) clear(board.number);
      },
      status(connected) { root.dataset.alerts = connected ? "live" : "down"; },
    }, heartbeat);
    channel.start();

    return {
      stop() {
        channel.start = () => {};  // no reconnecting (channel.js reopens a closed channel)
        channel.handlers = { snapshot() {}, message() {}, status() {} };
        if (channel.ws) channel.ws.close();
        shown.forEach((banner) => banner.remove());
        shown.clear();
        delete root.dataset.alerts;
      },
    };
  },
};
