// The admin console's 連携先 tab: each back-office destination (webhook, CSV, AMQP, pull)
// with its health — last success, last failure in words, what waits in the outbox — and its
// last deliveries. Uses the frame's helpers (window.admin, from admin.js).
"use strict";
(function () {
  const TEXT = {
    ja: {
      kinds: { webhook: "Webhook（HTTP 送信）", csv: "CSV（RPA 用フォルダー）", amqp: "メッセージキュー（AMQP）", pull: "取得型（基幹システムが取りに来る）" },
      enabled: "有効", paused: "停止中", lastSuccess: "最後に届いた日時", lastFailure: "最後の失敗",
      pending: "送信待ち", published: "受領待ち", dead: "送信をあきらめたもの", delivered: "届いた件数",
      recent: "最近の送信", none: "なし", healthy: "正常", unused: "まだ送信していません", failing: "失敗が続いています", attention: "要確認",
      status: { pending: "送信待ち", delivering: "送信中", published: "受領待ち", delivered: "届きました", dead: "送信をあきらめました", expired: "未受領のまま削除" },
      attempts: "回目", technical: "技術的な内容", empty: "連携先はまだありません。",
      purged: "未受領のまま削除", progress: "送信・受領",
    },
    en: {
      kinds: { webhook: "Webhook (HTTP)", csv: "CSV (RPA drop folder)", amqp: "Message queue (AMQP)", pull: "Pull (the core system fetches)" },
      enabled: "Enabled", paused: "Paused", lastSuccess: "Last delivered", lastFailure: "Last failure",
      pending: "Waiting to send", published: "Waiting for acknowledgement", dead: "Dead letters", delivered: "Delivered",
      recent: "Recent deliveries", none: "none", healthy: "Healthy", unused: "Nothing sent yet", failing: "Failing", attention: "Needs attention",
      status: { pending: "waiting", delivering: "sending", published: "awaiting ack", delivered: "delivered", dead: "gave up", expired: "purged unread" },
      attempts: "attempt(s)", technical: "Technical detail", empty: "No destinations yet.",
      purged: "purged unread", progress: "Sent / acknowledged",
    },
  };
  const t = (key) => TEXT[window.admin.lang()][key] || TEXT.ja[key];
  const el = (tag, text, className) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  };

  function verdict(d) {
    if (d.dead) return ["attention", "health-bad"];
    if (!d.last_success_at && !d.last_failure_at) return ["unused", "health-paused"];
    const failedLast = d.last_failure_at && (!d.last_success_at || d.last_failure_at > d.last_success_at);
    return failedLast ? ["failing", "health-bad"] : ["healthy", "health-ok"];
  }

  function facts(d) {
    const list = el("dl", undefined, "facts");
    const add = (term, value) => { list.append(el("dt", term), el("dd", value)); };
    add(t("lastSuccess"), window.admin.when(d.last_success_at));
    add(t("pending"), String(d.pending));
    if (d.kind === "pull") add(t("published"), String(d.published));
    add(t("dead"), String(d.dead));
    add(t("delivered"), String(d.delivered));
    if (d.expired) add(t("purged"), String(d.expired));
    return list;
  }

  function failure(d) {
    const box = el("div", undefined, "failure");
    box.append(el("h4", `${t("lastFailure")}: ${window.admin.when(d.last_failure_at)}`));
    box.append(el("p", d.last_failure_in_words));
    const details = el("details");
    details.append(el("summary", t("technical")), el("code", d.last_failure));
    box.append(details);
    return box;
  }

  function recent(d) {
    const table = el("table", undefined, "recent");
    table.append(el("caption", t("recent")));
    for (const m of d.recent) {
      const row = el("tr");
      row.append(el("td", window.admin.when(m.created_at)), el("td", t("status")[m.status] || m.status));
      row.append(el("td", `${m.attempts} ${t("attempts")}`), el("td", m.last_error || ""));
      table.append(row);
    }
    return table;
  }

  function card(d) {
    const section = el("section", undefined, "card destination");
    section.dataset.destination = d.name;
    const [word, className] = verdict(d);
    const head = el("h3", `${d.name} — ${t("kinds")[d.kind] || d.kind} `);
    head.append(el("span", d.enabled ? t(word) : t("paused"), d.enabled ? className : "health-paused"));
    section.append(head, facts(d));
    if (d.last_failure) section.append(failure(d));
    section.append(d.recent.length ? recent(d) : el("p", `${t("recent")}: ${t("none")}`));
    return section;
  }

  async function loadDestinations() {
    const rows = await window.admin.api("GET", "/api/v1/outbox/destinations/health");
    const box = document.getElementById("destinations");
    box.textContent = "";
    if (!rows.length) box.append(el("p", t("empty")));
    for (const d of rows) box.append(card(d));
  }

  window.adminTabs = window.adminTabs || {};
  window.adminTabs.destinations = loadDestinations;
})();
