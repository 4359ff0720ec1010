// The phone page behind the ticket's QR code: position, estimated wait, and, when the clerk
// calls the ticket, which counter to go to, with a vibration and a short beep (WebAudio, no
// file). Public, but found only by the unguessable follow token in the URL fragment (#token);
// the language comes from ?lang= (the one chosen on the ticket machine), else the phone's.
"use strict";
(function () {
  const token = window.location.hash.slice(1);
  const $ = (id) => document.getElementById(id);
  const T = {
    ja: { outcome_done: "届出の処理は完了しました。", outcome_processing: "届出は市役所で処理中です。",
      title: "呼出状況", waiting: "お待ちください", transferred: "次の窓口でお待ちください",
      serving: "受付中です", serving_at: "{counter}で受付中です",
      done: "手続きは終わりました。ありがとうございました。",
      no_show: "呼出に応答がなかったため、番号札は無効になりました。係員にお声がけください。",
      called: "呼ばれました — {counter}へお越しください", called_nowhere: "呼ばれました — 表示の窓口へお越しください",
      counter: "{code}番窓口", ahead_label: "あなたの前", wait_label: "待ち時間の目安", ahead: "{n}人",
      wait: "約{minutes}分", note: "この画面は自動で更新されます。", sound: "呼ばれたら音と振動でお知らせ",
      not_found: "番号札が見つかりません。", from_qr: "番号札のQRコードから開いてください。" },
    en: { outcome_done: "Your application has been processed.", outcome_processing: "Your application is being processed.",
      title: "Your number", waiting: "Please wait", transferred: "Please wait for the next counter",
      serving: "Being served", serving_at: "Being served at {counter}", done: "Finished. Thank you.",
      no_show: "Your number was called but you were not there. Please ask a member of staff.",
      called: "You are called — please go to {counter}", called_nowhere: "You are called — please go to the counter shown",
      counter: "counter {code}", ahead_label: "Ahead of you", wait_label: "Estimated wait",
      ahead: "{n, plural, =0 {No one} one {# person} other {# people}}", wait: "about {minutes} min",
      note: "This page updates by itself.", sound: "Beep and vibrate when I am called",
      not_found: "Ticket not found.", from_qr: "Open this page from your ticket's QR code." },
    "zh-Hans": { outcome_done: "您的申请已办理完毕。", outcome_processing: "您的申请正在办理中。",
      title: "叫号状况", waiting: "请稍候", transferred: "请在下一个窗口等候",
      serving: "正在办理", serving_at: "正在{counter}办理", done: "手续已办完。谢谢。",
      no_show: "叫号时您不在，号码已失效。请咨询工作人员。",
      called: "轮到您了 — 请到{counter}", called_nowhere: "轮到您了 — 请到显示的窗口",
      counter: "{code}号窗口", ahead_label: "您前面", wait_label: "预计等候", ahead: "{n} 人",
      wait: "约 {minutes} 分钟", note: "本页面会自动更新。", sound: "叫到我时响铃并振动",
      not_found: "找不到号码票。", from_qr: "请通过号码票上的二维码打开本页面。" },
    ko: { outcome_done: "신고 처리가 완료되었습니다.", outcome_processing: "신고를 시청에서 처리 중입니다.",
      title: "호출 상황", waiting: "기다려 주십시오", transferred: "다음 창구에서 기다려 주십시오",
      serving: "접수 중입니다", serving_at: "{counter}에서 접수 중입니다", done: "절차가 끝났습니다. 감사합니다.",
      no_show: "호출에 응답이 없어 번호표가 무효가 되었습니다. 직원에게 문의해 주십시오.",
      called: "호출되었습니다 — {counter}로 와 주십시오", called_nowhere: "호출되었습니다 — 표시된 창구로 와 주십시오",
      counter: "{code}번 창구", ahead_label: "내 앞 대기", wait_label: "예상 대기 시간", ahead: "{n}명",
      wait: "약 {minutes}분", note: "이 화면은 자동으로 갱신됩니다.", sound: "호출되면 소리와 진동으로 알림",
      not_found: "번호표를 찾을 수 없습니다.", from_qr: "번호표의 QR 코드로 이 페이지를 열어 주십시오." },
    vi: { outcome_done: "Hồ sơ của quý vị đã được xử lý xong.", outcome_processing: "Hồ sơ của quý vị đang được xử lý.",
      title: "Số của quý vị", waiting: "Vui lòng chờ", transferred: "Vui lòng chờ ở quầy tiếp theo",
      serving: "Đang được tiếp nhận", serving_at: "Đang được tiếp nhận tại {counter}", done: "Thủ tục đã xong. Xin cảm ơn.",
      no_show: "Số của quý vị đã được gọi nhưng quý vị không có mặt. Vui lòng hỏi nhân viên.",
      called: "Đã đến lượt quý vị — vui lòng đến {counter}", called_nowhere: "Đã đến lượt quý vị — vui lòng đến quầy được hiển thị",
      counter: "quầy số {code}", ahead_label: "Trước quý vị", wait_label: "Thời gian chờ dự kiến", ahead: "{n} người",
      wait: "khoảng {minutes} phút", note: "Trang này tự động cập nhật.", sound: "Báo bằng âm thanh và rung khi được gọi",
      not_found: "Không tìm thấy phiếu số.", from_qr: "Vui lòng mở trang này từ mã QR trên phiếu số." },
    pt: { outcome_done: "Seu pedido foi processado.", outcome_processing: "Seu pedido está sendo processado.",
      title: "Sua senha", waiting: "Aguarde, por favor", transferred: "Aguarde o próximo guichê, por favor",
      serving: "Em atendimento", serving_at: "Em atendimento no {counter}", done: "Concluído. Obrigado.",
      no_show: "Sua senha foi chamada, mas você não estava. Fale com um funcionário, por favor.",
      called: "Chegou a sua vez — dirija-se ao {counter}", called_nowhere: "Chegou a sua vez — dirija-se ao guichê indicado",
      counter: "guichê {code}", ahead_label: "Na sua frente", wait_label: "Espera estimada",
      ahead: "{n, plural, =0 {Ninguém} one {# pessoa} other {# pessoas}}", wait: "cerca de {minutes} min",
      note: "Esta página se atualiza sozinha.", sound: "Avisar com som e vibração quando me chamarem",
      not_found: "Senha não encontrada.", from_qr: "Abra esta página pelo código QR da sua senha." },
  };
  const message = I18n.catalogue(T);
  window.madoguchiMessages = T;  // for the completeness test
  let lang = I18n.fromPage("ja");
  let last = null;
  let alerted = null;  // the status last announced with sound and vibration
  let audio = null;
  const t = (key, params) => message(lang, key, params);
  window.madoguchiAlerts = 0;

  // A short two-tone beep synthesised with WebAudio (phones allow sound after one tap).
  function beep() {
    if (!audio) return;
    const start = audio.currentTime;
    [988, 784, 988].forEach((freq, i) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + i * 0.3);
      gain.gain.exponentialRampToValueAtTime(0.5, start + i * 0.3 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.3 + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + i * 0.3);
      osc.stop(start + i * 0.3 + 0.3);
    });
  }

  function alertResident() {
    window.madoguchiAlerts += 1;
    if (navigator.vibrate) navigator.vibrate([400, 150, 400, 150, 400]);
    beep();
  }

  function counterText(s) {
    if (!s.counter_code) return null;
    return lang === "ja" && s.counter_name ? s.counter_name : t("counter", { code: s.counter_code });
  }

  function renderLanguages() {
    I18n.languageButtons($("languages"), lang, (code) => { lang = code; applyLanguage(); if (last) render(last); });
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    I18n.markLanguage($("languages"), lang);
    $("title").textContent = t("title");
    document.title = t("title");
    $("ahead-label").textContent = t("ahead_label");
    $("wait-label").textContent = t("wait_label");
    $("note").textContent = t("note");
    $("sound").textContent = t("sound");
  }

  function render(s) {
    last = s;
    I18n.queueName($("queue"), lang, s.queue_names);
    $("number").textContent = s.display_number;
    const state = $("state");
    const counter = counterText(s);
    state.className = "state";
    if (s.status === "called") {
      state.classList.add("called");
      state.textContent = counter ? t("called", { counter }) : t("called_nowhere");
    } else if (s.status === "serving" && counter) {
      state.textContent = t("serving_at", { counter });
    } else {
      state.textContent = T.ja[s.status] ? t(s.status) : s.status;
    }
    if (s.status === "called" && alerted !== "called") alertResident();
    alerted = s.status;
    document.body.dataset.status = s.status;
    // The back office's work, where the municipality shows it (absent otherwise).
    const outcome = $("outcome");
    outcome.hidden = !s.outcome;
    outcome.dataset.outcome = s.outcome || "";
    outcome.textContent = s.outcome ? t(s.outcome === "done" ? "outcome_done" : "outcome_processing") : "";
    $("ahead").textContent = s.people_ahead === null ? "—" : t("ahead", { n: s.people_ahead });
    $("wait").textContent = s.estimated_wait_minutes === null ? "—" : t("wait", { minutes: s.estimated_wait_minutes });
  }

  async function refresh() {
    try {
      const response = await fetch(`/api/v1/follow/${encodeURIComponent(token)}`, { cache: "no-store" });
      if (!response.ok) throw new Error(t("not_found"));
      render(await response.json());
      $("error").textContent = "";
    } catch (err) {
      $("error").textContent = err.message;
    }
  }

  $("sound").addEventListener("click", () => {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    audio.resume();
    $("sound").setAttribute("aria-pressed", "true");
    beep();  // the resident hears what it will sound like
  });

  renderLanguages();
  applyLanguage();
  if (!token) {
    $("error").textContent = t("from_qr");
    return;
  }
  refresh();
  const source = new EventSource(`/api/v1/follow/${encodeURIComponent(token)}/events`);
  source.addEventListener("hello", refresh);
  source.addEventListener("changed", refresh);
  ["issued", "called", "serving", "done", "no_show", "transferred", "counter"].forEach((kind) =>
    source.addEventListener(kind, refresh));
  setInterval(refresh, 60000);  // estimates drift with time even when nothing happens
})();
