// mcnode dashboard: polls this node's admin endpoints once a second and renders them.
// Reads both the runtime's /info (peers[].id/connected/slot, phase, pool) and the admin
// router's (peers[].node_id/state/latest_slot, slot.phase, pool_size). Endpoints the node
// does not serve (404) are marked unavailable.
"use strict";

const POLL_MS = 1000;
const SVG_NS = "http://www.w3.org/2000/svg"; // a namespace name, not a download
const RATE_WINDOW_MS = 120000;
const samples = []; // {t, height}

function $(id) { return document.getElementById(id); }
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function short(id) { return id ? String(id).slice(0, 8) : "?"; }

async function get(path) {
  try {
    const r = await fetch(path, { cache: "no-store" });
    if (r.status === 404) return { missing: true };
    const body = await r.json();
    return { ok: r.ok, body };
  } catch (e) {
    return { error: String(e) };
  }
}

// One shape for both /info schemas.
function normalise(info) {
  const slot = typeof info.slot === "object" && info.slot !== null ? info.slot : { index: info.slot, phase: info.phase };
  const peers = (info.peers || []).map(p => ({
    id: p.node_id || p.id,
    state: p.state || (p.connected ? "connected" : "disconnected"),
    slot: p.latest_slot !== undefined ? p.latest_slot : p.slot,
  }));
  let behind = info.blocks_behind || 0;
  let syncing = false;
  if (info.sync && typeof info.sync === "object") {
    syncing = info.sync.status === "catching_up";
    behind = info.sync.blocks_behind || 0;
  } else if (info.serving === false) {
    syncing = true;
  }
  const lastTime = info.last_block ? info.last_block.time : info.last_block_time;
  return {
    id: info.node_id, chain: info.chain_id, version: info.version, height: info.height,
    slot: slot.index, phase: slot.phase || "idle", ballot: slot.ballot_counter,
    pool: info.pool_size !== undefined ? info.pool_size : info.pool,
    peers, syncing, behind, lastTime,
  };
}

function blockRate(now, height) {
  samples.push({ t: now, height });
  while (samples.length > 2 && now - samples[0].t > RATE_WINDOW_MS) samples.shift();
  const first = samples[0];
  const dt = (now - first.t) / 60000;
  return dt > 0 ? (height - first.height) / dt : null;
}

// The latest statement of each node on the current slot, from /scp.
function phases(scp) {
  const out = new Map();
  if (!scp || !Array.isArray(scp.statements)) return out;
  const names = { nominate: "nominating", prepare: "prepare", confirm: "confirm", externalize: "externalize" };
  for (const s of scp.statements) {
    const b = s.ballot || s.commit;
    out.set(String(s.node), { phase: names[s.type] || s.type, ballot: b ? b.counter : "" });
  }
  return out;
}

// A validator's state: disconnected, behind (its slot is below ours), agreeing (it is on our
// slot and /scp has a statement from it), or connected.
function stateOf(peer, me, scpPhases) {
  if (peer.state !== "connected") return "disconnected";
  if (peer.slot !== null && peer.slot !== undefined && me.slot !== undefined && peer.slot + 1 < me.slot) return "behind";
  if (scpPhases.has(String(peer.id)) || (peer.slot !== undefined && peer.slot !== null && peer.slot >= me.slot)) return "agreeing";
  return "connected";
}

function quorumMembers(qs, depth, out) {
  for (const v of qs.validators || []) out.push({ id: String(v), depth });
  for (const inner of qs.inner_sets || []) quorumMembers(inner, depth + 1, out);
  return out;
}
function describeSet(qs) {
  const parts = (qs.validators || []).map(short).concat((qs.inner_sets || []).map(describeSet));
  return qs.threshold + " of {" + parts.join(", ") + "}";
}

function drawGraph(me, states, quorum) {
  const svg = $("quorum-graph");
  svg.replaceChildren();
  let members;
  if (quorum && quorum.quorum_set) {
    members = quorumMembers(quorum.quorum_set, 0, []).filter(m => m.id !== String(me.id));
  } else {
    members = me.peers.map(p => ({ id: String(p.id), depth: 0 }));
  }
  const cx = 260, cy = 180, r = 130;
  const pos = members.map((m, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(members.length, 1);
    const rr = r - 25 * m.depth;
    return { ...m, x: cx + rr * Math.cos(a), y: cy + rr * Math.sin(a) };
  });
  for (const p of pos) svg.appendChild(svgEl("line", { x1: cx, y1: cy, x2: p.x, y2: p.y }));
  const node = (x, y, cls, label, id) => {
    const g = svgEl("g", { "data-node": id, "data-state": cls });
    g.appendChild(svgEl("title", {}, id + " (" + cls + ")"));
    g.appendChild(svgEl("circle", { cx: x, cy: y, r: 16, class: cls }));
    g.appendChild(svgEl("text", { x, y: y + 30, "text-anchor": "middle" }, label));
    svg.appendChild(g);
  };
  node(cx, cy, "self", short(me.id) + " (this node)", String(me.id));
  for (const p of pos) node(p.x, p.y, states.get(p.id) || "disconnected", short(p.id), p.id);
}

function renderAlerts(me, quorum) {
  const box = $("alerts");
  box.replaceChildren();
  const h = quorum && quorum.health;
  if (h && h.slice_satisfied === false) {
    const down = (h.disconnected || []).map(short).join(", ");
    box.appendChild(el("div", { class: "alert bad", id: "alert-slice" },
      "Quorum slice unsatisfied: this node cannot make progress until peers return (disconnected: " + (down || "none") + ")"));
  }
  if (h && h.intersection === false) {
    box.appendChild(el("div", { class: "alert bad" }, "The known network does not enjoy quorum intersection"));
  }
  if (me.syncing) {
    box.appendChild(el("div", { class: "alert warn" }, "Catching up: " + me.behind + " blocks behind"));
  }
  if (!quorum) {
    const connected = me.peers.filter(p => p.state === "connected").length;
    if (me.peers.length > 0 && connected === 0) {
      box.appendChild(el("div", { class: "alert bad", id: "alert-slice" }, "No peer connected: no quorum slice can be satisfied"));
    }
  }
}

function renderNodes(me, states, scpPhases) {
  const tbody = $("nodes").tBodies[0];
  tbody.replaceChildren();
  const rows = [{ id: String(me.id), state: "self", slot: me.slot, own: true }].concat(
    me.peers.map(p => ({ id: String(p.id), state: states.get(String(p.id)), slot: p.slot })));
  for (const r of rows) {
    const ph = scpPhases.get(r.id);
    const tr = el("tr", { "data-node": r.id });
    const idCell = el("td", { title: r.id });
    idCell.appendChild(el("code", {}, short(r.id) + (r.own ? " (this node)" : "")));
    tr.appendChild(idCell);
    tr.appendChild(el("td", { class: "state-" + r.state }, r.state));
    tr.appendChild(el("td", {}, r.slot === null || r.slot === undefined ? "–" : String(r.slot)));
    tr.appendChild(el("td", {}, ph ? ph.phase : (r.own ? me.phase : "–")));
    tr.appendChild(el("td", {}, ph ? String(ph.ballot) : (r.own && me.ballot ? String(me.ballot) : "–")));
    tbody.appendChild(tr);
  }
}

function renderBlocks(res, me) {
  const tbody = $("blocks").tBodies[0];
  const note = $("blocks-note");
  if (!res || !res.ok || !Array.isArray(res.body)) {
    note.textContent = res && res.missing ? "This node does not serve /blocks: block sizes unavailable." : "";
    return;
  }
  note.textContent = "";
  tbody.replaceChildren();
  for (const b of res.body.slice().reverse()) {
    const tr = el("tr", { "data-block": String(b.index) });
    tr.appendChild(el("td", {}, String(b.index)));
    tr.appendChild(el("td", { title: b.id }, short(b.id)));
    tr.appendChild(el("td", {}, String((b.key_images || []).length)));
    tr.appendChild(el("td", {}, String((b.outputs || []).length)));
    tr.appendChild(el("td", {}, String((b.signatures || []).length)));
    tbody.appendChild(tr);
  }
}

async function tick() {
  const [infoRes, quorumRes, scpRes, blocksRes] = await Promise.all([
    get("/info"), get("/quorum"), get("/scp"), get("/blocks?limit=10"),
  ]);
  if (!infoRes.ok) {
    $("identity").textContent = "admin /info unreachable";
    return;
  }
  const me = normalise(infoRes.body);
  const quorum = quorumRes.ok ? quorumRes.body : null;
  const scpPhases = phases(scpRes.ok ? scpRes.body : null);
  const now = Date.now();
  $("identity").textContent = short(me.id) + " · " + me.chain + " · v" + me.version;
  $("identity").title = String(me.id);
  $("updated").textContent = "updated " + new Date(now).toLocaleTimeString();
  $("height").textContent = String(me.height);
  $("height").setAttribute("data-height", String(me.height));
  const rate = blockRate(now, me.height);
  $("rate").textContent = rate === null ? "–" : rate.toFixed(1) + "/min";
  $("last-block-age").textContent = me.lastTime ? "last block " + Math.max(0, Math.round(now / 1000 - me.lastTime)) + " s ago" : "";
  $("slot").textContent = String(me.slot);
  $("phase").textContent = me.phase;
  $("pool").textContent = String(me.pool);
  $("sync").textContent = me.syncing ? "catching up" : "synced";
  const states = new Map(me.peers.map(p => [String(p.id), stateOf(p, me, scpPhases)]));
  $("quorum-summary").textContent = quorum
    ? describeSet(quorum.quorum_set) + (quorum.health.slice_satisfied ? " · slice satisfied" : " · SLICE UNSATISFIED")
    : "quorum set not served by this node (/quorum); showing configured peers";
  drawGraph(me, states, quorum);
  renderNodes(me, states, scpPhases);
  renderBlocks(blocksRes, me);
  renderAlerts(me, quorum);
  document.body.setAttribute("data-ready", "1");
}

async function loop() {
  await tick();
  setTimeout(loop, POLL_MS);
}
loop();
