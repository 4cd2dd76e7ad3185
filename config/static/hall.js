// Shared helpers for the pages: the API call, tokens, messages, the hall clock.
"use strict";

const Hall = {
  async api(method, path, body, token) {
    const headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers["Authorization"] = "Bearer " + token;
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      return { ok: false, status: 0, data: { detail: "network error", detail_zh: "网络连接失败，请稍后重试" } };
    }
    let data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch (err) { data = null; }
    }
    return { ok: response.ok, status: response.status, data };
  },

  // ``read`` made to run one at a time: whoever asks while one is on its way gets the one after
  // it (so the state after their own action), shared with anyone else asking meanwhile. A slow
  // server, or a PC waking with its timers due at once, never piles reads up behind a press,
  // and a late answer never overwrites a newer one.
  serial(read) {
    let running = null, queued = null;
    const run = () => {
      if (running) return (queued = queued || running.then(() => { queued = null; return run(); }));
      running = Promise.resolve().then(read).catch((err) => console.error(err)).finally(() => { running = null; });
      return running;
    };
    return run;
  },

  message(result) {
    const d = result.data || {};
    return d.detail_zh || d.detail || ("请求失败 (" + result.status + ")");
  },

  // Who reads the manager's pages (statistics, reports, ratings): a manager, an administrator,
  // an inspector (who reads and changes nothing; the server refuses him every change).
  readsHall(role) { return role === "manager" || role === "admin" || role === "inspector"; },

  // Ends ``token`` on the server (退出登录): it stops working there, whoever holds a copy.
  async endToken(token) {
    if (token) await Hall.api("POST", "/api/auth/logout", undefined, token);
  },

  // A staff member's sign-in on this PC, shared by the counter and service-desk pages; a
  // manager's is kept for the manager's pages too (one sign-in serves him on every page), and
  // anyone else signing in makes this PC forget it, so it cannot come back when they sign out
  // (the token itself ends when it expires, or when its owner signs out: 退出登录).
  staffSession(hall) {
    const tokenKey = "staff-token:" + hall, managerKey = "manager-token:" + hall;
    const read = (key) => {
      const s = JSON.parse(localStorage.getItem(key) || "null");
      return s && new Date(s.expires_at) > new Date() ? s : null;
    };
    return {
      current: () => read(tokenKey) || read(managerKey),
      async signIn(form) {  // the sign-in form's fields: the answer, its session kept if it is one
        const r = await Hall.api("POST", "/api/auth/login",
          { hall, username: form.get("username"), password: form.get("password") });
        if (!r.ok) return r;
        localStorage.setItem(tokenKey, JSON.stringify(r.data));
        if (Hall.readsHall(r.data.role)) localStorage.setItem(managerKey, JSON.stringify(r.data));
        else localStorage.removeItem(managerKey);
        return r;
      },
      // On this PC, everywhere: the counter pages and the manager's pages; ``end``: the tokens
      // are ended on the server too (退出登录), not only forgotten here (a token refused already: no).
      async signOut(end = true) {
        const tokens = new Set([read(tokenKey), read(managerKey)].filter(Boolean).map((s) => s.token));
        localStorage.removeItem(tokenKey);
        localStorage.removeItem(managerKey);
        if (end) await Promise.all([...tokens].map(Hall.endToken));
      },
    };
  },

  toast(text, isError) {
    let el = document.getElementById("toast");
    if (!el) {
      el = document.createElement("div");
      el.id = "toast";
      el.className = "toast";
      el.setAttribute("role", "status");
      document.body.appendChild(el);
    }
    el.textContent = text;
    el.classList.toggle("error", !!isError);
    el.classList.add("show");
    clearTimeout(Hall._toastTimer);
    Hall._toastTimer = setTimeout(() => el.classList.remove("show"), isError ? 6000 : 3000);
  },

  time(iso, zone) {
    if (!iso) return "";
    return new Date(iso).toLocaleTimeString("zh-CN", { timeZone: zone, hour: "2-digit", minute: "2-digit" });
  },

  startClock(el, zone) {
    const tick = () => {
      el.textContent = new Date().toLocaleString("zh-CN", {
        timeZone: zone, month: "long", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit",
      });
    };
    tick();
    setInterval(tick, 10000);
  },

  // What a waiting ticket (or an item's button) is told about its wait, in words: minutes
  // (a range when wide, as views.wait_words says it) while a counter for it is staffed, else
  // when service begins, else that none is open yet.
  waitWords(minutes, opensAt, zone, range = null) {
    if (range) return { zh: `约 ${range[0]}–${range[1]} 分钟`, en: `about ${range[0]}–${range[1]} min`, open: true };
    if (minutes !== null && minutes !== undefined) return { zh: `约 ${minutes} 分钟`, en: `about ${minutes} min`, open: true };
    if (opensAt) {
      const at = Hall.time(opensAt, zone);
      return { zh: `${at} 开始办理`, en: `service begins at ${at}`, open: false };
    }
    // no counter open for it yet, or its turn would come after today's closing: said so that is true of both
    return { zh: "暂无法估计等候时间，请咨询服务台", en: "waiting time cannot be estimated now; please ask at the service desk", open: false };
  },

  // Counter numbers as runs, as on the slip: [1,2,3,5,8] → "1-3、5、8"
  counterSpans(numbers, separator = "、") {
    const sorted = [...new Set(numbers)].sort((a, b) => a - b);
    const spans = [];
    for (let i = 0; i < sorted.length;) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
      if (j - i >= 2) spans.push(`${sorted[i]}-${sorted[j]}`);
      else for (let k = i; k <= j; k++) spans.push(String(sorted[k]));
      i = j + 1;
    }
    return spans.join(separator);
  },

  // 适老化 large type: a toggle button; ``remember``: kept for this phone's next visit.
  largeType(button, remember) {
    const set = (on) => {
      document.body.classList.toggle("large-type", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
      if (remember) { try { localStorage.setItem("large-type", on ? "1" : ""); } catch (err) { /* private mode */ } }
    };
    let stored = false;
    if (remember) { try { stored = localStorage.getItem("large-type") === "1"; } catch (err) { stored = false; } }
    set(stored);
    button.addEventListener("click", () => set(!document.body.classList.contains("large-type")));
    return set;
  },

  // The page's confirm dialog (confirm_dialog.html): resolves true for 确定, false for 取消 or Esc.
  confirm(text) {
    return new Promise((resolve) => {
      const dialog = document.getElementById("confirm-dialog");
      document.getElementById("confirm-text").textContent = text;
      dialog.returnValue = "";  // Esc keeps the last value
      dialog.onclose = () => resolve(dialog.returnValue === "ok");
      dialog.showModal();
      document.getElementById("confirm-ok").focus();
    });
  },

  newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  },
};

// The page's settings, given by the server as data, not as code (the Content-Security-Policy runs
// no inline script): <script type="application/json" id="page-data" data-global="KIOSK">{…}</script>
// becomes window.KIOSK, read by the page's own script.
(function () {
  const block = document.getElementById("page-data");
  if (block) window[block.dataset.global] = JSON.parse(block.textContent);
})();
