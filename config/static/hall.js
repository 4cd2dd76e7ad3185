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

  message(result) {
    const d = result.data || {};
    return d.detail_zh || d.detail || ("请求失败 (" + result.status + ")");
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

  newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  },
};
