// What the managers' pages share: signing in with a manager's (or an administrator's) account,
// kept in this browser as the counter page keeps a clerk's; the API called with that token;
// and the 空岗提醒 banners from the hall channel, opened with the same token.
"use strict";

const Manage = {
  session: null,
  config: null,
  roleNames: { admin: "管理员", manager: "大厅负责人", inspector: "巡查员" },
  alerts: null,
  onReady: null,

  key() { return "manager-token:" + Manage.config.hall; },

  // config: {hall, zone, heartbeat}; onReady(): load the page's data once signed in.
  start(config, onReady) {
    Manage.config = config;
    Manage.onReady = onReady;
    const $ = (id) => document.getElementById(id);
    $("login-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const form = new FormData(e.target);
      const r = await Hall.api("POST", "/api/auth/login",
        { hall: config.hall, username: form.get("username"), password: form.get("password") });
      if (!r.ok) { Hall.toast(Hall.message(r), true); return; }
      if (!Hall.readsHall(r.data.role)) {
        Hall.toast("该账号不是管理人员，无权查看此页面", true);
        return;
      }
      localStorage.setItem(Manage.key(), JSON.stringify(r.data));
      e.target.reset();
      Manage.begin(r.data);
    });
    $("logout").addEventListener("click", () => Manage.signOut(null, true));
    // One sign-in serves a manager on every page: a manager signed in on a counter page counts here.
    const valid = (s) => s && new Date(s.expires_at) > new Date() && Hall.readsHall(s.role);
    let kept = JSON.parse(localStorage.getItem(Manage.key()) || "null");
    if (!valid(kept)) kept = JSON.parse(localStorage.getItem("staff-token:" + config.hall) || "null");
    if (valid(kept)) Manage.begin(kept);
    else Manage.show(false);
  },

  show(signedIn) {
    const $ = (id) => document.getElementById(id);
    $("login").hidden = signedIn;
    $("work").hidden = !signedIn;
    $("logout").hidden = !signedIn;
    $("who").textContent = signedIn
      ? `${Manage.session.name}（${Manage.roleNames[Manage.session.role] || "大厅负责人"}）` : "";
  },

  begin(session) {
    Manage.session = session;
    Manage.show(true);
    if (Manage.alerts) Manage.alerts.stop();
    const { hall, zone, heartbeat } = Manage.config;
    Manage.alerts = PostAlerts.watch({
      hall, zone, heartbeat, token: session.token, box: document.getElementById("post-alerts"), concerns: () => true,
    });
    Manage.onReady();
  },

  // On this PC, everywhere: the manager's pages and the counter pages; ``end``: 退出登录, the
  // token is ended on the server too (not when it was refused already).
  signOut(message, end = false) {
    const kept = JSON.parse(localStorage.getItem("staff-token:" + Manage.config.hall) || "null");
    const tokens = new Set([Manage.session, kept].filter(Boolean).map((s) => s.token));
    if (end) tokens.forEach(Hall.endToken);
    localStorage.removeItem(Manage.key());
    localStorage.removeItem("staff-token:" + Manage.config.hall);
    Manage.session = null;
    if (Manage.alerts) Manage.alerts.stop();
    Manage.alerts = null;
    Manage.show(false);
    if (message) Hall.toast(message, true);
  },

  async api(method, path, body) {
    if (!Manage.session) return { ok: false, status: 401, data: null };
    const r = await Hall.api(method, path, body, Manage.session.token);
    if (r.status === 401) Manage.signOut("登录已失效，请重新登录");
    return r;
  },

  // A refusal in full: the Chinese message and the API's detail (which names the field).
  refusal(result) {
    const d = result.data || {};
    const zh = d.detail_zh || "";
    const en = typeof d.detail === "string" ? d.detail : "";
    if (zh && en && zh !== en) return `${zh}（${en}）`;
    return zh || en || `请求失败 (${result.status})`;
  },

  // A simulated figure and its 95 % interval: "4.2 [3.9, 4.6]" (``scale`` 100: a share in %).
  pm(e, digits = 1, scale = 1) {
    if (!e || e.mean === null || e.mean === undefined) return "–";
    const v = (x) => (x * scale).toFixed(digits);
    return e.ci95 ? `${v(e.mean)} [${v(e.ci95[0])}, ${v(e.ci95[1])}]` : v(e.mean);
  },

  el(tag, props, ...children) {
    const node = document.createElement(tag);
    Object.entries(props || {}).forEach(([name, value]) => {
      if (name === "class") node.className = value;
      else if (name === "dataset") Object.assign(node.dataset, value);
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value);
    });
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  },
};
