// The pre-entry page opened ON the ticket machine (/pre/?kiosk=1&lang=…#<団体コード>, from its
// "Fill in here" button): once the QR code is made, the resident can have it printed on the
// machine's printer (the code, in their language, for the clerk to scan), and the page goes
// back to the ticket machine when they are done or leave it (a shared screen keeps nobody's
// entries). Self-contained: pre.js owns the page; this file only adds the kiosk's buttons, and
// only where the machine's own device token is stored (an ordinary phone never has one).
"use strict";
(function () {
  const params = new URLSearchParams(window.location.search);
  const token = window.localStorage.getItem("madoguchi.deviceToken.ticket");
  if (params.get("kiosk") !== "1" || !token) return;

  const W = {
    ja: { print: "QRコードを印刷する", printed: "印刷しました。番号札と一緒にお持ちください。",
      not_printed: "印刷できませんでした。QRコードをスマートフォンで撮影するか、係員にお声がけください。",
      back: "発券機に戻る" },
    en: { print: "Print this QR code", printed: "Printed. Please take it with your ticket.",
      not_printed: "It could not be printed. Take a photo of the QR code or ask a staff member.",
      back: "Back to the ticket machine" },
    zh: { print: "打印二维码", printed: "已打印。请与号码牌一起带走。", not_printed: "无法打印。请用手机拍下二维码，或询问工作人员。",
      back: "返回取号机" },
    ko: { print: "QR 코드 인쇄", printed: "인쇄했습니다. 번호표와 함께 가져가세요.",
      not_printed: "인쇄하지 못했습니다. QR 코드를 휴대폰으로 찍거나 직원에게 문의하세요.", back: "발권기로 돌아가기" },
    vi: { print: "In mã QR này", printed: "Đã in. Vui lòng mang theo cùng phiếu số.",
      not_printed: "Không in được. Hãy chụp mã QR bằng điện thoại hoặc hỏi nhân viên.", back: "Quay lại máy lấy số" },
    pt: { print: "Imprimir este QR code", printed: "Impresso. Leve-o junto com a sua senha.",
      not_printed: "Não foi possível imprimir. Tire uma foto do QR code ou fale com um atendente.",
      back: "Voltar à máquina de senhas" },
  };
  const IDLE_MS = 3 * 60 * 1000;  // a resident who walked away: the next one starts afresh
  const pageLang = () => document.documentElement.lang || "ja";
  const w = (key) => (W[pageLang()] || W.en)[key];
  const $ = (id) => document.getElementById(id);
  const machineLang = () => (pageLang() === "zh" ? "zh-Hans" : pageLang());  // the API's tag

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const print = el("button", { type: "button", class: "big", id: "kiosk-print" });
  const note = el("p", { id: "kiosk-note", role: "status" });
  const back = el("button", { type: "button", class: "secondary", id: "kiosk-back" });

  function texts() { print.textContent = w("print"); back.textContent = w("back"); }

  function backToMachine() { window.location.replace("/ticket/"); }

  async function printCode() {
    print.disabled = true;
    try {
      const response = await fetch("/api/v1/ticket-machine/resident-links/print", {
        method: "POST",
        headers: { Authorization: "Bearer " + token, "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ lang: machineLang(), code: $("code").textContent.trim() }),
      });
      const data = await response.json().catch(() => ({}));
      const printed = response.ok && data.printed;
      note.textContent = printed ? w("printed") : w("not_printed");
      note.className = printed ? "ok" : "error";
      document.body.dataset.printed = String(Boolean(printed));
    } catch (error) {
      note.textContent = w("not_printed"); note.className = "error";
    } finally { print.disabled = false; }
  }

  let idle = null;
  function stillHere() { clearTimeout(idle); idle = setTimeout(backToMachine, IDLE_MS); }

  document.addEventListener("DOMContentLoaded", () => {
    document.body.dataset.kiosk = "ticket-machine";
    $("done").append(print, note);
    (document.querySelector("main") || document.body).append(back);
    print.addEventListener("click", printCode);
    back.addEventListener("click", backToMachine);
    for (const kind of ["pointerdown", "keydown", "input"]) document.addEventListener(kind, stillHere, true);
    new MutationObserver(texts).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
    texts();
    stillHere();
  });
})();
