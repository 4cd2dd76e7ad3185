// The device channel, as a screen sees it: a snapshot, then every message in order.
// A message with the next sequence number is applied; an older one ignored; a later one
// means something was missed: ask for a fresh snapshot. A channel quiet for three
// heartbeats is presumed dead and reconnected; a closed one is reopened with backoff.
// Every heartbeat carries the newest sequence number of the hall's record (every server's
// calls) and says whether this server hears the others (``relayed``: false while Redis is
// away). A channel behind the record, or on a server that does not hear the others, may be
// missing calls: it tells the page (``stale``), which shows it, for a few seconds at least.
"use strict";

const STALE_SHOWN_MS = 3000;  // a stale mark stays this long at least: a resync takes milliseconds

class DeviceChannel {
  constructor(path, token, handlers, heartbeatSeconds) {
    this.path = path;
    this.token = token;
    // {snapshot(msg, first), message(msg), status(connected), stale(may be missing calls)?}
    this.handlers = handlers;
    this.deadAfter = 3 * heartbeatSeconds * 1000;
    this.seq = -1;
    this.resyncing = false;
    this.relayed = true;
    this.stale = false;
    this.staleSince = 0;
    this.staleTimer = null;
    this.backoff = 1000;
    this.lastHeard = Date.now();
    this.ws = null;
    setInterval(() => this.watch(), 2000);
  }

  start() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}${this.path}?token=${encodeURIComponent(this.token)}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => { this.backoff = 1000; this.lastHeard = Date.now(); this.handlers.status(true); };
    ws.onmessage = (event) => { this.lastHeard = Date.now(); this.receive(JSON.parse(event.data)); };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.handlers.status(false);
      const delay = this.backoff * (0.75 + Math.random() / 2);
      this.backoff = Math.min(this.backoff * 2, 15000);
      setTimeout(() => this.start(), delay);
    };
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  resync() {
    if (this.resyncing) return;
    this.resyncing = true;
    this.mark();
    this.send({ type: "resync" });
  }

  mark() {
    const stale = this.resyncing || !this.relayed;
    clearTimeout(this.staleTimer);
    if (stale && !this.stale) {
      this.stale = true;
      this.staleSince = Date.now();
      if (this.handlers.stale) this.handlers.stale(true);
    } else if (!stale && this.stale) {  // fresh again: the mark stays long enough to be seen
      this.staleTimer = setTimeout(() => {
        this.stale = false;
        if (this.handlers.stale) this.handlers.stale(false);
      }, Math.max(this.staleSince + STALE_SHOWN_MS - Date.now(), 0));
    }
  }

  receive(message) {
    if (message.type === "snapshot") {
      const first = this.seq < 0;
      this.seq = message.seq;
      this.resyncing = false;
      this.mark();
      this.handlers.snapshot(message, first);
      return;
    }
    if (message.type === "heartbeat") {
      this.send({ type: "pong" });
      this.relayed = message.relayed !== false;
      if (message.seq > this.seq) this.resync();  // we missed a message: the record is ahead
      else this.mark();
      return;
    }
    if (message.seq <= this.seq) return;  // already in the snapshot
    if (message.seq !== this.seq + 1 || message.type === "reset") { this.resync(); return; }
    this.seq = message.seq;
    if (message.type !== "tick") this.handlers.message(message);
  }

  watch() {
    if (this.ws && Date.now() - this.lastHeard > this.deadAfter) this.ws.close();  // onclose reconnects
  }
}

// The device token: from the address (``#token=…``, as a technician sets a device up, then
// taken out of the address bar) or as kept from then. ``kind`` keeps apart the tokens of
// devices sharing a browser (an LED board's and an evaluation pad's).
function deviceToken(hall, kind = "display-token") {
  const key = kind + ":" + hall;
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    localStorage.setItem(key, fromHash);
    history.replaceState(null, "", location.pathname);
  }
  return localStorage.getItem(key);
}
