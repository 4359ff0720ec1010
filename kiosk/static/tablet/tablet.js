// Resident tablet, paired with one counter: PIN entry, the data to confirm in large type in the
// resident's language, and ONE signature (signature_pad) for every form of the visit. The names of
// events, sexes and certificates and the 和暦 eras come from the server (/common/lists.js).
"use strict";

const T = {
  ja: { pair_title: "端末の登録", pair_token: "端末トークン", pair_save: "登録する", welcome: "ようこそ",
    welcome_text: "係員がご案内します。しばらくお待ちください。",
    pin_title: "マイナンバーカードの暗証番号（数字4桁）を入力してください",
    pin_hint: "券面事項入力補助用の暗証番号です。係員には見えません。", ok: "決定", fix: "訂正",
    reading: "カードを読み取っています。カードを動かさないでください。",
    confirm_title: "内容をご確認ください", forms_title: "作成する書類",
    sign_title: "よろしければ、枠の中に署名してください（1回だけ）",
    sign_text: "この署名は上のすべての書類に使われます。", clear: "書き直す", sign: "署名して確定する",
    signature_box: "署名欄", languages: "言語",
    thanks: "ありがとうございました", thanks_text: "署名を受け付けました。係員からお受け取りください。",
    event: "届出", event_date: "異動日", new_address: "新しい住所", previous_address: "前の住所",
    member: "お名前", birth: "生年月日", sex: "性別", relationship: "続柄", applicant: "届出人",
    certificates: "証明書", copies: "{kind} {n}通", empty: "署名がありません。枠の中に署名してから「署名して確定する」を押してください。",
    offline: "サーバーに接続できません。係員にお知らせください。", not_paired: "この端末は登録されていません。係員にお知らせください。",
    wrong_pin: "暗証番号が違います。", tries_left: "あと {n} 回まで入力できます。",
    try_again: "もう一度お試しください。係員が読み取りをやり直します。",
    pin_blocked: "暗証番号がロックされています。係員にお知らせください。",
    card_failed: "カードを読み取れませんでした。係員にお知らせください。" },
  en: { pair_title: "Register this tablet", pair_token: "Device token", pair_save: "Register", welcome: "Welcome",
    welcome_text: "A member of staff will help you. Please wait a moment.",
    pin_title: "Enter your My Number Card PIN (4 digits)",
    pin_hint: "The PIN for the card's information-entry function. Staff cannot see it.", ok: "OK", fix: "Delete",
    reading: "Reading your card. Please do not move it.",
    confirm_title: "Please check the details", forms_title: "Documents to be made",
    sign_title: "If everything is correct, please sign in the box (once)",
    sign_text: "This one signature is used on all the documents above.", clear: "Clear", sign: "Sign and confirm",
    signature_box: "Signature box", languages: "Language",
    thanks: "Thank you", thanks_text: "Your signature has been received. Staff will hand you your documents.",
    event: "Notification", event_date: "Date of the change", new_address: "New address", previous_address: "Previous address",
    member: "Name", birth: "Date of birth", sex: "Sex", relationship: "Relationship", applicant: "Applicant",
    certificates: "Certificates", copies: "{kind}: {n, plural, one {# copy} other {# copies}}",
    empty: "There is no signature yet. Please sign in the box, then press “Sign and confirm”.",
    offline: "Cannot reach the server. Please tell a member of staff.", not_paired: "This tablet is not registered. Please tell a member of staff.",
    wrong_pin: "Wrong PIN.", tries_left: "{n, plural, one {You have # try left.} other {You have # tries left.}}",
    try_again: "Please try again. Staff will start the reading again.",
    pin_blocked: "The PIN is locked. Please tell a member of staff.",
    card_failed: "The card could not be read. Please tell a member of staff." },
  "zh-Hans": { pair_title: "登记本设备", pair_token: "设备令牌", pair_save: "登记", welcome: "欢迎",
    welcome_text: "工作人员将为您服务，请稍候。",
    pin_title: "请输入个人编号卡的密码（4位数字）",
    pin_hint: "这是卡面信息输入辅助用密码。工作人员看不到。", ok: "确定", fix: "删除",
    reading: "正在读取卡片，请不要移动卡片。",
    confirm_title: "请确认以下内容", forms_title: "将制作的文件", sign_title: "如内容无误，请在框内签名（仅一次）",
    sign_text: "此签名将用于以上所有文件。", clear: "重写", sign: "签名并确认",
    signature_box: "签名栏", languages: "语言",
    thanks: "谢谢", thanks_text: "已收到您的签名。请从工作人员处领取文件。",
    event: "申报", event_date: "变更日期", new_address: "新地址", previous_address: "原地址", member: "姓名", birth: "出生日期",
    sex: "性别", relationship: "与户主关系", applicant: "申报人", certificates: "证明书", copies: "{kind} {n}份",
    empty: "还没有签名。请在框内签名后，再按“签名并确认”。",
    offline: "无法连接服务器。请告知工作人员。", not_paired: "本设备尚未登记。请告知工作人员。",
    wrong_pin: "密码错误。", tries_left: "还可以输入 {n} 次。",
    try_again: "请再试一次。工作人员会重新开始读取。",
    pin_blocked: "密码已被锁定。请告知工作人员。",
    card_failed: "无法读取卡片。请告知工作人员。" },
  ko: { pair_title: "단말기 등록", pair_token: "단말기 토큰", pair_save: "등록", welcome: "어서 오십시오",
    welcome_text: "직원이 안내해 드립니다. 잠시만 기다려 주십시오.",
    pin_title: "마이넘버 카드 비밀번호(숫자 4자리)를 입력해 주십시오",
    pin_hint: "권면사항 입력 보조용 비밀번호입니다. 직원에게는 보이지 않습니다.", ok: "확인", fix: "정정",
    reading: "카드를 읽고 있습니다. 카드를 움직이지 마십시오.",
    confirm_title: "내용을 확인해 주십시오", forms_title: "작성할 서류", sign_title: "내용이 맞으면 칸 안에 서명해 주십시오 (1회)",
    sign_text: "이 서명은 위의 모든 서류에 사용됩니다.", clear: "다시 쓰기", sign: "서명하고 확정",
    signature_box: "서명란", languages: "언어",
    thanks: "감사합니다", thanks_text: "서명을 받았습니다. 직원에게서 서류를 받아 주십시오.",
    event: "신고", event_date: "변경일", new_address: "새 주소", previous_address: "이전 주소", member: "성명",
    birth: "생년월일", sex: "성별", relationship: "관계", applicant: "신고인", certificates: "증명서", copies: "{kind} {n}통",
    empty: "아직 서명이 없습니다. 칸 안에 서명한 뒤 ‘서명하고 확정’을 눌러 주십시오.",
    offline: "서버에 연결할 수 없습니다. 직원에게 알려 주십시오.", not_paired: "이 단말기는 등록되지 않았습니다. 직원에게 알려 주십시오.",
    wrong_pin: "비밀번호가 틀렸습니다.", tries_left: "앞으로 {n}번 더 입력할 수 있습니다.",
    try_again: "다시 시도해 주십시오. 직원이 다시 읽기를 시작합니다.",
    pin_blocked: "비밀번호가 잠겼습니다. 직원에게 알려 주십시오.",
    card_failed: "카드를 읽을 수 없었습니다. 직원에게 알려 주십시오." },
  vi: { pair_title: "Đăng ký máy tính bảng", pair_token: "Mã thiết bị", pair_save: "Đăng ký", welcome: "Xin chào",
    welcome_text: "Nhân viên sẽ hướng dẫn quý vị. Xin vui lòng chờ một chút.",
    pin_title: "Nhập mã PIN thẻ My Number (4 chữ số)",
    pin_hint: "Mã PIN dùng để nhập thông tin trên thẻ. Nhân viên không nhìn thấy.", ok: "Xác nhận", fix: "Xóa",
    reading: "Đang đọc thẻ. Vui lòng không di chuyển thẻ.",
    confirm_title: "Vui lòng kiểm tra nội dung", forms_title: "Giấy tờ sẽ được lập",
    sign_title: "Nếu nội dung đúng, vui lòng ký vào ô (một lần)", sign_text: "Chữ ký này được dùng cho tất cả giấy tờ ở trên.",
    clear: "Ký lại", sign: "Ký và xác nhận", signature_box: "Ô ký tên", languages: "Ngôn ngữ",
    thanks: "Xin cảm ơn", thanks_text: "Đã nhận chữ ký của quý vị. Vui lòng nhận giấy tờ từ nhân viên.",
    event: "Thủ tục", event_date: "Ngày thay đổi",
    new_address: "Địa chỉ mới", previous_address: "Địa chỉ cũ", member: "Họ tên", birth: "Ngày sinh", sex: "Giới tính",
    relationship: "Quan hệ", applicant: "Người khai", certificates: "Giấy chứng nhận", copies: "{kind}: {n} bản",
    empty: "Chưa có chữ ký. Vui lòng ký vào ô rồi bấm “Ký và xác nhận”.",
    offline: "Không kết nối được máy chủ. Vui lòng báo cho nhân viên.", not_paired: "Máy này chưa được đăng ký. Vui lòng báo cho nhân viên.",
    wrong_pin: "Mã PIN không đúng.", tries_left: "Quý vị còn {n} lần nhập.",
    try_again: "Vui lòng thử lại. Nhân viên sẽ cho đọc thẻ lại.",
    pin_blocked: "Mã PIN đã bị khóa. Vui lòng báo cho nhân viên.",
    card_failed: "Không đọc được thẻ. Vui lòng báo cho nhân viên." },
  pt: { pair_title: "Registrar este tablet", pair_token: "Código do aparelho", pair_save: "Registrar", welcome: "Bem-vindo(a)",
    welcome_text: "Um funcionário vai atendê-lo(a). Aguarde um momento, por favor.",
    pin_title: "Digite a senha do cartão My Number (4 dígitos)",
    pin_hint: "A senha para a função de preenchimento de dados do cartão. Os funcionários não a veem.", ok: "OK", fix: "Apagar",
    reading: "Lendo o cartão. Não mova o cartão, por favor.",
    confirm_title: "Confira os dados, por favor", forms_title: "Documentos que serão feitos",
    sign_title: "Se estiver tudo certo, assine no quadro (uma vez)", sign_text: "Esta assinatura é usada em todos os documentos acima.",
    clear: "Apagar", sign: "Assinar e confirmar", signature_box: "Quadro da assinatura", languages: "Idioma",
    thanks: "Obrigado", thanks_text: "Recebemos sua assinatura. Retire os documentos com o funcionário.",
    event: "Declaração", event_date: "Data da mudança",
    new_address: "Novo endereço", previous_address: "Endereço anterior", member: "Nome", birth: "Data de nascimento",
    sex: "Sexo", relationship: "Parentesco", applicant: "Declarante", certificates: "Certidões",
    copies: "{kind}: {n, plural, one {# via} other {# vias}}",
    empty: "Ainda não há assinatura. Assine no quadro e depois toque em “Assinar e confirmar”.",
    offline: "Sem conexão com o servidor. Avise um funcionário, por favor.", not_paired: "Este tablet não está registrado. Avise um funcionário, por favor.",
    wrong_pin: "Senha incorreta.", tries_left: "{n, plural, one {Resta # tentativa.} other {Restam # tentativas.}}",
    try_again: "Tente de novo, por favor. O funcionário vai iniciar a leitura outra vez.",
    pin_blocked: "A senha está bloqueada. Avise um funcionário, por favor.",
    card_failed: "Não foi possível ler o cartão. Avise um funcionário, por favor." },
};
// The forms' titles in the resident's language (the Japanese title stays beside it).
const FORM_TITLES = {
  "moving-notice": { en: "Notification of change of address", "zh-Hans": "住民异动申报书", ko: "주민 이동 신고서",
    vi: "Tờ khai thay đổi cư trú", pt: "Declaração de mudança de residência" },
  "residence-certificate-request": { en: "Request for a certificate of residence", "zh-Hans": "住民票副本等交付申请书",
    ko: "주민표 사본 등 교부 청구서", vi: "Đơn xin cấp bản sao phiếu cư trú", pt: "Pedido de atestado de residência" },
  "tax-certificate-request": { en: "Application for an income and tax certificate", "zh-Hans": "所得・课税证明书交付申请书",
    ko: "소득・과세 증명서 교부 신청서", vi: "Đơn xin giấy chứng nhận thu nhập và thuế", pt: "Pedido de certidão de renda e impostos" },
  "tax-certificate-postal-request": { en: "Postal request for an income and tax certificate", "zh-Hans": "所得・课税证明书邮寄申请书",
    ko: "소득・과세 증명서 우편 청구서", vi: "Đơn xin gửi giấy chứng nhận thu nhập và thuế qua bưu điện",
    pt: "Pedido por correio de certidão de renda e impostos" },
  checklist: { en: "Checklist of procedures", "zh-Hans": "手续确认单", ko: "절차 체크리스트", vi: "Danh sách thủ tục",
    pt: "Lista de procedimentos" },
};

const state = { lang: "ja", token: null, pad: null, shownVisit: null, pinJob: null, submittedPin: null,
  pin: "", lastFailure: null, languageVisit: null, languageKnown: "|" };
const $ = (id) => document.getElementById(id);
const message = I18n.catalogue(T);
window.madoguchiMessages = T;  // for the completeness test
const t = (key, params) => message(state.lang, key, params);

function show(id) {
  for (const section of ["pair", "welcome", "pin", "reading", "confirm", "thanks"]) $(section).hidden = section !== id;
  state.screen = id;
}

function say(text) { $("message").textContent = text || ""; $("message").hidden = !text; }

function apiError(status, data) {
  const e = new Error((data && data.error && data.error.message) || status);
  e.status = status; e.code = data && data.error && data.error.code;
  return e;
}

async function api(method, url, body) {
  const headers = { authorization: `Bearer ${state.token}`, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) throw apiError(response.status, data);
  return data;
}

// The view, long-polled: holding the last answer's ETag, the tablet asks the server to wait
// (up to WAIT_SECONDS) until something at the counter changes, so a PIN pad or a visit to sign
// appears at once, with one request per change instead of one a second. The server answers 304
// (no body) while nothing changed. The view carries the resident's data, so it is sent
// "no-store" (never in the browser's cache): the tablet keeps the last view in memory and sends
// its ETag itself (fetch() then hands the 304 to this code instead of answering from a cache).
const WAIT_SECONDS = 25;
async function currentView() {
  const headers = { authorization: `Bearer ${state.token}`, accept: "application/json" };
  let url = "/api/v1/tablet/current";
  if (state.viewTag && state.lastView) {
    headers["if-none-match"] = state.viewTag;
    url += `?wait=${WAIT_SECONDS}`;
  }
  const response = await fetch(url, { headers, cache: "no-store" });
  if (response.status === 304) return state.lastView;
  const data = await response.json();
  if (!response.ok) throw apiError(response.status, data);
  state.viewTag = response.headers.get("etag");
  return data;
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("signature").setAttribute("aria-label", t("signature_box"));
  $("languages").setAttribute("aria-label", t("languages"));
  showFailure();
  I18n.markLanguage($("languages"), state.lang);
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
    state.submittedPin = state.pinJob; state.lastFailure = null; showFailure(); show("reading");
  } catch (error) { $("pin-error").textContent = error.message; $("pin-error").hidden = false; renderPad(); }
}

// What the resident is told after a failed read, in their language: a wrong PIN says how many
// tries remain and to try again (the clerk starts the read again).
function cardMessage(job) {
  const error = job.error || {};
  if (error.code === "wrong_pin") {
    const left = error.retries_left;
    return [t("wrong_pin"), left === null || left === undefined ? "" : t("tries_left", { n: left }), t("try_again")]
      .filter(Boolean).join(" ");
  }
  if (error.code === "pin_blocked") return t("pin_blocked");
  if (state.lang === "ja" && error.message) return error.message;
  return t("card_failed");
}

function showFailure() {
  const text = state.lastFailure ? cardMessage(state.lastFailure) : "";
  for (const id of ["card-result", "pin-error"]) { $(id).textContent = text; $(id).hidden = !text; }
}

// --- the confirmation -----------------------------------------------------------------

// 和暦 with the ISO day in Japanese; the long date of the resident's language otherwise.
function wareki(isoDate) {
  if (!isoDate) return "";
  if (state.lang !== "ja") return I18n.date(state.lang, isoDate);
  const text = Lists.wareki(isoDate);
  return text === isoDate ? isoDate : `${text}（${isoDate}）`;
}

function formTitle(form) {
  const own = state.lang !== "ja" && (FORM_TITLES[form.form] || {})[state.lang];
  return own ? `${own}（${form.title}）` : form.title;
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
    const relationship = Lists.label("relationship_labels", member.relationship, state.lang);
    addRow(list, `　${t("sex")} / ${t("relationship")}`, [sex, relationship].filter(Boolean).join(" / "));
  }
  if (record.applicant) addRow(list, t("applicant"), record.applicant.name);
  const certs = (record.certificates || []).map(
    (c) => t("copies", { kind: Lists.label("certificate_kinds", c.kind, state.lang), n: c.copies || 1 }));
  addRow(list, t("certificates"), certs.join(state.lang === "ja" || state.lang === "zh-Hans" ? "、" : ", "));
  const forms = $("forms"); forms.replaceChildren();
  for (const form of visit.forms) { const li = document.createElement("li"); li.textContent = formTitle(form); forms.append(li); }
}

function setUpPad() {
  const canvas = $("signature");
  const ratio = Math.max(window.devicePixelRatio || 1, 1);
  canvas.width = canvas.offsetWidth * ratio; canvas.height = canvas.offsetHeight * ratio;
  canvas.getContext("2d").scale(ratio, ratio);
  if (!state.pad) {
    state.pad = new window.SignaturePad(canvas, { minWidth: 1, maxWidth: 3.5 });
    state.pad.addEventListener("beginStroke", () => signError(""));
  }
  state.pad.clear();
}

// Shown right by the button (the page may be scrolled to it) and read out (role="alert").
function signError(text) { $("sign-error").textContent = text; $("sign-error").hidden = !text; }

async function submitSignature() {
  if (!state.pad || state.pad.isEmpty()) { signError(t("empty")); return; }
  signError("");
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
  } catch (error) { signError(error.message); }
  finally { $("submit-signature").disabled = false; }
}

// --- the loop -------------------------------------------------------------------------

const MIN_TICK_MS = 1000;  // never more than one look a second, whatever the server answers
async function tick() {
  const started = Date.now();
  let delay = MIN_TICK_MS;
  try {
    await Lists.load();  // once; until it answers the tablet says it is offline and retries
    const view = await currentView();
    state.lastView = view; say("");
    $("counter-name").textContent = view.counter || "";
    route(view);
    delay = Math.max(0, MIN_TICK_MS - (Date.now() - started));  // a long wait: look again now
  } catch (error) {
    if (error.status === 401 || error.status === 403) { say(t("not_paired")); show("pair"); return; }
    say(t("offline"));
  }
  setTimeout(tick, delay);
}

const FAILURE_SHOWN_MS = 3 * 60 * 1000;  // then the next resident must not read it

// The tablet starts each visit in the resident's language when the counter knows it (the
// pre-entry's, else the ticket's: view.resident_lang), and follows it when it becomes known
// later (a pre-entry scanned after the visit opened); the resident can still switch with the
// buttons. A visit without one keeps what is chosen (a resident may tap before the clerk opens
// it); once the visit ends the tablet goes back to Japanese for the next resident.
function followResidentLanguage(view) {
  const visitId = view.visit_id || null;
  const known = `${visitId || ""}|${view.resident_lang || ""}`;
  if (known === state.languageKnown) return;
  const ended = Boolean(state.languageVisit) && !visitId;
  state.languageKnown = known; state.languageVisit = visitId;
  const wanted = visitId ? I18n.normalize(view.resident_lang) : (ended ? "ja" : null);
  if (wanted && wanted !== state.lang) { state.lang = wanted; applyLanguage(); }
}

function route(view) {
  followResidentLanguage(view);
  const read = view.card_read;
  if (state.lastFailure && Date.now() - state.failedAt > FAILURE_SHOWN_MS) { state.lastFailure = null; showFailure(); }
  if (view.pin_request) {
    if (state.pinJob !== view.pin_request.id) { state.pinJob = view.pin_request.id; state.pin = ""; renderPad(); }
    if (state.screen !== "pin") { showFailure(); show("pin"); }
    return;
  }
  if (read && read.id === state.submittedPin) {
    if (read.status === "queued" || read.status === "sent") { show("reading"); return; }
    state.submittedPin = null;
    state.lastFailure = read.status === "failed" ? read : null;
    state.failedAt = Date.now();
    showFailure();
  }
  if (view.visit && view.visit.status === "confirming") {
    if (state.shownVisit !== view.visit.id || state.screen !== "confirm") {
      state.shownVisit = view.visit.id; state.lastFailure = null; showFailure(); signError("");
      renderRecord(view.visit); show("confirm"); setUpPad();
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
  I18n.languageButtons($("languages"), state.lang, (code) => { state.lang = code; applyLanguage(); });
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
