// Ticket machine: one large button per purpose; the issued ticket is printed by the machine's
// printer, or, when nothing was printed (paper out, no printer), shown as a QR code on screen.
// Six languages (common/i18n.js); the chosen one goes with the ticket: its slip and phone page.
"use strict";
(function () {
  const M = window.Madoguchi;
  const token = M.deviceToken("ticket");
  const T = {
    ja: { choose_title: "ご用件を選んでください", issued_title: "番号札を発券しました",
      wait_unknown: "待ち時間：不明", wait: "待ち {waiting}人・約{minutes}分", hours: "受付時間 {opens}〜{closes}",
      ahead: "あなたの前に {ahead}人", wait_about: "待ち時間 約{minutes}分", take: "番号札をお取りください。",
      paper_out: "用紙切れのため番号札を印刷できませんでした。", print_failed: "番号札を印刷できませんでした。",
      scan: "スマートフォンでQRコードを読み取ると、呼出状況を確認できます。", back: "最初の画面に戻る",
      qr: "QRコード", not_registered: "この端末は登録されていません（#token=…）。", separator: "・" },
    en: { choose_title: "Please choose what you came for", issued_title: "Here is your number",
      wait_unknown: "Wait: unknown",
      wait: "{waiting, plural, one {# person} other {# people}} waiting · about {minutes} min",
      hours: "Open {opens}–{closes}",
      ahead: "{ahead, plural, =0 {No one is ahead of you} one {# person ahead of you} other {# people ahead of you}}",
      wait_about: "about {minutes} min", take: "Please take your ticket.",
      paper_out: "The printer is out of paper.", print_failed: "The ticket could not be printed.",
      scan: "Scan the QR code with your phone to follow your number.", back: "Back to start",
      qr: "QR code", not_registered: "This device is not registered (#token=…).", separator: " · " },
    "zh-Hans": { choose_title: "请选择您要办理的事项", issued_title: "这是您的号码",
      wait_unknown: "等候时间：不明", wait: "等候 {waiting} 人・约 {minutes} 分钟", hours: "受理时间 {opens}–{closes}",
      ahead: "您前面有 {ahead} 人", wait_about: "约 {minutes} 分钟", take: "请取走号码票。",
      paper_out: "打印纸用完，无法打印号码票。", print_failed: "无法打印号码票。",
      scan: "用手机扫描二维码，即可查看叫号情况。", back: "返回首页",
      qr: "二维码", not_registered: "本设备尚未登记（#token=…）。", separator: "・" },
    ko: { choose_title: "용건을 선택해 주십시오", issued_title: "번호표가 발급되었습니다",
      wait_unknown: "대기 시간: 알 수 없음", wait: "대기 {waiting}명 · 약 {minutes}분", hours: "접수 시간 {opens}~{closes}",
      ahead: "앞에 {ahead}명이 기다리고 있습니다", wait_about: "약 {minutes}분", take: "번호표를 받아 가십시오.",
      paper_out: "용지가 떨어져 번호표를 인쇄하지 못했습니다.", print_failed: "번호표를 인쇄하지 못했습니다.",
      scan: "스마트폰으로 QR 코드를 읽으면 호출 상황을 확인할 수 있습니다.", back: "처음 화면으로",
      qr: "QR 코드", not_registered: "이 단말기는 등록되지 않았습니다 (#token=…).", separator: " · " },
    vi: { choose_title: "Vui lòng chọn thủ tục", issued_title: "Số thứ tự của quý vị",
      wait_unknown: "Thời gian chờ: chưa rõ", wait: "{waiting} người đang chờ · khoảng {minutes} phút",
      hours: "Giờ tiếp nhận {opens}–{closes}",
      ahead: "Có {ahead} người trước quý vị", wait_about: "khoảng {minutes} phút", take: "Vui lòng lấy phiếu số thứ tự.",
      paper_out: "Máy in hết giấy, không in được phiếu.", print_failed: "Không in được phiếu số thứ tự.",
      scan: "Quét mã QR bằng điện thoại để theo dõi số của quý vị.", back: "Về màn hình đầu",
      qr: "Mã QR", not_registered: "Thiết bị này chưa được đăng ký (#token=…).", separator: " · " },
    pt: { choose_title: "Escolha o assunto, por favor", issued_title: "Esta é a sua senha",
      wait_unknown: "Espera: desconhecida",
      wait: "{waiting, plural, one {# pessoa esperando} other {# pessoas esperando}} · cerca de {minutes} min",
      hours: "Horário {opens}–{closes}",
      ahead: "{ahead, plural, =0 {Ninguém na sua frente} one {# pessoa na sua frente} other {# pessoas na sua frente}}",
      wait_about: "cerca de {minutes} min", take: "Retire sua senha, por favor.",
      paper_out: "A impressora está sem papel.", print_failed: "Não foi possível imprimir a senha.",
      scan: "Leia o código QR com o celular para acompanhar sua senha.", back: "Voltar ao início",
      qr: "Código QR", not_registered: "Este aparelho não está registrado (#token=…).", separator: " · " },
  };
  const message = I18n.catalogue(T);
  window.madoguchiMessages = T;  // for the completeness test
  let lang = "ja";
  let resetTimer = null;
  const $ = (id) => document.getElementById(id);
  const t = (key, params) => message(lang, key, params);

  function renderLanguages() {
    I18n.languageButtons($("languages"), lang, (code) => { lang = code; applyLanguage(); loadQueues(); });
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
    $("qr").alt = t("qr");
    I18n.markLanguage($("languages"), lang);
  }

  function waitText(minutes, waiting) {
    if (minutes === null || minutes === undefined) return t("wait_unknown");
    return t("wait", { waiting, minutes });
  }

  async function loadQueues() {
    if (!token) { $("error").textContent = t("not_registered"); return; }
    try {
      const data = await M.api(token, "GET", "/api/v1/ticket-machine/queues");
      $("office").textContent = data.office_name;
      const grid = $("purposes");
      grid.replaceChildren();
      for (const queue of data.queues) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "purpose";
        button.dataset.queueId = queue.id;
        button.dataset.prefix = queue.prefix;
        I18n.queueName(button, lang, queue.names);
        const small = document.createElement("small");
        small.textContent = queue.issuing_open
          ? waitText(queue.estimated_wait_minutes, queue.waiting)
          : t("hours", { opens: queue.opens_at, closes: queue.closes_at });
        button.appendChild(small);
        button.addEventListener("click", () => issue(queue));
        grid.appendChild(button);
      }
    } catch (err) {
      $("error").textContent = err.message;
    }
  }

  async function issue(queue) {
    $("error").textContent = "";
    try {
      const result = await M.api(token, "POST", "/api/v1/tickets", { queue_id: queue.id, lang });
      showIssued(result);
    } catch (err) {
      const body = err.body || {};
      $("error").textContent = lang !== "ja" && body.message_en ? body.message_en : err.message;
    }
  }

  function showIssued(result) {
    $("choose").classList.add("hidden");
    $("issued").classList.remove("hidden");
    I18n.queueName($("issued-queue"), lang, result.queue_names);
    $("issued-number").textContent = result.ticket.display_number;
    const minutes = result.estimated_wait_minutes;
    $("issued-wait").textContent = [t("ahead", { ahead: result.people_ahead }),
      minutes === null || minutes === undefined ? t("wait_unknown") : t("wait_about", { minutes })].join(t("separator"));
    const printed = result.print.printed;
    $("printed-note").textContent = printed ? t("take") : "";
    $("qr-box").classList.toggle("hidden", printed);
    if (!printed) {
      $("qr").src = result.qr_svg_url;
      $("qr-reason").textContent = result.print.status === "paper_out" ? t("paper_out") : t("print_failed");
    }
    document.body.dataset.printStatus = result.print.status;
    clearTimeout(resetTimer);
    resetTimer = setTimeout(() => { lang = "ja"; applyLanguage(); backToStart(); }, 30000);  // the next resident
  }

  function backToStart() {
    clearTimeout(resetTimer);
    $("issued").classList.add("hidden");
    $("choose").classList.remove("hidden");
    loadQueues();
  }

  $("back").addEventListener("click", backToStart);
  renderLanguages();
  applyLanguage();
  loadQueues();
})();
