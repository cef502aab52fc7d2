// The page: a WebSocket speaking the server's frames, and a live /stats panel.
// Everything received is shown with textContent, never parsed as HTML.
import {
  Type, typeName, encodeFrame, decodeFrame, decodeText, parseError, parseGoaway,
} from "./protocol.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

// ---- the log -------------------------------------------------------------

const MAX_ENTRIES = 200;
const MAX_SHOWN = 2000; // characters of one message shown in the log

// kind: "sent" | "received" | "info" | "error"
function log(kind, text, detail = "") {
  const list = $("log");
  const item = document.createElement("li");
  item.className = `entry ${kind}`;
  const time = document.createElement("time");
  time.textContent = new Date().toLocaleTimeString([], { hour12: false });
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text.length > MAX_SHOWN
    ? `${text.slice(0, MAX_SHOWN)}… (${text.length.toLocaleString("en-US")} characters)`
    : text;
  item.append(time, body);
  if (detail) {
    const extra = document.createElement("span");
    extra.className = "detail";
    extra.textContent = detail;
    item.append(extra);
  }
  list.append(item);
  while (list.children.length > MAX_ENTRIES) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
}

function setStatus(state, text) {
  const badge = $("ws-status");
  badge.dataset.state = state;
  badge.textContent = text;
}

// ---- the WebSocket -------------------------------------------------------

const closeMeaning = {
  1000: "normal close",
  1001: "server shutting down",
  1006: "connection lost",
  1009: "message too big",
  1011: "server error",
};

let socket = null;
let opened = null; // a promise of the open socket, while connecting
let nextId = 1; // request ids increase on each connection: 1, 2, 3, …
let goingAway = false;
const pending = new Map(); // request id -> {sentAt, what}

function connect() {
  const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws`;
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  socket = ws;
  nextId = 1;
  goingAway = false;
  pending.clear();
  setStatus("connecting", "connecting…");
  opened = new Promise((resolve, reject) => {
    ws.addEventListener("open", () => {
      setStatus("open", "connected");
      log("info", `connected to ${url}`);
      request(Type.HELLO, "Hello (browser)!");
      resolve(ws);
    });
    ws.addEventListener("close", (event) => {
      reject(new Error("closed before it opened"));
      onClose(ws, event);
    });
  });
  opened.catch(() => {}); // a failed connection is reported by onClose
  ws.addEventListener("message", (event) => onMessage(event.data));
  return opened;
}

function request(type, text) {
  const id = nextId++;
  socket.send(encodeFrame(type, id, text));
  pending.set(id, { sentAt: performance.now(), what: typeName(type) });
  log("sent", text, `${typeName(type)} #${id}`);
}

function onMessage(data) {
  if (typeof data === "string") {
    log("error", "unexpected text message (frames travel as binary messages)");
    return;
  }
  let frame;
  try {
    frame = decodeFrame(data);
  } catch (err) {
    log("error", `bad frame from the server: ${err.message}`);
    return;
  }
  const { type, id, payload } = frame;
  if (type === Type.GOAWAY) {
    goingAway = true;
    const { lastId } = parseGoaway(payload);
    setStatus("closing", "going away");
    log("info", "server is going away", `GOAWAY · last #${lastId}`);
    return;
  }
  if (type === Type.ERROR) {
    const { code, meaning, text } = parseError(payload);
    log("error", `error ${code} (${meaning}): ${text}`, id ? `about #${id}` : "");
    pending.delete(id);
    return;
  }
  const req = pending.get(id);
  pending.delete(id);
  const rtt = req ? ` · ${(performance.now() - req.sentAt).toFixed(1)} ms` : "";
  log("received", decodeText(payload), `${typeName(type)} #${id}${rtt}`);
}

function onClose(ws, event) {
  if (ws !== socket) return;
  socket = null;
  opened = null;
  const meaning = closeMeaning[event.code] ?? "closed";
  const reason = event.reason && event.reason !== meaning ? `: “${event.reason}”` : "";
  setStatus("closed", `closed (${event.code})`);
  log(event.code === 1000 || event.code === 1001 ? "info" : "error",
      `connection closed: code ${event.code} (${meaning})${reason}`,
      pending.size ? `${pending.size} request(s) unanswered` : "");
  pending.clear();
}

async function send(text) {
  let ws = socket;
  if (!ws || ws.readyState >= WebSocket.CLOSING || goingAway) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.close(1000, "reconnecting");
    socket = null;
    log("info", "reconnecting…");
    ws = await connect();
  } else if (ws.readyState === WebSocket.CONNECTING) {
    ws = await opened;
  }
  request(Type.MESSAGE, text);
}

$("send-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("message");
  const text = input.value;
  if (!text) return;
  input.value = "";
  input.focus();
  send(text).catch(() => {}); // a failed reconnect is already in the log
});

// ---- the stats panel -----------------------------------------------------

const HISTORY_SECONDS = 60;
const history = []; // {t: seconds (performance clock), rps}
let previous = null; // {t, total}

const number = (n) => Number(n).toLocaleString("en-US");

function formatDuration(seconds) {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
  const two = (n) => String(n).padStart(2, "0");
  if (d) return `${d} d ${two(h)} h`;
  if (h) return `${h} h ${two(m)} m`;
  if (m) return `${m} m ${two(s % 60)} s`;
  return `${s} s`;
}

function formatLatency(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(0)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toFixed(2)} ms`;
  return `${seconds.toFixed(2)} s`;
}

function formatBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

function showStats(stats, now) {
  const total = stats.requests_total;
  if (previous && now > previous.t && total >= previous.total) {
    const rps = (total - previous.total) / (now - previous.t);
    $("rps").textContent = rps.toFixed(1);
    history.push({ t: now, rps });
    while (history.length && history[0].t < now - HISTORY_SECONDS) history.shift();
  }
  previous = { t: now, total };
  $("version").textContent = stats.version ? `v${stats.version}` : "";
  $("requests-total").textContent = number(total);
  $("errors-total").textContent = number(stats.errors_total);
  $("p50").textContent = formatLatency(stats.latency_seconds?.p50);
  $("p99").textContent = formatLatency(stats.latency_seconds?.p99);
  $("uptime").textContent = formatDuration(stats.uptime_seconds);
  $("bytes-in").textContent = formatBytes(stats.bytes_in_total);
  $("bytes-out").textContent = formatBytes(stats.bytes_out_total);
  $("draining").hidden = !stats.draining;
  const items = Object.entries(stats.connections_open ?? {}).map(([transport, count]) => {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = transport;
    const value = document.createElement("strong");
    value.textContent = number(count);
    item.append(value, name);
    return item;
  });
  $("connections").replaceChildren(...items);
  drawChart(now);
}

function svg(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceCeiling(n) {
  if (n <= 1) return 1;
  const step = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((k) => k * step).find((v) => v >= n);
}

function drawChart(now) {
  const W = 480, H = 290, left = 36, right = 8, top = 10, bottom = 22;
  const maxRps = niceCeiling(Math.max(0, ...history.map((p) => p.rps)));
  const x = (t) => left + (W - left - right) * (1 - (now - t) / HISTORY_SECONDS);
  const y = (v) => top + (H - top - bottom) * (1 - v / maxRps);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart-svg" });
  for (const v of [0, maxRps / 2, maxRps]) {
    chart.append(svg("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), class: "gridline" }));
    chart.append(svg("text", { x: left - 6, y: y(v) + 4, class: "axis", "text-anchor": "end" },
      Number.isInteger(v) ? v : v.toFixed(1)));
  }
  chart.append(svg("text", { x: left, y: H - 6, class: "axis" }, "−60 s"));
  chart.append(svg("text", { x: W - right, y: H - 6, class: "axis", "text-anchor": "end" }, "now"));
  if (history.length) {
    const points = history.map((p) => `${x(p.t).toFixed(1)},${y(p.rps).toFixed(1)}`);
    const first = x(history[0].t).toFixed(1), last = x(history.at(-1).t).toFixed(1);
    chart.append(svg("path", {
      d: `M${first},${y(0)} L${points.join(" L")} L${last},${y(0)} Z`, class: "area",
    }));
    chart.append(svg("polyline", { points: points.join(" "), class: "line" }));
  }
  $("chart").replaceChildren(chart);
}

async function poll() {
  const started = performance.now();
  try {
    const response = await fetch("/stats", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    showStats(await response.json(), performance.now() / 1000);
    $("stats-state").textContent = "";
  } catch (err) {
    $("stats-state").textContent = `(unavailable: ${err.message})`;
  }
  setTimeout(poll, Math.max(0, 1000 - (performance.now() - started)));
}

drawChart(performance.now() / 1000);
poll();
connect();
