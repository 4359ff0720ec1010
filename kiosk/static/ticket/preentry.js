// Ticket machine, residents' extras (issue 20): "I have a reservation" (the reservation's QR
// read by the machine's scanner, or its number typed) becomes a ticket called first; "Pre-enter
// on your phone" shows the municipality's pre-entry page as a QR to scan while waiting.
// Self-contained: ticket.js owns the purposes; this file adds its own buttons and panel and
// follows the page's language (<html lang>).
"use strict";
(function () {
  const M = window.Madoguchi;
  const token = M.deviceToken("ticket");
  const W = {
    ja: { reserved: "予約の方", pre: "スマホで事前入力", scan: "予約のQRコードをかざすか、予約番号を入力してください",
      number: "予約番号", ok: "受付", back: "戻る", issued: "番号札をお取りください。予約の方を優先してお呼びします。",
      pre_hint: "スマートフォンでQRコードを読み取り、待っている間に入力できます。窓口で書かずに済みます。",
      not_printed: "番号札を印刷できませんでした。QRコードで呼出状況を確認できます。" },
    en: { reserved: "I have a reservation", pre: "Pre-enter on your phone", scan: "Show your reservation QR code or enter your reservation number",
      number: "Reservation number", ok: "Check in", back: "Back", issued: "Please take your ticket. Reservations are called first.",
      pre_hint: "Scan the QR code with your phone and fill in the form while you wait: nothing to write at the counter.",
      not_printed: "The ticket could not be printed. Scan the QR code to follow your ticket." },
    "zh-Hans": { reserved: "已预约", pre: "用手机事先填写", scan: "请出示预约二维码或输入预约号码", number: "预约号码", ok: "签到",
      back: "返回", issued: "请取号码牌。预约者优先叫号。", pre_hint: "用手机扫描二维码，等候时即可填写，窗口无需书写。",
      not_printed: "无法打印号码牌。请扫描二维码查看叫号状况。" },
    ko: { reserved: "예약하신 분", pre: "휴대폰으로 사전 입력", scan: "예약 QR 코드를 대거나 예약 번호를 입력하세요", number: "예약 번호",
      ok: "접수", back: "돌아가기", issued: "번호표를 받아 주세요. 예약하신 분을 우선 호출합니다.",
      pre_hint: "휴대폰으로 QR 코드를 읽으면 기다리는 동안 입력할 수 있습니다.", not_printed: "번호표를 인쇄하지 못했습니다. QR 코드로 호출 상황을 확인하세요." },
    vi: { reserved: "Tôi đã đặt lịch", pre: "Nhập trước trên điện thoại", scan: "Đưa mã QR đặt lịch hoặc nhập số đặt chỗ",
      number: "Số đặt chỗ", ok: "Xác nhận", back: "Quay lại", issued: "Vui lòng lấy phiếu số. Người đặt lịch được gọi trước.",
      pre_hint: "Quét mã QR bằng điện thoại và nhập trong lúc chờ: không cần viết tại quầy.",
      not_printed: "Không in được phiếu số. Quét mã QR để theo dõi." },
    pt: { reserved: "Tenho reserva", pre: "Pré-cadastro no celular", scan: "Mostre o QR code da reserva ou digite o número da reserva",
      number: "Número da reserva", ok: "Confirmar", back: "Voltar", issued: "Retire sua senha. Quem tem reserva é chamado primeiro.",
      pre_hint: "Leia o QR code com o celular e preencha enquanto espera: nada para escrever no balcão.",
      not_printed: "Não foi possível imprimir a senha. Leia o QR code para acompanhar." },
  };
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
  panel.append(heading, form, result, hint, qr, error, back);

  let timer = null;

  function texts() {
    reserved.textContent = w("reserved");
    pre.textContent = w("pre");
    labelText.textContent = w("number") + " ";
    submit.textContent = w("ok");
    back.textContent = w("back");
  }

  function open(kind) {
    texts();
    $("choose").classList.add("hidden");
    panel.classList.remove("hidden");
    result.classList.add("hidden");
    error.textContent = "";
    form.classList.toggle("hidden", kind !== "reserved");
    qr.classList.toggle("hidden", kind !== "pre");
    heading.textContent = kind === "reserved" ? w("scan") : w("pre");
    hint.textContent = kind === "pre" ? w("pre_hint") : "";
    if (kind === "pre") qr.src = links.qr;
    if (kind === "reserved") { input.value = ""; input.focus(); }
    clearTimeout(timer);
    timer = setTimeout(close, 60000);
  }

  function close() {
    panel.classList.add("hidden");
    $("choose").classList.remove("hidden");
    texts();
  }

  const links = { qr: "" };

  async function loadLinks() {
    if (!token) return;
    try {
      const data = await M.api(token, "GET", "/api/v1/ticket-machine/resident-links");
      links.qr = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(data.qr_svg);
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
      const ja = document.documentElement.lang === "ja";
      heading.textContent = ja ? issued.queue_name_ja : issued.queue_name_en;
      number.textContent = issued.ticket.display_number;
      note.textContent = issued.print.printed ? w("issued") : w("not_printed");
      if (!issued.print.printed) { qr.src = issued.qr_svg_url; qr.classList.remove("hidden"); }
      document.body.dataset.checkin = issued.ticket.display_number;
      clearTimeout(timer);
      timer = setTimeout(close, 30000);
    } catch (err) {
      error.textContent = err.message;
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
    form.addEventListener("submit", checkIn);
    // The machine's language buttons (ticket.js) set <html lang>: follow it.
    new MutationObserver(texts).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
    texts();
    loadLinks();
  });
})();
