// Staff console, pre-entry and reservations (issue 20): a 2D barcode scanner types the
// resident's pre-entry code and presses Enter; the visit opens (or the open one fills) with
// what the resident entered, marked 事前入力. The idle screen lists the day's reservations.
// Uses staff.js's globals (state, api, T, t, $, openVisit, refresh, fail, say, show).
"use strict";

Object.assign(T.ja, {
  resident: "事前入力", preentry_scan: "事前入力のQR", preentry_open: "読み込んで受付",
  preentry_applied: "事前入力を読み込みました。", reservations_today: "本日の予約",
  res_time: "時刻", res_purpose: "用件", res_number: "予約番号", res_status: "状態", res_ticket: "番号札",
  reservations_none: "本日の予約はありません。",
  res_booked: "予約中", res_checked_in: "受付済み", res_cancelled: "取消", res_no_show: "来庁なし",
});
Object.assign(T.en, {
  resident: "Pre-entered", preentry_scan: "Pre-entry QR", preentry_open: "Scan and open",
  preentry_applied: "The pre-entry was loaded.", reservations_today: "Today's reservations",
  res_time: "Time", res_purpose: "Purpose", res_number: "Number", res_status: "Status", res_ticket: "Ticket",
  reservations_none: "No reservations today.",
  res_booked: "Booked", res_checked_in: "Checked in", res_cancelled: "Cancelled", res_no_show: "No-show",
});
Object.assign(ERRORS_EN, {
  preentry_not_found: "No pre-entry has this code.",
  preentry_used: "This pre-entry has already been used.",
  preentry_expired: "This pre-entry has expired and was deleted.",
});

async function applyPreEntry(code) {
  const text = code.trim();
  if (!text || !state.visit) return;
  try {
    state.visit = await api("POST", `/api/v1/visits/${state.visit.id}/preentry`, { code: text });
    $("preentry-status").textContent = t("preentry_applied");
    say(t("preentry_applied"), "info");
    await refresh(false);
  } catch (error) { fail(error); }
}

async function scanAtCounter(event) {
  event.preventDefault();
  const input = $("preentry-code");
  const code = input.value;
  input.value = "";
  await applyPreEntry(code);
}

async function scanWhileIdle(event) {
  event.preventDefault();
  const input = $("idle-preentry-code");
  const code = input.value;
  input.value = "";
  if (!code.trim()) return;
  await openVisit(null);
  await applyPreEntry(code);
}

function reservationTime(iso) {
  return new Date(iso).toLocaleTimeString(state.lang === "ja" ? "ja-JP" : "en-GB",
    { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Tokyo" });
}

async function loadReservations() {
  if ($("idle").hidden) return;
  let rows;
  try { rows = await api("GET", "/api/v1/reservations", undefined, { poll: true }); } catch { return; }
  const body = $("reservation-rows");
  body.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement("tr");
    tr.dataset.status = row.status;
    for (const text of [reservationTime(row.starts_at), row.label, row.number, t(`res_${row.status}`), row.ticket_number || ""]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
  $("reservations-empty").hidden = rows.length > 0;
}

document.addEventListener("DOMContentLoaded", () => {
  $("preentry-form").addEventListener("submit", scanAtCounter);
  $("idle-preentry").addEventListener("submit", scanWhileIdle);
  new MutationObserver(loadReservations).observe($("idle"), { attributes: true, attributeFilter: ["hidden"] });
  setInterval(loadReservations, 30000);
});
