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
    relationship: "続柄", source: "入力元", actions: "操作", read_card: "カードを読む", add_member: "手入力で追加",
    pin_at_reader: "暗証番号はリーダーで入力", kana: "フリガナ", save: "追加する", cancel: "やめる",
    new_address: "新しい住所", previous_address: "前住所", area: "町字", block: "番地・号など",
    certificates: "証明書", copies: "通数", fiscal_year: "年度", guidance: "手続きの案内", forms: "届出書・申請書", send_tablet: "タブレットで確認",
    documents: "署名済みの書類", print: "印刷", reprint: "再印刷", handoff: "バックオフィスへ送る",
    continue: "続ける", remove: "削除", yes: "はい", no: "いいえ", all_no: "残りはすべて「いいえ」",
    core: "基幹", core_checking: "基幹システムに照会しています…",
    core_matched: "基幹システムの記録で補いました（フリガナ・本籍・世帯員など）。",
    core_moving_out: (m) => `転出証明書情報を取り込みました（${m.from_municipality}、転出予定 ${m.planned_date}、${m.members} 人）。`,
    core_diffs: "カードと基幹システムの違い", core_diffs_hint: "どちらが正しいか、ご本人に確認してください（カードの記載は変わりません）。",
    diff_member: "世帯員", diff_field: "項目", diff_card: "カード", diff_core: "基幹システム",
    diff_name: "氏名", diff_birth_date: "生年月日", diff_sex: "性別", diff_address: "住所",
    core_not_found: "基幹システムに該当する住民の記録がありません。カードと聞き取りで続けます。",
    core_unavailable: "基幹システムに接続できません。照会せずに、これまでどおり続けます。",
    core_not_configured: "基幹システムが設定されていないため、照会せずに続けます。",
    from_core: "基幹システムから", returns: "差戻し", returns_count: (n) => `差戻し ${n} 件`,
    open_visit: "開く", work: "バックオフィスの処理", work_open: "処理中", work_done: "完了",
    work_returned: "差戻し", back_to_list: "受付待ちに戻る", return_reason: "理由",
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
    birth_place: "出生の場所（病院名など）", domicile: "本籍（お子さんが入る戸籍）", domicile_head: "筆頭者",
    as_on_card: "カードのとおり（変更できません）", kana_hint: "ひらがなでも可",
    concerned: "対象", add_newborn: "生まれたお子さんを追加", roles: "届出人・対象の方",
    deceased_person: "亡くなられた方", applicant: "届出人（届け出て署名する方）", applicant_name: "届出人の氏名",
    applicant_relationship: "届出人の続柄・資格", new_head: "新しい世帯主", representative: "代理人が届け出る（委任状あり）",
    representative_name: "代理人の氏名", destination: "転出先の住所（国外は国名）", back: "戻る",
    unresolved: "確認できなかった質問（バックオフィスへ送ります）", unresolved_reason: "確認できない理由",
    unresolved_save: "確認できないとして記録する", abandon_yes: "受付を中止する", unsure: "確認できない",
    household_questions: "世帯について", undo: "取り消す", outside: "世帯外の方（氏名を入力）", choose: "選んでください",
    newborn: "生まれたお子さん", newborn_form: "生まれたお子さん（カードはまだありません）", auto: "（自動）",
    other_countries: "その他の国・地域",
    date_birth: "出生日", date_death: "死亡日", date_marriage: "婚姻日", date_divorce: "離婚日", date_move: "異動日",
    date_change: "変更日", destination_legend: "転出先", new_address_legend: "新しい住所", address_change: "住所の変更（ある場合）",
    steps: "手順", step_intake: "① 受付", step_roles: "② 届出人・内容", step_questions: "③ 質問",
    step_forms: "④ 書類・確認", step_sign: "⑤ 署名", step_done: "⑥ 完了", step_back: "← 戻る", step_next: "次へ →",
    step_sign_legend: "タブレットで確認・署名",
    sign_hint: "内容を直すときは上の手順に戻ってください（タブレットの確認はやり直しになります）。",
    concerned_moves: "引っ越す方", concerned_marriage: "婚姻する方", concerned_divorce: "離婚する方",
    concerned_household: "世帯を移る方", concerned_legend: "対象の方", birth_data: "出生届の内容",
    guidance_questions: "確認する質問", no_questions: "確認する質問はありません。", checks: "内容の確認",
    no_findings: "矛盾や期限切れは見つかりませんでした。", severity_block: "要修正", severity_warn: "注意",
    fix: "直す", answer_it: "答える", no_forms: "作成する届出書・申請書がありません（届出の種類と対象の方を確かめてください）。",
    catalog_ja_only: "", reason_question: "質問", reason_finding: "要修正",
    send_blocked: (n) => `タブレットで確認する前に、次の ${n} 件を済ませてください。`,
    event_date_hint: "R8.11.20 / 2026-11-20", birth_hint: "H31.4.30 / 2019-04-30",
    unresolved_hint: "例：保険証を持参していない",
    signed_next: "署名されました。控えを印刷し、バックオフィスへ送ってください。",
    questions_left: (n) => `まだ答えていない質問が ${n} 件あります（答えるか「確認できない」に）。`,
    summary: "手続きの一覧（ご本人が確認する内容）",
    checklist_foreign: "ご本人用の手続き一覧（外国語・日本語併記）",
    totals: (x) => `手続き ${x.procedures} 件・窓口 ${x.counters} か所・約 ${x.minutes} 分・手数料 ${x.fee_yen.toLocaleString("ja-JP")} 円`,
    choice_insurance: { national_health: "国民健康保険", employee: "職場の健康保険（社会保険）",
      late_elderly: "後期高齢者医療", welfare: "生活保護", none: "加入していない" },
  },
  en: {
    title: "Counter", bigger: "Larger text", smaller: "Normal text", logout: "Log out", login: "Log in",
    tenant_code: "Municipality code", username: "User name", password: "Password",
    pick_counter: "Choose your counter", waiting_next: "Call the next resident",
    call_next: "Call next", walk_in: "Start without ticket", visit: "Visit", event: "Event",
    event_date: "Date of the event", members: "Household members", name: "Name", birth: "Date of birth",
    sex: "Sex", relationship: "Relationship", source: "Source", actions: "Actions", read_card: "Read card",
    add_member: "Add by hand", pin_at_reader: "PIN on the reader's pad", kana: "Kana", save: "Add",
    cancel: "Cancel", new_address: "New address", previous_address: "Previous address", area: "Town/area",
    block: "Block / number", certificates: "Certificates", copies: "Copies", fiscal_year: "Fiscal year",
    guidance: "Procedures", forms: "Forms", send_tablet: "Confirm on tablet", documents: "Signed documents",
    print: "Print", reprint: "Reprint", handoff: "Send to back office", continue: "Continue", remove: "Remove",
    core: "Core", core_checking: "Asking the core system…",
    core_matched: "Filled from the core system's records (kana, domicile, household…).",
    core_moving_out: (m) => `Moving-out certificate taken in (${m.from_municipality}, planned ${m.planned_date}, ${m.members} people).`,
    core_diffs: "Card and core system differ", core_diffs_hint: "Ask the resident which is right (the card's text does not change).",
    diff_member: "Member", diff_field: "Field", diff_card: "Card", diff_core: "Core system",
    diff_name: "Name", diff_birth_date: "Date of birth", diff_sex: "Sex", diff_address: "Address",
    core_not_found: "The core system has no record of this resident: carry on with the card and questions.",
    core_unavailable: "The core system does not answer: carry on as usual, without it.",
    core_not_configured: "No core system is set up: carry on without it.",
    from_core: "from the core system", returns: "Returned", returns_count: (n) => `${n} returned`,
    open_visit: "Open", work: "Back office", work_open: "In progress", work_done: "Done",
    work_returned: "Returned", back_to_list: "Back to waiting", return_reason: "Reason",
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
    birth_place: "Place of birth (hospital etc.)", domicile: "Registered domicile (the child's family register)",
    domicile_head: "Head of the family register",
    as_on_card: "As read from the card (cannot be changed)", kana_hint: "Hiragana is fine",
    concerned: "Concerned", add_newborn: "Add the newborn", roles: "Filer and persons concerned",
    deceased_person: "Person who died", applicant: "Filer (files and signs)", applicant_name: "Filer's name",
    applicant_relationship: "Filer's relationship", new_head: "New head of household",
    representative: "Filed by a proxy (with a letter of attorney)", representative_name: "Proxy's name",
    destination: "Destination address (country if abroad)", back: "Back",
    unresolved: "Questions not confirmed (sent to the back office)", unresolved_reason: "Why it cannot be confirmed",
    unresolved_save: "Record as not confirmed", abandon_yes: "Cancel the visit", unsure: "Can't confirm",
    household_questions: "Household", undo: "Undo", outside: "Someone outside the household (type the name)",
    choose: "Choose", newborn: "Newborn", newborn_form: "The newborn (no card yet)", auto: "(default)",
    other_countries: "Other countries and regions",
    date_birth: "Date of birth", date_death: "Date of death", date_marriage: "Date of marriage",
    date_divorce: "Date of divorce", date_move: "Date of the move", date_change: "Date of the change",
    destination_legend: "Destination", new_address_legend: "New address", address_change: "Change of address (if any)",
    steps: "Steps", step_intake: "1 Intake", step_roles: "2 Filer & details", step_questions: "3 Questions",
    step_forms: "4 Forms & checks", step_sign: "5 Signature", step_done: "6 Done", step_back: "← Back", step_next: "Next →",
    step_sign_legend: "Confirmation and signature on the tablet",
    sign_hint: "To change anything, go back to a step above (the tablet's confirmation starts again).",
    concerned_moves: "Who moves", concerned_marriage: "Who marries", concerned_divorce: "Who divorces",
    concerned_household: "Who changes household", concerned_legend: "Persons concerned", birth_data: "Birth registration details",
    guidance_questions: "Questions to ask", no_questions: "Nothing left to ask.", checks: "Checks",
    no_findings: "No contradiction or missed deadline found.", severity_block: "Must fix", severity_warn: "Note",
    fix: "Fix", answer_it: "Answer", no_forms: "No form to prepare (check the event and the persons concerned).",
    catalog_ja_only: "The catalog names its procedures, reasons and counters in Japanese only: they are shown as written there.",
    reason_question: "Question", reason_finding: "Must fix",
    send_blocked: (n) => `Before confirming on the tablet, settle these ${n} items.`,
    event_date_hint: "R8.11.20 / 2026-11-20", birth_hint: "H31.4.30 / 2019-04-30",
    unresolved_hint: "e.g. no insurance card with them",
    signed_next: "Signed. Print the slip and send the visit to the back office.",
    questions_left: (n) => `${n} question${n === 1 ? "" : "s"} still open (answer or mark "Can't confirm").`,
    summary: "Procedures (what the resident checks)",
    checklist_foreign: "Resident's checklist in their language (with Japanese)",
    totals: (x) => `${x.procedures} procedures, ${x.counters} counters, about ${x.minutes} min, fees ¥${x.fee_yen.toLocaleString("en")}`,
    choice_insurance: { national_health: "National Health Insurance", employee: "Employer's health insurance",
      late_elderly: "Late-stage elderly medical care", welfare: "Public assistance", none: "None" },
  },
};

// The server words its errors in Japanese; the English screen says them by their stable code
// (anything not listed keeps the server's words).
const ERRORS_EN = {
  no_reader: "No card reader found. Check the reader's cable.",
  no_card: "No card on the reader. Place the My Number Card on the reader and read again.",
  not_my_number_card: "This is not a My Number Card. Place the My Number Card on the reader.",
  wrong_pin: (e) => (e.retries_left === undefined || e.retries_left === null ? "Wrong PIN."
    : `Wrong PIN: ${e.retries_left} more wrong tries lock the card.`),
  pin_blocked: "The card's PIN is locked. The resident can reset it at the My Number Card counter.",
  last_try_refused: "One PIN try left: confirm before using it.",
  card_removed: "The card was removed during the read. Place it again and read again.",
  communication_error: "Could not talk to the card. Place it again and retry.",
  data_malformed: "The card's data could not be read. Enter the details by hand and note it.",
  integrity_failed: "The card's data failed its integrity check. Enter the details by hand and note it.",
  invalid_pin_format: "The PIN must be 4 digits.",
  agent_offline: "The counter agent is offline. Check the PC's power and network.",
  visit_closed: "This visit is closed and can no longer be changed.",
  visit_incomplete: "Choose the event first.",
  applicant_not_allowed: "The deceased or the newborn cannot be the filer. Choose who files.",
  questions_open: "Questions are still open: answer them or mark them \"Can't confirm\" before the tablet.",
  visit_inconsistent: "The visit contradicts itself: fix what step 4 lists, then send again.",
  no_forms: "There is no form to prepare for this visit.",
  not_signed: "The resident has not signed yet.",
  already_signed: "Already signed.",
  date_invalid: "Not a date this screen can read (e.g. R2.4.1, 令和2年4月1日, 2020-04-01).",
};

// An error in the screen's language: {code, message, …} from the server, or a thrown Error.
function errorText(error) {
  const english = state.lang !== "ja" && error && ERRORS_EN[error.code];
  if (!english) return (error && error.message) || String(error);
  return typeof english === "function" ? english(error.body || error) : english;
}

function dateErrorText(error) {
  error.code = "date_invalid";
  return errorText(error);
}

// What each life event shows: the sections that do not apply are hidden. ``concerned`` names who
// the event concerns (the legend of the check boxes on step ②).
const MOVES = ["moving-in", "moving-within", "moving-out"];
const EVENT_VIEW = {
  "moving-in": { date: "date_move", address: "local", concerned: "concerned_moves" },
  "moving-within": { date: "date_move", address: "local", concerned: "concerned_moves" },
  "moving-out": { date: "date_move", address: "free", concerned: "concerned_moves" },
  birth: { date: "date_birth", newborn: true },
  death: { date: "date_death", deceased: true, newHead: true },
  marriage: { date: "date_marriage", address: "local", concerned: "concerned_marriage" },
  divorce: { date: "date_divorce", address: "local", concerned: "concerned_divorce" },
  "household-change": { date: "date_change", concerned: "concerned_household", newHead: true },
  certificate: { date: null },
};
// The steps of a visit, in order (the panels and the step bar carry the same names).
const STEPS = ["intake", "roles", "questions", "forms", "sign", "done"];
// Questions the console answers with its own control (a country list, a date field, a list of
// choices): the catalog's typing hint in brackets (「日本は JP」, 「例 1980-02-17」) is left off.
const OWN_CONTROL = new Set(["nationality", "birth_date", "insurance"]);
// Countries offered first in the nationality picker (the most common at Japanese counters).
const COMMON_COUNTRIES = ["JP", "CN", "KR", "VN", "PH", "BR", "NP", "ID", "TW", "US", "MM", "TH", "LK", "IN", "PE"];
const ALL_COUNTRIES = ("AF AL DZ AD AO AG AR AM AU AT AZ BS BH BD BB BY BE BZ BJ BT BO BA BW BR BN BG BF BI CV KH CM CA "
  + "CF TD CL CN CO KM CG CD CR CI HR CU CY CZ DK DJ DM DO EC EG SV GQ ER EE SZ ET FJ FI FR GA GM GE DE GH GR GD GT GN "
  + "GW GY HT HN HK HU IS IN ID IR IQ IE IL IT JM JP JO KZ KE KI KP KR KW KG LA LV LB LS LR LY LI LT LU MO MG MW MY MV "
  + "ML MT MH MR MU MX FM MD MC MN ME MA MZ MM NA NR NP NL NZ NI NE NG MK NO OM PK PW PS PA PG PY PE PH PL PT QA RO RU "
  + "RW KN LC VC WS SM ST SA SN RS SC SL SG SK SI SB SO ZA SS ES LK SD SR SE CH SY TW TJ TZ TH TL TG TO TT TN TR TM TV "
  + "UG UA AE GB US UY UZ VU VA VE VN YE ZM ZW").split(" ");

const state = { lang: localStorage.getItem("staff.lang") || "ja", csrf: null, counter: null,
  visit: null, areas: [], cardJob: null, printJob: null, waitingSign: null };
const $ = (id) => document.getElementById(id);
const t = (key) => (T[state.lang] && T[state.lang][key]) || T.ja[key] || key;

class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status; this.code = error.code || "http_error"; this.body = error;
  }
}

// body[data-busy] is "1" while the console is saving or loading the visit (not while it
// polls the devices or waits for a card or a signature): a test waits for "0", not a timer.
async function api(method, url, body, { poll = false, signal } = {}) {
  const headers = { "accept": "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (state.csrf && method !== "GET") headers["x-csrf-token"] = state.csrf;
  if (!poll) { state.pending = (state.pending || 0) + 1; document.body.dataset.busy = "1"; }
  // A change to the visit makes the last findings stale: step ④ checks again when opened.
  const changesVisit = url.startsWith("/api/v1/visits/") || url.startsWith("/api/v1/agent/card-reads");
  if (method !== "GET" && changesVisit && !url.endsWith("/guidance")) state.checks = null;
  try {
    const response = await fetch(url, { method, headers, credentials: "same-origin", signal,
      body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  } finally {
    if (!poll && --state.pending === 0) document.body.dataset.busy = "0";
  }
}

function show(id) {
  if (id === "login" || id === "pick-counter") stopLongPolls();  // the counter's screens are left
  for (const section of ["login", "pick-counter", "idle", "visit"]) $(section).hidden = section !== id;
  const remembered = localStorage.getItem("staff.tenant_code");
  if (id === "login" && remembered && !$("tenant-code").value) $("tenant-code").value = remembered;
  const focus = { login: remembered ? "username" : "tenant-code", "pick-counter": null, idle: "call-next", visit: null }[id];
  if (id === "idle") loadReturns();
  if (focus) $(focus).focus();
}

function say(text, kind = "error") {
  const box = $("message");
  box.textContent = text; box.className = `message ${kind === "info" ? "info" : ""}`;
  box.hidden = !text;
}

function fail(error) {
  if (error instanceof ApiError && error.status === 401) { show("login"); }
  say(errorText(error));
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  $("lang-toggle").textContent = state.lang === "ja" ? "English" : "日本語";
  for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  $("m-kana").placeholder = t("kana_hint");
  $("m-birth").placeholder = t("birth_hint");
  $("event-date").placeholder = t("event_date_hint");
  $("unresolved-reason").placeholder = t("unresolved_hint");
  state.questionsKey = null;  // questions are drawn again in the new language
  if (state.visit && state.guidance) { renderQuestions(state.guidance.questions); renderProcedures(); }
  if (state.visit && state.checks) renderFindings();
  $("size-toggle").textContent = document.documentElement.classList.contains("large") ? t("smaller") : t("bigger");
  renderLists();
  renderDevices();
  if (state.visit) {
    renderVisit();
    document.body.dataset.rev = String((+document.body.dataset.rev || 0) + 1);  // redrawn in the new language
  }
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
    error.code = "date_invalid";  // said in the screen's language by errorText
    throw error;
  }
}

function typedDay(text) {
  try { return text.trim() ? Lists.parseDate(text) : null; } catch (error) { return null; }
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
    localStorage.setItem("staff.tenant_code", body.tenant_code);
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

function renderDevices() {
  if (state.agentOnline === undefined) return;
  const pill = $("agent-state");
  pill.textContent = `${t(state.agentOnline ? "agent_on" : "agent_off")} / ${t(state.tabletOnline ? "tablet_on" : "tablet_off")}`;
  pill.className = `pill ${state.agentOnline && state.tabletOnline ? "on" : "off"}`;
  // A card read waiting on an agent that went away says so now, not when its long poll ends.
  if (state.cardWaiting && !state.agentOnline) {
    $("card-status").className = "status error"; $("card-status").textContent = t("agent_offline");
  }
}

// --- long-polls -------------------------------------------------------------------------

// The devices' presence and the signature wait are long-polled: with `wait`, the server answers
// as soon as the answer changed (an agent connects or leaves, the tablet comes or its presence
// lapses, the resident signs), else after LONG_POLL_SECONDS with a 304. The answers are sent
// "no-cache" with an ETag (no personal data): the browser revalidates with If-None-Match by
// itself and turns the 304 into the 200 it kept, so `onAnswer` sees an ordinary answer each
// time. One request outstanding per thing, sent again when answered (at most one a second),
// after a growing pause when it failed; stopped when the screen leaves the counter.
const LONG_POLL_SECONDS = 25;
const LONG_POLL_MIN_MS = 1000;  // never more than one request a second per thing
const LONG_POLL_BACKOFF_MS = [1000, 2000, 5000, 10000, 30000];
const longPolls = new Map();  // name → AbortController

function longPoll(name, url, onAnswer) {
  stopLongPoll(name);
  const control = new AbortController();
  longPolls.set(name, control);
  const { signal } = control;
  const pause = (ms) => new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
  const waitUrl = `${url}${url.includes("?") ? "&" : "?"}wait=${LONG_POLL_SECONDS}`;
  (async () => {
    let failures = 0;
    while (!signal.aborted) {
      const started = Date.now();
      try {
        const answer = await api("GET", waitUrl, undefined, { poll: true, signal });
        if (signal.aborted) return;
        failures = 0;
        if (await onAnswer(answer) === false) break;
        await pause(Math.max(0, LONG_POLL_MIN_MS - (Date.now() - started)));
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) { show("login"); return; }
        await pause(LONG_POLL_BACKOFF_MS[Math.min(failures++, LONG_POLL_BACKOFF_MS.length - 1)]);
      }
    }
    if (longPolls.get(name) === control) longPolls.delete(name);
  })();
}

function stopLongPoll(name) {
  const running = longPolls.get(name);
  if (running) { longPolls.delete(name); running.abort(); }
}

function stopLongPolls() {
  for (const name of [...longPolls.keys()]) stopLongPoll(name);
  state.waitingSign = null;
}

window.addEventListener("pagehide", stopLongPolls);

// The agent's and the tablet's presence at the counter (the pill; a card read waiting on an
// agent that went away says so at once).
function pollDevices() {
  if (!state.counter) return;
  const counter = encodeURIComponent(state.counter.id);
  longPoll("agent", `/api/v1/agent/status?counter_id=${counter}`, (agent) => {
    state.agentOnline = agent.online; renderDevices();
  });
  longPoll("tablet", `/api/v1/tablet/status?counter_id=${counter}`, (tablet) => {
    state.tabletOnline = tablet.online; renderDevices();
  });
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
    resetVisitView("intake"); $("work-box").hidden = true;
    show("visit"); await refresh(false); $("events").querySelector("button").focus();
  } catch (error) { fail(error); }
}

async function loadVisit(id) {
  state.visit = await api("GET", `/api/v1/visits/${id}`);
  resetVisitView(naturalStep());
  show("visit"); await refresh(false); await loadWorkItems();  // just read: not read again
  if (state.visit.status === "confirming") waitForSignature();
  if (state.visit.status === "signed") await loadDocuments();
}

function resetVisitView(step) {
  state.step = step; state.checks = null; state.forms = null; state.guidance = null; state.questionsKey = null;
  $("tablet-status").textContent = ""; $("print-status").textContent = ""; $("reprint").hidden = true;
}

// --- steps: one screen each ---------------------------------------------------------------

// Which steps the clerk can open: ① always, ②–④ once the event is chosen, ⑤ while the tablet
// has the visit, ⑥ once it is signed.
function stepAllowed(step) {
  const { status, event } = state.visit;
  if (step === "done") return ["signed", "closed"].includes(status);
  if (step === "sign") return status === "confirming";
  return step === "intake" || !!event;
}

// The step the visit's state calls for (a visit reopened after a reload, a signature arrived).
function naturalStep() {
  const status = state.visit.status;
  if (status === "signed" || status === "closed") return "done";
  return status === "confirming" ? "sign" : "intake";
}

// Back and Next walk ①–④; forward from ④ is 「タブレットで確認」, ⑤ and ⑥ follow the tablet.
function neighbourStep(direction) {
  const index = STEPS.indexOf(state.step) + direction;
  const step = STEPS[index];
  if (!step || (direction > 0 && index > STEPS.indexOf("forms"))) return null;
  if (direction < 0 && state.step === "done") return null;
  return stepAllowed(step) ? step : null;
}

function renderSteps() {
  if (!stepAllowed(state.step)) state.step = naturalStep();
  const current = STEPS.indexOf(state.step);
  for (const button of $("steps").querySelectorAll("button")) {
    const step = button.dataset.step;
    button.disabled = !stepAllowed(step);
    button.classList.toggle("done", STEPS.indexOf(step) < current);
    if (step === state.step) button.setAttribute("aria-current", "step"); else button.removeAttribute("aria-current");
  }
  for (const panel of document.querySelectorAll("#visit .step")) panel.hidden = panel.dataset.step !== state.step;
  $("step-back").hidden = !neighbourStep(-1);
  $("step-next").hidden = !neighbourStep(1);
  const open = (state.openQuestions || []).length;
  $("questions-count").textContent = state.visit.event && open ? String(open) : "";
  const blocking = blockingFindings().length;
  $("forms-count").textContent = blocking ? "!" : "";
  $("forms-count").setAttribute("aria-label", blocking ? t("severity_block") : "");
}

// Opening a step loads what it shows (the forms and the checks on ④), then puts the focus on its
// first control, so the keyboard carries on where the eyes go.
async function goStep(step, guidance = null) {
  if (!step || !stepAllowed(step)) return;
  say("");
  state.step = step; renderSteps();
  await refresh(false, guidance);
  focusStep();
}

function focusStep() {
  const panel = document.querySelector(`#visit .step[data-step="${state.step}"]`);
  const preferred = { intake: "#events button.chosen", forms: "#send-tablet:not([disabled])", done: "#print" }[state.step];
  const candidates = [preferred, "#questions button, #questions select, #questions input",
    "button:not([disabled]), select, input, a[href]"].filter(Boolean);
  for (const selector of candidates) {
    const target = [...panel.querySelectorAll(selector)].find((el) => el.offsetParent !== null);
    if (target) { target.focus(); return; }
  }
  $("steps").querySelector(`[data-step="${state.step}"]`).focus();  // ⑤: nothing to press, the bar keeps the place
}

async function patchVisit(changes) {
  try {
    await showChange(await api("PATCH", `/api/v1/visits/${state.visit.id}`, changes));
  } catch (error) { fail(error); }
}

// A change's answer carries what the console shows next: the visit as GET returns it (the answer
// itself, or its ``visit`` for a member's change) and its guidance as POST …/guidance returns it
// (null before an event is chosen): rendered without asking the server again.
async function showChange(answer) {
  const { guidance, visit, ...rest } = answer;
  state.visit = visit || rest;
  await refresh(false, guidance);
}

// ``guidance``: the guidance a change just answered with; otherwise it is asked for.
async function refresh(reload = true, guidance = null) {
  const seq = state.seq = (state.seq || 0) + 1;
  if (reload) {  // the visit and its guidance in one request, as a change answers
    const { guidance: shown, ...visit } = await api("GET", `/api/v1/visits/${state.visit.id}/with-guidance`);
    if (seq !== state.seq) return;  // a later refresh is under way: it renders
    state.visit = visit; guidance = shown;
  }
  renderVisit();
  const loads = [loadGuidance(seq, guidance)];
  if (state.step === "forms") loads.push(loadForms(seq), loadChecks(seq));  // audited reads: on ④ only
  await Promise.all(loads);
  if (seq !== state.seq) return;
  updateSendButton();
  renderSteps();
  // Each finished render counts up: a test (or an assistive script) waits for it, not a timer.
  document.body.dataset.rev = String((+document.body.dataset.rev || 0) + 1);
}

function renderVisit() {
  const visit = state.visit;
  $("ticket-number").textContent = visit.ticket_number || "";
  $("abandon").hidden = visit.status === "closed";  // handed off: looked at, not abandoned
  keepFocus($("events"), renderEvents);
  $("event-title").textContent = visit.event ? Lists.label("events", visit.event, state.lang) : "";
  const view = EVENT_VIEW[visit.event] || { date: "date_move" };
  $("event-date").closest("label").hidden = !view.date;
  if (view.date) $("event-date-label").textContent = t(view.date);
  // What the clerk typed stays as typed while it means the stored day; otherwise (empty, or a
  // day set elsewhere, e.g. the newborn's birth date) the day is shown in 和暦.
  const dateInput = $("event-date");
  if (visit.event_date && document.activeElement !== dateInput && typedDay(dateInput.value) !== visit.event_date) {
    dateInput.value = Lists.wareki(visit.event_date);
  }
  $("event-date-shown").textContent = visit.event_date ? `${Lists.wareki(visit.event_date)} (${visit.event_date})` : "";
  keepFocus($("member-rows"), () => renderMembers(view));
  renderRoles(view);
  keepFocus($("concerned-list"), () => renderConcerned(view));
  $("address-box").hidden = !view.address;
  $("address-local").hidden = view.address !== "local";
  $("address-free-field").hidden = view.address !== "free";
  const legend = view.address === "free" ? "destination_legend"
    : (MOVES.includes(visit.event) ? "new_address_legend" : "address_change");
  $("address-legend").textContent = t(legend);
  $("new-address-label").textContent = t(view.address === "free" ? "destination_legend" : "new_address_legend");
  if (view.address === "free" && document.activeElement !== $("address-free")) $("address-free").value = visit.new_address || "";
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
  renderUnresolved();
  updateSendButton();
  renderSteps();
}

// Redrawing a list must not lose the keyboard's place: the control that had the focus (known by
// its aria-label or its event) gets it back.
function keepFocus(container, render) {
  const key = (el) => el.getAttribute("aria-label") || el.dataset.event || null;
  const active = document.activeElement;
  const wanted = container.contains(active) ? key(active) : null;
  render();
  if (!wanted) return;
  const again = [...container.querySelectorAll("button, input, select")].find((el) => key(el) === wanted);
  if (again) again.focus();
}

function renderEvents() {
  const events = $("events"); events.replaceChildren();
  for (const { code } of state.lists.events) {
    const button = document.createElement("button");
    button.type = "button"; button.textContent = Lists.label("events", code, state.lang);
    button.className = state.visit.event === code ? "chosen" : "secondary";
    button.setAttribute("aria-pressed", String(state.visit.event === code));
    button.dataset.event = code;
    button.addEventListener("click", () => chooseEvent(code));
    events.append(button);
  }
}

// A date as the clerk reads it: 和暦, with 西暦 beside.
function dateCell(iso) {
  const td = document.createElement("td"); td.className = "date";
  if (!iso) { td.textContent = "—"; return td; }
  const small = document.createElement("small"); small.textContent = iso;
  td.append(Lists.wareki(iso), small);
  return td;
}

function memberLabel(member) {
  const role = member.newborn ? t("newborn") : member.relationship;
  if (!role) return member.name;
  return state.lang === "ja" ? `${member.name}（${role}）` : `${member.name} (${role})`;
}

function renderMembers(view) {
  const rows = $("member-rows"); rows.replaceChildren();
  $("add-newborn").hidden = !view.newborn;
  state.visit.members.forEach((member, index) => {
    const tr = document.createElement("tr");
    const readonly = new Set(member.read_only_fields);
    const cell = (text, field) => {
      const td = document.createElement("td"); td.textContent = text || "—";
      if (readonly.has(field)) { td.className = "readonly"; td.title = t("as_on_card"); }
      return td;
    };
    const birth = dateCell(member.birth_date);
    if (readonly.has("birth_date")) { birth.classList.add("readonly"); birth.title = t("as_on_card"); }
    const name = cell(member.name, "name");
    if (member.kana) {
      const kana = document.createElement("small"); kana.className = "kana"; kana.textContent = member.kana;
      if ((member.field_sources || {}).kana === "core") { kana.classList.add("from-core"); kana.title = t("from_core"); }
      name.append(kana);
    }
    if (member.newborn) name.append(` (${t("newborn")})`);
    if (member.deceased) name.append(" †");
    tr.append(name, birth, cell(Lists.label("sexes", member.sex, state.lang), "sex"));
    const rel = document.createElement("td");
    const input = document.createElement("input");
    input.value = member.relationship || ""; input.setAttribute("list", "relationships"); input.size = 6;
    input.setAttribute("aria-label", `${t("relationship")} ${member.name}`);
    input.addEventListener("change", () => patchMember(member.id, { relationship: input.value || null }));
    rel.append(input); tr.append(rel);
    const src = document.createElement("td");
    const badge = document.createElement("span");
    badge.className = `badge ${{ card: "card-src", core: "core-src" }[member.source] || ""}`;
    badge.textContent = t({ card: "card", core: "core", resident: "resident" }[member.source] || "staff");
    src.append(badge); tr.append(src);
    const actions = document.createElement("td");
    const remove = document.createElement("button");
    remove.type = "button"; remove.className = "secondary small"; remove.textContent = t("remove");
    remove.setAttribute("aria-label", `${t("remove")} ${member.name}`);
    remove.addEventListener("click", () => removeMember(member.id));
    actions.append(remove); tr.append(actions);
    tr.dataset.index = index;
    rows.append(tr);
  });  renderDifferences();
}

// Where the card and the core system disagree: both values, side by side; the clerk decides.
function renderDifferences() {
  const body = $("core-diff-rows"); body.replaceChildren();
  for (const member of state.visit.members) {
    for (const diff of member.core_differences || []) {
      const tr = document.createElement("tr");
      for (const text of [member.name, t(`diff_${diff.field}`), diff.card, diff.core]) {
        const td = document.createElement("td"); td.textContent = text || "—"; tr.append(td);
      }
      body.append(tr);
    }
  }
  $("core-diffs").hidden = !body.children.length;
}

// --- roles: who files, who is concerned -------------------------------------------------

// Step ②: who the event concerns (the movers, the couple, who changes household), ticked.
function renderConcerned(view) {
  const members = state.visit.members;
  $("concerned-box").hidden = !view.concerned || !members.length;
  const list = $("concerned-list"); list.replaceChildren();
  if (!view.concerned) return;
  $("concerned-legend").textContent = t(view.concerned);
  for (const member of members) {
    const label = document.createElement("label"); label.className = "inline";
    const box = document.createElement("input"); box.type = "checkbox"; box.className = "concerned";
    box.checked = member.concerned !== false && (member.concerned === true || MOVES.includes(state.visit.event));
    box.setAttribute("aria-label", `${t("concerned")} ${member.name}`);
    box.addEventListener("change", () => patchMember(member.id, { concerned: box.checked }));
    label.append(box, memberLabel(member));
    list.append(label);
  }
}

function fillSelect(select, options, chosen) {
  select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
  select.value = chosen;
}

function renderRoles(view) {
  const visit = state.visit; const members = visit.members;
  $("roles-box").hidden = !members.length;
  renderBirthData(view);
  $("deceased-field").hidden = !view.deceased;
  if (view.deceased) {
    const dead = members.findIndex((m) => m.deceased);
    fillSelect($("deceased"), [["", t("choose")], ...members.map((m, i) => [String(i), memberLabel(m)])],
      dead < 0 ? "" : String(dead));
  }
  const applicant = visit.applicant || {};
  const options = members.map((m, i) => [m, i]).filter(([m]) => m.may_file)
    .map(([m, i]) => [String(i), memberLabel(m) + (visit.applicant_chosen || applicant.member !== i ? "" : ` ${t("auto")}`)]);
  const outside = applicant.name && (applicant.member === null || applicant.member === undefined);
  fillSelect($("applicant"), [...options, ["other", t("outside")]],
    outside ? "other" : (applicant.member === null || applicant.member === undefined ? "" : String(applicant.member)));
  $("applicant-name-field").hidden = !outside && $("applicant").value !== "other";
  if (document.activeElement !== $("applicant-name")) $("applicant-name").value = outside ? applicant.name : "";
  if (document.activeElement !== $("applicant-rel")) $("applicant-rel").value = applicant.relationship || "";
  $("new-head-field").hidden = !view.newHead;
  if (view.newHead) {
    const survivors = members.filter((m) => !m.deceased && !m.newborn);
    fillSelect($("new-head"), [["", t("choose")], ...survivors.map((m) => [m.name, memberLabel(m)])],
      visit.new_household_head || "");
  }
  const rep = visit.representative;
  $("has-representative").checked = !!rep || $("has-representative").checked && !$("rep-name").value;
  $("rep-name-field").hidden = !$("has-representative").checked;
  if (document.activeElement !== $("rep-name")) $("rep-name").value = rep ? rep.name : "";
}

// The 出生届's data the counter can take down (the 出生届 itself is the 戸籍 office's form):
// where the child was born, the 本籍 and 筆頭者 of the register the child enters.
function renderBirthData(view) {
  const newborn = state.visit.members.find((m) => m.newborn);
  $("birth-box").hidden = !view.newborn || !newborn;
  if (!view.newborn || !newborn) return;
  const keep = (id, value) => { if (document.activeElement !== $(id)) $(id).value = value || ""; };
  keep("birth-place", state.visit.facts.birth_place);
  keep("domicile", newborn.domicile);
  keep("domicile-head", newborn.domicile_head);
}

async function changeBirthData(field) {
  const newborn = state.visit.members.find((m) => m.newborn);
  if (!newborn) return;
  const value = $(field).value.trim() || null;
  if (field === "birth-place") return patchVisit({ facts: { birth_place: value } });
  return patchMember(newborn.id, { [field === "domicile" ? "domicile" : "domicile_head"]: value });
}

async function chooseApplicant() {
  const value = $("applicant").value;
  if (value === "other") { $("applicant-name-field").hidden = false; $("applicant-name").focus(); return; }
  const member = state.visit.members[+value];
  await patchVisit({ applicant: { name: member.name, member: +value } });
}

async function changeApplicantDetails() {
  const value = $("applicant").value;
  const relationship = $("applicant-rel").value.trim() || null;
  if (value === "other") {
    const name = $("applicant-name").value.trim();
    if (name) await patchVisit({ applicant: { name, relationship } });
    return;
  }
  const member = state.visit.members[+value];
  if (member) await patchVisit({ applicant: { name: member.name, member: +value, relationship } });
}

async function chooseDeceased() {
  const chosen = $("deceased").value;
  const answers = {};
  if (chosen !== "") state.visit.members.forEach((m, i) => { answers[`members.${i}.deceased`] = String(i) === chosen; });
  if (Object.keys(answers).length) await postAnswers(answers);
}

async function changeRepresentative() {
  const on = $("has-representative").checked;
  $("rep-name-field").hidden = !on;
  const name = $("rep-name").value.trim();
  if (on && !name) { $("rep-name").focus(); return; }
  await patchVisit({ representative: on ? { name, power_of_attorney: true } : null });
}

async function chooseEvent(code) {
  let date;
  try { date = dateField("event-date"); } catch (error) { say(dateErrorText(error)); return; }
  // Without a typed date the server files it today, by the municipality's calendar.
  await patchVisit(date ? { event: code, event_date: date } : { event: code });
}

async function changeEventDate() {
  try {
    const date = dateField("event-date");
    if (date) { say(""); await patchVisit({ event_date: date }); }
  } catch (error) { say(dateErrorText(error)); }
}

async function patchMember(id, changes) {
  try {
    await showChange(await api("PATCH", `/api/v1/visits/${state.visit.id}/members/${id}`, changes));
  } catch (error) { fail(error); }
}

async function removeMember(id) {
  try { await api("DELETE", `/api/v1/visits/${state.visit.id}/members/${id}`); await refresh(); }
  catch (error) { fail(error); }
}

function openMemberForm(newborn) {
  state.newbornMode = newborn;
  $("member-form").hidden = false;
  $("member-form-title").textContent = newborn ? t("newborn_form") : "";
  $("m-rel").value = newborn ? "子" : "";
  if (newborn && state.visit.event_date) $("m-birth").value = Lists.wareki(state.visit.event_date);
  $("m-name").focus();
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
    if (state.newbornMode) body.concerned = true;
    let answer = await api("POST", `/api/v1/visits/${state.visit.id}/members`, body);
    // A birth's date is the newborn's date of birth: typed once.
    if (state.newbornMode && birth && birth !== state.visit.event_date) {
      answer = await api("PATCH", `/api/v1/visits/${state.visit.id}`, { event_date: birth });
    }
    const again = state.newbornMode ? "add-newborn" : "add-member";
    $("member-form").reset(); $("member-form").hidden = true; state.newbornMode = false; say("");
    await showChange(answer); $(again).focus();
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
    state.cardWaiting = job.id;
    const done = await waitForJob(job.id, (j) => {
      if (j.status === "queued" || j.status === "sent") status.textContent = t("reading");
    }).finally(() => { if (state.cardWaiting === job.id) state.cardWaiting = null; });
    if (state.cardJob !== job.id) return;
    if (done.status === "done") {
      status.textContent = t("card_done"); await refresh(); await matchCore(); return;
    }
    await cardFailed(done);
  } catch (error) {
    status.className = "status error";
    status.textContent = error.code === "agent_offline" ? t("agent_offline") : errorText(error);
  }
}

// After a card read: what the core system records fills what the card lacks (marked 基幹), and
// where they differ both show. Without a core system, or with it down, one calm line, once.
async function matchCore() {
  const status = $("card-status");
  const visitId = state.visit.id;
  status.textContent = `${t("card_done")} ${t("core_checking")}`;
  try {
    const result = await api("POST", `/api/v1/core/visits/${visitId}/match`);
    if (!state.visit || state.visit.id !== visitId) return;
    const lines = [t("card_done")];
    if (result.status === "matched") lines.push(t("core_matched"));
    if (result.moving_out) lines.push(t("core_moving_out")(result.moving_out));
    if (result.notice && state.coreNoticeFor !== visitId) {
      lines.push(T[state.lang][`core_${result.status}`] || result.notice); state.coreNoticeFor = visitId;
    }
    status.textContent = lines.join(" ");
    status.dataset.core = result.status;
    if (result.status === "matched") await refresh();
  } catch (error) {
    status.textContent = t("card_done");  // the card is read; the console carries on as before
  }
}

async function cardFailed(job) {
  const status = $("card-status");
  const error = job.error || { code: "unknown", message: "" };
  if (error.code === "last_try_refused") {
    status.textContent = errorText(error);
    if (await confirmDialog(t("last_try"))) return readCard(true);
    return;
  }
  status.className = "status error";
  status.textContent = errorText(error);
  status.dataset.code = error.code;
}

async function waitForJob(id, onProgress) {
  for (;;) {
    const job = await api("GET", `/api/v1/agent/jobs/${id}?wait=20`, undefined, { poll: true });
    if (job.status === "done" || job.status === "failed") return job;
    if (onProgress) onProgress(job);
    if (!job.agent_online && job.status !== "awaiting_pin") {
      const status = $("card-status");
      status.className = "status error"; status.textContent = t("agent_offline");
    }
  }
}

function confirmDialog(text, yes = t("continue"), no = t("back")) {
  return new Promise((resolve) => {
    const dialog = $("confirm-dialog");
    $("confirm-text").textContent = text;
    $("confirm-yes").textContent = yes; $("confirm-no").textContent = no;
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

async function changeFreeAddress() {
  const text = $("address-free").value.trim();
  await patchVisit({ new_address: text || null });
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

async function loadGuidance(seq, answered = null) {
  const questions = $("questions"); const procedures = $("procedures");
  if (!state.visit.event) {
    state.openQuestions = []; questions.replaceChildren(); procedures.replaceChildren(); updateSendButton(); return;
  }
  let result = answered;
  if (!result) {
    try { result = await api("POST", `/api/v1/visits/${state.visit.id}/guidance`); }
    catch (error) { questions.textContent = error.message; return; }
  }
  if (seq !== undefined && seq !== state.seq) return;  // stale: a later answer is rendering
  state.guidance = result;
  state.questionTexts = Object.fromEntries(result.questions.map((q) => [q.id, questionText(q)]));
  renderQuestions(result.questions);
  renderProcedures();
  renderUnresolved();
  updateSendButton();
}

// A catalog text in the screen's language: a field ``name_en`` or a ``{ja, en}`` object when the
// catalog has one; otherwise the Japanese as written.
function catalogText(item, field) {
  const value = item[field];
  if (value && typeof value === "object") return value[state.lang] || value.ja;
  return item[`${field}_${state.lang}`] || value;
}

function hasEnglish(item, field) {
  const value = item[field];
  return !!((value && typeof value === "object" && value.en) || item[`${field}_en`]);
}

function renderProcedures() {
  const procedures = $("procedures"); procedures.replaceChildren();
  const all = (state.guidance && state.guidance.procedures) || [];
  for (const p of all) {
    const li = document.createElement("li");
    const name = document.createElement("strong"); name.textContent = catalogText(p, "name");
    const where = document.createElement("span"); where.textContent = ` — ${catalogText(p.counter, "name")}`;
    const reason = document.createElement("div"); reason.className = "reason";
    reason.textContent = (catalogText(p, "reasons") || []).join(" / ");
    li.append(name, where, reason); procedures.append(li);
  }
  const summary = $("procedures-summary");
  summary.replaceChildren(...all.map((p) => {
    const li = document.createElement("li"); li.textContent = `${catalogText(p, "name")} — ${catalogText(p.counter, "name")}`;
    return li;
  }));
  const totals = state.guidance && state.guidance.totals;
  $("summary-totals").textContent = totals && all.length ? t("totals")(totals) : "";
  // English screen, Japanese-only catalog: said once, plainly, rather than half-translated.
  $("catalog-ja-only").hidden = state.lang === "ja" || !all.length || all.every((p) => hasEnglish(p, "name"));
}

function questionText(question) {
  const text = question.text[state.lang] || question.text.ja;
  const field = question.id.split(".").pop();
  return OWN_CONTROL.has(field) ? text.replace(/\s*[（(][^（()）]*[)）]\s*$/, "") : text;
}

// Questions per member (the household's first), each answered where it is asked.
function renderQuestions(all) {
  const box = $("questions");
  const unresolved = new Set((state.visit.unresolved || []).map((u) => u.question));
  const open = all.filter((q) => !unresolved.has(q.id));
  state.openQuestions = open;
  // The same questions stay the same controls: the clerk's focus and place are kept.
  const key = JSON.stringify([state.lang, state.visit.members.map(memberLabel), open]);
  if (key === state.questionsKey) return;
  state.questionsKey = key;
  // The keyboard's place: an answered question leaves, the focus goes to the one now in its row.
  const rows = [...box.querySelectorAll(".question")];
  const inRow = rows.findIndex((row) => row.contains(document.activeElement));
  const place = inRow >= 0 ? inRow : (box.contains(document.activeElement) ? 0 : -1);  // 0: from 「残りはすべて…」
  box.replaceChildren();
  $("no-questions").hidden = open.length > 0;
  const groups = new Map();
  for (const q of open) {
    const key = q.member === null || q.member === undefined ? -1 : q.member;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(q);
  }
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const group = document.createElement("div"); group.className = "qgroup";
    const member = state.visit.members[key];
    const title = document.createElement("h3");
    title.textContent = key < 0 || !member ? t("household_questions") : memberLabel(member);
    group.append(title);
    for (const question of groups.get(key)) group.append(renderQuestion(question));
    box.append(group);
  }
  const bools = open.filter((q) => q.type === "bool");
  if (bools.length > 1) {
    const allNo = document.createElement("button");
    allNo.type = "button"; allNo.className = "secondary"; allNo.id = "all-no"; allNo.textContent = t("all_no");
    allNo.addEventListener("click", () => answerAll(bools, false));
    box.append(allNo);
  }
  if (place >= 0) {
    const now = [...box.querySelectorAll(".question")];
    const row = now[Math.min(place, now.length - 1)];
    const target = row ? row.querySelector("button, select, input") : $("step-next");
    if (target) target.focus();
  }
}

function choiceLabel(field, code) {
  const labels = t(`choice_${field}`);
  return (labels && typeof labels === "object" && labels[code]) || code;
}

// Country names in the screen's language (the browser's own table), built once per language.
const countryNames = {};
function countries() {
  if (countryNames[state.lang]) return countryNames[state.lang];
  let names;
  try { names = new Intl.DisplayNames([state.lang], { type: "region" }); } catch (error) { names = null; }
  const name = (code) => (names && names.of(code)) || code;
  const common = COMMON_COUNTRIES.map((code) => [name(code), code]);
  const rest = ALL_COUNTRIES.filter((c) => !COMMON_COUNTRIES.includes(c))
    .map((code) => [name(code), code]).sort((a, b) => a[0].localeCompare(b[0], state.lang));
  countryNames[state.lang] = { common, rest };
  return countryNames[state.lang];
}

function countrySelect() {
  const { common, rest } = countries();
  const select = document.createElement("select");
  select.append(new Option("—", ""));
  for (const [name, code] of common) select.append(new Option(name, code));
  const others = document.createElement("optgroup"); others.label = t("other_countries");
  for (const [name, code] of rest) others.append(new Option(name, code));
  select.append(others);
  return select;
}

function renderQuestion(question) {
  const row = document.createElement("div"); row.className = "question"; row.dataset.question = question.id;
  const text = document.createElement("span");
  text.textContent = questionText(question);
  const controls = document.createElement("span"); controls.className = "answer";
  row.append(text, controls);
  const field = question.id.split(".").pop();
  if (question.type === "bool") {
    for (const [label, value] of [["yes", true], ["no", false]]) {
      const button = document.createElement("button");
      button.type = "button"; button.className = "secondary small"; button.textContent = t(label);
      button.setAttribute("aria-label", `${text.textContent}: ${t(label)}`);
      button.addEventListener("click", () => answer(question, value));
      controls.append(button);
    }
  } else if (field === "nationality" || question.type === "choice") {
    const select = field === "nationality" ? countrySelect() : document.createElement("select");
    if (field !== "nationality") {
      select.append(new Option("—", ""));
      for (const choice of question.choices) select.append(new Option(choiceLabel(field, choice), choice));
    }
    select.setAttribute("aria-label", text.textContent);
    select.addEventListener("change", () => select.value && answer(question, select.value));
    controls.append(select);
  } else {
    const input = document.createElement("input");
    input.setAttribute("aria-label", text.textContent);
    if (field === "relationship") input.setAttribute("list", "relationships");
    if (field === "birth_date") input.placeholder = "S55.2.17 / 1980-02-17";
    if (question.type === "int") { input.type = "number"; input.className = "num"; }
    input.addEventListener("change", () => {
      let value = question.type === "int" ? +input.value : input.value.trim();
      if (field === "birth_date") {
        try { value = Lists.parseDate(input.value); } catch (error) { say(dateErrorText(error)); return; }
      }
      if (value !== "") answer(question, value);
    });
    controls.append(input);
  }
  const unsure = document.createElement("button");
  unsure.type = "button"; unsure.className = "secondary small unsure"; unsure.textContent = t("unsure");
  unsure.setAttribute("aria-label", `${text.textContent}: ${t("unsure")}`);
  unsure.addEventListener("click", () => markUnresolved(question));
  controls.append(unsure);
  return row;
}

// 「確認できない」: the question stays unanswered, with the reason, for the back office.
async function markUnresolved(question) {
  const dialog = $("unresolved-dialog");
  $("unresolved-question").textContent = questionText(question);
  $("unresolved-reason").value = "";
  const chosen = await new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
    dialog.showModal(); $("unresolved-reason").focus();
  });
  const reason = $("unresolved-reason").value.trim();
  if (!chosen || !reason) return;
  const unresolved = [...(state.visit.unresolved || []).filter((u) => u.question !== question.id),
    { question: question.id, reason }];
  await patchVisit({ unresolved });
}

function renderUnresolved() {
  const list = $("unresolved-list"); list.replaceChildren();
  const items = state.visit.unresolved || [];
  $("unresolved-box").hidden = !items.length;
  for (const item of items) {
    const li = document.createElement("li");
    const text = (state.questionTexts && state.questionTexts[item.question]) || item.question;
    li.append(`${text} — ${item.reason || ""} `);
    const undo = document.createElement("button");
    undo.type = "button"; undo.className = "secondary small"; undo.textContent = t("undo");
    undo.setAttribute("aria-label", `${t("undo")}: ${text}`);
    undo.addEventListener("click", () => patchVisit({
      unresolved: (state.visit.unresolved || []).filter((u) => u.question !== item.question) }));
    li.append(undo); list.append(li);
  }
}

// 「タブレットで確認」 waits until every question that changes the list is answered (or marked
// 「確認できない」) and nothing contradicts the event; the list says what, each with a way there.
function updateSendButton() {
  if (!state.visit) return;
  const reasons = [];
  const open = state.openQuestions || [];
  if (open.length) {  // one line, however many: step ③ lists them per member
    reasons.push([t("reason_question"), t("questions_left")(open.length), () => focusQuestion(open[0].id)]);
  }
  for (const finding of blockingFindings()) {
    reasons.push([t("reason_finding"), findingText(finding, "message"), () => fixFinding(finding)]);
  }
  if (state.forms && !state.forms.length && state.visit.event) reasons.push([t("reason_finding"), t("no_forms"), null]);
  const list = $("open-list"); list.replaceChildren();
  for (const [kind, text, go] of reasons) {
    const li = document.createElement("li");
    const label = document.createElement("span"); label.className = "strong"; label.textContent = `${kind}: `;
    li.append(label);
    if (go) {
      const link = document.createElement("a"); link.href = "#"; link.textContent = text;
      link.addEventListener("click", (event) => { event.preventDefault(); go(); });
      li.append(link);
    } else li.append(text);
    list.append(li);
  }
  $("open-block").hidden = !reasons.length || ["signed", "closed"].includes(state.visit.status);
  $("open-block-text").textContent = t("send_blocked")(reasons.length);
  $("send-tablet").disabled = state.visit.status === "signed" || reasons.length > 0;
}

async function focusQuestion(id) {
  if (state.step !== "questions") await goStep("questions");
  const row = `[data-question="${CSS.escape(id)}"]`;
  const target = document.querySelector(`${row} button, ${row} select, ${row} input`);
  if (target) { target.scrollIntoView({ block: "center" }); target.focus(); }
}

// --- consistency findings (step ④) ----------------------------------------------------------

async function loadChecks(seq) {
  let checks = null;
  try { checks = await api("GET", `/api/v1/visits/${state.visit.id}/checks`); } catch (error) { /* shown on sending */ }
  if (seq !== undefined && seq !== state.seq) return;
  state.checks = checks;
  renderFindings();
}

function blockingFindings() {
  return ((state.checks && state.checks.findings) || []).filter((f) => f.severity === "block");
}

function findingText(finding, field) {
  return (state.lang !== "ja" && finding[`${field}_en`]) || finding[field];
}

function renderFindings() {
  const list = $("findings"); list.replaceChildren();
  const findings = (state.checks && state.checks.findings) || [];
  $("no-findings").hidden = !state.checks || findings.length > 0;
  for (const finding of findings) {
    const li = document.createElement("li"); li.className = finding.severity; li.dataset.code = finding.code;
    const severity = document.createElement("span"); severity.className = "severity";
    severity.textContent = t(finding.severity === "block" ? "severity_block" : "severity_warn");
    const how = document.createElement("span"); how.className = "how";
    how.textContent = `→ ${findingText(finding, "how_to_proceed")}`;
    li.append(severity, findingText(finding, "message"));
    if (findingStep(finding)) {
      const fix = document.createElement("button");
      fix.type = "button"; fix.className = "secondary small"; fix.textContent = t("fix");
      fix.setAttribute("aria-label", `${t("fix")}: ${findingText(finding, "message")}`);
      fix.addEventListener("click", () => fixFinding(finding));
      li.append(fix);
    }
    li.append(how); list.append(li);
  }
}

// Where a finding's field is entered: [step, the control to focus].
function findingStep(finding) {
  const field = finding.field || "";
  const member = /^members\.(\d+)/.exec(field);
  if (field === "event") return ["intake", "#events button"];
  if (field === "event_date") return ["intake", "#event-date"];  // filed_on is the server's day: nothing to fix here
  if (member && field.endsWith(".deceased")) return ["roles", "#deceased"];
  if (member) {
    const name = (state.visit.members[+member[1]] || {}).name;
    return ["intake", name ? `#member-rows input[aria-label="${CSS.escape(`${t("relationship")} ${name}`)}"]` : "#member-rows"];
  }
  if (field === "members" || field === "household_head") return ["intake", "#member-rows input"];
  if (["new_address", "previous_address"].includes(field)) return ["roles", "#area:not([hidden]), #address-free, #block"];
  if (field.startsWith("applicant")) return ["roles", "#applicant"];
  if (field === "new_household_head") return ["roles", "#new-head"];
  if (field.startsWith("certificates") || field === "address_on_january_first") return ["roles", "#cert-tax"];
  return null;
}

async function fixFinding(finding) {
  const where = findingStep(finding);
  if (!where) return;
  await goStep(where[0]);
  const target = [...document.querySelectorAll(where[1])].find((el) => el.offsetParent !== null);
  if (target) target.focus();
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
    await showChange(await api("POST", `/api/v1/visits/${state.visit.id}/answers`, { answers }));
  } catch (error) { fail(error); }
}

async function loadForms(seq) {
  const list = $("forms");
  if (!state.visit.event) { list.replaceChildren(); return; }
  let forms;
  try { forms = await api("GET", `/api/v1/visits/${state.visit.id}/forms`); } catch (error) { return; }
  if (seq !== undefined && seq !== state.seq) return;
  state.forms = forms.forms;
  list.replaceChildren();
  for (const form of forms.forms) {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/api/v1/visits/${state.visit.id}/forms/${form.form}/preview`;
    link.target = "_blank"; link.rel = "noopener"; link.textContent = `${form.title}（${t("preview")}）`;
    li.append(link); list.append(li);
  }
  $("foreign-checklists").replaceChildren(...foreignChecklists());
}

// The resident's copy of the procedures in their language, Japanese beside each line (PDF).
const CHECKLIST_LANGUAGES = [["en", "English"], ["zh", "中文"], ["ko", "한국어"], ["vi", "Tiếng Việt"], ["pt", "Português"]];

function foreignChecklists() {
  const parts = [`${t("checklist_foreign")}: `];
  for (const [code, name] of CHECKLIST_LANGUAGES) {
    const link = document.createElement("a");
    link.href = `/api/v1/visits/${state.visit.id}/checklist?lang=${code}`;
    link.target = "_blank"; link.rel = "noopener"; link.lang = code; link.textContent = name;
    parts.push(link, " ");
  }
  return parts;
}

// --- tablet, documents, print, hand-off -----------------------------------------------

async function sendToTablet() {
  try {
    await api("POST", `/api/v1/visits/${state.visit.id}/confirm`);
    state.visit.status = "confirming"; await goStep("sign");
    $("tablet-status").className = "status big-status";
    $("tablet-status").textContent = state.tabletOnline === false ? t("tablet_offline") : t("sent_tablet");
    if (state.tabletOnline === false) $("tablet-status").className = "status big-status error";
    waitForSignature();
  } catch (error) {
    fail(error);  // questions_open or visit_inconsistent: the reasons, refreshed, say what to do
    if (["questions_open", "visit_inconsistent"].includes(error.code)) await refresh();
  }
}

function waitForSignature() {
  const visitId = state.visit.id;
  if (state.waitingSign === visitId) return;  // already waiting (another visit's wait is replaced)
  state.waitingSign = visitId;
  // One long-poll of the status and the tablet (no personal data, not audited); the visit
  // itself is read once it is signed.
  longPoll("signature", `/api/v1/tablet/visits/${visitId}/signature-wait`, async (wait) => {
    if (!state.visit || state.visit.id !== visitId) {  // the clerk moved on to another visit
      if (state.waitingSign === visitId) state.waitingSign = null;
      return false;
    }
    if (wait.status === "signed") {
      stopLongPoll("signature"); state.waitingSign = null;
      // The visit, its guidance and the signed documents in one request.
      const { guidance, documents, ...visit } = await api("GET", `/api/v1/visits/${visitId}/with-guidance?documents=true`);
      state.visit = visit;
      $("tablet-status").textContent = t("signed");
      showDocuments(documents); await goStep("done", guidance); return false;
    }
    if (wait.status !== "confirming") { state.waitingSign = null; return false; }
    if (!wait.tablet.online) {
      $("tablet-status").className = "status big-status error"; $("tablet-status").textContent = t("tablet_offline");
    } else if ($("tablet-status").className.includes("error")) {
      $("tablet-status").className = "status big-status"; $("tablet-status").textContent = t("sent_tablet");
    }
    return true;
  });
}

async function loadDocuments() {
  showDocuments(await api("GET", `/api/v1/visits/${state.visit.id}/documents`));
}

function showDocuments(documents) {
  const list = $("documents"); list.replaceChildren();
  for (const d of documents) {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/api/v1/visits/${state.visit.id}/documents/${d.id}`;
    link.textContent = d.title;
    const file = document.createElement("small"); file.textContent = d.filename;
    file.title = `SHA-256 ${d.sha256}`;  // for machines and audits, not for reading aloud
    li.append(link, file); list.append(li);
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
    status.className = "status error"; status.textContent = done.error ? errorText(done.error) : "";
    status.dataset.code = done.error ? done.error.code : "";
    if (done.reprintable) { state.printJob = done.id; $("reprint").hidden = false; $("reprint").focus(); }
  } catch (error) {
    status.className = "status error";
    status.textContent = error.code === "agent_offline" ? t("agent_offline") : errorText(error);
  }
}

// --- what the back office did: returns (差戻し) on the first screen, states on the visit ----

function workState(item) {
  if (item.state === "done") return "work_done";
  return item.state === "returned" ? "work_returned" : "work_open";
}

async function loadReturns() {
  const box = $("returns");
  let cases = [];
  try { cases = await api("GET", "/api/v1/work-items/returned", undefined, { poll: true }); }
  catch (error) { box.hidden = true; return; }
  const list = $("returns-list"); list.replaceChildren();
  for (const found of cases) {
    for (const item of found.work_items.filter((i) => i.state === "returned")) {
      const li = document.createElement("li");
      const label = document.createElement("span"); label.className = "ticket";
      label.textContent = found.reception_label || "";
      const what = document.createElement("span");
      what.textContent = `${item.procedure_name}（${item.department}）`;
      const reason = document.createElement("span"); reason.className = "reason";
      reason.textContent = item.return_reason || "";
      const open = document.createElement("button");
      open.type = "button"; open.className = "secondary small"; open.textContent = t("open_visit");
      open.setAttribute("aria-label", `${t("open_visit")} ${found.reception_label || ""}`);
      open.addEventListener("click", () => loadVisit(found.visit_id).catch(fail));
      li.append(label, what, reason, open);
      list.append(li);
    }
  }
  $("returns-count").textContent = t("returns_count")(list.children.length);
  box.hidden = !list.children.length;
}

async function loadWorkItems() {
  const box = $("work-box");
  const visitId = state.visit && state.visit.id;
  if (!visitId || state.visit.status !== "closed") { box.hidden = true; return; }
  let items = [];
  try { items = await api("GET", `/api/v1/visits/${visitId}/work-items`, undefined, { poll: true }); }
  catch (error) { box.hidden = true; return; }
  const list = $("work-list"); list.replaceChildren();
  for (const item of items) {
    const li = document.createElement("li"); li.dataset.state = item.state;
    const chip = document.createElement("span"); chip.className = `chip ${item.state}`;
    chip.textContent = t(workState(item));
    li.append(chip, ` ${item.procedure_name}（${item.department}）`);
    if (item.return_reason) {
      const reason = document.createElement("span"); reason.className = "reason";
      reason.textContent = `${t("return_reason")}: ${item.return_reason}`;
      li.append(" ", reason);
    }
    list.append(li);
  }
  box.hidden = !items.length;
}

async function handoff() {
  try {
    await api("POST", `/api/v1/visits/${state.visit.id}/handoff`);
    state.visit = null; show("idle"); say(t("handed_off"), "info");
  } catch (error) { fail(error); }
}

async function abandon() {
  if (!(await confirmDialog(t("abandon_confirm"), t("abandon_yes"), t("back")))) return;
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
  $("add-member").addEventListener("click", () => openMemberForm(false));
  $("add-newborn").addEventListener("click", () => openMemberForm(true));
  $("applicant").addEventListener("change", chooseApplicant);
  $("applicant-name").addEventListener("change", changeApplicantDetails);
  $("applicant-rel").addEventListener("change", changeApplicantDetails);
  $("deceased").addEventListener("change", chooseDeceased);
  for (const id of ["birth-place", "domicile", "domicile-head"]) $(id).addEventListener("change", () => changeBirthData(id));
  $("new-head").addEventListener("change", () => patchVisit({ new_household_head: $("new-head").value || null }));
  $("has-representative").addEventListener("change", changeRepresentative);
  $("rep-name").addEventListener("change", changeRepresentative);
  $("address-free").addEventListener("change", changeFreeAddress);
  $("member-cancel").addEventListener("click", () => { $("member-form").hidden = true; $("add-member").focus(); });
  $("member-form").addEventListener("submit", addMember);
  $("m-kana").addEventListener("blur", () => { $("m-kana").value = toKatakana($("m-kana").value); });
  $("area").addEventListener("change", changeAddress);
  $("block").addEventListener("change", changeAddress);
  for (const id of ["cert-residence", "cert-residence-copies", "cert-tax", "cert-tax-year"]) {
    $(id).addEventListener("change", changeCertificates);
  }
  $("send-tablet").addEventListener("click", sendToTablet);
  $("step-next").addEventListener("click", () => goStep(neighbourStep(1)));
  $("step-back").addEventListener("click", () => goStep(neighbourStep(-1)));
  for (const button of $("steps").querySelectorAll("button")) {
    button.addEventListener("click", () => goStep(button.dataset.step));
  }
  $("print").addEventListener("click", () => printSlip());
  $("reprint").addEventListener("click", () => printSlip(state.printJob));
  $("handoff").addEventListener("click", handoff);
  $("abandon").addEventListener("click", abandon);
  $("work-back").addEventListener("click", () => { state.visit = null; show("idle"); });
}

document.addEventListener("DOMContentLoaded", async () => {
  if (localStorage.getItem("staff.large")) document.documentElement.classList.add("large");
  bind(); applyLanguage(); start();
});
