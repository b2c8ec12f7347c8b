// realtime.js - live updates: one WebSocket per signed-in tab.
//
// Screens call watch(channelId, handler) for each channel they show and get
// back a function that stops watching; main.js stops every watch when the
// reader moves to another screen.  The socket opens with the first watch
// (a browser cannot send Authorization on a WebSocket, so it first asks for
// a single-use ticket over REST, POST /realtime/tickets, and passes it as
// ?ticket=), subscribes to exactly the channels watched, and unsubscribes
// when no screen shows a channel any more.  handler(msg) receives the
// server's `event`, `revoked` and `resync` messages for its channel, its
// `subscribed` (the channel is live), and {type: "offline"} when the
// connection drops (until `subscribed` comes again).
//
// Nothing is lost across a dropped connection: we remember the highest
// `seq` seen (it is one number for the whole platform), reconnect with a
// growing pause, and subscribe again with `since`, so the server replays
// what was missed or says `resync`; a channel that never had an event is
// told `resync` by us, so its screen reloads it over REST.  Close code
// 1008 means the session is over (signed out elsewhere, account erased):
// the token is forgotten and the reader is sent to sign in.  The socket is
// the same origin as the page, the only one the CSP's connect-src admits.
import * as api from "./api.js";

const watchers = new Map(); // channel id -> Set of handlers
let socket = null;
let state = "closed"; // closed | connecting | open
let lastSeq = null;
let retry = 0;
let timer = null;
let stopped = true;
const sent = new Set(); // channels subscribed on the current socket

/** Watch a channel: handler(msg) for each event, revoked or resync; returns stop(). */
export function watch(channelId, handler) {
  if (!watchers.has(channelId)) watchers.set(channelId, new Set());
  watchers.get(channelId).add(handler);
  stopped = false;
  if (state === "closed") connect();
  else if (state === "open") sync();
  return () => {
    const set = watchers.get(channelId);
    if (!set) return;
    set.delete(handler);
    if (!set.size) watchers.delete(channelId);
    if (state === "open") queueMicrotask(sync);
  };
}

/** Close the socket and forget everything (signing out). */
export function stop() {
  stopped = true;
  watchers.clear();
  sent.clear();
  lastSeq = null;
  clearTimeout(timer);
  if (socket) {
    const s = socket;
    socket = null;
    state = "closed";
    s.close(1000);
  }
}

/** The socket's state, for tests and the header: "closed" | "connecting" | "open". */
export function status() {
  return state;
}

async function connect() {
  clearTimeout(timer);
  if (stopped || !api.token()) return;
  state = "connecting";
  let ticket;
  try {
    ({ ticket } = await api.realtimeTicket());
  } catch (err) {
    state = "closed";
    // 401: api.js has sent the reader to sign in; anything else: try again
    if (!(err instanceof api.ApiError && err.status === 401)) later();
    return;
  }
  if (stopped) {
    state = "closed";
    return;
  }
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/api/v1/realtime?ticket=${encodeURIComponent(ticket)}`);
  socket = ws;
  ws.addEventListener("open", () => {
    if (socket !== ws) return;
    state = "open";
    retry = 0;
    const resumed = sent.size > 0 || lastSeq !== null;
    sent.clear();
    sync(resumed);
  });
  ws.addEventListener("message", (e) => {
    if (socket !== ws) return;
    let msg;
    try {
      msg = JSON.parse(e.data);
    } catch {
      return;
    }
    receive(msg);
  });
  ws.addEventListener("close", (e) => {
    if (socket !== ws) return;
    socket = null;
    state = "closed";
    for (const c of watchers.keys()) deliver(c, { type: "offline", channel_id: c });
    if (e.code === 1008) {
      // the session is over: sign in again
      stopped = true;
      watchers.clear();
      sent.clear();
      api.sessionEnded();
      return;
    }
    later();
  });
}

function later() {
  if (stopped || !watchers.size) return;
  const pause = Math.min(30000, 1000 * 2 ** retry) * (0.75 + Math.random() / 2);
  retry = Math.min(retry + 1, 5);
  clearTimeout(timer);
  timer = setTimeout(connect, pause);
}

/** Bring the socket's subscriptions in line with what screens watch. */
function sync(resumed = false) {
  if (!socket || state !== "open") return;
  const want = [...watchers.keys()];
  const add = want.filter((c) => !sent.has(c));
  const drop = [...sent].filter((c) => !watchers.has(c));
  for (let i = 0; i < drop.length; i += 100) {
    socket.send(JSON.stringify({ type: "unsubscribe", channels: drop.slice(i, i + 100) }));
  }
  for (const c of drop) sent.delete(c);
  for (let i = 0; i < add.length; i += 100) {
    const msg = { type: "subscribe", channels: add.slice(i, i + 100) };
    if (resumed && lastSeq !== null) msg.since = lastSeq;
    socket.send(JSON.stringify(msg));
  }
  for (const c of add) sent.add(c);
  if (resumed && lastSeq === null) {
    // reconnected with nothing to resume from: what was missed is unknown
    for (const c of add) deliver(c, { type: "resync", channel_id: c });
  }
}

function receive(msg) {
  if (msg.type === "event") {
    if (typeof msg.seq === "number" && (lastSeq === null || msg.seq > lastSeq)) lastSeq = msg.seq;
    if (msg.channel_id) deliver(msg.channel_id, msg);
  } else if (msg.type === "revoked") {
    sent.delete(msg.channel_id);
    deliver(msg.channel_id, msg);
  } else if (msg.type === "resync") {
    deliver(msg.channel_id, msg);
  } else if (msg.type === "subscribed") {
    for (const c of msg.channels || []) deliver(c, { type: "subscribed", channel_id: c });
  } else if (msg.type === "error" && msg.channel_id) {
    // a channel we may not read (any more): the same as losing it
    sent.delete(msg.channel_id);
    deliver(msg.channel_id, { type: "revoked", channel_id: msg.channel_id });
  }
}

function deliver(channelId, msg) {
  for (const fn of [...(watchers.get(channelId) || [])]) {
    try {
      fn(msg);
    } catch (err) {
      console.error(err);
    }
  }
}
