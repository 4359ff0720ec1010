// Resident tablet, paired with one counter: PIN entry, the data to confirm in large type in the
// resident's language, and ONE signature (signature_pad) for every form of the visit. The names of
// events, sexes and certificates and the 和暦 eras come from the server (/common/lists.js).
"use strict";

const LANGS = [["ja", "日本語"], ["en", "English"], ["zh-Hans", "中文"], ["ko", "한국어"], ["vi", "Tiếng Việt"], ["pt", "Português"]];
const T = {
  ja: { pair_title: "端末の登録", pair_token: "端末トークン", pair_save: "登録する", welcome: "ようこそ",
    welcome_text: "係員がご案内します。しばらくお待ちください。",
    pin_title: "マイナンバーカードの暗証番号（数字4桁）を入力してください",
    pin_hint: "券面事項入力補助用の暗証番号です。係員には見えません。", ok: "決定", fix: "訂正",
    reading: "カードを読み取っています。カードを動かさないでください。",
    confirm_title: "内容をご確認ください", forms_title: "作成する書類",
    sign_title: "よろしければ、枠の中に署名してください（1回だけ）",
    sign_text: "この署名は上のすべての書類に使われます。", clear: "書き直す", sign: "署名して確定する",
    thanks: "ありがとうございました", thanks_text: "署名を受け付けました。係員からお受け取りください。",
    event: "届出", event_date: "異動日", new_address: "新しい住所", previous_address: "前の住所",
    member: "お名前", birth: "生年月日", sex: "性別", relationship: "続柄", applicant: "届出人",
    certificates: "証明書", copies: "通", empty: "署名欄に署名してください。",
    offline: "サーバーに接続できません。係員にお知らせください。", not_paired: "この端末は登録されていません。係員にお知らせください。",
    wrong_pin: "暗証番号が違います。", tries_left: "あと {n} 回間違えるとロックされます。",
    pin_blocked: "暗証番号がロックされています。係員にお知らせください。" },
  en: { pair_title: "Register this tablet", pair_token: "Device token", pair_save: "Register", welcome: "Welcome",
    welcome_text: "A member of staff will help you. Please wait a moment.",
    pin_title: "Enter your My Number Card PIN (4 digits)",
    pin_hint: "The PIN for the card's information-entry function. Staff cannot see it.", ok: "OK", fix: "Delete",
    reading: "Reading your card. Please do not move it.",
    confirm_title: "Please check the details", forms_title: "Documents to be made",
    sign_title: "If everything is correct, please sign in the box (once)",
    sign_text: "This one signature is used on all the documents above.", clear: "Clear", sign: "Sign and confirm",
    thanks: "Thank you", thanks_text: "Your signature has been received. Staff will hand you your documents.",
    event: "Notification", event_date: "Date of the change", new_address: "New address", previous_address: "Previous address",
    member: "Name", birth: "Date of birth", sex: "Sex", relationship: "Relationship", applicant: "Applicant",
    certificates: "Certificates", copies: "copies", empty: "Please sign in the box.",
    offline: "Cannot reach the server. Please tell a member of staff.", not_paired: "This tablet is not registered. Please tell a member of staff.",
    wrong_pin: "Wrong PIN.", tries_left: "{n} more wrong tries will lock the card.",
    pin_blocked: "The PIN is locked. Please tell a member of staff." },
  "zh-Hans": { confirm_title: "请确认以下内容", forms_title: "将制作的文件", sign_title: "如内容无误，请在框内签名（仅一次）",
    sign_text: "此签名将用于以上所有文件。", clear: "重写", sign: "签名并确认", thanks: "谢谢", event: "申报",
    event_date: "变更日期", new_address: "新地址", previous_address: "原地址", member: "姓名", birth: "出生日期",
    sex: "性别", relationship: "与户主关系", applicant: "申报人", certificates: "证明书", copies: "份",
    empty: "请在框内签名。" },
  ko: { confirm_title: "내용을 확인해 주십시오", forms_title: "작성할 서류", sign_title: "내용이 맞으면 칸 안에 서명해 주십시오 (1회)",
    sign_text: "이 서명은 위의 모든 서류에 사용됩니다.", clear: "다시 쓰기", sign: "서명하고 확정", thanks: "감사합니다",
    event: "신고", event_date: "변경일", new_address: "새 주소", previous_address: "이전 주소", member: "성명",
    birth: "생년월일", sex: "성별", relationship: "관계", applicant: "신고인", certificates: "증명서", copies: "통",
    empty: "칸 안에 서명해 주십시오." },
  vi: { confirm_title: "Vui lòng kiểm tra nội dung", forms_title: "Giấy tờ sẽ được lập",
    sign_title: "Nếu nội dung đúng, vui lòng ký vào ô (một lần)", sign_text: "Chữ ký này được dùng cho tất cả giấy tờ ở trên.",
    clear: "Ký lại", sign: "Ký và xác nhận", thanks: "Xin cảm ơn", event: "Thủ tục", event_date: "Ngày thay đổi",
    new_address: "Địa chỉ mới", previous_address: "Địa chỉ cũ", member: "Họ tên", birth: "Ngày sinh", sex: "Giới tính",
    relationship: "Quan hệ", applicant: "Người khai", certificates: "Giấy chứng nhận", copies: "bản",
    empty: "Vui lòng ký vào ô." },
  pt: { confirm_title: "Confira os dados, por favor", forms_title: "Documentos que serão feitos",
    sign_title: "Se estiver tudo certo, assine no quadro (uma vez)", sign_text: "Esta assinatura é usada em todos os documentos acima.",
    clear: "Apagar", sign: "Assinar e confirmar", thanks: "Obrigado", event: "Declaração", event_date: "Data da mudança",
    new_address: "Novo endereço", previous_address: "Endereço anterior", member: "Nome", birth: "Data de nascimento",
    sex: "Sexo", relationship: "Parentesco", applicant: "Declarante", certificates: "Certidões", copies: "via(s)",
    empty: "Assine no quadro, por favor." },
};

const state = { lang: "ja", token: null, pad: null, shownVisit: null, pinJob: null, submittedPin: null,
  pin: "", lastError: null };
const $ = (id) => document.getElementById(id);
const t = (key) => (T[state.lang] && T[state.lang][key]) || T.en[key] && state.lang !== "ja" && T.en[key] || T.ja[key] || key;

function show(id) {
  for (const section of ["pair", "welcome", "pin", "reading", "confirm", "thanks"]) $(section).hidden = section !== id;
  state.screen = id;
}

function say(text) { $("message").textContent = text || ""; $("message").hidden = !text; }

async function api(method, url, body) {
  const headers = { authorization: `Bearer ${state.token}`, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) { const e = new Error((data && data.error && data.error.message) || response.status); e.status = response.status; e.code = data && data.error && data.error.code; throw e; }
  return data;
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const button of $("languages").children) button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
  if (state.lastView && state.lastView.visit) renderRecord(state.lastView.visit);
  renderPad();
}

// --- the PIN pad ----------------------------------------------------------------------

function renderPad() {
  const pad = $("pin-pad"); pad.replaceChildren();
  for (const key of ["1", "2", "3", "4", "5", "6", "7", "8", "9", "fix", "0", "ok"]) {
    const button = document.createElement("button");
    button.type = "button"; button.textContent = key.length === 1 ? key : t(key);
    button.dataset.key = key;
    if (key === "fix") button.className = "secondary";
    button.addEventListener("click", () => pressKey(key));
    pad.append(button);
  }
  $("pin-dots").textContent = "●".repeat(state.pin.length) + "○".repeat(4 - state.pin.length);
}

async function pressKey(key) {
  if (key === "fix") state.pin = state.pin.slice(0, -1);
  else if (key === "ok") return submitPin();
  else if (state.pin.length < 4) state.pin += key;
  $("pin-dots").textContent = "●".repeat(state.pin.length) + "○".repeat(4 - state.pin.length);
  if (state.pin.length === 4 && key !== "fix") return submitPin();
}

async function submitPin() {
  if (state.pin.length !== 4 || !state.pinJob) return;
  const pin = state.pin; state.pin = "";
  try {
    await api("POST", `/api/v1/agent/jobs/${state.pinJob}/pin`, { pin });
    state.submittedPin = state.pinJob; show("reading");
  } catch (error) { $("pin-error").textContent = error.message; $("pin-error").hidden = false; renderPad(); }
}

function cardMessage(job) {
  const error = job.error || {};
  if (state.lang === "ja") return error.message || "";
  if (error.code === "wrong_pin") return `${t("wrong_pin")} ${t("tries_left").replace("{n}", error.retries_left)}`;
  if (error.code === "pin_blocked") return t("pin_blocked");
  return error.message || "";
}

// --- the confirmation -----------------------------------------------------------------

function wareki(isoDate) {
  if (!isoDate) return "";
  const text = Lists.wareki(isoDate);
  return text === isoDate ? isoDate : `${text}（${isoDate}）`;
}

function addRow(list, label, value) {
  if (!value) return;
  const dt = document.createElement("dt"); dt.textContent = label;
  const dd = document.createElement("dd"); dd.textContent = value;
  list.append(dt, dd);
}

function renderRecord(visit) {
  const record = visit.record;
  const list = $("record"); list.replaceChildren();
  addRow(list, t("event"), Lists.label("events", record.event, state.lang));
  addRow(list, t("event_date"), wareki(record.event_date));
  addRow(list, t("new_address"), record.new_address);
  addRow(list, t("previous_address"), record.previous_address);
  for (const member of record.members) {
    const sex = Lists.label("sexes", member.sex, state.lang);
    addRow(list, t("member"), [member.name, member.kana ? `（${member.kana}）` : ""].join(""));
    addRow(list, `　${t("birth")}`, wareki(member.birth_date));
    addRow(list, `　${t("sex")} / ${t("relationship")}`, [sex, member.relationship].filter(Boolean).join(" / "));
  }
  if (record.applicant) addRow(list, t("applicant"), record.applicant.name);
  const certs = (record.certificates || []).map(
    (c) => `${Lists.label("certificate_kinds", c.kind, state.lang)} ${c.copies || 1}${t("copies")}`);
  addRow(list, t("certificates"), certs.join("、"));
  const forms = $("forms"); forms.replaceChildren();
  for (const form of visit.forms) { const li = document.createElement("li"); li.textContent = form.title; forms.append(li); }
}

function setUpPad() {
  const canvas = $("signature");
  const ratio = Math.max(window.devicePixelRatio || 1, 1);
  canvas.width = canvas.offsetWidth * ratio; canvas.height = canvas.offsetHeight * ratio;
  canvas.getContext("2d").scale(ratio, ratio);
  if (!state.pad) state.pad = new window.SignaturePad(canvas, { minWidth: 1, maxWidth: 3.5 });
  state.pad.clear();
}

async function submitSignature() {
  if (!state.pad || state.pad.isEmpty()) { say(t("empty")); return; }
  const canvas = $("signature");
  const strokes = state.pad.toData().map((group) => ({
    points: group.points.map((p) => ({ x: p.x, y: p.y, pressure: p.pressure, time: p.time })),
  }));
  const signature = { width: canvas.offsetWidth, height: canvas.offsetHeight, strokes,
    png_base64: state.pad.toDataURL("image/png").split(",")[1], device: "tablet" };
  $("submit-signature").disabled = true;
  try {
    await api("POST", `/api/v1/tablet/visits/${state.shownVisit}/signature`, { signature });
    say(""); show("thanks");
  } catch (error) { say(error.message); }
  finally { $("submit-signature").disabled = false; }
}

// --- the loop -------------------------------------------------------------------------

async function tick() {
  try {
    await Lists.load();  // once; until it answers the tablet says it is offline and retries
    const view = await api("GET", "/api/v1/tablet/current");
    state.lastView = view; say("");
    $("counter-name").textContent = view.counter || "";
    route(view);
  } catch (error) {
    if (error.status === 401 || error.status === 403) { say(t("not_paired")); show("pair"); return; }
    say(t("offline"));
  }
  setTimeout(tick, 1000);
}

function route(view) {
  const read = view.card_read;
  if (view.pin_request) {
    if (state.pinJob !== view.pin_request.id) { state.pinJob = view.pin_request.id; state.pin = ""; renderPad(); }
    if (state.screen !== "pin") { $("pin-error").hidden = !state.lastError; $("pin-error").textContent = state.lastError || ""; show("pin"); }
    return;
  }
  if (read && read.id === state.submittedPin) {
    if (read.status === "queued" || read.status === "sent") { show("reading"); return; }
    state.submittedPin = null;
    state.lastError = read.status === "failed" ? cardMessage(read) : null;
    if (state.lastError) say(state.lastError);
  }
  if (view.visit && view.visit.status === "confirming") {
    if (state.shownVisit !== view.visit.id || state.screen !== "confirm") {
      state.shownVisit = view.visit.id; renderRecord(view.visit); show("confirm"); setUpPad();
    }
    return;
  }
  if (view.visit && view.visit.status === "signed") { if (state.screen !== "thanks") show("thanks"); return; }
  if (state.screen !== "welcome") { state.shownVisit = null; show("welcome"); }
}

document.addEventListener("DOMContentLoaded", () => {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("token")) { localStorage.setItem("tablet.token", hash.get("token")); history.replaceState(null, "", location.pathname); }
  state.token = localStorage.getItem("tablet.token");
  for (const [code, label] of LANGS) {
    const button = document.createElement("button");
    button.type = "button"; button.className = "secondary"; button.textContent = label; button.dataset.lang = code;
    button.addEventListener("click", () => { state.lang = code; applyLanguage(); });
    $("languages").append(button);
  }
  $("size-toggle").addEventListener("click", () => document.documentElement.classList.toggle("large"));
  $("clear").addEventListener("click", () => state.pad && state.pad.clear());
  $("submit-signature").addEventListener("click", submitSignature);
  $("pair-form").addEventListener("submit", (event) => {
    event.preventDefault(); state.token = $("pair-token").value.trim();
    localStorage.setItem("tablet.token", state.token); tick();
  });
  applyLanguage();
  if (!state.token) { show("pair"); return; }
  show("welcome"); tick();
});
