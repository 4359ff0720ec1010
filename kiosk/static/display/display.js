// Display board: numbers called with their counter, the last calls, waiting counts, and a
// chime synthesised with WebAudio (no audio files). Live through server-sent events.
"use strict";
(function () {
  const M = window.Madoguchi;
  const token = M.deviceToken("display");
  const $ = (id) => document.getElementById(id);
  let audio = null;
  window.madoguchiChimes = 0;

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
    $("office").textContent = board.office_name;
    const calls = board.calls;
    if (calls.length) {
      $("latest-number").textContent = calls[0].display_number;
      $("latest-counter").textContent = `${calls[0].counter_name} へお越しください / Counter ${calls[0].counter_code}`;
    }
    const body = $("calls");
    body.replaceChildren();
    for (const call of calls.slice(1)) {
      const row = document.createElement("tr");
      const number = document.createElement("td");
      number.textContent = call.display_number;
      const counter = document.createElement("td");
      counter.textContent = `${call.counter_name} (${call.counter_code})`;
      row.append(number, counter);
      body.appendChild(row);
    }
    const list = $("queues");
    list.replaceChildren();
    for (const queue of board.queues) {
      const item = document.createElement("li");
      const wait = queue.estimated_wait_minutes === null ? "—" : `約${queue.estimated_wait_minutes}分 / ~${queue.estimated_wait_minutes} min`;
      item.textContent = `${queue.prefix} ${queue.name_ja} / ${queue.name_en}: ${queue.waiting}人 waiting, ${wait}`;
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
  M.streamEvents("/api/v1/board/events", token, onEvent, (on) => {
    $("live").className = on ? "live-on" : "live-off";
    document.body.dataset.live = on ? "on" : "off";
  });
})();
