// Display board: numbers called with their counter, the last calls, waiting counts, and a
// chime synthesised with WebAudio (no audio files). Live through server-sent events.
// Languages are the municipality's (MADOGUCHI_DISPLAY_LANGUAGES, in the board's answer): the
// first is always shown, the others take turns beside it every few seconds.
"use strict";
(function () {
  const M = window.Madoguchi;
  const token = M.deviceToken("display");
  const $ = (id) => document.getElementById(id);
  const T = {
    ja: { now_calling: "呼出", recent: "これまでの呼出", number: "番号", counter_head: "窓口", waiting_head: "待ち状況",
      go_to: "{counter}へお越しください", counter: "{code}番窓口", waiting: "待ち {n}人", wait: "約{minutes}分" },
    en: { now_calling: "Now calling", recent: "Recent calls", number: "No.", counter_head: "Counter",
      waiting_head: "Waiting", go_to: "Please go to {counter}", counter: "counter {code}",
      waiting: "{n, plural, one {# waiting} other {# waiting}}", wait: "about {minutes} min" },
    "zh-Hans": { now_calling: "叫号", recent: "之前的叫号", number: "号码", counter_head: "窗口", waiting_head: "等候情况",
      go_to: "请到{counter}", counter: "{code}号窗口", waiting: "等候 {n} 人", wait: "约 {minutes} 分钟" },
    ko: { now_calling: "호출", recent: "이전 호출", number: "번호", counter_head: "창구", waiting_head: "대기 상황",
      go_to: "{counter}로 와 주십시오", counter: "{code}번 창구", waiting: "대기 {n}명", wait: "약 {minutes}분" },
    vi: { now_calling: "Đang gọi số", recent: "Các số đã gọi", number: "Số", counter_head: "Quầy",
      waiting_head: "Tình trạng chờ", go_to: "Vui lòng đến {counter}", counter: "quầy số {code}",
      waiting: "{n} người đang chờ", wait: "khoảng {minutes} phút" },
    pt: { now_calling: "Chamando", recent: "Chamadas anteriores", number: "Senha", counter_head: "Guichê",
      waiting_head: "Espera", go_to: "Dirija-se ao {counter}", counter: "guichê {code}",
      waiting: "{n, plural, one {# pessoa esperando} other {# pessoas esperando}}", wait: "cerca de {minutes} min" },
  };
  const message = I18n.catalogue(T);
  window.madoguchiMessages = T;  // for the completeness test
  // Seconds each further language stays beside the first; ?rotate=N on the board's URL changes it.
  const ROTATE_SECONDS = Math.max(1, Number(new URLSearchParams(window.location.search).get("rotate")) || 8);
  let languages = ["ja", "en"];
  let turn = 0;
  let last = null;
  let audio = null;
  window.madoguchiChimes = 0;

  const primary = () => languages[0];
  const secondary = () => (languages.length > 1 ? languages[1 + (turn % (languages.length - 1))] : null);

  function counterIn(lang, call) {
    return lang === "ja" && call.counter_name ? call.counter_name : message(lang, "counter", { code: call.counter_code });
  }

  function queueText(lang, queue) {
    const name = I18n.nameIn(queue.names, lang);
    const wait = queue.estimated_wait_minutes === null ? "—" : message(lang, "wait", { minutes: queue.estimated_wait_minutes });
    return `${name}: ${message(lang, "waiting", { n: queue.waiting })}, ${wait}`;
  }

  function applyLanguages() {
    const first = primary();
    const second = secondary();
    document.documentElement.lang = first;
    document.body.dataset.second = second || "";
    document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = message(first, el.dataset.t); });
    document.querySelectorAll("[data-t2]").forEach((el) => {
      el.textContent = second ? message(second, el.dataset.t2) : "";
      if (second) el.lang = second;
    });
  }

  function chime() {
    window.madoguchiChimes += 1;
    if (!audio) return;
    const start = audio.currentTime;
    [880, 660].forEach((freq, i) => {  // ピンポン: two soft sine tones
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + i * 0.45);
      gain.gain.exponentialRampToValueAtTime(0.4, start + i * 0.45 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.45 + 0.9);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + i * 0.45);
      osc.stop(start + i * 0.45 + 1.0);
    });
  }

  function render(board) {
    last = board;
    if (board.languages && board.languages.join() !== languages.join()) { languages = board.languages; turn = 0; }
    applyLanguages();
    const first = primary();
    const second = secondary();
    $("office").textContent = board.office_name;
    const calls = board.calls;
    if (calls.length) {
      $("latest-number").textContent = calls[0].display_number;
      $("latest-counter").textContent = message(first, "go_to", { counter: counterIn(first, calls[0]) });
      $("latest-counter-2").textContent = second ? message(second, "go_to", { counter: counterIn(second, calls[0]) }) : "";
      $("latest-counter-2").lang = second || "";
    }
    const body = $("calls");
    body.replaceChildren();
    for (const call of calls.slice(1)) {
      const row = document.createElement("tr");
      const number = document.createElement("td");
      number.textContent = call.display_number;
      const counter = document.createElement("td");
      counter.textContent = [counterIn(first, call), second && counterIn(second, call)].filter(Boolean).join(" / ");
      row.append(number, counter);
      body.appendChild(row);
    }
    const list = $("queues");
    list.replaceChildren();
    for (const queue of board.queues) {
      const item = document.createElement("li");
      item.textContent = `${queue.prefix} ${queueText(first, queue)}`;
      if (second) {
        const small = document.createElement("small");
        small.lang = second;
        small.textContent = queueText(second, queue);
        item.appendChild(small);
      }
      list.appendChild(item);
    }
  }

  async function refresh() {
    try {
      render(await M.api(token, "GET", "/api/v1/board"));
      $("error").textContent = "";
    } catch (err) {
      $("error").textContent = err.message;
    }
  }

  function onEvent(kind) {
    if (kind === "hello") { refresh(); return; }
    if (kind === "called") {
      chime();
      const latest = document.querySelector(".latest");
      latest.classList.remove("flash");
      void latest.offsetWidth;  // restart the animation
      latest.classList.add("flash");
    }
    refresh();
  }

  $("sound").addEventListener("click", () => {
    // Browsers allow sound only after a gesture: staff press this once when starting the screen.
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    audio.resume();
    $("sound").classList.add("hidden");
  });

  if (!token) {
    $("error").textContent = "この端末は登録されていません（#token=…） / Device not registered.";
    return;
  }
  refresh();
  setInterval(() => { if (languages.length > 2 && last) { turn += 1; render(last); } }, ROTATE_SECONDS * 1000);
  M.streamEvents("/api/v1/board/events", token, onEvent, (on) => {
    $("live").className = on ? "live-on" : "live-off";
    document.body.dataset.live = on ? "on" : "off";
  });
})();
