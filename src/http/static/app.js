// The status page: live over server-sent events (/api/live), the event log from /api/events,
// operator commands with the API token (kept in this tab's sessionStorage only).
const WINDOW_MS = 15 * 60 * 1000;
const MAX_ROWS = 500;
const $ = (selector) => document.querySelector(selector);
const pageLoaded = Date.now();

let pairs = [];
/** Every event received (oldest first), for the timelines and the filtered table. */
let events = [];

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function svg(tag, attributes = {}) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

function token() {
  return sessionStorage.getItem("opcua-redundancy-token") ?? "";
}

// ---- pairs ----------------------------------------------------------------------------------

function renderPairs() {
  const container = $("#pairs");
  container.replaceChildren(...pairs.map(renderPair));
  renderFilterOptions();
  renderTimelines();
}

/** The server's clock against the gateway's: offset ± half the round trip, steps seen. */
function clockText(clock) {
  if (!clock || clock.offsetMs === null) return "–";
  const sign = clock.offsetMs > 0 ? "+" : "";
  const steps = clock.steps > 0 ? ` · ${clock.steps} step(s), last ${clock.lastStep.stepMs} ms` : "";
  return `${sign}${clock.offsetMs} ms ±${Math.ceil(clock.rttMs / 2)}${steps}`;
}

/** Files of the data directory that cannot be written: one line each, until they can again. */
function renderStorage(problems) {
  const box = $("#storage");
  box.hidden = problems.length === 0;
  box.replaceChildren(
    ...problems.map((p) => el("div", { text: `storage: ${p.message} (since ${p.since})` })),
  );
}

function renderPair(pair) {
  const hasMonitors = pair.servers.some((s) => Array.isArray(s.monitors)) || Array.isArray(pair.monitors);
  const rows = pair.servers.map((server, index) =>
    el(
      "tr",
      { class: server.active ? "active-server" : undefined, "data-server": server.url },
      el("td", { text: server.active ? "●" : "" }),
      el("td", { text: server.name }),
      el("td", { text: server.url }),
      el("td", {}, el("span", { class: `badge link-${server.state}`, text: server.state })),
      el("td", { text: server.serverState ?? "–" }),
      el("td", { text: server.serviceLevel ?? "–" }),
      el("td", { class: "clock", text: clockText(server.clock) }),
      hasMonitors ? el("td", { text: monitorText(server.monitors) }) : null,
      lastErrorCell(server),
      el(
        "td",
        {},
        el("button", {
          class: "secondary switch",
          "data-pair": pair.name,
          "data-to": server.url,
          disabled: server.active || server.state !== "connected" ? true : undefined,
          text: index === 0 ? "Return to primary" : "Make active",
          onclick: () => failover(pair.name, server.url),
        }),
      ),
    ),
  );
  const last = pair.lastFailover;
  return el(
    "div",
    { class: "pair", "data-pair": pair.name },
    el(
      "h3",
      {},
      el("span", { text: pair.name }),
      el("span", { class: `badge state-${pair.state}`, text: pair.state }),
      el("span", {
        class: "summary",
        text: `${pair.mode} · ${pair.failovers} failover(s) · address space ${pair.addressSpace}`,
      }),
    ),
    el("div", { class: "summary active", text: `active: ${pair.active ?? "none"}` }),
    last
      ? el("div", {
          class: "summary last-failover",
          text: `last failover ${new Date(last.at).toLocaleTimeString()}: ${last.fromName ?? "none"} → ${last.toName} (${last.reason}: ${last.detail})`,
        })
      : null,
    pair.mode === "hot"
      ? el("div", {
          class: `summary overflows${pair.hotBufferOverflows > 0 ? " warning" : ""}`,
          title:
            "standby values dropped because an item's hot buffer was full: a failover then would have lost them",
          text: `hot buffer overflows: ${pair.hotBufferOverflows ?? 0}`,
        })
      : null,
    hasMonitors && Array.isArray(pair.monitors)
      ? el("div", { class: "summary", text: `monitors: ${monitorText(pair.monitors)}` })
      : null,
    el(
      "table",
      { class: "servers" },
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          ...[
            "",
            "server",
            "url",
            "link",
            "ServerState",
            "ServiceLevel",
            "clock offset",
            ...(hasMonitors ? ["monitors"] : []),
            "last error",
            "",
          ].map((h) => el("th", { text: h })),
        ),
      ),
      el("tbody", {}, ...rows),
    ),
    el(
      "div",
      { class: "actions" },
      el("button", {
        class: "failover",
        "data-pair": pair.name,
        text: "Fail over",
        title: "switch to the best other server",
        onclick: () => failover(pair.name),
      }),
    ),
  );
}

/** The last error with its time; red only while it stands (the server not connected since). */
function lastErrorCell(server) {
  if (!server.lastError) return el("td", { class: "last-error" });
  const at = server.lastErrorAt ? new Date(server.lastErrorAt).toLocaleTimeString() : "";
  const current = server.lastErrorCurrent;
  return el(
    "td",
    {
      class: current ? "last-error error current" : "last-error past",
      title: current ? "the server has not connected since" : "the server connected again since",
    },
    el("span", { class: "when", text: at ? `${at} ` : "" }),
    el("span", { class: "message", text: server.lastError }),
    current ? null : el("span", { class: "since", text: " (connected since)" }),
  );
}

/** A server's ServiceLevel or ServerState changed: patch that server's row (no request, no diff). */
function applyServerFacts(change) {
  const server = pairs.find((p) => p.name === change.pair)?.servers[change.index];
  if (!server) return;
  server.serviceLevel = change.serviceLevel;
  server.serverState = change.serverState;
  document.body.dataset.serverFacts = String(Number(document.body.dataset.serverFacts ?? 0) + 1);
  renderPairs();
}

function monitorText(monitors) {
  if (!Array.isArray(monitors) || monitors.length === 0) return "–";
  return monitors.map((m) => `${m.nodeId ?? m.name ?? "?"}: ${m.failing ? "failing" : "ok"}`).join(", ");
}

async function failover(pair, to) {
  const result = $("#command-result");
  result.className = "";
  result.textContent = `failover of ${pair}…`;
  const headers = { "content-type": "application/json" };
  if (token()) headers.authorization = `Bearer ${token()}`;
  const response = await fetch(`/api/pairs/${encodeURIComponent(pair)}/failover`, {
    method: "POST",
    headers,
    body: JSON.stringify(to ? { to } : {}),
  });
  const body = await response.json().catch(() => ({}));
  if (response.ok) {
    result.textContent = `${pair}: active ${body.pair?.active ?? "none"}`;
  } else {
    result.className = "error";
    result.textContent = `${pair}: ${body.error ?? `HTTP ${response.status}`}${response.status === 401 ? " (enter the API token above)" : ""}`;
  }
}

// ---- timeline -------------------------------------------------------------------------------

/** [{ t, index }] changes of the active server of a pair, oldest first (index null: none). */
function changesOf(pair) {
  const changes = [];
  for (const event of events) {
    if (event.pair !== pair.name) continue;
    const t = Date.parse(event.at);
    const d = event.details ?? {};
    if (event.kind === "failover") changes.push({ t, index: d.toIndex, before: d.fromIndex });
    else if (event.kind === "recovered") changes.push({ t, index: d.index, before: null });
    else if (event.kind === "allLost") changes.push({ t, index: null });
  }
  return changes;
}

function renderTimelines() {
  const now = Date.now();
  const container = $("#timelines");
  container.replaceChildren(
    ...pairs.map((pair) => {
      const changes = changesOf(pair);
      const start = Math.max(now - WINDOW_MS, Math.min(pageLoaded, ...changes.map((c) => c.t)) - 1000);
      const width = 1000;
      const x = (t) => ((Math.max(t, start) - start) / (now - start)) * width;
      const chart = svg("svg", {
        viewBox: `0 0 ${width} 40`,
        role: "img",
        "aria-label": `active server of ${pair.name}`,
      });
      let index = changes.length > 0 ? (changes[0].before ?? null) : (pair.activeIndex ?? null);
      let from = start;
      const segment = (until) => {
        if (until <= from) return;
        chart.append(
          svg("rect", {
            x: x(from),
            y: 8,
            width: Math.max(1, x(until) - x(from)),
            height: 24,
            class: index === null ? "none" : `c${index % 8}`,
          }),
        );
      };
      for (const change of changes) {
        segment(change.t);
        from = Math.max(from, change.t);
        index = change.index ?? null;
      }
      segment(now);
      const legend = el(
        "div",
        { class: "legend" },
        ...pair.servers.map((s, i) => el("span", {}, el("span", { class: `swatch c${i % 8}` }), s.name)),
        el("span", {}, el("span", { class: "swatch none" }), "none"),
        el("span", { text: `${new Date(start).toLocaleTimeString()} – now` }),
      );
      return el(
        "div",
        { class: "timeline", "data-pair": pair.name },
        el("strong", { text: pair.name }),
        chart,
        legend,
      );
    }),
  );
}

// ---- event log ------------------------------------------------------------------------------

function filters() {
  return { pair: $("#filter-pair").value, server: $("#filter-server").value, kind: $("#filter-kind").value };
}

function matches(event, f) {
  return (
    (!f.pair || event.pair === f.pair) &&
    (!f.server || event.server === f.server) &&
    (!f.kind || event.kind === f.kind)
  );
}

function eventRow(event) {
  return el(
    "tr",
    { class: `kind-${event.kind}`, "data-seq": event.seq },
    el("td", { text: event.seq }),
    el("td", { text: new Date(event.at).toLocaleTimeString() }),
    el("td", { text: event.kind }),
    el("td", { text: event.pair ?? "" }),
    el("td", { text: event.server ?? "" }),
    el("td", { text: event.message }),
  );
}

function renderEvents() {
  const f = filters();
  const rows = events
    .filter((e) => matches(e, f))
    .slice(-MAX_ROWS)
    .reverse()
    .map(eventRow);
  $("#events tbody").replaceChildren(...rows);
}

function setOptions(select, values) {
  const current = select.value;
  select.replaceChildren(
    el("option", { value: "", text: "all" }),
    ...values.map((v) => el("option", { value: v, text: v })),
  );
  select.value = values.includes(current) ? current : "";
}

function renderFilterOptions() {
  setOptions(
    $("#filter-pair"),
    pairs.map((p) => p.name),
  );
  const servers = new Set(pairs.flatMap((p) => p.servers.map((s) => s.name)));
  for (const e of events) if (e.server) servers.add(e.server);
  setOptions($("#filter-server"), [...servers]);
}

function addEvent(event) {
  if (events.length > 0 && event.seq <= events[events.length - 1].seq) return;
  events.push(event);
  if (events.length > 5000) events = events.slice(-5000);
  if (matches(event, filters())) {
    const body = $("#events tbody");
    body.prepend(eventRow(event));
    while (body.children.length > MAX_ROWS) body.lastElementChild.remove();
  }
  if (["failover", "recovered", "allLost"].includes(event.kind)) renderTimelines();
}

// ---- start ----------------------------------------------------------------------------------

async function start() {
  for (const id of ["#filter-pair", "#filter-server", "#filter-kind"])
    $(id).addEventListener("change", renderEvents);
  $("#token").value = token();
  $("#auth-state").textContent = token() ? "token set" : "";
  $("#auth").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem("opcua-redundancy-token", $("#token").value.trim());
    $("#auth-state").textContent = token() ? "token set" : "";
  });
  const initial = await fetch("/api/events?limit=1000").then((r) => r.json());
  setOptions($("#filter-kind"), initial.kinds ?? []); // the kinds are the server's (one list)
  events = initial.events ?? [];
  renderEvents();
  const live = new EventSource("/api/live");
  live.addEventListener("open", () => {
    $("#connection").className = "badge on";
    $("#connection").textContent = "live";
  });
  live.addEventListener("error", () => {
    $("#connection").className = "badge off";
    $("#connection").textContent = "reconnecting…";
  });
  live.addEventListener("status", (message) => {
    const document = JSON.parse(message.data);
    pairs = document.pairs;
    renderStorage(document.storage ?? []);
    renderPairs();
  });
  live.addEventListener("event", (message) => addEvent(JSON.parse(message.data)));
  live.addEventListener("serverFacts", (message) => applyServerFacts(JSON.parse(message.data)));
  // Redraw the timelines so that "now" moves (no request involved).
  setInterval(renderTimelines, 5000);
  document.body.dataset.ready = "true";
}

start();
