// Staff console: one visit at a time, from the called ticket to the hand-off.
// Plain browser JavaScript (no CDN, no inline script). Keyboard: every control is a native
// button, input or select in reading order; Enter submits the forms. Events, sexes, 続柄,
// certificate kinds and the 和暦 eras come from the server (/common/lists.js).
"use strict";

const T = {
  ja: {
    title: "窓口", bigger: "文字を大きく", smaller: "文字を標準に", logout: "ログアウト", login: "ログイン",
    tenant_code: "団体コード", username: "ユーザー名", password: "パスワード",
    pick_counter: "窓口を選んでください", waiting_next: "次の方をお呼びください",
    call_next: "次の方を呼ぶ", walk_in: "整理券なしで受付", visit: "受付", event: "届出の種類",
    event_date: "異動日", members: "世帯員", name: "氏名", birth: "生年月日", sex: "性別",
    relationship: "続柄", source: "入力元", read_card: "カードを読む", add_member: "手入力で追加",
    pin_at_reader: "暗証番号はリーダーで入力", kana: "フリガナ", save: "追加する", cancel: "やめる",
    new_address: "新しい住所", previous_address: "前住所", area: "町字", block: "番地・号など",
    certificates: "証明書", copies: "通数", fiscal_year: "年度", guidance: "手続きの案内", forms: "届出書・申請書", send_tablet: "タブレットで確認",
    documents: "署名済みの書類", print: "印刷", reprint: "再印刷", handoff: "バックオフィスへ送る",
    continue: "続ける", remove: "削除", yes: "はい", no: "いいえ", all_no: "残りはすべて「いいえ」",
    card: "カード", staff: "手入力", agent_on: "端末 接続中", agent_off: "端末 未接続",
    tablet_on: "タブレット 接続中", tablet_off: "タブレット 未接続",
    enter_pin_tablet: "タブレットで暗証番号を入力してもらってください。",
    enter_pin_reader: "カードリーダーで暗証番号を入力してもらってください。",
    reading: "カードを読み取っています…", card_done: "カードを読み取りました。",
    nobody_waiting: "お待ちの方はいません。", sent_tablet: "タブレットに送りました。ご本人の確認と署名を待っています…",
    signed: "署名されました。", printing: "印刷しています…", printed: "印刷しました。",
    handed_off: "バックオフィスへ送り、受付を終了しました。", questions_open: "確認すること",
    last_try: "暗証番号の残り回数が 1 回です。間違えるとカードがロックされます。ご本人が暗証番号を確かめたうえで、最後の 1 回を使いますか？",
    tablet_offline: "タブレットが接続されていません。タブレットの電源と画面を確認してください（復帰すれば確認画面が表示されます）。",
    agent_offline: "窓口の端末（カウンターエージェント）に接続できません。端末の電源とネットワークを確認してください。",
    preview: "プレビュー", no_counters: "窓口の一覧を取得できません。", abandon: "受付を中止",
    abandon_confirm: "この受付を中止しますか？（バックオフィスには送りません）", abandoned: "受付を中止しました。",
    no_lists: "一覧（届出の種類など）を取得できません。再試行しています…",
  },
  en: {
    title: "Counter", bigger: "Larger text", smaller: "Normal text", logout: "Log out", login: "Log in",
    tenant_code: "Municipality code", username: "User name", password: "Password",
    pick_counter: "Choose your counter", waiting_next: "Call the next resident",
    call_next: "Call next", walk_in: "Start without ticket", visit: "Visit", event: "Event",
    event_date: "Date of the event", members: "Household members", name: "Name", birth: "Date of birth",
    sex: "Sex", relationship: "Relationship", source: "Source", read_card: "Read card",
    add_member: "Add by hand", pin_at_reader: "PIN on the reader's pad", kana: "Kana", save: "Add",
    cancel: "Cancel", new_address: "New address", previous_address: "Previous address", area: "Town/area",
    block: "Block / number", certificates: "Certificates", copies: "Copies", fiscal_year: "Fiscal year",
    guidance: "Procedures", forms: "Forms", send_tablet: "Confirm on tablet", documents: "Signed documents",
    print: "Print", reprint: "Reprint", handoff: "Send to back office", continue: "Continue", remove: "Remove",
    yes: "Yes", no: "No", all_no: "All remaining: No", card: "Card", staff: "Typed",
    agent_on: "Agent online", agent_off: "Agent offline", tablet_on: "Tablet online", tablet_off: "Tablet offline",
    enter_pin_tablet: "Ask the resident to enter the PIN on the tablet.",
    enter_pin_reader: "Ask the resident to enter the PIN on the card reader.",
    reading: "Reading the card…", card_done: "Card read.", nobody_waiting: "Nobody is waiting.",
    sent_tablet: "Sent to the tablet. Waiting for the resident to confirm and sign…", signed: "Signed.",
    printing: "Printing…", printed: "Printed.", handed_off: "Sent to the back office; visit closed.",
    questions_open: "To ask",
    last_try: "One PIN try left: a wrong PIN locks the card. Use the last try after the resident has checked the PIN?",
    tablet_offline: "The tablet is not connected. Check its power and screen (it shows the confirmation when back).",
    agent_offline: "The counter agent is offline. Check the PC's power and network.",
    preview: "Preview", no_counters: "Cannot load the counters.", abandon: "Cancel visit",
    abandon_confirm: "Cancel this visit? (Nothing is sent to the back office.)", abandoned: "Visit cancelled.",
    no_lists: "Cannot load the lists (events etc.). Retrying…",
  },
};

const state = { lang: localStorage.getItem("staff.lang") || "ja", csrf: null, counter: null,
  visit: null, areas: [], cardJob: null, printJob: null, waitingSign: false };
const $ = (id) => document.getElementById(id);
const t = (key) => (T[state.lang] && T[state.lang][key]) || T.ja[key] || key;

class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status; this.code = error.code || "http_error"; this.body = error;
  }
}

async function api(method, url, body) {
  const headers = { "accept": "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (state.csrf && method !== "GET") headers["x-csrf-token"] = state.csrf;
  const response = await fetch(url, { method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function show(id) {
  for (const section of ["login", "pick-counter", "idle", "visit"]) $(section).hidden = section !== id;
  const focus = { login: "tenant-code", "pick-counter": null, idle: "call-next", visit: null }[id];
  if (focus) $(focus).focus();
}

function say(text, kind = "error") {
  const box = $("message");
  box.textContent = text; box.className = `message ${kind === "info" ? "info" : ""}`;
  box.hidden = !text;
}

function fail(error) {
  if (error instanceof ApiError && error.status === 401) { show("login"); }
  say(error.message || String(error));
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  $("lang-toggle").textContent = state.lang === "ja" ? "English" : "日本語";
  $("size-toggle").textContent = document.documentElement.classList.contains("large") ? t("smaller") : t("bigger");
  renderLists();
  if (state.visit) renderVisit();
}

// The server's lists in the current language: the sex choices, 続柄 suggestions, certificate names.
function renderLists() {
  if (!state.lists) return;
  const select = $("m-sex"); const chosen = select.value;
  select.replaceChildren(new Option("—", ""));
  for (const sex of state.lists.sexes) select.append(new Option(Lists.label("sexes", sex.code, state.lang), sex.code));
  select.value = chosen;
  $("relationships").replaceChildren(...state.lists.relationships.map((r) => new Option(r)));
  for (const el of document.querySelectorAll("[data-list]")) {
    const [list, code] = el.dataset.list.split(":");
    el.textContent = Lists.label(list, code, state.lang);
  }
}

// --- dates and kana -------------------------------------------------------------------

function toHalfWidth(text) {
  return text.replace(/[０-９．／－]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
}

// A typed date field → ISO day, null when empty; refused as the server refuses (the field is
// marked aria-invalid and the error thrown carries the server's message).
function dateField(id) {
  const input = $(id);
  try {
    const date = input.value.trim() ? Lists.parseDate(input.value) : null;
    input.setAttribute("aria-invalid", "false");
    return date;
  } catch (error) {
    input.setAttribute("aria-invalid", "true");
    throw error;
  }
}

function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function toKatakana(text) {
  return text.replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60)).replace(/ /g, "\u3000");
}

function toFullWidth(text) {
  return text.replace(/[0-9]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).replace(/-/g, "－");
}

// --- login and counter ----------------------------------------------------------------

async function loadLists() {
  for (;;) {
    try { state.lists = await Lists.load(); say(""); renderLists(); return; }
    catch (error) { say(t("no_lists")); await new Promise((r) => setTimeout(r, 3000)); }
  }
}

async function start() {
  await loadLists();
  try {
    const me = await api("GET", "/api/v1/auth/me");
    state.csrf = me.csrf_token; $("logout").hidden = false;
    await pickCounter();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) show("login"); else fail(error);
  }
}

async function login(event) {
  event.preventDefault();
  try {
    const body = { tenant_code: $("tenant-code").value.trim(), username: $("username").value.trim(),
      password: $("password").value };
    const result = await api("POST", "/api/v1/auth/login", body);
    state.csrf = result.csrf_token; $("password").value = ""; $("logout").hidden = false; say("");
    await pickCounter();
  } catch (error) { fail(error); }
}

async function pickCounter() {
  if (!state.areas.length) await loadAreas();  // needs the login
  const saved = localStorage.getItem("staff.counter");
  let counters = [];
  try { counters = await api("GET", "/api/v1/counters"); } catch (error) { say(t("no_counters")); }
  const match = counters.find((c) => c.id === saved);
  if (match) return useCounter(match);
  const list = $("counter-list"); list.replaceChildren();
  for (const counter of counters) {
    const button = document.createElement("button");
    button.type = "button"; button.textContent = counter.name;
    button.addEventListener("click", () => useCounter(counter));
    list.append(button);
  }
  show("pick-counter");
  if (list.firstChild) list.firstChild.focus();
}

async function useCounter(counter) {
  state.counter = counter; localStorage.setItem("staff.counter", counter.id);
  $("counter-label").textContent = counter.name;
  try { await api("POST", `/api/v1/counters/${counter.id}/open`); } catch (error) { /* already open */ }
  pollDevices();
  const open = await api("GET", `/api/v1/visits?status=open&counter_id=${counter.id}&limit=1`).catch(() => []);
  if (open.length) return loadVisit(open[0].id);
  show("idle");
}

async function pollDevices() {
  if (!state.counter) return;
  try {
    const agent = await api("GET", `/api/v1/agent/status?counter_id=${state.counter.id}`);
    const tablet = await api("GET", `/api/v1/tablet/status?counter_id=${state.counter.id}`);
    state.agentOnline = agent.online; state.tabletOnline = tablet.online;
    const pill = $("agent-state");
    pill.textContent = `${t(agent.online ? "agent_on" : "agent_off")} / ${t(tablet.online ? "tablet_on" : "tablet_off")}`;
    pill.className = `pill ${agent.online && tablet.online ? "on" : "off"}`;
  } catch (error) { /* shown on the next action */ }
  clearTimeout(state.devicesTimer);
  state.devicesTimer = setTimeout(pollDevices, 3000);
}

// --- the visit ------------------------------------------------------------------------

async function callNext() {
  try {
    const result = await api("POST", `/api/v1/counters/${state.counter.id}/call-next`);
    if (!result.ticket) { say(t("nobody_waiting"), "info"); return; }
    await openVisit(result.ticket.id);
  } catch (error) { fail(error); }
}

async function openVisit(ticketId) {
  try {
    say("");
    state.visit = await api("POST", "/api/v1/visits", { ticket_id: ticketId, counter_id: state.counter.id });
    show("visit"); await refresh(); $("events").querySelector("button").focus();
  } catch (error) { fail(error); }
}

async function loadVisit(id) {
  state.visit = await api("GET", `/api/v1/visits/${id}`);
  show("visit"); await refresh();
}

async function patchVisit(changes) {
  try {
    state.visit = await api("PATCH", `/api/v1/visits/${state.visit.id}`, changes);
    await refresh(false);
  } catch (error) { fail(error); }
}

async function refresh(reload = true) {
  if (reload) state.visit = await api("GET", `/api/v1/visits/${state.visit.id}`);
  renderVisit();
  await Promise.all([loadGuidance(), loadForms()]);
}

function renderVisit() {
  const visit = state.visit;
  $("ticket-number").textContent = visit.ticket_number || "";
  const events = $("events"); events.replaceChildren();
  for (const { code } of state.lists.events) {
    const button = document.createElement("button");
    button.type = "button"; button.textContent = Lists.label("events", code, state.lang);
    button.className = visit.event === code ? "chosen" : "secondary";
    button.setAttribute("aria-pressed", String(visit.event === code));
    button.dataset.event = code;
    button.addEventListener("click", () => chooseEvent(code));
    events.append(button);
  }
  if (visit.event_date && document.activeElement !== $("event-date")) $("event-date").value = visit.event_date;
  renderMembers();
  $("previous-address").textContent = visit.previous_address || "—";
  $("new-address").textContent = visit.new_address || "—";
  const certs = visit.certificates || [];
  const residence = certs.find((c) => c.kind === "residence");
  const tax = certs.find((c) => c.kind === "tax");
  $("cert-residence").checked = !!residence;
  if (residence) $("cert-residence-copies").value = residence.copies || 1;
  $("cert-tax").checked = !!tax;
  $("cert-tax-year").value = tax ? tax.fiscal_year : defaultFiscalYear();
  $("after-box").hidden = !["signed", "closed"].includes(visit.status);
  $("send-tablet").disabled = visit.status === "signed";
}

function renderMembers() {
  const rows = $("member-rows"); rows.replaceChildren();
  for (const member of state.visit.members) {
    const tr = document.createElement("tr");
    const readonly = new Set(member.read_only_fields);
    const cell = (text, field) => {
      const td = document.createElement("td"); td.textContent = text || "—";
      if (readonly.has(field)) { td.className = "readonly"; td.title = "カードのとおり（変更できません）"; }
      return td;
    };
    tr.append(cell(member.name, "name"), cell(member.birth_date, "birth_date"), cell(Lists.label("sexes", member.sex, state.lang), "sex"));
    const rel = document.createElement("td");
    const input = document.createElement("input");
    input.value = member.relationship || ""; input.setAttribute("list", "relationships"); input.size = 6;
    input.setAttribute("aria-label", `${t("relationship")} ${member.name}`);
    input.addEventListener("change", () => patchMember(member.id, { relationship: input.value || null }));
    rel.append(input); tr.append(rel);
    const src = document.createElement("td");
    const badge = document.createElement("span");
    badge.className = `badge ${member.source === "card" ? "card-src" : ""}`;
    badge.textContent = t(member.source === "card" ? "card" : "staff");
    src.append(badge); tr.append(src);
    const actions = document.createElement("td");
    const remove = document.createElement("button");
    remove.type = "button"; remove.className = "secondary small"; remove.textContent = t("remove");
    remove.setAttribute("aria-label", `${t("remove")} ${member.name}`);
    remove.addEventListener("click", () => removeMember(member.id));
    actions.append(remove); tr.append(actions);
    rows.append(tr);
  }
}

async function chooseEvent(code) {
  let date;
  try { date = dateField("event-date") || today(); } catch (error) { say(error.message); return; }
  await patchVisit({ event: code, event_date: date, filed_on: today() });
}

async function changeEventDate() {
  try {
    const date = dateField("event-date");
    if (date) { say(""); await patchVisit({ event_date: date }); }
  } catch (error) { say(error.message); }
}

async function patchMember(id, changes) {
  try {
    await api("PATCH", `/api/v1/visits/${state.visit.id}/members/${id}`, changes);
    await refresh();
  } catch (error) { fail(error); }
}

async function removeMember(id) {
  try { await api("DELETE", `/api/v1/visits/${state.visit.id}/members/${id}`); await refresh(); }
  catch (error) { fail(error); }
}

async function addMember(event) {
  event.preventDefault();
  try {
    const body = { name: $("m-name").value.trim() };
    const kana = toKatakana($("m-kana").value.trim());
    if (kana) body.kana = kana;
    const birth = dateField("m-birth");
    if (birth) body.birth_date = birth;
    if ($("m-sex").value) body.sex = $("m-sex").value;
    if ($("m-rel").value.trim()) body.relationship = $("m-rel").value.trim();
    await api("POST", `/api/v1/visits/${state.visit.id}/members`, body);
    $("member-form").reset(); $("member-form").hidden = true; say("");
    await refresh(); $("add-member").focus();
  } catch (error) { fail(error); }
}

// --- the card -------------------------------------------------------------------------

async function readCard(allowLastTry = false) {
  const status = $("card-status");
  status.className = "status";
  const pinAt = $("pin-at-reader").checked ? "reader" : "tablet";
  try {
    const job = await api("POST", "/api/v1/agent/card-reads",
      { visit_id: state.visit.id, pin_at: pinAt, allow_last_try: allowLastTry });
    state.cardJob = job.id;
    status.textContent = t(pinAt === "tablet" ? "enter_pin_tablet" : "enter_pin_reader");
    const done = await waitForJob(job.id, (j) => {
      if (j.status === "queued" || j.status === "sent") status.textContent = t("reading");
    });
    if (state.cardJob !== job.id) return;
    if (done.status === "done") {
      status.textContent = t("card_done"); await refresh(); return;
    }
    await cardFailed(done);
  } catch (error) {
    status.className = "status error";
    status.textContent = error.code === "agent_offline" ? t("agent_offline") : error.message;
  }
}

async function cardFailed(job) {
  const status = $("card-status");
  const error = job.error || { code: "unknown", message: "" };
  if (error.code === "last_try_refused") {
    status.textContent = error.message;
    if (await confirmDialog(t("last_try"))) return readCard(true);
    return;
  }
  status.className = "status error";
  status.textContent = error.message;
  status.dataset.code = error.code;
}

async function waitForJob(id, onProgress) {
  for (;;) {
    const job = await api("GET", `/api/v1/agent/jobs/${id}?wait=20`);
    if (job.status === "done" || job.status === "failed") return job;
    if (onProgress) onProgress(job);
    if (!job.agent_online && job.status !== "awaiting_pin") {
      const status = $("card-status");
      status.className = "status error"; status.textContent = t("agent_offline");
    }
  }
}

function confirmDialog(text) {
  return new Promise((resolve) => {
    const dialog = $("confirm-dialog");
    $("confirm-text").textContent = text;
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
    dialog.showModal(); $("confirm-no").focus();
  });
}

// --- address and certificates ---------------------------------------------------------

async function loadAreas() {
  state.areas = await api("GET", "/api/v1/addresses/areas").catch(() => []);
  const select = $("area");
  for (const area of state.areas) {
    const option = document.createElement("option");
    option.value = area.id; option.textContent = area.name; select.append(option);
  }
}

async function changeAddress() {
  const area = state.areas.find((a) => a.id === $("area").value);
  if (!area) return;
  const block = toFullWidth(toHalfWidth($("block").value.trim()));
  await patchVisit({ new_address: area.full_name + block });
}

function defaultFiscalYear() {
  const now = new Date();
  return now.getMonth() >= 5 ? now.getFullYear() : now.getFullYear() - 1;  // 年度 from June
}

async function changeCertificates() {
  const certificates = [];
  if ($("cert-residence").checked) {
    certificates.push({ kind: "residence", copies: +$("cert-residence-copies").value || 1, scope: "household" });
  }
  if ($("cert-tax").checked) {
    certificates.push({ kind: "tax", copies: 1, fiscal_year: +$("cert-tax-year").value || defaultFiscalYear(),
      tax_kind: "income_taxation" });
  }
  await patchVisit({ certificates });
}

// --- guidance and forms ---------------------------------------------------------------

async function loadGuidance() {
  const questions = $("questions"); const procedures = $("procedures");
  if (!state.visit.event) { questions.replaceChildren(); procedures.replaceChildren(); return; }
  let result;
  try { result = await api("POST", `/api/v1/visits/${state.visit.id}/guidance`); }
  catch (error) { questions.textContent = error.message; return; }
  questions.replaceChildren();
  const bools = result.questions.filter((q) => q.type === "bool");
  for (const question of result.questions) questions.append(renderQuestion(question));
  if (bools.length > 1) {
    const allNo = document.createElement("button");
    allNo.type = "button"; allNo.className = "secondary"; allNo.id = "all-no"; allNo.textContent = t("all_no");
    allNo.addEventListener("click", () => answerAll(bools, false));
    questions.append(allNo);
  }
  procedures.replaceChildren();
  for (const p of result.procedures) {
    const li = document.createElement("li");
    const name = document.createElement("strong"); name.textContent = p.name;
    const where = document.createElement("span"); where.textContent = ` — ${p.counter.name}`;
    const reason = document.createElement("div"); reason.className = "reason"; reason.textContent = p.reasons.join(" / ");
    li.append(name, where, reason); procedures.append(li);
  }
}

function renderQuestion(question) {
  const row = document.createElement("div"); row.className = "question";
  const text = document.createElement("span");
  text.textContent = question.text[state.lang] || question.text.ja;
  row.append(text);
  if (question.type === "bool") {
    for (const [label, value] of [["yes", true], ["no", false]]) {
      const button = document.createElement("button");
      button.type = "button"; button.className = "secondary small"; button.textContent = t(label);
      button.setAttribute("aria-label", `${text.textContent}: ${t(label)}`);
      button.addEventListener("click", () => answer(question, value));
      row.append(button);
    }
  } else if (question.type === "choice") {
    const select = document.createElement("select");
    select.setAttribute("aria-label", text.textContent);
    select.append(new Option("—", ""));
    for (const choice of question.choices) select.append(new Option(choice, choice));
    select.addEventListener("change", () => select.value && answer(question, select.value));
    row.append(select);
  } else {
    const input = document.createElement("input");
    input.setAttribute("aria-label", text.textContent);
    input.addEventListener("change", () => answer(question, question.type === "int" ? +input.value : input.value));
    row.append(input);
  }
  return row;
}

// A question's id is the key its answer is stored under (members.1.insurance is member 1's
// insurance): sent as it is, never prefixed again. The server puts a member's field on the
// member and anything else in the facts.
async function answer(question, value) {
  await postAnswers({ [question.id]: value });
}

async function answerAll(questions, value) {
  const answers = {};
  for (const q of questions) answers[q.id] = value;
  await postAnswers(answers);
}

async function postAnswers(answers) {
  try {
    state.visit = await api("POST", `/api/v1/visits/${state.visit.id}/answers`, { answers });
    await refresh(false);
  } catch (error) { fail(error); }
}

async function loadForms() {
  const list = $("forms"); list.replaceChildren();
  if (!state.visit.event) return;
  let forms;
  try { forms = await api("GET", `/api/v1/visits/${state.visit.id}/forms`); } catch (error) { return; }
  for (const form of forms.forms) {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/api/v1/visits/${state.visit.id}/forms/${form.form}/preview`;
    link.target = "_blank"; link.rel = "noopener"; link.textContent = `${form.title}（${t("preview")}）`;
    li.append(link); list.append(li);
  }
}

// --- tablet, documents, print, hand-off -----------------------------------------------

async function sendToTablet() {
  try {
    await api("POST", `/api/v1/visits/${state.visit.id}/confirm`);
    $("tablet-status").className = "status";
    $("tablet-status").textContent = state.tabletOnline === false ? t("tablet_offline") : t("sent_tablet");
    if (state.tabletOnline === false) $("tablet-status").className = "status error";
    waitForSignature();
  } catch (error) { fail(error); }
}

async function waitForSignature() {
  if (state.waitingSign) return;
  state.waitingSign = true;
  try {
    for (;;) {
      const visit = await api("GET", `/api/v1/visits/${state.visit.id}`);
      if (visit.status === "signed") {
        state.visit = visit; renderVisit();
        $("tablet-status").textContent = t("signed"); await loadDocuments(); $("print").focus(); return;
      }
      if (visit.status !== "confirming") return;
      const tablet = await api("GET", `/api/v1/tablet/status?counter_id=${state.counter.id}`);
      if (!tablet.online) {
        $("tablet-status").className = "status error"; $("tablet-status").textContent = t("tablet_offline");
      } else if ($("tablet-status").className.includes("error")) {
        $("tablet-status").className = "status"; $("tablet-status").textContent = t("sent_tablet");
      }
      await new Promise((r) => setTimeout(r, 1500));
    }
  } finally { state.waitingSign = false; }
}

async function loadDocuments() {
  const list = $("documents"); list.replaceChildren();
  const documents = await api("GET", `/api/v1/visits/${state.visit.id}/documents`);
  for (const d of documents) {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/api/v1/visits/${state.visit.id}/documents/${d.id}`;
    link.textContent = `${d.title} (${d.filename})`;
    const hash = document.createElement("small"); hash.textContent = ` SHA-256 ${d.sha256.slice(0, 16)}…`;
    li.append(link, hash); list.append(li);
  }
}

async function printSlip(reprintOf = null) {
  const status = $("print-status");
  status.className = "status"; status.textContent = t("printing"); $("reprint").hidden = true;
  try {
    const job = reprintOf
      ? await api("POST", `/api/v1/agent/jobs/${reprintOf}/reprint`)
      : await api("POST", `/api/v1/visits/${state.visit.id}/print`);
    const done = await waitForJob(job.id);
    if (done.status === "done") { status.textContent = t("printed"); return; }
    status.className = "status error"; status.textContent = done.error ? done.error.message : "";
    status.dataset.code = done.error ? done.error.code : "";
    if (done.reprintable) { state.printJob = done.id; $("reprint").hidden = false; $("reprint").focus(); }
  } catch (error) {
    status.className = "status error";
    status.textContent = error.code === "agent_offline" ? t("agent_offline") : error.message;
  }
}

async function handoff() {
  try {
    await api("POST", `/api/v1/visits/${state.visit.id}/handoff`);
    state.visit = null; show("idle"); say(t("handed_off"), "info");
  } catch (error) { fail(error); }
}

async function abandon() {
  if (!(await confirmDialog(t("abandon_confirm")))) return;
  try {
    await api("POST", `/api/v1/visits/${state.visit.id}/close`);
    state.visit = null; show("idle"); say(t("abandoned"), "info");
  } catch (error) { fail(error); }
}

async function logout() {
  try { await api("POST", "/api/v1/auth/logout"); } catch (error) { /* gone anyway */ }
  state.csrf = null; state.counter = null; $("logout").hidden = true; show("login");
}

function bind() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("lang-toggle").addEventListener("click", () => {
    state.lang = state.lang === "ja" ? "en" : "ja"; localStorage.setItem("staff.lang", state.lang); applyLanguage();
  });
  $("size-toggle").addEventListener("click", () => {
    document.documentElement.classList.toggle("large");
    localStorage.setItem("staff.large", document.documentElement.classList.contains("large") ? "1" : "");
    applyLanguage();
  });
  $("call-next").addEventListener("click", callNext);
  $("walk-in").addEventListener("click", () => openVisit(null));
  $("event-date").addEventListener("change", changeEventDate);
  $("read-card").addEventListener("click", () => readCard(false));
  $("add-member").addEventListener("click", () => { $("member-form").hidden = false; $("m-name").focus(); });
  $("member-cancel").addEventListener("click", () => { $("member-form").hidden = true; $("add-member").focus(); });
  $("member-form").addEventListener("submit", addMember);
  $("m-kana").addEventListener("blur", () => { $("m-kana").value = toKatakana($("m-kana").value); });
  $("area").addEventListener("change", changeAddress);
  $("block").addEventListener("change", changeAddress);
  for (const id of ["cert-residence", "cert-residence-copies", "cert-tax", "cert-tax-year"]) {
    $(id).addEventListener("change", changeCertificates);
  }
  $("send-tablet").addEventListener("click", sendToTablet);
  $("print").addEventListener("click", () => printSlip());
  $("reprint").addEventListener("click", () => printSlip(state.printJob));
  $("handoff").addEventListener("click", handoff);
  $("abandon").addEventListener("click", abandon);
}

document.addEventListener("DOMContentLoaded", async () => {
  if (localStorage.getItem("staff.large")) document.documentElement.classList.add("large");
  bind(); applyLanguage(); start();
});
