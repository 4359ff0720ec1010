// The managers' report (窓口利用体験調査): figures per life event against the baseline surveys,
// charts drawn by the server as SVG, PDF and CSV downloads; and the surveys' own tab.
// Japanese first, English on request.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const TEXT = {
    ja: {
      title: "窓口利用体験調査", login: "ログイン", tenantCode: "団体コード", username: "ユーザー名",
      password: "パスワード", logout: "ログアウト", reportTab: "報告", surveysTab: "以前の窓口の調査",
      from: "開始日", to: "終了日", show: "表示する", pdf: "PDF（議会・庁内向け）", csv: "CSV",
      event: "手続き", visits: "件数", waitMedian: "待ち（中央値）", waitP90: "待ち（90%）",
      serviceMedian: "手続き時間（中央値）", counters: "窓口数", prefilled: "印字済みの欄",
      before: "以前の待ち＋手続き", change: "待ち時間の変化", minutes: "分",
      summary: "来庁 {visits} 件・待ち時間の中央値 {wait} 分・書かずに済んだ欄 {fields}",
      surveysHelp: "職員が住民になりきって以前の窓口を回り、窓口ごとの待ち時間・手続き時間・書いた用紙と欄の数を記録します。これが「以前」の数字になります。",
      persona: "想定した住民", stops: "回った窓口", totalMinutes: "待ち＋手続き（分）", handwritten: "手書きの欄",
      actions: "操作", newSurvey: "調査を記録する", surveyedOn: "調査日", counter: "窓口", waitMin: "待ち（分）",
      serviceMin: "手続き（分）", forms: "書いた用紙", fields: "手書きの欄", floors: "階の移動",
      addStop: "窓口を追加", notes: "メモ", captions: "写真の説明（1行に1枚）", save: "記録する",
      importTitle: "表計算ソフトから取り込む（CSV）", import: "取り込む", remove: "削除", saved: "記録しました",
      imported: "件の調査を取り込みました", confirmDelete: "この調査を削除しますか？", deleted: "削除しました",
      importHelp: "列: survey, event, persona, surveyed_on, counter, wait_minutes, service_minutes, forms_written, fields_handwritten, floor_changes, notes（1行が1つの窓口、survey が同じ行が1回の調査）",
      supervisorTab: "いまの窓口", threshold: "待ち時間がこれを超えたら知らせる（分）", queue: "番号札",
      waiting: "待っている人", longestWait: "最長の待ち（分）", state: "状態", serviceNow: "いまの手続き（分）",
      states: { serving: "対応中", open: "受付中", closed: "休止" }, alert: "{queue} の待ち時間が {minutes} 分を超えています",
      forbidden: "この画面は管理者だけが使えます。", loginFailed: "ログインできませんでした",
      operationsTitle: "手続きの提案と受付・バックオフィス・予約", suggested: "提案した手続き", taken: "受け付けた手続き",
      handedOff: "引継ぎ", completed: "処理完了", hoursToDone: "完了までの時間（中央値）", hours: "時間",
      booked: "予約", noShows: "予約の不在", preentry: "事前入力",
      thresholdSaved: "通知する待ち時間を保存しました（この自治体の全員に適用）", thresholdInvalid: "1〜600 分で入力してください",
      events: { "moving-in": "転入", "moving-out": "転出", "moving-within": "転居", birth: "出生", death: "死亡", marriage: "婚姻", divorce: "離婚", "household-change": "世帯変更", certificate: "証明書" },
    },
    en: {
      title: "Counter journey report", login: "Log in", tenantCode: "Municipality code", username: "Username",
      password: "Password", logout: "Log out", reportTab: "Report", surveysTab: "Surveys of the old counter",
      from: "From", to: "To", show: "Show", pdf: "PDF (for the council)", csv: "CSV",
      event: "Event", visits: "Visits", waitMedian: "Wait (median)", waitP90: "Wait (p90)",
      serviceMedian: "Service (median)", counters: "Counters", prefilled: "Fields prefilled",
      before: "Before: wait + service", change: "Change in wait", minutes: "min",
      summary: "{visits} visits · median wait {wait} min · {fields} fields not handwritten",
      surveysHelp: "Staff walk the old counter as a resident would and note, per counter, the wait, the service time, the forms and fields written by hand. These are the \"before\" figures.",
      persona: "Persona", stops: "Counters visited", totalMinutes: "Wait + service (min)", handwritten: "Fields by hand",
      actions: "Actions", newSurvey: "Record a survey", surveyedOn: "Surveyed on", counter: "Counter", waitMin: "Wait (min)",
      serviceMin: "Service (min)", forms: "Forms written", fields: "Fields by hand", floors: "Floor changes",
      addStop: "Add a counter", notes: "Notes", captions: "Photo captions (one per line)", save: "Save",
      importTitle: "Import from a spreadsheet (CSV)", import: "Import", remove: "Delete", saved: "Saved",
      imported: "survey(s) imported", confirmDelete: "Delete this survey?", deleted: "Deleted",
      importHelp: "Columns: survey, event, persona, surveyed_on, counter, wait_minutes, service_minutes, forms_written, fields_handwritten, floor_changes, notes (one line per counter; lines with the same survey form one survey)",
      supervisorTab: "Right now", threshold: "Alert when a wait passes (minutes)", queue: "Queue",
      waiting: "Waiting", longestWait: "Longest wait (min)", state: "State", serviceNow: "Current service (min)",
      states: { serving: "Serving", open: "Open", closed: "Closed" }, alert: "{queue}: a wait has passed {minutes} min",
      forbidden: "Only administrators can use this screen.", loginFailed: "Could not log in",
      operationsTitle: "Procedures suggested and taken, back office, reservations", suggested: "Procedures suggested",
      taken: "Procedures taken", handedOff: "Handed off", completed: "Completed", hoursToDone: "Time to complete (median)",
      hours: "h", booked: "Reservations", noShows: "Reservation no-shows", preentry: "Pre-entries",
      thresholdSaved: "Alert threshold saved (for everyone in this municipality)", thresholdInvalid: "Enter 1 to 600 minutes",
      events: { "moving-in": "Moving in", "moving-out": "Moving out", "moving-within": "Moving within", birth: "Birth", death: "Death", marriage: "Marriage", divorce: "Divorce", "household-change": "Household change", certificate: "Certificates" },
    },
  };
  const state = { lang: localStorage.getItem("report.lang") || "ja", csrf: null, tab: "report", threshold: null };
  const t = (key) => TEXT[state.lang][key] || TEXT.ja[key] || key;
  const num = (value) => (value === null || value === undefined ? "—" : String(value));

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.csrf && method !== "GET") headers["x-csrf-token"] = state.csrf;
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (response.status === 401) { showLogin(); throw new Error(t("loginFailed")); }
    if (response.status === 403) throw new Error(t("forbidden"));
    if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
    return data;
  }

  function say(message, isError) {
    $("status").textContent = message;
    $("status").className = isError ? "error" : "";
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.append(td);
    return td;
  }

  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    $("lang").textContent = state.lang === "ja" ? "English" : "日本語";
    $("lang").lang = state.lang === "ja" ? "en" : "ja";
    const select = $("event-select");
    const chosen = select.value;
    select.replaceChildren(...Object.entries(t("events")).map(([code, label]) => new Option(label, code)));
    if (chosen) select.value = chosen;
  }

  // --- the report ---------------------------------------------------------------------------

  function period() {
    return new URLSearchParams({ from: $("from").value, to: $("to").value, lang: state.lang }).toString();
  }

  function changeCell(row, entry) {
    const change = entry.change && entry.change.wait_minutes_median;
    if (!change) return cell(row, "—");
    const sign = change.difference > 0 ? "+" : "";
    return cell(row, `${sign}${change.difference}${t("minutes")}（${sign}${num(change.percent)}%）`, change.difference <= 0 ? "better" : "worse");
  }

  function figureRow(event, entry) {
    const row = document.createElement("tr");
    row.dataset.event = event;
    cell(row, t("events")[event] || event);
    cell(row, num(entry.visits));
    cell(row, num(entry.wait_minutes && entry.wait_minutes.median));
    cell(row, num(entry.wait_minutes && entry.wait_minutes.p90));
    cell(row, num(entry.service_minutes && entry.service_minutes.median));
    cell(row, num(entry.counters_per_visit));
    cell(row, num(entry.fields_prefilled));
    const before = entry.baseline;
    cell(row, before ? `${num(before.wait_minutes.median)} + ${num(before.service_minutes.median)}` : "—");
    changeCell(row, entry);
    return row;
  }

  function operationsRow(event, entry) {
    const row = document.createElement("tr");
    row.dataset.event = event;
    const backoffice = entry.backoffice || {};
    const hours = backoffice.hours_to_complete && backoffice.hours_to_complete.median;
    cell(row, t("events")[event] || event);
    cell(row, num(entry.procedures_suggested));
    cell(row, num(entry.procedures_taken));
    cell(row, num(backoffice.visits_handed_off));
    cell(row, num(backoffice.handoffs_completed));
    cell(row, hours === null || hours === undefined ? "—" : `${hours}${t("hours")}`);
    cell(row, num(entry.reservations_checked_in));
    cell(row, num(entry.reservation_no_shows));
    cell(row, num(entry.preentries_used));
    return row;
  }

  async function showReport() {
    const query = period();
    $("pdf").href = `/api/v1/journey/report.pdf?${query}`;
    $("csv").href = `/api/v1/journey/report.csv?${query}`;
    try {
      const [report, charts] = await Promise.all([
        api("GET", `/api/v1/journey/report?${query}`),
        api("GET", `/api/v1/journey/charts?${query}`),
      ]);
      const total = report.total;
      $("summary").textContent = t("summary").replace("{visits}", total.visits)
        .replace("{wait}", num(total.wait_minutes.median)).replace("{fields}", total.fields_prefilled);
      $("figures").tBodies[0].replaceChildren(...Object.entries(report.events).map(([e, entry]) => figureRow(e, entry)));
      $("operations").tBodies[0].replaceChildren(...Object.entries(report.events).filter(([, entry]) => entry.visits).map(([e, entry]) => operationsRow(e, entry)));
      // The SVG comes from our server with every text escaped (backend/journey/charts.py).
      $("charts").innerHTML = charts.map((c) => `<figure>${c.svg}</figure>`).join("");
      say("");
    } catch (e) { say(e.message, true); }
  }

  // --- baseline surveys ---------------------------------------------------------------------

  function total(stops, key) { return stops.reduce((sum, stop) => sum + Number(stop[key] || 0), 0); }

  async function showSurveys() {
    try {
      const surveys = await api("GET", "/api/v1/journey/surveys");
      $("survey-table").tBodies[0].replaceChildren(...surveys.map((survey) => {
        const row = document.createElement("tr");
        cell(row, t("events")[survey.event] || survey.event);
        cell(row, survey.persona);
        cell(row, survey.stops.map((s) => s.counter).join(" → "));
        cell(row, `${total(survey.stops, "wait_minutes")} + ${total(survey.stops, "service_minutes")}`);
        cell(row, String(total(survey.stops, "fields_handwritten")));
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "secondary";
        remove.textContent = t("remove");
        remove.addEventListener("click", async () => {
          if (!confirm(t("confirmDelete"))) return;
          try { await api("DELETE", `/api/v1/journey/surveys/${survey.id}`); say(t("deleted")); showSurveys(); } catch (e) { say(e.message, true); }
        });
        cell(row, "").append(remove);
        return row;
      }));
    } catch (e) { say(e.message, true); }
  }

  const STOP_FIELDS = [["counter", "text"], ["wait_minutes", "number"], ["service_minutes", "number"], ["forms_written", "number"], ["fields_handwritten", "number"], ["floor_changes", "number"]];

  function addStop() {
    const row = document.createElement("tr");
    for (const [name, type] of STOP_FIELDS) {
      const input = document.createElement("input");
      input.name = name;
      input.type = type;
      input.setAttribute("aria-label", t({ counter: "counter", wait_minutes: "waitMin", service_minutes: "serviceMin", forms_written: "forms", fields_handwritten: "fields", floor_changes: "floors" }[name]));
      if (type === "number") { input.min = "0"; input.step = name.endsWith("minutes") ? "0.5" : "1"; input.value = "0"; } else { input.required = true; }
      cell(row, "").append(input);
    }
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary";
    remove.textContent = "×";
    remove.setAttribute("aria-label", t("remove"));
    remove.addEventListener("click", () => row.remove());
    cell(row, "").append(remove);
    $("stops").tBodies[0].append(row);
  }

  async function saveSurvey(event) {
    event.preventDefault();
    const form = event.target;
    const stops = [...$("stops").tBodies[0].rows].map((row) => Object.fromEntries(
      STOP_FIELDS.map(([name, type]) => {
        const value = row.querySelector(`[name=${name}]`).value;
        return [name, type === "number" ? Number(value || 0) : value];
      })));
    const body = {
      event: form.elements.event.value,
      persona: form.elements.persona.value,
      surveyed_on: form.elements.surveyed_on.value || null,
      stops,
      notes: form.elements.notes.value || null,
      photo_captions: form.elements.captions.value.split("\n").map((s) => s.trim()).filter(Boolean),
    };
    try {
      await api("POST", "/api/v1/journey/surveys", body);
      form.reset();
      $("stops").tBodies[0].replaceChildren();
      addStop();
      say(t("saved"));
      showSurveys();
    } catch (e) { say(e.message, true); }
  }

  async function importSurveys(event) {
    event.preventDefault();
    const file = event.target.elements.file.files[0];
    if (!file) return;
    try {
      const result = await api("POST", "/api/v1/journey/surveys/import", { csv: await file.text() });
      say(`${result.imported} ${t("imported")}`);
      event.target.reset();
      showSurveys();
    } catch (e) { say(e.message, true); }
  }

  // --- the supervisor's view (refreshed every 15 s while shown) -----------------------------

  let supervisorTimer = null;

  // The threshold is the municipality's, kept by the server (every supervisor sees the same).
  async function saveThreshold() {
    const minutes = Number($("threshold").value);
    if (!$("threshold").checkValidity() || !minutes) { say(t("thresholdInvalid"), true); return; }
    if (minutes === state.threshold) return;  // Enter and the change event: saved (and audited) once
    state.threshold = minutes;
    try {
      const saved = await api("PUT", "/api/v1/journey/settings", { alert_wait_minutes: minutes });
      $("threshold").value = saved.alert_wait_minutes;
      say(t("thresholdSaved"));
      showSupervisor();
    } catch (e) { state.threshold = null; say(e.message, true); }
  }

  async function showSupervisor() {
    clearTimeout(supervisorTimer);
    if (state.tab !== "supervisor" || $("console").hidden) return;
    try {
      const view = await api("GET", "/api/v1/journey/supervisor");
      state.threshold = view.threshold_minutes;
      if (document.activeElement !== $("threshold")) $("threshold").value = view.threshold_minutes;
      const name = (q) => (state.lang === "en" ? q.name_en : q.name_ja);
      $("queue-table").tBodies[0].replaceChildren(...view.queues.map((q) => {
        const row = document.createElement("tr");
        cell(row, `${q.prefix} ${name(q)}`);
        cell(row, String(q.waiting));
        cell(row, num(q.longest_wait_minutes), q.alert ? "worse" : "");
        return row;
      }));
      $("counter-table").tBodies[0].replaceChildren(...view.counters.map((c) => {
        const row = document.createElement("tr");
        cell(row, c.name);
        cell(row, t("states")[c.state] || c.state);
        cell(row, num(c.service_minutes));
        return row;
      }));
      $("alerts").textContent = view.queues.filter((q) => q.alert)
        .map((q) => t("alert").replace("{queue}", name(q)).replace("{minutes}", view.threshold_minutes)).join(" / ");
    } catch (e) { say(e.message, true); }
    supervisorTimer = setTimeout(showSupervisor, 15000);
  }

  // --- tabs, login --------------------------------------------------------------------------

  function selectTab(name) {
    state.tab = name;
    for (const tab of document.querySelectorAll("[role=tab]")) {
      const selected = tab.id === `t-${name}`;
      tab.setAttribute("aria-selected", String(selected));
      $(tab.getAttribute("aria-controls")).hidden = !selected;
    }
    if (name === "report") showReport(); else if (name === "surveys") showSurveys(); else showSupervisor();
  }

  function isoDay(date) {
    return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  // The login form, the session already open and the logout: /common/login.js.
  const session = window.staffLogin({
    storageKey: "report.tenantCode",
    api: (...args) => api(...args),
    onStart: async (me) => {
      state.csrf = me.csrf_token;
      const today = new Date();
      if (!$("to").value) $("to").value = isoDay(today);
      if (!$("from").value) $("from").value = isoDay(new Date(today.getTime() - 29 * 86400000));
      selectTab("report");
    },
    onLogout: () => { state.csrf = null; },
  });
  const showLogin = () => session.show();

  document.addEventListener("DOMContentLoaded", async () => {
    applyLanguage();
    addStop();
    $("lang").addEventListener("click", () => {
      state.lang = state.lang === "ja" ? "en" : "ja";
      localStorage.setItem("report.lang", state.lang);
      applyLanguage();
      if (!$("console").hidden) selectTab(state.tab);
    });
    $("period").addEventListener("submit", (event) => { event.preventDefault(); showReport(); });
    $("survey-form").addEventListener("submit", saveSurvey);
    $("add-stop").addEventListener("click", addStop);
    $("import-form").addEventListener("submit", importSurveys);
    $("threshold").addEventListener("change", saveThreshold);
    $("threshold-form").addEventListener("submit", (event) => { event.preventDefault(); saveThreshold(); });
    for (const tab of document.querySelectorAll("[role=tab]")) tab.addEventListener("click", () => selectTab(tab.id.slice(2)));
    await session.begin();
  });
})();
