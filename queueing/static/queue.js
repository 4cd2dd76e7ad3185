// 排队情况: how many wait for each item and at each counter, read again every 10 s.
"use strict";

(function () {
  const { hall, zone } = window.QUEUE;
  const labels = { closed: "已关闭", open: "服务中", paused: "暂停服务" };
  Hall.largeType(document.getElementById("large-type"), true);
  async function refresh() {
    const r = await Hall.api("GET", `/api/halls/${hall}/queue`);
    if (!r.ok) return;
    document.getElementById("q-at").textContent = Hall.time(r.data.at, zone);
    for (const item of r.data.items) {
      const row = document.querySelector(`[data-item="${item.code}"]`);
      if (!row) continue;
      row.querySelector(".q-waiting").textContent = `${item.waiting} 人`;
      row.querySelector(".q-wait").textContent = item.serving ? Hall.waitWords(item.wait_minutes, item.opens_at, zone, item.wait_range).zh : "暂无窗口办理";
    }
    document.getElementById("q-counters").replaceChildren(...r.data.counters.map((c) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = c.name;
      const state = document.createElement("span");
      state.textContent = labels[c.state] + (c.current ? ` · ${c.current.number}` : "");
      li.append(name, state);
      return li;
    }));
  }
  setInterval(refresh, 10000);
})();
