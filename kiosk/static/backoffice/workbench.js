// Case workbench: find a case (受付番号, or name/birth date for authorised roles), work its
// items (受付 → 入力 → 照合 → 完了, 差戻し), decide on characters the core system cannot hold.
// Staff login (cookie + CSRF token); no inline script, no CDN (closed counter network).
"use strict";

const TEXT = {
  ja: {
    title: "案件の作業台", deliveries: "連携状況", logout: "ログアウト", login: "ログイン",
    tenant: "団体コード", username: "ユーザー名", password: "パスワード", reception: "受付番号",
    name: "氏名・カナ", birth: "生年月日", department: "担当課", state: "状態", event: "届出",
    from: "届出日から", to: "まで", deadline: "期限", search: "検索", clear: "クリア",
    items: "作業", empty: "該当する案件はありません。", returnTitle: "窓口へ差し戻す",
    reason: "理由（窓口に表示されます）", return: "差し戻す", cancel: "やめる", all: "すべて",
    due: "期限内", overdue: "期限切れ", none: "期限なし", take: "担当する",
    toVerify: "入力を終えて照合へ", toDone: "照合を終えて完了", reopen: "受付に戻す",
    assignee: "担当", actions: "操作", team: "係", assign: "割り当て", filedOn: "届出日", eventDate: "異動日",
    handedOff: "引継日時", record: "届出の内容", documents: "署名済みの書類",
    guidance: "案内結果と理由", journey: "経過", unresolved: "確認できなかった項目",
    characters: "外字（基幹システムの文字セット外）", character: "文字", field: "項目",
    substitute: "代替字", decision: "判断", useSubstitute: "代替字で入力",
    gaiji: "外字登録", decided: { substitute: "代替字で入力", gaiji: "外字登録" },
    undecided: "未判断", noCharacters: "文字セット外の文字はありません。",
    shown: (n) => `${n}件`, flagged: (n) => `外字 ${n}`, none_: "—",
    returnedBecause: "差戻し理由", members: "世帯員", procedure: "手続き", lang: "English",
  },
  en: {
    title: "Case workbench", deliveries: "Deliveries", logout: "Log out", login: "Log in",
    tenant: "Municipality code", username: "User name", password: "Password",
    reception: "Reception no.", name: "Name / kana", birth: "Birth date",
    department: "Department", state: "State", event: "Event", from: "Filed from", to: "to",
    deadline: "Deadline", search: "Search", clear: "Clear", items: "Work items",
    empty: "No matching case.", returnTitle: "Return to the counter",
    reason: "Reason (shown at the counter)", return: "Return", cancel: "Cancel", all: "All",
    due: "Within deadline", overdue: "Overdue", none: "No deadline", take: "Take",
    toVerify: "Input done: verify", toDone: "Verified: done", reopen: "Back to received",
    assignee: "Assignee", actions: "Actions", team: "Team", assign: "Assign", filedOn: "Filed on",
    eventDate: "Event date", handedOff: "Handed off", record: "What was filed",
    documents: "Signed documents", guidance: "Guidance and reasons", journey: "Journey",
    unresolved: "Not confirmed at the counter",
    characters: "Characters outside the core system's set", character: "Character",
    field: "Field", substitute: "Substitute", decision: "Decision",
    useSubstitute: "Input the substitute", gaiji: "Register as 外字",
    decided: { substitute: "Substitute", gaiji: "外字 registered" }, undecided: "Undecided",
    noCharacters: "Every character is in the set.", shown: (n) => `${n} case(s)`,
    flagged: (n) => `${n} char.`, none_: "—", returnedBecause: "Returned because",
    members: "Member ", procedure: "Procedure", lang: "日本語",
  },
};
const STATES = {
  ja: { received: "受付", input: "入力", verify: "照合", done: "完了", returned: "差戻し" },
  en: { received: "Received", input: "Input", verify: "Verification", done: "Done",
    returned: "Returned" },
};
const FIELDS = {
  ja: { previous_address: "前住所", new_address: "新住所", household_head: "世帯主",
    new_household_head: "新しい世帯主", "applicant.name": "届出人", "applicant.address": "届出人の住所",
    "representative.name": "代理人", "representative.address": "代理人の住所",
    name: "氏名", kana: "フリガナ", birth_date: "生年月日", sex: "性別", relationship: "続柄",
    address: "住所", source: "出どころ", phone: "電話番号", domicile: "本籍", domicile_head: "筆頭者",
    from_core: "（基幹システムから）" },
  en: { previous_address: "Previous address", new_address: "New address",
    household_head: "Head of household", new_household_head: "New head of household",
    "applicant.name": "Filer", "applicant.address": "Filer's address",
    "representative.name": "Representative", "representative.address": "Representative's address",
    name: "Name", kana: "Kana", birth_date: "Birth date", sex: "Sex",
    relationship: "Relationship", address: "Address", source: "Source", phone: "Phone",
    domicile: "Domicile", domicile_head: "Head of the family register", from_core: " (from the core system)" },
};
const SOURCES = { ja: { card: "カード", staff: "職員入力", core: "基幹システム", resident: "本人" },
  en: { card: "card", staff: "typed", core: "core system", resident: "resident" } };
const SEXES = { ja: { 1: "男", 2: "女", 9: "適用不能" }, en: { 1: "male", 2: "female", 9: "n/a" } };
const JOURNEY = {
  ja: { "ticket.issued": "発券", "ticket.called": "呼出", "visit.opened": "受付開始",
    "card.read": "カード読取", "member.added": "世帯員追加", "visit.updated": "内容変更",
    "visit.answered": "質問に回答", "tablet.sent": "タブレットで確認", "document.stored": "書類作成",
    "document.printed": "印刷", handed_off: "バックオフィスへ引継", "visit.closed": "受付終了",
    "core.matched": "基幹システムに照会" },
  en: { "ticket.issued": "Ticket issued", "ticket.called": "Called", "visit.opened": "Opened",
    "card.read": "Card read", "member.added": "Member added", "visit.updated": "Updated",
    "visit.answered": "Answered", "tablet.sent": "Sent to tablet", "document.stored": "Document",
    "document.printed": "Printed", handed_off: "Handed off", "visit.closed": "Closed",
    "core.matched": "Core system asked" },
};
const CHARSETS = { jisx0208: "JIS X 0208", jisx0213: "JIS X 0213", cp932: "CP932", mj: "MJ" };
// What the counter could not confirm, by the member field it concerns.
const QUESTIONS = {
  ja: { care_certified: "要介護・要支援認定", disability_certificate: "障害者手帳", insurance: "健康保険",
    nationality: "国籍", relationship: "続柄", birth_date: "生年月日", concerned: "届出の対象" },
  en: { care_certified: "care certification", disability_certificate: "disability certificate",
    insurance: "health insurance", nationality: "nationality", relationship: "relationship",
    birth_date: "birth date", concerned: "concerned by the event" },
};
const PERSONAL_ROLES = ["back_office", "tenant_admin"];

let lang = localStorage.getItem("madoguchi.lang") === "en" ? "en" : "ja";
let me = null;
let current = null;  // the case shown in the detail panel
let returning = null;  // the work item the return dialog is for

const $ = (selector) => document.querySelector(selector);
const t = (key) => TEXT[lang][key];

const formatTime = (iso) => iso
  ? new Date(iso).toLocaleString(lang === "ja" ? "ja-JP" : "en-GB",
    { dateStyle: "short", timeStyle: "short" }) : "";
const eventLabel = (code) => Lists.label("events", code, lang);
const stateChip = (state) => el("span", { class: `chip ${state}` }, STATES[lang][state] || state);

function deadlineNode(date, state, compact = false) {
  if (!date || state === "none") return el("span", { class: "muted" }, t("none_"));
  if (compact) return el("span", { class: `deadline ${state}` }, t(state), el("br"), el("small", {}, date));
  return el("span", { class: `deadline ${state}` }, `${date}（${t(state)}）`);
}

// --- the list ---------------------------------------------------------------------------------

function caseRow(summary) {
  const items = el("ul", { class: "items" }, summary.work_items.map((item) =>
    el("li", {}, stateChip(item.state), " ", item.department)));
  const row = el("tr", { tabindex: "0", "data-case": summary.id,
    onclick: () => showCase(summary.id),
    onkeydown: (e) => { if (e.key === "Enter") showCase(summary.id); } },
  el("th", { scope: "row" }, summary.reception_label || t("none_"),
    summary.characters_flagged ? el("span", { class: "flag" }, t("flagged")(summary.characters_flagged)) : ""),
  el("td", {}, eventLabel(summary.event), el("br"), el("small", {}, summary.filed_on)),
  el("td", {}, deadlineNode(summary.deadline, summary.deadline_state, true)),
  el("td", {}, items));
  if (current && current.id === summary.id) row.classList.add("selected");
  return row;
}

function filterQuery() {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData($("#filters")).entries()) {
    if (value) params.set(key, value);
  }
  return params.toString();
}

async function loadCases() {
  try {
    const cases = await api("GET", `/api/v1/cases?${filterQuery()}`);
    $("#cases tbody").replaceChildren(...cases.map(caseRow));
    $("#empty").hidden = cases.length > 0;
    $("#status").textContent = t("shown")(cases.length);
    $("#status").className = "";
    fillDepartments(cases);
  } catch (error) {
    handle(error);
  }
}

function fillDepartments(cases) {
  const select = $("#filters [name=department]");
  const known = new Set([...select.options].map((o) => o.value));
  for (const item of cases.flatMap((c) => c.work_items)) {
    if (!known.has(item.department)) {
      known.add(item.department);
      select.append(el("option", { value: item.department }, item.department));
    }
  }
}

function fillChoices() {
  const choice = (name, entries) => {
    const select = $(`#filters [name=${name}]`);
    const value = select.value;
    select.replaceChildren(el("option", { value: "" }, t("all")),
      ...entries.map(([code, label]) => el("option", { value: code }, label)));
    select.value = value;
  };
  choice("state", Object.entries(STATES[lang]));
  choice("deadline", ["due", "overdue"].map((code) => [code, t(code)]));
  const events = (() => { try { return Lists.get().events; } catch { return []; } })();
  choice("event", events.map((e) => [e.code, eventLabel(e.code)]));
  $("#filters [name=department] option[value='']").textContent = t("all");
}

// --- one case ---------------------------------------------------------------------------------

async function showCase(caseId) {
  try {
    current = await api("GET", `/api/v1/cases/${caseId}`);
    renderCase();
    for (const row of document.querySelectorAll("#cases tbody tr")) {
      row.classList.toggle("selected", row.dataset.case === caseId);
    }
  } catch (error) {
    handle(error);
  }
}

function section(title, ...content) {
  return el("section", {}, el("h3", {}, title), ...content);
}

function renderCase() {
  const c = current;
  const head = el("header", {},
    el("h2", {}, `${c.reception_label || ""}　${eventLabel(c.event)}`),
    el("p", { class: "facts" },
      `${t("filedOn")} ${c.filed_on}・${t("eventDate")} ${c.event_date}・${t("handedOff")} ${formatTime(c.handed_off_at)}`));
  $("#detail").replaceChildren(head,
    section(t("items"), workItemsTable(c)),
    section(`${t("characters")}（${CHARSETS[c.charset] || c.charset}）`, charactersTable(c)),
    section(t("record"), recordNode(c.record || {})),
    unresolvedNode(c.record || {}),
    section(t("documents"), documentsNode(c.documents)),
    section(t("guidance"), guidanceNode(c.procedures)),
    section(t("journey"), journeyNode(c.journey)));
  $("#detail").hidden = false;
}

function workItemsTable(c) {
  return el("table", { class: "work" },
    el("thead", {}, el("tr", {}, [t("department"), t("procedure"), t("state"), t("deadline"),
      t("assignee")].map((h) => el("th", { scope: "col" }, h)),
      el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, t("actions"))))),
    el("tbody", {}, c.work_items.map((item) => el("tr", { "data-item": item.id },
      el("td", {}, item.department),
      el("td", {}, item.procedure_name),
      el("td", {}, stateChip(item.state), item.return_reason
        ? el("div", { class: "reason" }, `${t("returnedBecause")}：${item.return_reason}`) : ""),
      el("td", {}, deadlineNode(item.deadline, item.deadline_state)),
      el("td", {}, [item.assignee_name, item.team].filter(Boolean).join("・") || t("none_")),
      el("td", {}, el("div", { class: "actions" }, itemActions(item)))))));
}

function itemActions(item) {
  if (!me || !["back_office", "tenant_admin"].includes(me.staff.role)) return [];
  const button = (label, onclick, cls = "small") =>
    el("button", { type: "button", class: cls, onclick }, label);
  const actions = [];
  if (item.state === "received") actions.push(button(t("take"), () => act(item, "take")));
  if (item.state === "input") actions.push(button(t("toVerify"), () => act(item, "advance")));
  if (item.state === "verify") actions.push(button(t("toDone"), () => act(item, "advance")));
  if (item.state === "returned") actions.push(button(t("reopen"), () => act(item, "reopen"), "secondary small"));
  if (["received", "input", "verify"].includes(item.state)) {
    actions.push(button(t("return"), () => openReturn(item), "secondary small"));
  }
  return actions;
}

async function act(item, action, body) {
  try {
    await api("POST", `/api/v1/work-items/${item.id}/${action}`, body);
    await showCase(current.id);
    await loadCases();
  } catch (error) {
    handle(error);
  }
}

function openReturn(item) {
  returning = item;
  $("#return-item").textContent = `${item.department}：${item.procedure_name}`;
  $("#return-form [name=reason]").value = "";
  $("#return-dialog").showModal();
}

function charactersTable(c) {
  if (!c.characters.length) return el("p", { class: "muted" }, t("noCharacters"));
  return el("table", { class: "chars" },
    el("thead", {}, el("tr", {}, [t("field"), t("character"), t("substitute"), t("decision")]
      .map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, c.characters.map((ch, index) => el("tr", { class: ch.decision ? "" : "open" },
      el("td", {}, fieldLabel(ch.field)),
      el("td", {}, el("span", { class: "glyph" }, ch.original), el("small", {}, ch.codepoints)),
      el("td", {}, el("span", { class: "glyph" }, ch.substitute)),
      el("td", {}, el("div", { class: "actions" }, ch.decision
        ? el("strong", {}, t("decided")[ch.decision])
        : [decisionButton(index, "substitute", t("useSubstitute")),
          decisionButton(index, "gaiji", t("gaiji"))]))))));
}

function decisionButton(index, decision, label) {
  return el("button", { type: "button", class: "secondary small", onclick: async () => {
    try {
      current = await api("POST", `/api/v1/cases/${current.id}/characters`, { index, decision });
      renderCase();
      loadCases();
    } catch (error) {
      handle(error);
    }
  } }, label);
}

function fieldLabel(path) {
  const member = /^members\.(\d+)\.(\w+)$/.exec(path);
  if (member) return `${t("members")}${Number(member[1]) + 1} ${FIELDS[lang][member[2]] || member[2]}`;
  return FIELDS[lang][path] || path;
}

function pairs(entries) {
  return el("dl", { class: "pairs" }, entries.filter(([, v]) => v !== undefined && v !== null && v !== "")
    .flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

// A member's value, saying so where the counter took it from the core system (field_sources).
function fromCore(member, field) {
  const value = member[field];
  if (!value || (member.field_sources || {})[field] !== "core") return value;
  return `${value}${FIELDS[lang].from_core}`;
}

function recordNode(record) {
  const f = FIELDS[lang];
  const top = pairs([
    [f.previous_address, record.previous_address], [f.new_address, record.new_address],
    [f.household_head, record.household_head], [f.new_household_head, record.new_household_head],
    [f["applicant.name"], record.applicant?.name], [f.phone, record.applicant?.phone],
    [f["representative.name"], record.representative?.name],
  ]);
  const members = (record.members || []).map((m, i) => el("div", { class: "member" },
    el("h4", {}, `${t("members")}${i + 1}`),
    pairs([[f.name, m.name], [f.kana, fromCore(m, "kana")], [f.birth_date, m.birth_date],
      [f.sex, SEXES[lang][m.sex]], [f.relationship, fromCore(m, "relationship")],
      [f.address, m.address], [f.domicile, fromCore(m, "domicile")],
      [f.domicile_head, fromCore(m, "domicile_head")],
      [f.source, SOURCES[lang][m.source] || m.source]])));
  return el("div", {}, top, el("div", { class: "members" }, members));
}

function unresolvedNode(record) {
  const items = record.unresolved || [];
  if (!items.length) return "";
  return section(t("unresolved"), el("ul", { class: "unresolved" },
    items.map((u) => el("li", {}, questionLabel(u.question), u.reason ? `：${u.reason}` : ""))));
}

function questionLabel(id) {
  const member = /^members\.(\d+)\.(\w+)$/.exec(id);
  if (!member) return QUESTIONS[lang][id] || id;
  return `${t("members")}${Number(member[1]) + 1} ${QUESTIONS[lang][member[2]] || member[2]}`;
}

function documentsNode(documents) {
  if (!documents.length) return el("p", { class: "muted" }, t("none_"));
  return el("ul", {}, documents.map((d) => el("li", {},
    el("a", { href: d.url, target: "_blank", rel: "noopener", title: `SHA-256 ${d.sha256}` },
      d.filename || d.form))));
}

function guidanceNode(procedures) {
  return el("ul", { class: "guidance" }, procedures.map((p) => el("li", {},
    el("strong", {}, p.name), `（${p.department}）`,
    el("ul", {}, (p.reasons || []).map((r) => el("li", {}, r))))));
}

function journeyNode(steps) {
  return el("ol", { class: "journey" }, steps.map((s) => el("li", {},
    el("time", {}, formatTime(s.at)), " ", journeyLabel(s))));
}

function journeyLabel(step) {
  const work = /^work_item\.(\w+)$/.exec(step.kind);
  if (work) return `${step.data.department || ""} ${step.data.procedure || ""}：${STATES[lang][work[1]] || work[1]}`;
  return JOURNEY[lang][step.kind] || step.kind;
}

// --- session, language ------------------------------------------------------------------------

function handle(error) {
  if (error.status === 401) return showLogin(t("login"));
  $("#status").textContent = error.message;
  $("#status").className = "error";
}

function applyLanguage() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  $("#lang").textContent = t("lang");
  fillChoices();
  if (current) renderCase();
  if (me) loadCases();
}

function showLogin(message) {
  $("#console").hidden = true;
  $("#logout").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message || "";
}

function showConsole(who) {
  me = who;
  csrfToken = who.csrf_token;
  $("#who").textContent = `${who.staff.tenant_name}　${who.staff.display_name}`;
  for (const node of document.querySelectorAll(".personal")) {
    node.hidden = !PERSONAL_ROLES.includes(who.staff.role);
  }
  $("#login").hidden = true;
  $("#console").hidden = false;
  $("#logout").hidden = false;
  loadCases();
}

document.addEventListener("DOMContentLoaded", async () => {
  await Lists.load().catch(() => null);  // without it, events show as their codes
  applyLanguage();
  $("#login").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      showConsole(await api("POST", "/api/v1/auth/login",
        Object.fromEntries(new FormData(event.target).entries())));
    } catch (error) {
      showLogin(error.message);
    }
  });
  $("#filters").addEventListener("submit", (event) => { event.preventDefault(); loadCases(); });
  $("#filters").addEventListener("reset", () => setTimeout(loadCases));
  $("#lang").addEventListener("click", () => {
    lang = lang === "ja" ? "en" : "ja";
    localStorage.setItem("madoguchi.lang", lang);
    applyLanguage();
  });
  $("#logout").addEventListener("click", async () => {
    try { await api("POST", "/api/v1/auth/logout"); } catch { /* already gone */ }
    me = null;
    showLogin();
  });
  $("#return-cancel").addEventListener("click", () => $("#return-dialog").close());
  $("#return-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = $("#return-form [name=reason]").value.trim();
    if (!reason || !returning) return;
    $("#return-dialog").close();
    act(returning, "return", { reason });
  });
  try {
    showConsole(await api("GET", "/api/v1/auth/me"));
  } catch {
    showLogin();
  }
});
