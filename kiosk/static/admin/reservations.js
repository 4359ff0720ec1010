// The admin console's 予約・事前入力 tab (issue 20): turn pre-entry and reservations on, the
// retention of pre-entries, the no-show grace time and the priority rule; create reservation
// slots per queue and purpose (e.g. おくやみコーナー every weekday, 転入 in March–April) and
// delete unused ones. Uses the frame's helpers (window.admin, from admin.js).
"use strict";
(function () {
  const TEXT = {
    ja: {
      tab: "予約・事前入力", settings: "受付の設定", preentry: "スマートフォンの事前入力を受け付ける",
      reservations: "来庁予約を受け付ける", retention: "事前入力の保存日数（使われなければこの日数で削除）",
      grace: "予約の猶予（分）：開始からこの時間を過ぎても受付がなければ「来庁なし」",
      first: "予約の方の番号札を優先して呼ぶ", save: "保存", saved: "保存しました", page: "住民向けのページ",
      slots: "予約枠", add: "予約枠を作る", queue: "受付（番号札の種類）", purpose: "用件", label: "表示名",
      from: "開始日", to: "終了日", weekdays: "曜日", times: "時刻（カンマ区切り）", minutes: "1枠の長さ（分）",
      capacity: "定員", create: "作る", created: "{n} 枠を作りました", when: "日時", remaining: "空き",
      actions: "操作", remove: "削除", removed: "削除しました", none: "予約枠はありません。",
      days: ["月", "火", "水", "木", "金", "土", "日"],
    },
    en: {
      tab: "Reservations & pre-entry", settings: "Settings", preentry: "Accept pre-entry from phones",
      reservations: "Accept reservations", retention: "Days a pre-entry is kept (deleted after, if unused)",
      grace: "Grace (minutes): a reservation not checked in this long after its start is a no-show",
      first: "Call reserved tickets first", save: "Save", saved: "Saved", page: "Residents' page",
      slots: "Reservation slots", add: "Create slots", queue: "Queue", purpose: "Purpose", label: "Label",
      from: "First day", to: "Last day", weekdays: "Weekdays", times: "Times (comma-separated)", minutes: "Length (minutes)",
      capacity: "Capacity", create: "Create", created: "Created {n} slot(s)", when: "When", remaining: "Free",
      actions: "Actions", remove: "Delete", removed: "Deleted", none: "No slots.",
      days: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    },
  };
  const PURPOSES = { ja: { death: "おくやみ", "moving-in": "転入", "moving-out": "転出", "moving-within": "転居", birth: "出生", certificate: "証明書" },
    en: { death: "Bereavement", "moving-in": "Moving in", "moving-out": "Moving out", "moving-within": "Moving within", birth: "Birth", certificate: "Certificates" } };
  const lang = () => window.admin.lang();
  const t = (key, n) => String(TEXT[lang()][key] || TEXT.ja[key]).replace("{n}", n);
  const el = (tag, text, attrs) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    Object.assign(node, attrs || {});
    return node;
  };

  function field(labelText, control) {
    const label = el("label", undefined, { className: "field" });
    label.append(el("span", labelText), control);
    return label;
  }

  function check(id, labelText, checked) {
    const label = el("label", undefined, { className: "inline" });
    label.append(el("input", undefined, { type: "checkbox", id, checked }), el("span", " " + labelText));
    return label;
  }

  function settingsForm(values, me) {
    const form = el("form", undefined, { id: "resident-settings", className: "card" });
    form.append(el("h3", t("settings")));
    form.append(check("rs-preentry", t("preentry"), values.preentry_enabled), el("br"));
    form.append(check("rs-reservations", t("reservations"), values.reservations_enabled), el("br"));
    form.append(check("rs-first", t("first"), values.reserved_first));
    form.append(field(t("retention"), el("input", undefined, { type: "number", id: "rs-retention", min: 1, max: 30, value: values.preentry_retention_days })));
    form.append(field(t("grace"), el("input", undefined, { type: "number", id: "rs-grace", min: 0, max: 240, value: values.no_show_grace_minutes })));
    form.append(el("button", t("save"), { type: "submit" }));
    if (me && me.tenant_code) {
      const url = `${window.location.origin}/pre/#${me.tenant_code}`;
      const p = el("p", t("page") + ": ");
      p.append(el("a", url, { href: url, target: "_blank", rel: "noopener", id: "rs-page" }));
      form.append(p);
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {
        preentry_enabled: document.getElementById("rs-preentry").checked,
        reservations_enabled: document.getElementById("rs-reservations").checked,
        reserved_first: document.getElementById("rs-first").checked,
        preentry_retention_days: Number(document.getElementById("rs-retention").value),
        no_show_grace_minutes: Number(document.getElementById("rs-grace").value),
      };
      try { await window.admin.api("PUT", "/api/v1/resident-services", body); window.admin.say(t("saved")); }
      catch (e) { window.admin.say(e.message, true); }
    });
    return form;
  }

  function slotForm(queues) {
    const form = el("form", undefined, { id: "slot-form", className: "card" });
    form.append(el("h3", t("add")));
    const queue = el("select", undefined, { id: "sl-queue" });
    for (const q of queues) queue.append(el("option", `${q.prefix} ${lang() === "ja" ? q.name_ja : q.name_en}`, { value: q.id }));
    const purpose = el("select", undefined, { id: "sl-purpose" });
    for (const [code, name] of Object.entries(PURPOSES[lang()])) purpose.append(el("option", name, { value: code }));
    const label = el("input", undefined, { id: "sl-label", value: "おくやみコーナー", maxLength: 64 });
    purpose.addEventListener("change", () => { label.value = PURPOSES.ja[purpose.value] + "（予約）"; });
    const today = new Date().toISOString().slice(0, 10);
    const grid = el("div", undefined, { className: "grid2" });
    grid.append(field(t("queue"), queue), field(t("purpose"), purpose), field(t("label"), label),
      field(t("from"), el("input", undefined, { type: "date", id: "sl-from", value: today })),
      field(t("to"), el("input", undefined, { type: "date", id: "sl-to", value: today })),
      field(t("times"), el("input", undefined, { id: "sl-times", value: "09:00, 10:00, 11:00, 13:00, 14:00, 15:00" })),
      field(t("minutes"), el("input", undefined, { type: "number", id: "sl-minutes", value: 30, min: 5, max: 240 })),
      field(t("capacity"), el("input", undefined, { type: "number", id: "sl-capacity", value: 1, min: 1, max: 100 })));
    form.append(grid);
    const days = el("fieldset", undefined, { id: "sl-days" });
    days.append(el("legend", t("weekdays")));
    TEXT[lang()].days.forEach((name, index) => days.append(check(`sl-day-${index}`, name, index < 5)));
    form.append(days, el("button", t("create"), { type: "submit" }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {
        queue_id: queue.value, purpose: purpose.value, label: label.value.trim(),
        first_day: document.getElementById("sl-from").value, last_day: document.getElementById("sl-to").value,
        weekdays: [0, 1, 2, 3, 4, 5, 6].filter((i) => document.getElementById(`sl-day-${i}`).checked),
        times: document.getElementById("sl-times").value.split(/[,、\s]+/).filter(Boolean).map((s) => s.padStart(5, "0")),
        minutes: Number(document.getElementById("sl-minutes").value),
        capacity: Number(document.getElementById("sl-capacity").value),
      };
      try {
        const result = await window.admin.api("POST", "/api/v1/reservation-slots", body);
        window.admin.say(t("created", result.created));
        await loadReservations();
      } catch (e) { window.admin.say(e.message, true); }
    });
    return form;
  }

  function slotTable(slots) {
    if (!slots.length) return el("p", t("none"), { className: "help" });
    const table = el("table", undefined, { id: "slot-table" });
    const head = el("tr");
    for (const key of ["when", "label", "capacity", "remaining", "actions"]) head.append(el("th", t(key), { scope: "col" }));
    table.append(el("thead"), el("tbody"));
    table.tHead.append(head);
    const format = new Intl.DateTimeFormat(lang() === "ja" ? "ja-JP" : "en-GB",
      { month: "numeric", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit", timeZone: "Asia/Tokyo" });
    for (const slot of slots.slice(0, 200)) {
      const row = el("tr");
      const remove = el("button", t("remove"), { type: "button", className: "secondary" });
      remove.disabled = slot.remaining < slot.capacity;
      remove.addEventListener("click", async () => {
        try { await window.admin.api("DELETE", `/api/v1/reservation-slots/${slot.id}`); window.admin.say(t("removed")); await loadReservations(); }
        catch (e) { window.admin.say(e.message, true); }
      });
      const actions = el("td");
      actions.append(remove);
      row.append(el("td", format.format(new Date(slot.starts_at))), el("td", slot.label_ja),
        el("td", String(slot.capacity)), el("td", String(slot.remaining)), actions);
      table.tBodies[0].append(row);
    }
    return table;
  }

  async function loadReservations() {
    const [values, queues, slots, me] = await Promise.all([
      window.admin.api("GET", "/api/v1/resident-services"),
      window.admin.api("GET", "/api/v1/queues"),
      window.admin.api("GET", "/api/v1/reservation-slots"),
      window.admin.api("GET", "/api/v1/auth/me").catch(() => null),
    ]);
    const panel = document.getElementById("tab-reservations");
    panel.textContent = "";
    panel.append(el("h2", t("tab")), settingsForm(values, me), slotForm(queues.queues), el("h3", t("slots")), slotTable(slots));
  }

  function nameTheTab() { document.getElementById("t-reservations").textContent = t("tab"); }

  document.addEventListener("DOMContentLoaded", () => {
    nameTheTab();
    document.getElementById("lang").addEventListener("click", () => {
      nameTheTab();
      if (!document.getElementById("tab-reservations").hidden) loadReservations().catch(() => {});
    });
  });
  window.adminTabs = window.adminTabs || {};
  window.adminTabs.reservations = loadReservations;
})();
