// o2c console: plain JS, no build step. Every action goes to the owning service's API with the user's own
// token (through sales' thin forwarder /console/api/<service>/…); the console itself writes nothing.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const main = $("#main");
const TOKEN_KEY = "o2c.token";
let stream = null;

const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
// India's zone and locale come from the server (libs/india through /console/config.json, docs/domain.md "Dates"):
// the console writes no rule of India itself. Until the config has loaded nothing is rendered.
const INDIA = { time_zone: "", locale: "" };
async function loadIndia() {
  const r = await fetch("/console/config.json", { headers: { Accept: "application/json" } });
  Object.assign(INDIA, (await r.json()).india);
}
const fmtTime = (iso) => iso ? new Date(iso).toLocaleString(INDIA.locale, { timeZone: INDIA.time_zone, day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit" }) : "—";
const fmtDate = (iso) => iso ? new Date(iso.slice(0, 10) + "T00:00:00Z").toLocaleDateString(INDIA.locale, { timeZone: "UTC", day: "2-digit", month: "short", year: "numeric" }) : "—";
const rupees = (v) => v == null ? "—" : "₹" + Number(v).toLocaleString(INDIA.locale, { minimumFractionDigits: 2 });
const label = (s) => String(s ?? "").replaceAll("_", " ");
// The business date: the calendar day in India's zone (en-CA writes it yyyy-mm-dd).
const istToday = () => new Intl.DateTimeFormat("en-CA", { timeZone: INDIA.time_zone }).format(new Date());

function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }
function claims() { return claimsOf(token()); }
function roles() { return (claims() || {}).roles || []; }

function toast(text, bad = false) {
  const t = $("#toast");
  t.textContent = text; t.className = "toast" + (bad ? " bad" : ""); t.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { t.hidden = true; }, 4000);
}

async function api(path, { method = "GET", body } = {}) {
  const headers = { Authorization: "Bearer " + token(), Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!r.ok) {
    const err = new Error((data && (data.detail || data.title)) || r.statusText);
    err.status = r.status; err.data = data; throw err;
  }
  return data;
}
// Sales serves the console: its own API is same-origin; every other service's goes through the forwarder.
const svc = (service, path) => service === "sales" ? path : `/console/api/${service}${path}`;
const list = (x) => Array.isArray(x) ? x : (x && (x.items || x.sanctions || x.results)) || [];

// --- navigation ---------------------------------------------------------------------------------

const WORKSPACES = [
  { id: "sales", title: "My orders", roles: ["sales_coordinator", "sales_head", "customer", "partner"] },
  { id: "finance", title: "Sanctions", roles: ["finance_head", "finance_executive"] },
  { id: "warehouse", title: "Pick lists", roles: ["picker", "warehouse_coordinator"] },
  { id: "dispatch", title: "Shipments", roles: ["dispatch_supervisor"] },
  { id: "accountant", title: "Invoices", roles: ["accountant"] },
  { id: "compliance", title: "E-way bills", roles: ["compliance_officer"] },
  { id: "sre", title: "Messaging", roles: ["sre"] },
  { id: "dashboards", title: "Dashboards", roles: ["sales_head", "finance_head", "finance_executive", "dispatch_supervisor", "warehouse_coordinator", "accountant", "compliance_officer", "sales_coordinator", "sre"] },
];

function mine() { const r = roles(); return WORKSPACES.filter((w) => w.roles.some((x) => r.includes(x))); }

function renderNav(active) {
  const c = claims();
  $("#who").textContent = c ? `${c.name || c.sub} · ${roles().join(", ")}` : "";
  $("#nav").innerHTML = (c ? mine().map((w) => `<a href="#/work/${w.id}" class="${active === w.id ? "active" : ""}">${esc(w.title)}</a>`).join("") + `<a href="#/login">Log out</a>` : `<a href="#/login">Log in</a>`);
}

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query] = raw.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query || "") };
}

// Renders await the network; a render that finishes after a newer one started would overwrite it, so
// whenever a newer route started while this one rendered, the current location is rendered again — as
// often as that happens (a single re-render can itself be overtaken, e.g. by a hash set right after login).
let routing = 0;
async function route() {
  let seen = ++routing;
  await routeOnce();
  while (seen !== routing) {
    seen = routing;
    await routeOnce();
  }
}

async function routeOnce() {
  if (stream) { stream.close(); stream = null; }
  const { parts, params } = parseHash();
  if (params.get("token")) {
    // A link with a token (make demo prints one): the token leaves the address bar and history at once, and
    // nobody is logged in until the person confirms whom the link logs them in as (a link sent by someone
    // else must not silently swap the login).
    const offered = params.get("token"); params.delete("token");
    const rest = params.toString();
    const target = "#/" + parts.map(encodeURIComponent).join("/") + (rest ? "?" + rest : "");
    history.replaceState(null, "", location.pathname + location.search + target);
    renderNav();
    return renderConfirmLogin(offered, target);
  }
  if (!token() || parts[0] === "login") { renderNav(); return renderLogin(parts[0] === "login" && token()); }
  try {
    if (parts[0] === "orders" && parts[1]) return await renderOrder(parts[1]);
    if (parts[0] === "search") return await renderSearch(params.get("q") || "");
    if (parts[0] === "work" && parts[1]) { renderNav(parts[1]); return await (VIEWS[parts[1]] || renderHome)(params); }
    return renderHome();
  } catch (e) { renderError(e); }
}

function renderError(e) {
  main.innerHTML = `<div class="card" data-testid="error"><h2>${e.status === 403 ? "Not allowed" : e.status === 404 ? "Not found" : "Something went wrong"}</h2><p data-testid="error-status">${esc(e.status || "")} ${esc(e.message)}</p></div>`;
}

function renderHome() {
  renderNav();
  const ws = mine();
  if (ws.length) { location.hash = `#/work/${ws[0].id}`; return; }
  main.innerHTML = `<div class="card"><h1>Welcome</h1><p>Search an order above.</p></div>`;
}

function claimsOf(t) {
  try { return JSON.parse(atob(t.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); } catch { return null; }
}

function renderConfirmLogin(offered, target) {
  const c = claimsOf(offered);
  if (!c) { main.innerHTML = `<div class="card" data-testid="error"><h2>Not a login link</h2><p>The link's token cannot be read.</p></div>`; return; }
  const now = claims();
  main.innerHTML = `<div class="card" data-testid="confirm-login"><h1>Log in as ${esc(c.name || c.sub)}, ${esc((c.roles || []).map(label).join(", ") || "no role")}?</h1>
    <p class="muted">This link logs you in as <strong data-field="login-subject">${esc(c.sub)}</strong>${c.customer_id ? ` for customer ${esc(c.customer_id)}` : ""}${c.warehouse_ids ? ` at ${esc([].concat(c.warehouse_ids).join(", "))}` : ""}.
    ${now ? `You are logged in as ${esc(now.name || now.sub)} now; confirming replaces that login.` : ""} Only confirm a link you asked for.</p>
    <p><button type="button" id="confirm-login">Log in</button> <button type="button" class="secondary" id="cancel-login">Cancel</button></p></div>`;
  $("#confirm-login").addEventListener("click", () => { sessionStorage.setItem(TOKEN_KEY, offered); location.hash = target; route(); });
  $("#cancel-login").addEventListener("click", () => { location.hash = token() ? "#/" : "#/login"; route(); });
}

function renderLogin(loggedIn) {
  if (loggedIn) { sessionStorage.removeItem(TOKEN_KEY); renderNav(); }
  main.innerHTML = `<div class="card"><h1>Log in</h1>
    <p class="muted">Paste a token from the platform's auth (<code>make token ROLE=finance_head</code>).</p>
    <form id="login"><textarea id="token" name="token" aria-label="Token" placeholder="eyJ…"></textarea>
    <p><button type="submit">Log in</button></p></form></div>`;
  $("#login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("#token").value.trim());
    renderNav(); location.hash = "#/";
    route();
  });
}

// --- search -------------------------------------------------------------------------------------

$("#search").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const q = $("#q").value.trim();
  if (q.length >= 2) location.hash = `#/search?q=${encodeURIComponent(q)}`;
});

function orderRows(rows) {
  if (!rows.length) return `<p class="muted" data-testid="empty">Nothing here.</p>`;
  return `<div class="table-wrap"><table data-testid="orders"><thead><tr><th>Order</th><th>Customer</th><th>Status</th><th>Expected dispatch</th><th>Exceptions</th></tr></thead><tbody>` +
    rows.map((o) => `<tr><td><a href="#/orders/${encodeURIComponent(o.order_id)}" data-testid="order-link">${esc(o.order_no || o.order_id)}</a></td>
      <td>${esc(o.customer_name)}</td><td>${statusChip(o.status)}</td><td>${fmtDate(o.next_dispatch_date)}</td>
      <td>${(o.open_exceptions || []).map((e) => `<span class="chip bad">${esc(label(e.kind))}</span>`).join(" ") || (o.matched || []).map((m) => `<span class="chip">${esc(m)}</span>`).join(" ")}</td></tr>`).join("") +
    `</tbody></table></div>`;
}

async function renderSearch(q) {
  renderNav(); $("#q").value = q;
  const rows = await api(`/tracking/search?q=${encodeURIComponent(q)}`);
  main.innerHTML = `<div class="card"><h1>Search: ${esc(q)}</h1>${orderRows(rows)}</div>`;
}

// --- the order page -----------------------------------------------------------------------------

function statusChip(s) {
  const cls = ["dispatched", "closed", "paid"].includes(s) ? "ok" : ["credit_hold", "backordered", "partially_dispatched", "waiting_for_invoice", "waiting_for_ewaybill"].includes(s) ? "warn" : ["cancelled", "credit_rejected"].includes(s) ? "bad" : "";
  return `<span class="chip ${cls}" data-field="status">${esc(label(s))}</span>`;
}

function shipmentCard(s, planned) {
  const t = s.transport || {}, inv = s.invoice, ewb = s.ewaybill;
  return `<div class="card" data-testid="shipment" data-shipment="${esc(s.shipment_id || s.warehouse_id)}">
    <h3>${planned ? "Planned from " : s.shipment_no ? "Shipment " + esc(s.shipment_no) + " · " : s.pick_list_no ? "Picking " + esc(s.pick_list_no) + " · " : "Released to "}${esc(s.warehouse_id)} ${statusChip(s.status)}</h3>
    <div class="grid"><dl class="kv">
      <dt>Expected dispatch</dt><dd><span class="big" data-field="expected-dispatch">${fmtDate(s.expected_dispatch_date)}</span></dd>
      <dt>Committed</dt><dd>${fmtDate(s.committed_date)}</dd>
      ${s.risk ? `<dt>At risk</dt><dd class="risk" data-field="risk">${esc(s.risk)}</dd>` : ""}
      ${(s.pending || []).length && !s.risk ? `<dt>Waiting for</dt><dd>${esc(s.pending.join("; "))}</dd>` : ""}
      ${s.gate && !s.gate.open && s.status !== "cancelled" ? `<dt>Gate</dt><dd class="risk" data-field="gate">closed: ${esc(s.gate.detail)}</dd>` : ""}
      ${s.undo ? `<dt>Undone</dt><dd data-field="undo">e-way bill ${esc(s.undo.ewaybill_no || "—")}: ${esc(label(s.undo.ewaybill))} · invoice ${esc(s.undo.invoice_no)}: ${esc(label(s.undo.invoice))}</dd>` : ""}
    </dl>${planned ? "" : `<dl class="kv">
      <dt>Vehicle</dt><dd data-field="vehicle">${esc(t.vehicle_no || "—")}</dd>
      <dt>Transporter</dt><dd>${esc(t.transporter_name || "—")}</dd>
      <dt>LR</dt><dd data-field="lr">${esc(t.lr_no || "—")}</dd>
      <dt>Invoice</dt><dd data-field="invoice">${inv ? esc(inv.invoice_no) + " · " + rupees(inv.grand_total) + " · IRN " + esc(label(inv.irn_status)) : "—"}</dd>
      <dt>E-way bill</dt><dd data-field="ewaybill">${ewb ? esc(ewb.ewaybill_no || label(ewb.status)) + (ewb.valid_until ? " · valid to " + fmtTime(ewb.valid_until) : "") : "—"}</dd>
      <dt>Gate-out</dt><dd>${fmtTime(s.dispatched_at)}</dd></dl>`}</div>
    <div class="table-wrap"><table><thead><tr><th>#</th><th>Item</th><th>Released</th><th>Picked</th><th>Short</th></tr></thead><tbody>
    ${(s.lines || []).map((l) => `<tr><td>${l.line_no}</td><td>${esc(l.item_name || l.item_code)}</td><td>${esc(l.released ?? l.quantity)} ${esc(l.unit || "")}</td>
      <td>${esc(l.picked ?? "—")}</td><td>${Number(l.short) > 0 ? `<span class="chip bad">${esc(l.short)} ${esc(l.short_reason || "")}</span>` : "—"}</td></tr>`).join("")}
    </tbody></table></div></div>`;
}

function renderOrderView(v, live) {
  const c = v.credit || {};
  const exceptions = v.open_exceptions || [];
  main.innerHTML = `
  <div class="card" data-testid="order" data-order="${esc(v.order_id)}">
    <h1>Order ${esc(v.order_no || v.order_id)} ${statusChip(v.status)} <span class="live" id="live">${live ? "● live" : ""}</span></h1>
    <div class="grid">
      <dl class="kv"><dt>Customer</dt><dd data-field="customer">${esc(v.customer.trade_name || v.customer.name)}${v.customer.trade_name ? `<div class="muted">${esc(v.customer.name)}</div>` : ""}</dd><dt>GSTIN</dt><dd>${esc(v.customer.gstin || "—")}</dd>
        <dt>PO</dt><dd>${esc(v.customer_po_no || "—")}</dd><dt>Quotation</dt><dd>${esc(v.quotation ? v.quotation.quotation_no || v.quotation.quotation_id : "—")}</dd></dl>
      <dl class="kv"><dt>Next dispatch</dt><dd><span class="big" data-field="next-dispatch">${fmtDate(v.next_dispatch_date)}</span></dd>
        <dt>Committed</dt><dd>${fmtDate(v.committed_date)}</dd><dt>Value</dt><dd>${rupees(v.gross_value)}</dd></dl>
      <dl class="kv"><dt>Credit</dt><dd data-field="credit-status">${esc(label(c.status))}${c.decided_by ? " · " + esc(c.decided_by) : ""}</dd>
        ${c.status === "held" ? `<dt>Sanction due</dt><dd>${fmtTime(c.sanction_due_by)}</dd><dt>Reasons</dt><dd>${esc((c.reasons || []).map(label).join(", "))}</dd>` : ""}
        ${c.note ? `<dt>Note</dt><dd>${esc(c.note)}</dd>` : ""}</dl>
    </div>
  </div>
  ${exceptions.length ? `<div class="card" data-testid="exceptions"><h2>Open exceptions</h2><ul>${exceptions.map((e) => `<li><span class="chip bad">${esc(label(e.kind))}</span> ${esc(e.detail)} <span class="muted">since ${fmtTime(e.since)}</span></li>`).join("")}</ul></div>` : ""}
  ${(v.shipments || []).map((s) => shipmentCard(s, false)).join("")}
  ${(v.planned_shipments || []).map((s) => shipmentCard(s, true)).join("")}
  ${(v.backorders || []).length ? `<div class="card" data-testid="backorders"><h2>Backorders</h2><table><thead><tr><th>#</th><th>Item</th><th>Qty</th><th>Stock expected</th><th>Expected dispatch</th></tr></thead><tbody>${v.backorders.map((b) => `<tr><td>${b.line_no}</td><td>${esc(b.item_code)}</td><td>${esc(b.quantity)} ${esc(b.unit)}</td><td>${fmtDate(b.expected_date)}</td><td>${fmtDate(b.expected_dispatch_date)} ${b.risk ? `<div class="risk">${esc(b.risk)}</div>` : ""}</td></tr>`).join("")}</tbody></table></div>` : ""}
  ${(v.receivables || []).length ? `<div class="card"><h2>Receivables and payments</h2><ul>${v.receivables.map((r) => `<li>${esc(r.invoice_no)} ${rupees(r.amount)} due ${fmtDate(r.due_date)} ${r.settled ? '<span class="chip ok">settled</span>' : ""}</li>`).join("")}${(v.payments || []).map((p) => `<li>Payment ${esc(p.receipt_no)} ${rupees(p.amount)} (${esc(p.mode)})</li>`).join("")}</ul></div>` : ""}
  <div class="card"><h2>Timeline</h2><ol class="timeline" data-testid="timeline">${[...(v.steps || [])].reverse().map((s) => `<li class="${/rejected|held|failed|short/.test(s.kind) ? "exc" : ""}" data-kind="${esc(s.kind)}"><div class="when">${s.at && s.at.length === 10 ? fmtDate(s.at) : fmtTime(s.at)} · ${esc(s.actor)}</div><div>${esc(s.title)}${s.ref ? ` <span class="chip">${esc(s.ref)}</span>` : ""}</div><div class="detail">${esc(s.detail)}</div></li>`).join("")}</ol></div>`;
}

async function renderOrder(orderId) {
  renderNav();
  const v = await api(`/tracking/orders/${encodeURIComponent(orderId)}`);
  renderOrderView(v, false);
  openStream(orderId, routing);
}

// The stream's URL carries a one-use ticket, never the token: asked with the bearer, redeemed once. A dropped
// stream cannot reuse its ticket, so it reconnects with a new one; at the token's expiry the server ends it.
async function openStream(orderId, seen) {
  const status = (text) => { const l = $("#live"); if (l) l.textContent = text; };
  const retry = (s) => setTimeout(() => { if (stream === s && seen === routing) openStream(orderId, seen); }, 2000);
  let ticket;
  try {
    ({ ticket } = await api(`/tracking/orders/${encodeURIComponent(orderId)}/stream-tickets`, { method: "POST" }));
  } catch (e) {
    if (seen !== routing) return;
    if (e.status === 401) { status("○ session expired: log in again"); return; }
    status("○ offline"); // the page stays; live updates come back when a ticket can be had again
    const placeholder = stream = { close() {} };
    return retry(placeholder);
  }
  if (seen !== routing) return; // the person moved on while the ticket was asked for
  if (stream) stream.close(); // a concurrent render of the same page opened one already
  const s = stream = new EventSource(`/tracking/orders/${encodeURIComponent(orderId)}/stream?ticket=${encodeURIComponent(ticket)}`);
  s.addEventListener("view", (ev) => renderOrderView(JSON.parse(ev.data), true));
  s.addEventListener("expired", () => { s.close(); status("○ session expired: log in again"); });
  // A dropped stream cannot reuse its one-use ticket: close it and ask a new one.
  s.onerror = () => { if (s.readyState === EventSource.CLOSED && stream !== s) return; status("○ reconnecting"); s.close(); retry(s); };
}

// --- role workspaces ----------------------------------------------------------------------------

// `done`: the toast text, or a function of the API's answer returning [text, bad].
async function act(button, fn, done) {
  button.disabled = true;
  try {
    const answer = await fn();
    await route();
    const [text, bad] = typeof done === "function" ? done(answer) : [done, false];
    toast(text, bad);
  } catch (e) { toast(`${e.status || ""} ${e.message}`, true); button.disabled = false; }
}

const ageing = (iso) => { if (!iso) return "—"; const h = (Date.now() - new Date(iso)) / 36e5; return h < 24 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} d`; };

const VIEWS = {
  async sales() {
    const holds = await api(`/tracking/orders?exceptions=true&limit=100`);
    const rows = await api(`/tracking/orders?limit=100`);
    main.innerHTML = `<div class="card" data-testid="workspace-sales"><h1>Holds and exceptions</h1>${orderRows(holds)}</div><div class="card"><h2>Orders</h2>${orderRows(rows)}</div>`;
  },

  async finance() {
    const queue = list(await api(svc("credit", "/sanctions")));
    main.innerHTML = `<div class="card" data-testid="workspace-finance"><h1>Pending sanctions</h1>${!queue.length ? `<p class="muted" data-testid="empty">No order waits for a sanction.</p>` : `<div class="table-wrap"><table><thead><tr><th>Order</th><th>Customer</th><th>Amount</th><th>Exposure with order</th><th>Limit</th><th>Receivables ageing (0–30 · 31–60 · 61–90 · 90+)</th><th>Reasons</th><th>Waiting</th><th></th></tr></thead><tbody>${queue.map((s) => `
      <tr data-testid="sanction" data-order="${esc(s.order.order_id)}"><td><a href="#/orders/${encodeURIComponent(s.order.order_id)}">${esc(s.order.order_id)}</a></td><td>${esc(s.customer.name || s.customer.customer_id)}</td>
      <td>${rupees(s.order.amount)}</td><td>${rupees(s.exposure && s.exposure.with_order)}</td><td>${rupees(s.credit_limit)}</td>
      <td data-field="ageing">${s.ageing ? ["days_0_30", "days_31_60", "days_61_90", "days_over_90"].map((k) => `<span class="${Number(s.ageing[k]) > 0 && k !== "days_0_30" ? "risk" : ""}">${rupees(s.ageing[k])}</span>`).join(" · ") : "—"}${s.oldest_overdue_invoice ? `<div class="muted">oldest overdue ${esc(s.oldest_overdue_invoice.invoice_no || "")} ${esc(s.oldest_overdue_invoice.days_overdue ?? "")} d</div>` : ""}</td>
      <td>${(s.reasons || []).map((r) => `<span class="chip warn" title="${esc(r.explanation)}">${esc(label(r.reason))}</span>`).join(" ")}</td>
      <td>${ageing(s.requested_at)}</td>
      <td><input type="text" placeholder="note" aria-label="note" data-note="${esc(s.sanction_id)}"> <button data-approve="${esc(s.sanction_id)}">Approve</button> <button class="danger" data-reject="${esc(s.sanction_id)}">Reject</button></td></tr>`).join("")}</tbody></table></div>`}</div>`;
    main.querySelectorAll("[data-approve]").forEach((b) => b.addEventListener("click", () => act(b, () => api(svc("credit", `/sanctions/${b.dataset.approve}/approve`), { method: "POST", body: { note: $(`[data-note="${b.dataset.approve}"]`).value } }), "Sanctioned")));
    main.querySelectorAll("[data-reject]").forEach((b) => b.addEventListener("click", () => act(b, () => api(svc("credit", `/sanctions/${b.dataset.reject}/reject`), { method: "POST", body: { note: $(`[data-note="${b.dataset.reject}"]`).value || "rejected from the console" } }), "Rejected")));
  },

  async warehouse() {
    const lists = list(await api(svc("dispatch", "/pick-lists?status=open")));
    main.innerHTML = `<div data-testid="workspace-warehouse"><h1>Pick lists</h1>${!lists.length ? `<div class="card"><p class="muted" data-testid="empty">No open pick list.</p></div>` : lists.map((p) => `
      <div class="card" data-testid="pick-list" data-pick-list="${esc(p.pick_list_id)}"><h2>${esc(p.pick_list_no)} · ${esc(p.warehouse_id)} · <a href="#/orders/${encodeURIComponent(p.order_id)}">${esc(p.order_no)}</a> · ${esc(p.customer_name)}</h2>
      <div class="table-wrap"><table><thead><tr><th>#</th><th>Item</th><th>Bin</th><th>Batch</th><th>Qty</th><th>Picked</th><th>Short reason</th><th></th></tr></thead><tbody>
      ${p.lines.map((l) => `<tr data-testid="pick-line" data-line="${l.line_no}"><td>${l.line_no}</td><td>${esc(l.item_name)}</td><td>${esc(l.bin_code || "—")}</td><td>${esc(l.batch_no || "—")}</td><td>${esc(l.quantity)} ${esc(l.unit)}</td>
        ${l.confirmed ? `<td>${esc(l.picked)}</td><td>${Number(l.short) > 0 ? `<span class="chip bad">short ${esc(l.short)} ${esc(l.short_reason || "")}</span>` : `<span class="chip ok">done</span>`}</td><td></td>` :
        `<td><input class="qty" type="number" min="0" step="any" value="${esc(l.quantity)}" aria-label="picked" data-picked></td>
         <td><select data-reason aria-label="short reason"><option value="">—</option>${["bin_short", "damaged", "expired", "wrong_item_in_bin", "other"].map((r) => `<option value="${r}">${label(r)}</option>`).join("")}</select></td>
         <td><button data-confirm data-bin="${esc(l.bin_code || "")}" data-batch="${esc(l.batch_no || "")}">Confirm</button></td>`}</tr>`).join("")}
      </tbody></table></div></div>`).join("")}</div>`;
    main.querySelectorAll("[data-confirm]").forEach((b) => b.addEventListener("click", () => {
      const row = b.closest("tr"), card = b.closest("[data-pick-list]");
      const body = { picked: $("[data-picked]", row).value, bin_code: b.dataset.bin || null, batch_no: b.dataset.batch || null, short_reason: $("[data-reason]", row).value || null };
      act(b, () => api(svc("dispatch", `/pick-lists/${card.dataset.pickList}/lines/${row.dataset.line}/confirm`), { method: "POST", body }), `Line ${row.dataset.line} confirmed`);
    }));
  },

  // --- dispatch supervisor: vehicle details, documents, gate-out -----------------------------------

  async dispatch() {
    const [waiting, docs, gate] = await Promise.all(["waiting_for_vehicle", "waiting_for_documents", "ready_for_gate"]
      .map(async (q) => list(await api(svc("dispatch", `/shipments?status=${q}`)))));
    const chips = (s) => (s.waiting_for || []).map((w) => `<span class="chip warn">${esc(label(w))}</span>`).join(" ");
    const cells = (s) => `<td data-field="shipment-no">${esc(s.shipment_no || s.shipment_id)}</td><td><a href="#/orders/${encodeURIComponent(s.order_id)}">${esc(s.order_no)}</a></td><td>${esc(s.customer_name)}</td><td>${esc(s.warehouse_id)}</td>`;
    const head = (extra) => `<thead><tr><th>Shipment</th><th>Order</th><th>Customer</th><th>Warehouse</th>${extra}</tr></thead>`;
    const vehicle = (s) => esc((s.dispatch_details && (s.dispatch_details.vehicle_no || s.dispatch_details.lr_no)) || "—");
    const problem = (r) => r ? esc(typeof r === "object" ? [r.code, r.message || r.detail].filter(Boolean).join(": ") : r) : "";
    const none = (n) => `<tr><td colspan="${n}" class="muted" data-testid="empty">None.</td></tr>`;
    const form = (s) => `<div class="card" data-testid="vehicle-form" data-shipment="${esc(s.shipment_id)}">
      <h3>${esc(s.shipment_no || s.shipment_id)} · <a href="#/orders/${encodeURIComponent(s.order_id)}">${esc(s.order_no)}</a> · ${esc(s.customer_name)} · ${esc(s.warehouse_id)} → ${esc(s.ship_to ? s.ship_to.place + " " + s.ship_to.pincode : "")} ${chips(s)}</h3>
      <form class="fields" data-details>
        <label>Mode <select name="mode">${["road", "rail", "air", "ship"].map((m) => `<option value="${m}">${m}</option>`).join("")}</select></label>
        <label>Vehicle no <input type="text" name="vehicle_no" placeholder="MH12AB1234" autocomplete="off"></label>
        <label>Vehicle type <select name="vehicle_type"><option value="R">regular</option><option value="O">over-dimensional</option></select></label>
        <label>Driver <input type="text" name="driver_name" autocomplete="off"></label>
        <label>Driver mobile <input type="text" name="driver_phone" inputmode="tel" placeholder="98xxxxxxxx" autocomplete="off"></label>
        <label>Transporter GSTIN / TRANSIN <input type="text" name="transporter_id" autocomplete="off"></label>
        <label>Transporter <input type="text" name="transporter_name" autocomplete="off"></label>
        <label>LR no <input type="text" name="lr_no" autocomplete="off"></label>
        <label>LR date <input type="date" name="lr_date" value="${istToday()}"></label>
        <label>Distance km <input type="number" name="distance_km" min="0" max="4000" step="1" placeholder="${s.estimated_distance_km != null ? "est. " + esc(s.estimated_distance_km) : "declare"}"></label>
        <p><button type="submit">Save dispatch details</button></p>
      </form></div>`;
    main.innerHTML = `<div data-testid="workspace-dispatch"><h1>Shipments</h1>
      <div class="card" data-testid="queue-vehicle"><h2>Waiting for vehicle details (${waiting.length})</h2>${waiting.length ? "" : `<p class="muted" data-testid="empty">None.</p>`}</div>
      ${waiting.map(form).join("")}
      <div class="card" data-testid="queue-documents"><h2>Waiting for invoice / e-way bill (${docs.length})</h2><div class="table-wrap"><table>${head("<th>Waiting for</th><th>Vehicle</th><th>Invoice</th><th>Problem</th>")}<tbody>${docs.map((s) => `<tr data-testid="shipment-row" data-shipment="${esc(s.shipment_id)}">${cells(s)}<td>${chips(s)}</td><td data-field="vehicle">${vehicle(s)}</td><td>${esc(s.invoice ? s.invoice.invoice_no : "—")}</td><td class="risk">${problem(s.irn_rejection)} ${problem(s.ewaybill_rejection)}</td></tr>`).join("") || none(8)}</tbody></table></div></div>
      <div class="card" data-testid="queue-gate"><h2>Ready for gate-out (${gate.length})</h2><div class="table-wrap"><table>${head("<th>Vehicle</th><th>Invoice</th><th>E-way bill</th><th></th>")}<tbody>${gate.map((s) => `<tr data-testid="shipment-row" data-shipment="${esc(s.shipment_id)}">${cells(s)}<td data-field="vehicle">${vehicle(s)}</td><td data-field="invoice">${esc(s.invoice ? s.invoice.invoice_no : "—")}</td><td data-field="ewaybill">${s.ewaybill ? esc(s.ewaybill.ewaybill_no) + " · valid to " + fmtTime(s.ewaybill.valid_until) : esc(label(s.ewaybill_not_required_reason ? "not required: " + s.ewaybill_not_required_reason : "—"))}</td><td><button data-gate>Gate out</button></td></tr>`).join("") || none(8)}</tbody></table></div></div></div>`;
    main.querySelectorAll("form[data-details]").forEach((f) => f.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const body = {};
      for (const [k, v] of new FormData(f)) if (String(v).trim() !== "") body[k] = String(v).trim();
      if (!body.lr_no) delete body.lr_date; // a date without its lorry receipt is refused
      if (body.distance_km !== undefined) body.distance_km = Number(body.distance_km);
      const id = f.closest("[data-shipment]").dataset.shipment;
      act($("button", f), () => api(svc("dispatch", `/shipments/${encodeURIComponent(id)}/dispatch-details`), { method: "POST", body }), "Dispatch details saved");
    }));
    main.querySelectorAll("[data-gate]").forEach((b) => b.addEventListener("click", () => act(b, () => api(svc("dispatch", `/shipments/${encodeURIComponent(b.closest("tr").dataset.shipment)}/gate-out`), { method: "POST" }), "Gated out")));
  },

  // --- accountant: invoices and their IRN, IRN rejections, returns and credit notes -------------------

  async accountant() {
    // Every invoice whose IRN was rejected (however old), then the 50 newest invoices.
    const [rows, irnRows] = await Promise.all([api(`/tracking/orders?limit=200&shipments=true`),
      api(`/tracking/orders?exception_kind=irn_rejected&shipments=true&limit=500`)]);
    const invoicesOf = (rs) => rs.flatMap((o) => (o.shipments || []).filter((s) => s.invoice).map((s) => ({ o, s })));
    const rejectedFirst = invoicesOf(irnRows).filter(({ s }) => s.invoice.irn_status === "rejected");
    const seen = new Set(rejectedFirst.map(({ s }) => s.invoice.invoice_id));
    const tracked = [...rejectedFirst, ...invoicesOf(rows).filter(({ s }) => !seen.has(s.invoice.invoice_id)).slice(0, 50)];
    const found = await Promise.all(tracked.map(async ({ o, s }) => {
      const id = encodeURIComponent(s.invoice.invoice_id);
      try {
        const [inv, rets] = await Promise.all([api(svc("invoicing", `/invoices/${id}`)), api(svc("invoicing", `/returns?invoice_id=${id}`))]);
        return { o, s, inv, rets: list(rets) };
      } catch (e) { return { o, s, inv: null, rets: [], error: `${e.status || ""} ${e.message}` }; }
    }));
    const rejected = found.filter((x) => x.inv && x.inv.irn_status === "rejected");
    const returns = found.flatMap((x) => x.rets.map((r) => ({ ...x, r, note: ((x.inv && x.inv.credit_notes) || []).find((n) => n.id === r.credit_note_id) })));
    const notes = found.flatMap((x) => ((x.inv && x.inv.credit_notes) || []).map((n) => ({ ...x, n })));
    const irnCell = (inv) => `<span class="chip ${inv.irn_status === "registered" ? "ok" : inv.irn_status === "rejected" ? "bad" : ""}" data-field="irn-status">${esc(label(inv.irn_status))}</span>`;
    main.innerHTML = `<div data-testid="workspace-accountant"><h1>Invoices</h1>
      <div class="card" data-testid="irn-rejections"><h2>IRN rejections (${rejected.length})</h2>${!rejected.length ? `<p class="muted" data-testid="empty">None.</p>` : `<div class="table-wrap"><table><thead><tr><th>Invoice</th><th>Order</th><th>Error</th><th></th></tr></thead><tbody>${rejected.map(({ o, inv }) => `<tr data-testid="irn-rejection" data-invoice="${esc(inv.invoice_id)}"><td>${esc(inv.invoice_no)}</td><td><a href="#/orders/${encodeURIComponent(o.order_id)}">${esc(o.order_no)}</a></td><td class="risk">${esc(inv.irn_error ? inv.irn_error.code + ": " + inv.irn_error.message : "")}</td><td><button data-retry="${esc(inv.invoice_id)}">Retry IRN</button></td></tr>`).join("")}</tbody></table></div>`}</div>
      <div class="card"><h2>Invoices (${found.length})</h2><div class="table-wrap"><table data-testid="invoices"><thead><tr><th>Invoice</th><th>Date</th><th>Order</th><th>Customer</th><th>Total</th><th>IRN</th><th>Ack no</th><th>E-way bill</th><th></th></tr></thead><tbody>${found.map(({ o, s, inv, error }) => inv ? `<tr data-testid="invoice" data-invoice="${esc(inv.invoice_id)}" data-order="${esc(o.order_id)}"><td data-field="invoice-no">${esc(inv.invoice_no)}</td><td>${fmtDate(inv.invoice_date)}</td><td><a href="#/orders/${encodeURIComponent(o.order_id)}">${esc(o.order_no)}</a></td><td>${esc(o.customer_name)}</td><td data-field="total">${rupees(inv.totals && inv.totals.grand_total)}</td><td>${irnCell(inv)}${inv.status === "cancelled" ? ' <span class="chip bad">cancelled</span>' : ""}</td><td data-field="ack-no">${esc(inv.irn ? inv.irn.ack_no : "—")}</td><td data-field="ewaybill">${esc(inv.ewaybill_no || "—")}</td><td><button class="secondary" data-pdf="${esc(inv.invoice_id)}">PDF</button></td></tr>`
        : `<tr data-testid="invoice" data-invoice="${esc(s.invoice.invoice_id)}"><td>${esc(s.invoice.invoice_no)}</td><td colspan="8" class="risk">${esc(error)}</td></tr>`).join("") || `<tr><td colspan="9" class="muted" data-testid="empty">None.</td></tr>`}</tbody></table></div></div>
      <div class="card" data-testid="returns"><h2>Returns and credit notes</h2>${!returns.length && !notes.length ? `<p class="muted" data-testid="empty">None.</p>` : `<div class="table-wrap"><table><thead><tr><th>Return</th><th>Invoice</th><th>Status</th><th>Reason</th><th>Credit note</th><th>Amount</th></tr></thead><tbody>${returns.map(({ inv, r, note }) => `<tr data-testid="return" data-return="${esc(r.return_id)}"><td>${esc(r.return_no)}</td><td>${esc(inv.invoice_no)}</td><td data-field="status">${esc(label(r.status))}</td><td>${esc(r.reason ? label(r.reason) : "—")}</td><td data-field="credit-note">${esc(note ? note.credit_note_no : r.credit_note_id || "—")}</td><td data-field="amount">${note ? rupees(note.grand_total) : "—"}</td></tr>`).join("")}${notes.filter(({ n }) => !returns.some((x) => x.r.credit_note_id === n.id)).map(({ inv, n }) => `<tr data-testid="credit-note"><td>—</td><td>${esc(inv.invoice_no)}</td><td>credited</td><td></td><td>${esc(n.credit_note_no)}</td><td>${rupees(n.grand_total)}</td></tr>`).join("")}</tbody></table></div>`}</div></div>`;
    main.querySelectorAll("[data-retry]").forEach((b) => b.addEventListener("click", () => act(b, () => api(svc("invoicing", `/invoices/${encodeURIComponent(b.dataset.retry)}/irn/retry`), { method: "POST" }), "IRN retry queued")));
    main.querySelectorAll("[data-pdf]").forEach((b) => b.addEventListener("click", async () => {
      const r = await fetch(svc("invoicing", `/invoices/${encodeURIComponent(b.dataset.pdf)}/pdf`), { headers: { Authorization: "Bearer " + token() } });
      if (!r.ok) return toast(`${r.status} PDF not available`, true);
      window.open(URL.createObjectURL(await r.blob()), "_blank");
    }));
  },

  // --- compliance: e-way bills expiring, awaiting a Part-B update, rejected, valid ----------------------

  async compliance() {
    const [expiring, generated, rejected] = await Promise.all(["/ewaybills/expiring?within_hours=24", "/ewaybills?status=generated", "/ewaybills?status=rejected"]
      .map(async (p) => list(await api(svc("ewaybill", p)))));
    // The e-way bill knows its order by id; people know it by number (the tracking read model has both).
    const orderNo = {};
    try { (await api(`/tracking/orders?limit=500`)).forEach((o) => { orderNo[o.order_id] = o.order_no; }); } catch { /* ids it is */ }
    const partB = generated.filter((e) => e.last_refusal);
    const left = (iso) => { const h = (new Date(iso) - Date.now()) / 36e5; return h < 0 ? `expired ${(-h).toFixed(1)} h ago` : `${h.toFixed(1)} h left`; };
    // One <tbody> per bill: its facts, and for the lists that need an action a second row with the form.
    const row = (kind, e, action = "") => `<tbody data-testid="ewb" data-list="${kind}" data-ewaybill="${esc(e.id)}" data-valid-until="${esc(e.valid_until || "")}"><tr>
      <td data-field="ebn">${esc(e.ewaybill_no || "—")}</td><td data-field="invoice-no">${esc(e.invoice_no)}</td><td><a href="#/orders/${encodeURIComponent(e.order_id)}" data-field="order">${esc(orderNo[e.order_id] || e.order_id)}</a></td>
      <td data-field="vehicle">${esc((e.transport && e.transport.vehicle_no) || "—")}</td><td data-field="distance">${esc(e.distance_km ?? (e.transport && e.transport.distance_km) ?? "—")} km</td>
      <td data-field="value">${rupees(e.consignment_value)}</td>
      <td data-field="valid-until">${e.valid_until ? fmtTime(e.valid_until) + ` <span class="muted">${left(e.valid_until)}</span>` : "—"}</td></tr>${action ? `<tr class="action-row"><td colspan="7">${action}</td></tr>` : ""}</tbody>`;
    const head = `<thead><tr><th>EBN</th><th>Invoice</th><th>Order</th><th>Vehicle</th><th>Distance</th><th>Value</th><th>Valid until</th></tr></thead>`;
    const table = (id, title, rows, body) => `<div class="card" data-testid="${id}"><h2>${title} (${rows.length})</h2>${rows.length ? `<div class="table-wrap"><table>${head}${rows.map(body).join("")}</table></div>` : `<p class="muted" data-testid="empty">None.</p>`}</div>`;
    const reasons = ["breakdown", "transhipment", "others", "first_time"].map((r) => `<option value="${r}">${label(r)}</option>`).join("");
    main.innerHTML = `<div data-testid="workspace-compliance"><h1>E-way bills</h1>
      ${table("ewb-expiring", "Expiring within 24 h", expiring, (e) => row("expiring", e))}
      ${table("ewb-partb", "Awaiting a Part-B update", partB, (e) => row("partb", e, `<p class="risk" data-field="refusal">${esc(e.last_refusal)}</p>
        <form class="fields" data-partb><label>Vehicle no <input type="text" name="vehicle_no" required autocomplete="off"></label>
        <label>From place <input type="text" name="from_place" required autocomplete="off"></label><label>From state code <input type="text" name="from_state_code" pattern="[0-9]{2}" required autocomplete="off"></label>
        <label>Reason <select name="reason">${reasons}</select></label><label>Remarks <input type="text" name="remarks" maxlength="50" autocomplete="off"></label><p><button type="submit">Update Part B</button></p></form>`))}
      ${table("ewb-rejected", "Rejected by the portal", rejected, (e) => row("rejected", e, `<p class="risk" data-field="rejection">${esc(e.rejection ? e.rejection.code + ": " + e.rejection.message : "")}</p><p class="muted">${esc(e.attempts)} attempt${e.attempts === 1 ? "" : "s"}; correct Part B or the distance and generate again:</p>
        <form class="fields" data-retry><label>Vehicle no <input type="text" name="vehicle_no" autocomplete="off"></label><label>Distance km <input type="number" name="distance_km" min="0" max="4000" step="1"></label>
        <label>Transporter GSTIN / TRANSIN <input type="text" name="transporter_id" autocomplete="off"></label><p><button type="submit">Retry</button></p></form>`))}
      ${table("ewb-valid", "Valid e-way bills", generated, (e) => row("valid", e))}</div>`;
    const formBody = (f) => { const b = {}; for (const [k, v] of new FormData(f)) if (String(v).trim() !== "") b[k] = String(v).trim(); return b; };
    main.querySelectorAll("form[data-retry]").forEach((f) => f.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const body = formBody(f);
      if (body.distance_km !== undefined) body.distance_km = Number(body.distance_km);
      const id = f.closest("[data-ewaybill]").dataset.ewaybill;
      act($("button", f), () => api(svc("ewaybill", `/ewaybills/${encodeURIComponent(id)}/retry`), { method: "POST", body }),
        (r) => r && r.status === "generated" ? [`E-way bill ${r.ewaybill_no} generated`, false] : [`Still rejected: ${r && r.rejection ? r.rejection.code + " " + r.rejection.message : ""}`, true]);
    }));
    main.querySelectorAll("form[data-partb]").forEach((f) => f.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const id = f.closest("[data-ewaybill]").dataset.ewaybill;
      act($("button", f), () => api(svc("ewaybill", `/ewaybills/${encodeURIComponent(id)}/vehicle`), { method: "POST", body: formBody(f) }), "Part B updated");
    }));
  },

  // --- SRE: per-service consumer and outbox state, dead letters (replay / discard), failed sagas --------

  async sre() {
    const services = ["sales", "credit", "inventory", "dispatch", "invoicing", "ewaybill", "notify"];
    const results = await Promise.all(services.map(async (s) => {
      try {
        const [open, parked, state] = await Promise.all(["/admin/dead-letters?status=open", "/admin/dead-letters?status=parked", "/admin/messaging"].map((p) => api(svc(s, p))));
        return { s, open: list(open), parked: list(parked), state };
      } catch (e) { return { s, error: `${e.status || ""} ${e.message}`, open: [], parked: [], state: null }; }
    }));
    let sagas = [], sagaError = "";
    try { sagas = list(await api(svc("sales", "/saga-exceptions"))); } catch (e) { sagaError = `${e.status || ""} ${e.message}`; }
    // One record read by several services leaves a dead letter in each: grouped by its position, one action each.
    let groups = [], groupError = "";
    try { groups = list((await api(svc("sales", "/dead-letter-groups"))).groups); } catch (e) { groupError = `${e.status || ""} ${e.message}`; }
    const yes = (b) => b ? `<span class="chip ok">yes</span>` : `<span class="chip bad">no</span>`;
    const letters = results.flatMap((r) => r.open.map((d) => ({ s: r.s, d })));
    main.innerHTML = `<div data-testid="workspace-sre"><h1>Messaging</h1>
      <div class="card"><h2>Consumers and outboxes</h2><div class="table-wrap"><table data-testid="messaging"><thead><tr><th>Service</th><th>Consumer running</th><th>Handled</th><th>Dead-lettered</th><th>Lag</th><th>Open dead letters</th><th>Parked behind them</th><th>Outbox unsent</th><th>Oldest unsent</th><th>Relay leader</th></tr></thead><tbody>
      ${results.map((r) => `<tr data-testid="service-state" data-service="${esc(r.s)}">${r.error ? `<td>${esc(r.s)}</td><td colspan="9" class="risk">${esc(r.error)}</td>` : `<td>${esc(r.s)}</td>
        <td data-field="running">${r.state.consumer ? yes(r.state.consumer.running) : "—"}</td><td data-field="handled">${esc(r.state.consumer ? r.state.consumer.handled : "—")}</td>
        <td data-field="dead-lettered">${esc(r.state.consumer ? r.state.consumer.dead_lettered : "—")}</td>
        <td data-field="lag" title="${esc(r.state.consumer && r.state.consumer.lag ? Object.entries(r.state.consumer.lag).filter(([, n]) => n > 0).map(([p, n]) => p + ": " + n).join("\n") || "every partition caught up" : "")}">${r.state.consumer && r.state.consumer.lag_total != null ? `<span class="chip ${r.state.consumer.lag_total > 1000 ? "bad" : r.state.consumer.lag_total > 0 ? "warn" : "ok"}">${esc(r.state.consumer.lag_total)}</span>` : "—"}</td><td data-field="open">${r.open.length}</td><td data-field="parked">${r.parked.length}</td>
        <td data-field="outbox-unsent">${esc(r.state.outbox_unsent)}</td><td>${r.state.oldest_unsent ? ageing(r.state.oldest_unsent) : "—"}</td><td data-field="relay-leader">${yes(r.state.relay_leader)}</td>`}</tr>`).join("")}</tbody></table></div>
      <p class="muted">Lag: records behind the end of the consumed partitions as of the last poll (per partition on hover, and as <code>o2c_consumer_lag</code> in /metrics); handled and dead-lettered are counts since the process started.</p></div>
      <div class="card" data-testid="dead-letter-groups"><h2>Open dead letters by record (${groups.length})</h2><p class="muted">A record that several services could not handle: replay or discard it everywhere at once.</p>${groupError ? `<p class="risk">${esc(groupError)}</p>` : !groups.length ? `<p class="muted" data-testid="empty">None.</p>` : `<div class="table-wrap"><table><thead><tr><th>Record (topic/partition/offset)</th><th>Key</th><th>Type</th><th>Services</th><th>Dead letters</th><th>First failed</th></tr></thead>${groups.map((g) => `<tbody data-testid="dead-letter-group" data-group="${esc(g.group)}" data-topic="${esc(g.topic)}" data-partition="${esc(g.partition)}" data-offset="${esc(g.offset)}"><tr>
        <td data-field="record">${esc(g.group)}</td><td data-field="key">${esc(g.key)}</td><td>${esc(g.type || "undecodable")}</td><td data-field="services">${esc(g.services.join(", "))}</td><td data-field="count">${esc(g.letters.length)}</td><td>${fmtTime(g.first_failed_at)}</td></tr>
        <tr class="action-row"><td colspan="6"><p class="risk" data-field="reason">${esc([...new Set(g.letters.map((x) => x.reason))].join(" · "))}</p><p class="actions"><button data-group-replay>Replay in all</button>
        <input type="text" placeholder="why it needs no effect anywhere" aria-label="discard reason for the record" data-group-reason> <button class="danger" data-group-discard>Discard in all</button></p></td></tr></tbody>`).join("")}</table></div>`}</div>
      <div class="card" data-testid="dead-letters"><h2>Open dead letters (${letters.length})</h2>${!letters.length ? `<p class="muted" data-testid="empty">None.</p>` : `<div class="table-wrap"><table><thead><tr><th>Service</th><th>#</th><th>Topic</th><th>Key</th><th>Type</th><th>Attempts</th><th>Failed</th></tr></thead>${letters.map(({ s, d }) => `<tbody data-testid="dead-letter" data-service="${esc(s)}" data-id="${esc(d.id)}" data-key="${esc(d.key)}"><tr>
        <td>${esc(s)}</td><td>${esc(d.id)}</td><td data-field="topic">${esc(d.topic)}</td><td data-field="key">${esc(d.key)}</td><td>${esc(d.type || "—")}</td><td data-field="attempts">${esc(d.attempts)}</td><td>${fmtTime(d.failed_at)}</td></tr>
        <tr class="action-row"><td colspan="7"><p class="risk" data-field="reason">${esc(d.reason)}</p><p class="actions"><button data-replay>Replay</button>
        <input type="text" placeholder="why it needs no effect" aria-label="discard reason" data-discard-reason> <button class="danger" data-discard>Discard</button></p></td></tr></tbody>`).join("")}</table></div>`}</div>
      <div class="card" data-testid="sagas"><h2>Failed and parked sagas (${sagas.length})</h2>${sagaError ? `<p class="risk">${esc(sagaError)}</p>` : !sagas.length ? `<p class="muted" data-testid="empty">None.</p>` : `<div class="table-wrap"><table><thead><tr><th>Order</th><th>Status</th><th>Exceptions</th><th>Waiting for</th><th>Since</th></tr></thead><tbody>${sagas.map((x) => `<tr data-testid="saga" data-order="${esc(x.order_id)}"><td><a href="#/orders/${encodeURIComponent(x.order_id)}">${esc(x.order_id)}</a></td><td data-field="status">${esc(label(x.status))}</td><td>${(x.exceptions || []).map((e) => `<span class="chip bad">${esc(label(e.kind || e.reason || e.type || "exception"))}</span>`).join(" ")}</td><td>${esc(Array.isArray(x.waiting_for) ? x.waiting_for.join(", ") : x.waiting_for || "")}</td><td>${fmtTime(x.updated_at)}</td></tr>`).join("")}</tbody></table></div>`}</div></div>`;
    const where = (b) => { const tr = b.closest("[data-testid=dead-letter]"); return { s: tr.dataset.service, id: tr.dataset.id, tr }; };
    const outcome = (verb) => (outcomes) => {
      const failed = (outcomes || []).filter((o) => o.status !== "replayed" && o.status !== "discarded");
      return failed.length ? [`${verb} failed: ${failed.map((o) => o.detail || o.status).join("; ")}`, true] : [`${verb}: ${(outcomes || []).length} message(s)`, false];
    };
    main.querySelectorAll("[data-replay]").forEach((b) => b.addEventListener("click", () => { const { s, id } = where(b); act(b, () => api(svc(s, `/admin/dead-letters/${id}/replay`), { method: "POST" }), outcome("Replay")); }));
    const record = (b) => { const g = b.closest("[data-testid=dead-letter-group]"); return { g, ref: { topic: g.dataset.topic, partition: Number(g.dataset.partition), offset: Number(g.dataset.offset) } }; };
    const groupOutcome = (verb) => (answer) => outcome(verb)((answer || {}).outcomes);
    main.querySelectorAll("[data-group-replay]").forEach((b) => b.addEventListener("click", () => act(b, () => api(svc("sales", "/dead-letter-groups/replay"), { method: "POST", body: record(b).ref }), groupOutcome("Replay"))));
    main.querySelectorAll("[data-group-discard]").forEach((b) => b.addEventListener("click", () => {
      const { g, ref } = record(b);
      const reason = $("[data-group-reason]", g).value.trim();
      if (!reason) { toast("Say why it is discarded", true); return; }
      act(b, () => api(svc("sales", "/dead-letter-groups/discard"), { method: "POST", body: { ...ref, reason } }), groupOutcome("Discard"));
    }));
    main.querySelectorAll("[data-discard]").forEach((b) => b.addEventListener("click", () => {
      const { s, id, tr } = where(b);
      const reason = $("[data-discard-reason]", tr).value.trim();
      if (!reason) { toast("Say why it is discarded", true); return; }
      act(b, () => api(svc(s, `/admin/dead-letters/${id}/discard`), { method: "POST", body: { reason } }), outcome("Discard"));
    }));
  },

  // --- dashboards: per day, with the per-warehouse breakdown ------------------------------------------

  async dashboards(params) {
    const q = new URLSearchParams();
    ["from", "to", "warehouse"].forEach((k) => params.get(k) && q.set(k, params.get(k)));
    const d = await api(`/tracking/dashboards?${q}`);
    // part(row) → [numerator, weight]: "avg" charts show Σnum/Σweight (weighted by shipments), "sum" charts Σnum.
    const group = (rows, keyOf, part, kind) => {
      const m = new Map();
      rows.forEach((r) => { const k = keyOf(r); const [n, w] = part(r); const x = m.get(k) || [0, 0]; m.set(k, [x[0] + (n || 0), x[1] + (w || 0)]); });
      return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, [n, w]]) => ({ k, v: kind === "sum" ? n : (w ? n / w : 0), w }));
    };
    const chart = (id, title, rows, { keyOf = (r) => r.day, part, kind = "avg", fmt, weight = "n" }) => {
      const series = group(rows, keyOf, part, kind);
      const perWh = rows.some((r) => r.warehouse_id) ? group(rows, (r) => r.warehouse_id, part, kind) : [];
      const max = Math.max(1e-9, ...series.map((x) => x.v));
      return `<div class="card chart" data-testid="chart" data-chart="${id}"><h3>${esc(title)}</h3>
        ${series.length ? `<div class="bars">${series.map((x) => `<div data-testid="bar" data-key="${esc(x.k)}" data-value="${x.v}" data-height="${Math.max(2, (x.v / max) * 100)}" title="${esc(x.k)}: ${esc(fmt(x.v))}"><span>${esc(fmt(x.v))}</span></div>`).join("")}</div>
          <div class="axis">${series.map((x) => `<span>${esc(/^\d{4}-/.test(x.k) ? x.k.slice(5) : x.k)}</span>`).join("")}</div>` : `<p class="muted" data-testid="no-data">No data in the period.</p>`}
        ${perWh.length ? `<table class="per-wh" data-testid="per-warehouse"><thead><tr><th>Warehouse</th><th>${kind === "sum" ? "Total" : "Value"}</th>${kind === "sum" ? "" : `<th>${esc(weight)}</th>`}</tr></thead><tbody>${perWh.map((x) => `<tr data-warehouse="${esc(x.k)}" data-value="${x.v}"><td>${esc(x.k)}</td><td data-field="value">${esc(fmt(x.v))}</td>${kind === "sum" ? "" : `<td data-field="weight">${esc(x.w)}</td>`}</tr>`).join("")}</tbody></table>` : ""}</div>`;
    };
    const hours = (v) => v < 1 ? `${(v * 60).toFixed(1)} min` : `${v.toFixed(1)} h`, pct = (v) => `${Math.round(v * 100)}%`, count = (v) => String(Math.round(v)), days = (v) => `${v.toFixed(1)} d`;
    main.innerHTML = `<div data-testid="workspace-dashboards"><div class="card"><h1>Dashboards ${esc(d.from)} → ${esc(d.to)}${d.warehouse ? " · " + esc(d.warehouse) : ""}</h1>
      <form id="dash" class="search"><input type="date" name="from" value="${esc(d.from)}" aria-label="from"><input type="date" name="to" value="${esc(d.to)}" aria-label="to"><input type="text" name="warehouse" placeholder="warehouse" value="${esc(d.warehouse || "")}" aria-label="warehouse"><button>Show</button></form></div>
      <div class="grid charts">
      ${chart("cycle", "Order-to-dispatch cycle time", d.order_to_dispatch_hours, { part: (r) => [(r.avg || 0) * r.shipments, r.shipments], fmt: hours, weight: "shipments" })}
      ${chart("on-time", "On-time dispatch vs committed date", d.on_time_dispatch, { part: (r) => [r.on_time, r.shipments], fmt: pct, weight: "shipments" })}
      ${chart("ageing", "Dispatch ageing (open shipments)", d.dispatch_ageing, { keyOf: (r) => r.bucket, part: (r) => [r.shipments, 1], kind: "sum", fmt: count })}
      ${chart("credit", "Credit decision time", d.credit_decision_hours, { part: (r) => [(r.avg || 0) * r.decisions, r.decisions], fmt: hours, weight: "decisions" })}
      ${chart("ewb-rejections", "E-way bill rejections", d.ewaybill_rejections, { part: (r) => [r.rejections, 1], kind: "sum", fmt: count })}
      ${chart("cash", "Order-to-cash", d.order_to_cash_days, { part: (r) => [(r.avg || 0) * r.orders, r.orders], fmt: days, weight: "orders" })}
      </div></div>`;
    // The page's CSP refuses inline style attributes; a height set through the DOM is allowed.
    main.querySelectorAll("[data-height]").forEach((b) => { b.style.height = b.dataset.height + "%"; });
    $("#dash").addEventListener("submit", (ev) => { ev.preventDefault(); const f = new FormData(ev.target); const p = new URLSearchParams(); for (const [k, v] of f) if (v) p.set(k, v); location.hash = `#/work/dashboards?${p}`; });
  },
};

loadIndia().then(() => {
  window.addEventListener("hashchange", route);
  route();
});
