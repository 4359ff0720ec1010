// Ticket machine, residents' extras (issue 20): "I have a reservation" (the reservation's QR
// read by the machine's scanner, or its number typed) becomes a ticket called first; "Pre-enter
// on your phone" shows the municipality's pre-entry page as a QR to scan while waiting, prints
// it (with a few words in the resident's language) to take home, or opens the page on the
// machine itself (pre/kiosk.js prints the finished pre-entry's QR for the counter).
// Self-contained: ticket.js owns the purposes; this file adds its own buttons and panel and
// follows the page's language (<html lang>).
"use strict";
(function () {
  const M = window.Madoguchi;
  const token = M.deviceToken("ticket");
  const W = {
    ja: { print: "QRコードを印刷する", here: "この発券機で入力する", printed: "印刷しました。お持ちください。", print_failed: "印刷できませんでした。画面のQRコードをスマートフォンで読み取ってください。",
      reserved: "予約の方", pre: "スマホで事前入力", scan: "予約のQRコードをかざすか、予約番号を入力してください",
      number: "予約番号", ok: "受付", back: "戻る", issued: "番号札をお取りください。予約の方を優先してお呼びします。",
      pre_hint: "スマートフォンでQRコードを読み取り、待っている間に入力できます。窓口で書かずに済みます。",
      not_printed: "番号札を印刷できませんでした。QRコードで呼出状況を確認できます。",
      not_found: "予約が見つかりません。番号をお確かめください。", closed: "この予約は受付済み・取消済み、または時間を過ぎています。窓口でお尋ねください。",
      busy: "しばらく待ってからお試しください。" },
    en: { print: "Print the QR code", here: "Fill in here on this machine", printed: "Printed. Please take it with you.", print_failed: "It could not be printed. Scan the QR code on the screen with your phone.",
      reserved: "I have a reservation", pre: "Pre-enter on your phone", scan: "Show your reservation QR code or enter your reservation number",
      number: "Reservation number", ok: "Check in", back: "Back", issued: "Please take your ticket. Reservations are called first.",
      pre_hint: "Scan the QR code with your phone and fill in the form while you wait: nothing to write at the counter.",
      not_printed: "The ticket could not be printed. Scan the QR code to follow your ticket.",
      not_found: "We could not find this reservation. Please check the number.",
      closed: "This reservation has already been checked in, was cancelled, or its time has passed. Please ask at the counter.",
      busy: "Please wait a moment and try again." },
    "zh-Hans": { print: "打印二维码", here: "在本机填写", printed: "已打印。请带走。", print_failed: "无法打印。请用手机扫描屏幕上的二维码。",
      reserved: "已预约", pre: "用手机事先填写", scan: "请出示预约二维码或输入预约号码", number: "预约号码", ok: "签到",
      back: "返回", issued: "请取号码牌。预约者优先叫号。", pre_hint: "用手机扫描二维码，等候时即可填写，窗口无需书写。",
      not_printed: "无法打印号码牌。请扫描二维码查看叫号状况。",
      not_found: "找不到该预约。请确认号码。", closed: "该预约已签到、已取消或已过时间。请到窗口咨询。", busy: "请稍候再试。" },
    ko: { print: "QR 코드 인쇄", here: "이 발권기에서 입력", printed: "인쇄했습니다. 가져가세요.", print_failed: "인쇄하지 못했습니다. 화면의 QR 코드를 휴대폰으로 읽어 주세요.",
      reserved: "예약하신 분", pre: "휴대폰으로 사전 입력", scan: "예약 QR 코드를 대거나 예약 번호를 입력하세요", number: "예약 번호",
      ok: "접수", back: "돌아가기", issued: "번호표를 받아 주세요. 예약하신 분을 우선 호출합니다.",
      pre_hint: "휴대폰으로 QR 코드를 읽으면 기다리는 동안 입력할 수 있습니다.", not_printed: "번호표를 인쇄하지 못했습니다. QR 코드로 호출 상황을 확인하세요.",
      not_found: "예약을 찾을 수 없습니다. 번호를 확인해 주세요.", closed: "이 예약은 이미 접수·취소되었거나 시간이 지났습니다. 창구에 문의해 주세요.",
      busy: "잠시 후 다시 시도해 주세요." },
    vi: { print: "In mã QR", here: "Nhập ngay trên máy này", printed: "Đã in. Vui lòng mang theo.", print_failed: "Không in được. Hãy quét mã QR trên màn hình bằng điện thoại.",
      reserved: "Tôi đã đặt lịch", pre: "Nhập trước trên điện thoại", scan: "Đưa mã QR đặt lịch hoặc nhập số đặt chỗ",
      number: "Số đặt chỗ", ok: "Xác nhận", back: "Quay lại", issued: "Vui lòng lấy phiếu số. Người đặt lịch được gọi trước.",
      pre_hint: "Quét mã QR bằng điện thoại và nhập trong lúc chờ: không cần viết tại quầy.",
      not_printed: "Không in được phiếu số. Quét mã QR để theo dõi.",
      not_found: "Không tìm thấy lịch đặt này. Vui lòng kiểm tra lại số.",
      closed: "Lịch đặt này đã được xác nhận, đã hủy hoặc đã quá giờ. Vui lòng hỏi tại quầy.",
      busy: "Vui lòng đợi một lát rồi thử lại." },
    pt: { print: "Imprimir o QR code", here: "Preencher aqui nesta máquina", printed: "Impresso. Leve com você.", print_failed: "Não foi possível imprimir. Leia o QR code da tela com o celular.",
      reserved: "Tenho reserva", pre: "Pré-cadastro no celular", scan: "Mostre o QR code da reserva ou digite o número da reserva",
      number: "Número da reserva", ok: "Confirmar", back: "Voltar", issued: "Retire sua senha. Quem tem reserva é chamado primeiro.",
      pre_hint: "Leia o QR code com o celular e preencha enquanto espera: nada para escrever no balcão.",
      not_printed: "Não foi possível imprimir a senha. Leia o QR code para acompanhar.",
      not_found: "Não encontramos esta reserva. Confira o número.",
      closed: "Esta reserva já foi confirmada, cancelada ou o horário já passou. Pergunte no balcão.",
      busy: "Aguarde um momento e tente novamente." },
  };
  const CHECKIN_ERRORS = { reservation_not_found: "not_found", reservation_closed: "closed",
    too_many_requests: "busy" };
  const w = (key) => (W[I18n.normalize(document.documentElement.lang)] || W.en)[key] || W.ja[key];
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs = {}, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const bar = el("div", { class: "resident-extras", id: "resident-extras" });
  const reserved = el("button", { type: "button", class: "purpose secondary", id: "reserved" });
  const pre = el("button", { type: "button", class: "purpose secondary", id: "pre-entry", hidden: "" });
  bar.append(reserved, pre);

  const panel = el("section", { id: "resident-panel", class: "hidden", "aria-live": "polite" });
  const heading = el("h1", { id: "resident-heading" });
  const form = el("form", { id: "checkin-form" });
  const label = el("label", { class: "notice" });
  const labelText = el("span");
  const input = el("input", { id: "checkin-code", autocomplete: "off", inputmode: "text", class: "checkin-input" });
  label.append(labelText, input);
  const submit = el("button", { type: "submit", class: "purpose", id: "checkin-submit" });
  form.append(label, submit);
  const result = el("div", { id: "checkin-result", class: "hidden" });
  const number = el("p", { class: "big-number", id: "checkin-number" });
  const note = el("p", { class: "notice ok", id: "checkin-note" });
  result.append(number, note);
  const qr = el("img", { id: "resident-qr", class: "hidden", alt: "QR" });
  const hint = el("p", { class: "notice", id: "resident-hint" });
  const error = el("p", { class: "error notice", id: "resident-error", role: "alert" });
  const back = el("button", { type: "button", class: "purpose", id: "resident-back" });
  // Pre-entry: the page's QR printed to take away, or the page itself on this machine.
  const preActions = el("div", { class: "pre-actions hidden", id: "pre-actions" });
  const printQr = el("button", { type: "button", class: "purpose secondary", id: "print-qr" });
  const here = el("button", { type: "button", class: "purpose secondary", id: "fill-here" });
  const printNote = el("p", { class: "notice", id: "print-note", role: "status" });
  preActions.append(printQr, here);
  panel.append(heading, form, result, hint, qr, preActions, printNote, error, back);

  let timer = null;

  function texts() {
    reserved.textContent = w("reserved");
    pre.textContent = w("pre");
    labelText.textContent = w("number") + " ";
    submit.textContent = w("ok");
    back.textContent = w("back");
    printQr.textContent = w("print");
    here.textContent = w("here");
  }

  const lang = () => I18n.normalize(document.documentElement.lang) || "ja";

  async function printPage() {
    printQr.disabled = true;
    printNote.textContent = "";
    try {
      const outcome = await M.api(token, "POST", "/api/v1/ticket-machine/resident-links/print", { lang: lang() });
      printNote.textContent = outcome.printed ? w("printed") : w("print_failed");
      printNote.className = outcome.printed ? "notice ok" : "notice error";
      document.body.dataset.qrPrinted = String(outcome.printed);
    } catch (err) {
      printNote.textContent = w("print_failed");
      printNote.className = "notice error";
    } finally { printQr.disabled = false; }
  }

  // The pre-entry page on this machine, in the resident's language, in kiosk mode
  // (pre/kiosk.js: print the finished QR, back here after, or when left alone).
  function fillHere() {
    const page = new URL(links.url, window.location.origin);
    const pageLang = lang() === "zh-Hans" ? "zh" : lang();
    window.location.assign(`/pre/?kiosk=1&lang=${encodeURIComponent(pageLang)}${page.hash}`);
  }

  function open(kind) {
    texts();
    $("choose").classList.add("hidden");
    panel.classList.remove("hidden");
    result.classList.add("hidden");
    error.textContent = "";
    form.classList.toggle("hidden", kind !== "reserved");
    qr.classList.toggle("hidden", kind !== "pre");
    preActions.classList.toggle("hidden", kind !== "pre");
    printNote.textContent = "";
    heading.textContent = kind === "reserved" ? w("scan") : w("pre");
    hint.textContent = kind === "pre" ? w("pre_hint") : "";
    if (kind === "pre") { qr.src = links.qr; loadLinks(lang()).then(() => { qr.src = links.qr; }); }
    if (kind === "reserved") { input.value = ""; input.focus(); }
    clearTimeout(timer);
    timer = setTimeout(close, 60000);
  }

  function close() {
    panel.classList.add("hidden");
    $("choose").classList.remove("hidden");
    texts();
  }

  const links = { qr: "", url: "" };

  // The page's QR opens the page in ``language`` (the one chosen on the machine).
  async function loadLinks(language = "ja") {
    if (!token) return;
    try {
      const data = await M.api(token, "GET", `/api/v1/ticket-machine/resident-links?lang=${encodeURIComponent(language)}`);
      links.qr = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(data.qr_svg);
      links.url = data.url;
      pre.hidden = !data.preentry;
      reserved.hidden = !data.reservations;
    } catch (err) { bar.hidden = true; }
  }

  async function checkIn(event) {
    event.preventDefault();
    const code = input.value.trim();
    if (!code) return;
    error.textContent = "";
    try {
      const issued = await M.api(token, "POST", "/api/v1/ticket-machine/check-in", { code });
      form.classList.add("hidden");
      result.classList.remove("hidden");
      I18n.queueName(heading, I18n.normalize(document.documentElement.lang) || "ja", issued.queue_names);
      number.textContent = issued.ticket.display_number;
      note.textContent = issued.print.printed ? w("issued") : w("not_printed");
      if (!issued.print.printed) { qr.src = issued.qr_svg_url; qr.classList.remove("hidden"); }
      document.body.dataset.checkin = issued.ticket.display_number;
      clearTimeout(timer);
      timer = setTimeout(close, 30000);
    } catch (err) {
      // The resident's language, not the server's Japanese message (the errors a resident can
      // meet here by code; anything else as the server worded it).
      const said = CHECKIN_ERRORS[err.body && err.body.code];
      error.textContent = said ? w(said) : err.message;
      input.select();
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.head.append(el("link", { rel: "stylesheet", href: "/ticket/preentry.css" }));
    $("choose").append(bar);
    $("choose").after(panel);
    reserved.addEventListener("click", () => open("reserved"));
    pre.addEventListener("click", () => open("pre"));
    back.addEventListener("click", close);
    printQr.addEventListener("click", printPage);
    here.addEventListener("click", fillHere);
    form.addEventListener("submit", checkIn);
    // The machine's language buttons (ticket.js) set <html lang>: follow it.
    new MutationObserver(texts).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
    texts();
    loadLinks();
  });
})();
