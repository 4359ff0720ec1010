// Back-office console: incoming cases, their documents and the state of every delivery.
// Staff login (cookie + CSRF token); no inline script, no CDN (closed counter network).
"use strict";

const STATE_LABELS = {
  pending: "送信待ち",
  delivering: "送信中",
  published: "取得待ち（pull）",
  delivered: "連携済み",
  dead: "送信停止（要対応）",
  expired: "未取得のまま削除（保存期間経過）",
};

let canReplay = false;
let timer = null;

const $ = (selector) => document.querySelector(selector);

function formatTime(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString("ja-JP", { dateStyle: "short", timeStyle: "medium" });
}

function showLogin(message) {
  $("#console").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message || "";
  if (timer) clearInterval(timer);
}

function showConsole(me) {
  csrfToken = me.csrf_token;
  canReplay = me.staff.role === "tenant_admin";
  $("#who").textContent = `${me.staff.tenant_name}　${me.staff.display_name}`;
  $("#login").hidden = true;
  $("#console").hidden = false;
  loadCases();
  scheduleRefresh();
}

function scheduleRefresh() {
  if (timer) clearInterval(timer);
  if ($("#auto").checked) timer = setInterval(loadCases, 10000);
}

function deliveryNode(delivery) {
  const state = el("span", { class: `state ${delivery.status}` },
    STATE_LABELS[delivery.status] || delivery.status);
  const node = el("div", { class: "delivery" },
    el("strong", {}, delivery.destination), state,
    el("span", {}, `v${delivery.version}・${delivery.attempts}回`));
  if (delivery.delivered_at) node.append(el("span", {}, formatTime(delivery.delivered_at)));
  if (delivery.last_error && delivery.status !== "delivered") {
    node.append(el("span", { class: "err" }, delivery.last_error));
  }
  node.append(el("button", { type: "button", class: "secondary",
    onclick: () => showAttempts(delivery) }, "履歴"));
  if (canReplay && ["dead", "delivered", "pending"].includes(delivery.status)) {
    node.append(el("button", { type: "button", onclick: () => replay(delivery) }, "再送"));
  }
  return node;
}

function caseRow(item) {
  const docs = el("ul", {}, ...item.documents.map((doc) =>
    el("li", {}, el("a", { href: doc.url, target: "_blank", rel: "noopener",
      title: `SHA-256 ${doc.sha256}` }, doc.filename))));
  return el("tr", {},
    el("td", {}, formatTime(item.handed_off_at)),
    el("td", {}, item.event ? Lists.label("events", item.event) : "—"),
    el("td", {}, item.filed_on || ""),
    el("td", {}, item.documents.length ? docs : "—"),
    el("td", {}, ...item.deliveries.map(deliveryNode)));
}

async function loadCases() {
  try {
    const cases = await api("GET", "/api/v1/outbox/cases?limit=100");
    $("#cases tbody").replaceChildren(...cases.map(caseRow));
    $("#empty").hidden = cases.length > 0;
    const dead = cases.flatMap((c) => c.deliveries).filter((d) => d.status === "dead").length;
    $("#status").textContent = `${cases.length}件を表示（${formatTime(new Date().toISOString())}）`
      + (dead ? `　送信停止 ${dead}件：連携先を確認し、管理者が再送してください。` : "");
    $("#status").className = dead ? "error" : "";
    if (canReplay) await showPurgedUnread();
  } catch (error) {
    if (error.status === 401) showLogin("ログインの有効期限が切れました。もう一度ログインしてください。");
    else $("#status").textContent = error.message;
  }
}

// Retention does not wait for a receiver: what it purged before a destination took it.
async function showPurgedUnread() {
  const destinations = await api("GET", "/api/v1/outbox/destinations");
  const lines = destinations.filter((d) => d.purged_unread > 0).map((d) =>
    `${d.name}：${d.purged_unread}件（最古 ${formatTime(d.purged_unread_oldest)}）`);
  $("#purged-unread").textContent = lines.length
    ? `未取得のまま保存期間を過ぎて削除：${lines.join("、")}` : "";
  $("#purged-unread").hidden = lines.length === 0;
}

async function showAttempts(delivery) {
  try {
    const detail = await api("GET", `/api/v1/outbox/messages/${delivery.id}`);
    $("#attempts-title").textContent = `${detail.destination}（${detail.idempotency_key}）`;
    $("#attempts-list").replaceChildren(...detail.attempt_log.map((a) =>
      el("li", { class: a.ok ? "ok" : "error" },
        `${formatTime(a.at)}　${a.ok ? "成功" : "失敗"}　${a.detail || ""}`)));
    $("#attempts").showModal();
  } catch (error) {
    $("#status").textContent = error.message;
  }
}

async function replay(delivery) {
  if (!confirm(`${delivery.destination} へ再送しますか？（同じ冪等キーで送ります）`)) return;
  try {
    await api("POST", `/api/v1/outbox/messages/${delivery.id}/replay`);
    $("#status").textContent = "再送を受け付けました。";
    loadCases();
  } catch (error) {
    $("#status").textContent = error.message;
  }
}

async function login(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const me = await api("POST", "/api/v1/auth/login", Object.fromEntries(form.entries()));
    showConsole(me);
  } catch (error) {
    showLogin(error.message);
  }
}

async function logout() {
  try { await api("POST", "/api/v1/auth/logout"); } catch { /* already gone */ }
  csrfToken = null;
  showLogin("ログアウトしました。");
}

document.addEventListener("DOMContentLoaded", async () => {
  await Lists.load().catch(() => null);  // without it, events show as their codes
  $("#login").addEventListener("submit", login);
  $("#refresh").addEventListener("click", loadCases);
  $("#auto").addEventListener("change", scheduleRefresh);
  $("#logout").addEventListener("click", logout);
  $("#attempts-close").addEventListener("click", () => $("#attempts").close());
  try {
    showConsole(await api("GET", "/api/v1/auth/me"));
  } catch {
    showLogin();
  }
});
