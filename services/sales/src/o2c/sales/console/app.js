// o2c console: plain JS, no build step. Every action goes to the owning service's API with the user's own
// token (through sales' thin forwarder /console/api/<service>/…); the console itself writes nothing.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const main = $("#main");
const TOKEN_KEY = "o2c.token";
let stream = null;

const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const fmtTime = (iso) => iso ? new Date(iso).toLocaleString("en-IN", { timeZone: "Asia/Kolkata", day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit" }) : "—";
const fmtDate = (iso) => iso ? new Date(iso.slice(0, 10) + "T00:00:00Z").toLocaleDateString("en-IN", { timeZone: "UTC", day: "2-digit", month: "short", year: "numeric" }) : "—";
const rupees = (v) => v == null ? "—" : "₹" + Number(v).toLocaleString("en-IN", { minimumFractionDigits: 2 });
const label = (s) => String(s ?? "").replaceAll("_", " ");

function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }
function claims() {
  try { return JSON.parse(atob(token().split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); } catch { return null; }
}
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
const svc = (service, path) => `/console/api/${service}${path}`;
const list = (x) => Array.isArray(x) ? x : (x && (x.items || x.sanctions || x.results)) || [];

// --- navigation ---------------------------------------------------------------------------------

const WORKSPACES = [
  { id: "sales", title: "My orders", roles: ["sales_coordinator", "sales_head", "customer", "partner"] },
  { id: "finance", title: "Sanctions", roles: ["finance_head", "finance_executive"] },
  { id: "warehouse", title: "Pick lists", roles: ["picker", "warehouse_coordinator"] },
  { id: "dispatch", title: "Shipments", roles: ["dispatch_supervisor"] },
  { id: "accountant", title: "Invoices", roles: ["accountant"] },
  { id: "compliance", title: "E-way bills", roles: ["compliance_officer"] },
  { id: "sre", title: "Dead letters", roles: ["sre"] },
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

// Renders await the network; a render that finishes after a newer one started would overwrite it, so the
// newest location always gets one more render once a stale one has finished.
let routing = 0;
async function route() {
  const mine = ++routing;
  await routeOnce();
  if (mine !== routing) await routeOnce();
}

async function routeOnce() {
  if (stream) { stream.close(); stream = null; }
  const { parts, params } = parseHash();
  if (params.get("token")) { sessionStorage.setItem(TOKEN_KEY, params.get("token")); params.delete("token"); }
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
  const cls = ["dispatched", "closed", "paid"].includes(s) ? "ok" : ["credit_hold", "backordered", "partially_dispatched"].includes(s) ? "warn" : ["cancelled", "credit_rejected"].includes(s) ? "bad" : "";
  return `<span class="chip ${cls}" data-field="status">${esc(label(s))}</span>`;
}

function shipmentCard(s, planned) {
  const t = s.transport || {}, inv = s.invoice, ewb = s.ewaybill;
  return `<div class="card" data-testid="shipment" data-shipment="${esc(s.shipment_id || s.warehouse_id)}">
    <h3>${planned ? "Planned from " : "Shipment " + esc(s.shipment_no || s.shipment_id) + " · "}${esc(s.warehouse_id)} ${statusChip(s.status)}</h3>
    <div class="grid"><dl class="kv">
      <dt>Expected dispatch</dt><dd><span class="big" data-field="expected-dispatch">${fmtDate(s.expected_dispatch_date)}</span></dd>
      <dt>Committed</dt><dd>${fmtDate(s.committed_date)}</dd>
      ${s.risk ? `<dt>At risk</dt><dd class="risk" data-field="risk">${esc(s.risk)}</dd>` : ""}
      ${(s.pending || []).length && !s.risk ? `<dt>Waiting for</dt><dd>${esc(s.pending.join("; "))}</dd>` : ""}
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
      <dl class="kv"><dt>Customer</dt><dd data-field="customer">${esc(v.customer.name)}</dd><dt>GSTIN</dt><dd>${esc(v.customer.gstin || "—")}</dd>
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
  <div class="card"><h2>Timeline</h2><ol class="timeline" data-testid="timeline">${[...(v.steps || [])].reverse().map((s) => `<li class="${/rejected|held|failed|short/.test(s.kind) ? "exc" : ""}" data-kind="${esc(s.kind)}"><div class="when">${fmtTime(s.at)} · ${esc(s.actor)}</div><div>${esc(s.title)}${s.ref ? ` <span class="chip">${esc(s.ref)}</span>` : ""}</div><div class="detail">${esc(s.detail)}</div></li>`).join("")}</ol></div>`;
}

async function renderOrder(orderId) {
  renderNav();
  const v = await api(`/tracking/orders/${encodeURIComponent(orderId)}`);
  renderOrderView(v, false);
  stream = new EventSource(`/tracking/orders/${encodeURIComponent(orderId)}/stream?access_token=${encodeURIComponent(token())}`);
  stream.addEventListener("view", (ev) => renderOrderView(JSON.parse(ev.data), true));
  stream.onerror = () => { const l = $("#live"); if (l) l.textContent = "○ reconnecting"; };
}

// --- role workspaces ----------------------------------------------------------------------------

async function act(button, fn, done) {
  button.disabled = true;
  try { await fn(); await route(); toast(done); } catch (e) { toast(`${e.status || ""} ${e.message}`, true); button.disabled = false; }
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
    main.innerHTML = `<div class="card" data-testid="workspace-finance"><h1>Pending sanctions</h1>${!queue.length ? `<p class="muted" data-testid="empty">No order waits for a sanction.</p>` : `<div class="table-wrap"><table><thead><tr><th>Order</th><th>Customer</th><th>Amount</th><th>Exposure with order</th><th>Limit</th><th>Reasons</th><th>Waiting</th><th></th></tr></thead><tbody>${queue.map((s) => `
      <tr data-testid="sanction" data-order="${esc(s.order.order_id)}"><td><a href="#/orders/${encodeURIComponent(s.order.order_id)}">${esc(s.order.order_id)}</a></td><td>${esc(s.customer.name || s.customer.customer_id)}</td>
      <td>${rupees(s.order.amount)}</td><td>${rupees(s.exposure && s.exposure.with_order)}</td><td>${rupees(s.credit_limit)}</td>
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

  async dispatch() {
    const waiting = list(await api(svc("dispatch", "/shipments?status=waiting_for_vehicle")));
    const gate = list(await api(svc("dispatch", "/shipments?status=ready_for_gate")));
    const docs = list(await api(svc("dispatch", "/shipments?status=waiting_for_documents")));
    const row = (s, extra) => `<tr data-testid="shipment-row" data-shipment="${esc(s.shipment_id)}"><td>${esc(s.shipment_no || s.shipment_id)}</td><td><a href="#/orders/${encodeURIComponent(s.order_id)}">${esc(s.order_no)}</a></td><td>${esc(s.customer_name)}</td><td>${esc(s.warehouse_id)}</td><td>${esc((s.waiting_for || []).join ? s.waiting_for.join(", ") : s.waiting_for || "")}</td><td>${extra}</td></tr>`;
    const table = (rows) => rows || `<tr><td colspan="6" class="muted">None.</td></tr>`;
    main.innerHTML = `<div data-testid="workspace-dispatch"><div class="card"><h1>Waiting for vehicle</h1><div class="table-wrap"><table><thead><tr><th>Shipment</th><th>Order</th><th>Customer</th><th>Warehouse</th><th>Waiting for</th><th></th></tr></thead><tbody>${table(waiting.map((s) => row(s, `<input type="text" placeholder="vehicle no" data-vehicle aria-label="vehicle"> <input type="text" placeholder="driver" data-driver aria-label="driver"> <input type="text" placeholder="driver phone" data-phone aria-label="driver phone"> <input type="text" placeholder="transporter" data-transporter aria-label="transporter"> <input type="text" placeholder="LR no" data-lr aria-label="LR"> <button data-details>Save</button>`)).join(""))}</tbody></table></div></div>
      <div class="card"><h2>Waiting for invoice / e-way bill</h2><table><tbody>${table(docs.map((s) => row(s, "")).join(""))}</tbody></table></div>
      <div class="card"><h2>Ready for gate-out</h2><table><tbody>${table(gate.map((s) => row(s, `<button data-gate>Gate out</button>`)).join(""))}</tbody></table></div></div>`;
    main.querySelectorAll("[data-details]").forEach((b) => b.addEventListener("click", () => {
      const tr = b.closest("tr");
      const body = { vehicle_no: $("[data-vehicle]", tr).value, driver_name: $("[data-driver]", tr).value || null, driver_phone: $("[data-phone]", tr).value || null, transporter_name: $("[data-transporter]", tr).value || null, lr_no: $("[data-lr]", tr).value || null };
      act(b, () => api(svc("dispatch", `/shipments/${tr.dataset.shipment}/dispatch-details`), { method: "POST", body }), "Vehicle saved");
    }));
    main.querySelectorAll("[data-gate]").forEach((b) => b.addEventListener("click", () => act(b, () => api(svc("dispatch", `/shipments/${b.closest("tr").dataset.shipment}/gate-out`), { method: "POST" }), "Gated out")));
  },

  async accountant() {
    const rows = await api(`/tracking/orders?limit=200&shipments=true`);
    const invoices = rows.flatMap((o) => (o.shipments || []).filter((s) => s.invoice).map((s) => ({ o, s })));
    const irn = rows.flatMap((o) => (o.open_exceptions || []).filter((e) => e.kind === "irn_rejected").map((e) => ({ o, e })));
    main.innerHTML = `<div data-testid="workspace-accountant"><div class="card"><h1>IRN rejections</h1>${!irn.length ? `<p class="muted">None.</p>` : `<ul>${irn.map(({ o, e }) => `<li><a href="#/orders/${encodeURIComponent(o.order_id)}">${esc(o.order_no)}</a> ${esc(e.ref)}: ${esc(e.detail)}</li>`).join("")}</ul>`}</div>
      <div class="card"><h2>Invoices</h2><div class="table-wrap"><table><thead><tr><th>Invoice</th><th>Order</th><th>Customer</th><th>Total</th><th>IRN</th><th>PDF</th></tr></thead><tbody>${invoices.map(({ o, s }) => `<tr><td>${esc(s.invoice.invoice_no)}</td><td><a href="#/orders/${encodeURIComponent(o.order_id)}">${esc(o.order_no)}</a></td><td>${esc(o.customer_name)}</td><td>${rupees(s.invoice.grand_total)}</td><td>${esc(label(s.invoice.irn_status))}${s.invoice.irn_status === "rejected" ? ` <button data-retry="${esc(s.invoice.invoice_id)}">Retry IRN</button>` : ""}</td><td><button class="secondary" data-pdf="${esc(s.invoice.invoice_id)}">PDF</button></td></tr>`).join("") || `<tr><td colspan="6" class="muted">None.</td></tr>`}</tbody></table></div></div></div>`;
    main.querySelectorAll("[data-retry]").forEach((b) => b.addEventListener("click", () => act(b, () => api(svc("invoicing", `/invoices/${b.dataset.retry}/irn/retry`), { method: "POST" }), "IRN retry queued")));
    main.querySelectorAll("[data-pdf]").forEach((b) => b.addEventListener("click", async () => {
      const r = await fetch(svc("invoicing", `/invoices/${b.dataset.pdf}/pdf`), { headers: { Authorization: "Bearer " + token() } });
      if (!r.ok) return toast(`${r.status} PDF not available`, true);
      window.open(URL.createObjectURL(await r.blob()), "_blank");
    }));
  },

  async compliance() {
    const expiring = list(await api(svc("ewaybill", "/ewaybills/expiring?within_hours=24")));
    const rejected = list(await api(svc("ewaybill", "/ewaybills?status=rejected")));
    const rows = (xs) => xs.map((e) => `<tr><td>${esc(e.ewaybill_no || e.ewaybill_id)}</td><td><a href="#/orders/${encodeURIComponent(e.order_id)}">${esc(e.order_id)}</a></td><td>${esc(e.invoice_no)}</td><td>${esc(label(e.status))}</td><td>${fmtTime(e.valid_until)}</td><td>${esc(e.last_error || e.rejection_message || e.message || "")}</td></tr>`).join("") || `<tr><td colspan="6" class="muted">None.</td></tr>`;
    const head = `<thead><tr><th>EBN</th><th>Order</th><th>Invoice</th><th>Status</th><th>Valid until</th><th>Note</th></tr></thead>`;
    main.innerHTML = `<div data-testid="workspace-compliance"><div class="card"><h1>Expiring within 24 h</h1><div class="table-wrap"><table>${head}<tbody>${rows(expiring)}</tbody></table></div></div><div class="card"><h2>Rejected</h2><div class="table-wrap"><table>${head}<tbody>${rows(rejected)}</tbody></table></div></div></div>`;
  },

  async sre() {
    const services = ["sales", "credit", "inventory", "dispatch", "invoicing", "ewaybill", "notify"];
    const results = await Promise.all(services.map(async (s) => {
      try { return { s, dl: list(await api(svc(s, "/admin/dead-letters?status=open"))), state: await api(svc(s, "/admin/messaging")) }; }
      catch (e) { return { s, error: e.message, dl: [] }; }
    }));
    main.innerHTML = `<div data-testid="workspace-sre"><h1>Dead letters and consumers</h1>${results.map((r) => `<div class="card"><h2>${esc(r.s)} ${r.error ? `<span class="chip bad">${esc(r.error)}</span>` : ""}</h2>
      ${r.state ? `<p class="muted">outbox unsent ${esc(r.state.outbox_unsent)} · relay leader ${esc(r.state.relay_leader)} · consumer ${esc(JSON.stringify(r.state.consumer || {}).slice(0, 200))}</p>` : ""}
      ${r.dl.length ? `<table><thead><tr><th>#</th><th>Type</th><th>Key</th><th>Reason</th><th></th></tr></thead><tbody>${r.dl.map((d) => `<tr><td>${d.id}</td><td>${esc(d.type)}</td><td>${esc(d.key)}</td><td>${esc(d.reason)}</td><td><button data-replay="${esc(r.s)}:${d.id}">Replay</button></td></tr>`).join("")}</tbody></table>` : `<p class="muted">No open dead letters.</p>`}</div>`).join("")}</div>`;
    main.querySelectorAll("[data-replay]").forEach((b) => b.addEventListener("click", () => { const [s, id] = b.dataset.replay.split(":"); act(b, () => api(svc(s, `/admin/dead-letters/${id}/replay`), { method: "POST" }), "Replayed"); }));
  },

  async dashboards(params) {
    const q = new URLSearchParams();
    ["from", "to", "warehouse"].forEach((k) => params.get(k) && q.set(k, params.get(k)));
    const d = await api(`/tracking/dashboards?${q}`);
    const chart = (title, rows, value, unit) => {
      const byDay = {};
      rows.forEach((r) => { const k = r.day || r.bucket || r.warehouse_id; byDay[k] = (byDay[k] || []).concat([value(r)]); });
      const keys = Object.keys(byDay).sort();
      const vals = keys.map((k) => byDay[k].reduce((a, b) => a + (b || 0), 0) / (unit === "count" ? 1 : byDay[k].length));
      const max = Math.max(1, ...vals);
      return `<div class="card" data-testid="chart"><h3>${esc(title)}</h3>${keys.length ? `<div class="bars">${vals.map((v, i) => `<div style="height:${(v / max) * 100}%" title="${esc(keys[i])}: ${v.toFixed(2)}"><span>${unit === "%" ? Math.round(v * 100) + "%" : v.toFixed(1)}</span></div>`).join("")}</div><div class="axis">${keys.map((k) => `<span>${esc(k.slice(5) || k)}</span>`).join("")}</div>` : `<p class="muted">No data in the period.</p>`}</div>`;
    };
    main.innerHTML = `<div data-testid="workspace-dashboards"><div class="card"><h1>Dashboards ${esc(d.from)} → ${esc(d.to)}${d.warehouse ? " · " + esc(d.warehouse) : ""}</h1>
      <form id="dash" class="search"><input type="date" name="from" value="${esc(d.from)}" aria-label="from"><input type="date" name="to" value="${esc(d.to)}" aria-label="to"><input type="text" name="warehouse" placeholder="warehouse" value="${esc(d.warehouse || "")}" aria-label="warehouse"><button>Show</button></form></div>
      <div class="grid">
      ${chart("Order-to-dispatch cycle time (h)", d.order_to_dispatch_hours, (r) => r.avg, "h")}
      ${chart("On-time dispatch vs committed date", d.on_time_dispatch, (r) => r.rate, "%")}
      ${chart("Dispatch ageing (open shipments)", d.dispatch_ageing, (r) => r.shipments, "count")}
      ${chart("Credit decision time (h)", d.credit_decision_hours, (r) => r.avg, "h")}
      ${chart("E-way bill rejections", d.ewaybill_rejections, (r) => r.rejections, "count")}
      ${chart("Order-to-cash (days)", d.order_to_cash_days, (r) => r.avg, "d")}
      </div></div>`;
    $("#dash").addEventListener("submit", (ev) => { ev.preventDefault(); const f = new FormData(ev.target); const p = new URLSearchParams(); for (const [k, v] of f) if (v) p.set(k, v); location.hash = `#/work/dashboards?${p}`; });
  },
};

window.addEventListener("hashchange", route);
route();
