// The configuration page: edits the configuration file's value (GET /api/config) in forms, shows
// every problem at its field (paths as check-config prints them), and saves through the API,
// which rewrites the YAML with its comments and applies it by a reload. Operators only.
const $ = (id) => document.getElementById(id);
let auth = sessionStorage.getItem("config-auth");
let value = null;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node[k] = v;
  }
  for (const child of children) node.append(child);
  return node;
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { authorization: auth ?? "", "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => ({}));
  if (response.status === 401 || response.status === 403) {
    $("login-state").textContent = json.error ?? "refused";
    throw new Error(json.error ?? "refused");
  }
  return { status: response.status, json };
}

// --- value paths: "pairs[0].servers[1].url" ---
function segments(path) {
  return path.match(/[^.[\]]+/g).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
function getAt(path) {
  return segments(path).reduce((o, k) => (o == null ? undefined : o[k]), value);
}
function setAt(path, v) {
  const keys = segments(path);
  let o = value;
  keys.slice(0, -1).forEach((k, i) => {
    if (o[k] == null) o[k] = typeof keys[i + 1] === "number" ? [] : {};
    o = o[k];
  });
  const last = keys.at(-1);
  if (v === undefined) delete o[last];
  else o[last] = v;
}

function input(path, label, type = "text", placeholder = "") {
  const current = getAt(path);
  const field = el("input", {
    type,
    placeholder,
    value: current ?? "",
    dataset: { path },
    oninput: () => {
      const text = field.value.trim();
      setAt(path, text === "" ? undefined : type === "number" ? Number(text) : text);
    },
  });
  return el("label", {}, `${label} `, field);
}

function select(path, label, options) {
  const current = getAt(path) ?? "";
  const field = el(
    "select",
    {
      dataset: { path },
      onchange: () => setAt(path, field.value === "" ? undefined : field.value),
    },
    ...options.map((o) => el("option", { value: o, textContent: o || "(default)", selected: o === current })),
  );
  return el("label", {}, `${label} `, field);
}

const POLICIES = ["", "None", "Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"];
const MODES = ["", "None", "Sign", "SignAndEncrypt"];

function serverRow(p, s) {
  const base = `pairs[${p}].servers[${s}]`;
  const out = el("div", { className: "discovery" });
  return el(
    "div",
    { className: "server", dataset: { path: base } },
    input(`${base}.url`, "URL", "text", "opc.tcp://host:4840"),
    input(`${base}.name`, "name"),
    select(`${base}.security.policy`, "policy", POLICIES),
    select(`${base}.security.mode`, "mode", MODES),
    el("button", {
      type: "button",
      className: "discover",
      textContent: "Discover / test",
      onclick: async () => {
        out.textContent = "…";
        const { json } = await api("POST", "/api/config/discover", {
          url: getAt(`${base}.url`),
          pair: getAt(`pairs[${p}].name`),
        });
        out.textContent = json.error
          ? `unreachable: ${json.error}`
          : `${json.applicationName} ${json.applicationUri}\n${json.endpoints.map((e) => `${e.securityPolicy}/${e.securityMode} users: ${e.userTokenTypes.join(",")}`).join("\n")}\n${json.facts ? `ServerState ${json.facts.serverState}, ServiceLevel ${json.facts.serviceLevel}` : `no session: ${json.error}`}`;
      },
    }),
    el("button", {
      type: "button",
      textContent: "Remove server",
      onclick: () => {
        getAt(`pairs[${p}].servers`).splice(s, 1);
        render();
      },
    }),
    out,
  );
}

function monitorRow(p, m) {
  const base = `pairs[${p}].monitors[${m}]`;
  return el(
    "div",
    { className: "monitor", dataset: { path: base } },
    input(`${base}.nodeId`, "NodeId"),
    input(`${base}.noChangeMs`, "no change for (ms)", "number"),
    el("button", {
      type: "button",
      className: "pick",
      textContent: "Pick…",
      onclick: () => openPicker(p, `${base}.nodeId`),
    }),
    el("button", {
      type: "button",
      textContent: "Remove",
      onclick: () => {
        getAt(`pairs[${p}].monitors`).splice(m, 1);
        render();
      },
    }),
  );
}

let pairChecks = {};
function startCheckText(name) {
  const c = pairChecks[name];
  if (!c) return "pair check at start: not made yet";
  if (c.error) return `pair check at start: not made (${c.error})`;
  return `pair check at start: ${c.interchangeable ? "interchangeable" : "NOT interchangeable"}${c.warnings.map((w) => `\n${w}`).join("")}`;
}

function pairBlock(pair, p) {
  const base = `pairs[${p}]`;
  const check = el("div", { className: "check" });
  const atStart = el("div", { className: "check start-check", textContent: startCheckText(pair.name) });
  return el(
    "fieldset",
    { className: "pair-form", dataset: { path: base, pair: pair.name ?? "" } },
    el("legend", { textContent: pair.name || "new pair" }),
    input(`${base}.name`, "name"),
    select(`${base}.mode`, "mode", ["", "cold", "warm", "hot"]),
    input(`${base}.listen.port`, "listen port", "number"),
    input(`${base}.listen.host`, "listen host", "text", "0.0.0.0"),
    el("h4", { textContent: "Servers (first = primary)" }),
    ...(pair.servers ?? []).map((_, s) => serverRow(p, s)),
    el("button", {
      type: "button",
      className: "add-server",
      textContent: "Add server",
      onclick: () => {
        pair.servers = [...(pair.servers ?? []), { url: "" }];
        render();
      },
    }),
    el("button", {
      type: "button",
      className: "check-pair",
      textContent: "Check pair",
      onclick: async () => {
        check.textContent = "checking…";
        const urls = (pair.servers ?? []).map((s) => s.url);
        const { json } = await api("POST", "/api/config/check-pair", { urls, pair: pair.name });
        check.textContent = json.error
          ? json.error
          : `${json.interchangeable ? "interchangeable" : "NOT interchangeable"}\n${json.lines.join("\n")}`;
      },
    }),
    check,
    atStart,
    el("h4", { textContent: "Monitor items" }),
    ...(pair.monitors ?? []).map((_, m) => monitorRow(p, m)),
    el("button", {
      type: "button",
      className: "add-monitor",
      textContent: "Add monitor item",
      onclick: () => {
        pair.monitors = [...(pair.monitors ?? []), { nodeId: "", noChangeMs: 5000 }];
        render();
      },
    }),
    el("button", {
      type: "button",
      className: "remove-pair",
      textContent: "Remove pair",
      onclick: () => {
        value.pairs.splice(p, 1);
        render();
      },
    }),
  );
}

function render() {
  $("pairs").replaceChildren(...value.pairs.map(pairBlock));
}

// --- the browse tree with search ---
let pickTarget = null;
let pickPair = null;
async function loadChildren(list, nodeId) {
  const query = new URLSearchParams({ pair: pickPair, nodeId });
  const { json } = await api("GET", `/api/config/browse?${query}`);
  if (json.error) {
    list.replaceChildren(el("li", { textContent: json.error }));
    return;
  }
  $("picker-server").textContent = json.server;
  list.replaceChildren(...json.nodes.map(treeItem));
}
function treeItem(node) {
  const children = el("ul", { className: "tree" });
  const item = el("li", { dataset: { nodeId: node.nodeId } });
  if (node.nodeClass === "Object")
    item.append(
      el("button", {
        type: "button",
        className: "expand",
        textContent: "+",
        onclick: () => loadChildren(children, node.nodeId),
      }),
    );
  item.append(` ${node.name} (${node.nodeId}) `);
  if (node.nodeClass === "Variable")
    item.append(
      el("button", {
        type: "button",
        className: "pick",
        textContent: "Use",
        onclick: () => {
          setAt(pickTarget, node.nodeId);
          $("picker").close();
          render();
        },
      }),
    );
  item.append(children);
  return item;
}
function openPicker(p, target) {
  pickTarget = target;
  pickPair = getAt(`pairs[${p}].name`);
  $("picker-search").value = "";
  $("picker").showModal();
  loadChildren($("picker-tree"), "ns=0;i=85");
}
let searchTimer;
$("picker-search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const q = $("picker-search").value.trim();
    if (q === "") return loadChildren($("picker-tree"), "ns=0;i=85");
    const { json } = await api("GET", `/api/config/browse?${new URLSearchParams({ pair: pickPair, q })}`);
    $("picker-tree").replaceChildren(...(json.nodes ?? []).map(treeItem));
  }, 250);
});

// --- problems at their fields ---
function parent(path) {
  const up = path.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
  return up === path ? "" : up;
}
function showIssues(issues) {
  for (const old of document.querySelectorAll(".field-error")) old.remove();
  for (const old of document.querySelectorAll(".invalid")) old.classList.remove("invalid");
  const general = [];
  for (const issue of issues) {
    let path = issue.path;
    const find = (p) => (p ? document.querySelector(`[data-path="${CSS.escape(p)}"]`) : null);
    // the field itself, else the nearest enclosing one (a server row, the pair)
    while (path && !find(path)) path = parent(path);
    const target = find(path);
    if (!target) {
      general.push(issue);
      continue;
    }
    target.classList.add("invalid");
    const message = el("span", {
      className: "field-error",
      textContent: path === issue.path ? issue.message : `${issue.path}: ${issue.message}`,
      dataset: { for: issue.path },
    });
    (target.closest("label") ?? target).after(message);
  }
  $("issues").replaceChildren(
    ...general.map((i) => el("li", { className: "field-error", textContent: `${i.path}: ${i.message}` })),
  );
}

$("validate").addEventListener("click", async () => {
  const { json } = await api("POST", "/api/config/validate", { value });
  showIssues(json.issues ?? []);
  $("result").textContent = json.ok ? "valid" : `${json.issues.length} problem(s)`;
});
$("save").addEventListener("click", async () => {
  const { json } = await api("POST", "/api/config", { value });
  showIssues(json.issues ?? []);
  $("result").textContent = json.ok
    ? `saved (backup ${json.backup}); added [${json.report.added}], removed [${json.report.removed}], reconfigured [${json.report.reconfigured}], unchanged [${json.report.unchanged}]`
    : (json.error ?? `not saved: ${json.issues.length} problem(s)`);
});
$("test-email").addEventListener("click", async () => {
  const { json } = await api("POST", "/api/config/test-email", { value });
  $("result").textContent = json.ok
    ? `test e-mail sent through ${json.acceptedBy}`
    : `test e-mail not sent: ${json.error ?? "no SMTP server accepted it"}`;
});
$("add-pair").addEventListener("click", () => {
  value.pairs.push({ name: "", servers: [{ url: "" }, { url: "" }] });
  render();
});

async function load() {
  const { json } = await api("GET", "/api/config");
  if (json.error) {
    $("login-state").textContent = json.error;
    return;
  }
  value = json.value;
  await refreshPairChecks();
  $("file").textContent = `file: ${json.file}`;
  $("login-state").textContent = "signed in";
  $("editor").hidden = false;
  render();
}

// the gateway's own pair check (run when a pair starts), from the public status document
async function refreshPairChecks() {
  const status = await (await fetch("/api/status")).json().catch(() => ({ pairs: [] }));
  pairChecks = Object.fromEntries(status.pairs.map((p) => [p.name, p.pairCheck]));
  for (const block of document.querySelectorAll("fieldset.pair-form")) {
    const target = block.querySelector(".start-check");
    if (target) target.textContent = startCheckText(block.dataset.pair);
  }
}
setInterval(() => {
  if (value) refreshPairChecks();
}, 5000);

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  const user = $("login-user").value;
  const secret = $("login-secret").value;
  auth = user ? `Basic ${btoa(`${user}:${secret}`)}` : `Bearer ${secret}`;
  sessionStorage.setItem("config-auth", auth);
  load().catch(() => undefined);
});
if (auth) load().catch(() => undefined);
