// The phone page behind the ticket's QR code: position, estimated wait, "呼ばれました".
// Public, but found only by the unguessable follow token in the URL fragment (#token).
"use strict";
(function () {
  const token = window.location.hash.slice(1);
  const $ = (id) => document.getElementById(id);
  let lang = (navigator.language || "ja").startsWith("ja") ? "ja" : "en";
  let last = null;
  const t = (ja, en) => (lang === "ja" ? ja : en);

  const STATES = {
    waiting: ["お待ちください", "Please wait"],
    transferred: ["次の窓口でお待ちください", "Please wait for the next counter"],
    serving: ["受付中です", "Being served"],
    done: ["手続きは終わりました。ありがとうございました。", "Finished. Thank you."],
    no_show: ["呼出に応答がなかったため、番号札は無効になりました。係員にお声がけください。",
      "Your number was called but you were not there. Please ask a member of staff."],
  };

  function render(s) {
    last = s;
    document.documentElement.lang = lang;
    $("lang").textContent = lang === "ja" ? "English" : "日本語";
    $("queue").textContent = lang === "ja" ? s.queue_name_ja : s.queue_name_en;
    $("number").textContent = s.display_number;
    const state = $("state");
    state.className = "state";
    if (s.status === "called") {
      state.classList.add("called");
      state.textContent = t(`呼ばれました — ${s.counter_name} へお越しください`,
        `You are being called — please go to counter ${s.counter_code}`);
      if (navigator.vibrate) navigator.vibrate([300, 150, 300]);
    } else {
      const [ja, en] = STATES[s.status] || [s.status, s.status];
      state.textContent = t(ja, en);
    }
    document.body.dataset.status = s.status;
    // The back office's work, where the municipality shows it (absent otherwise).
    const outcome = $("outcome");
    outcome.hidden = !s.outcome;
    outcome.dataset.outcome = s.outcome || "";
    outcome.textContent = s.outcome === "done" ? t("届出の処理は完了しました。", "Your application has been processed.")
      : s.outcome ? t("届出は市役所で処理中です。", "Your application is being processed.") : "";
    $("ahead-label").textContent = t("あなたの前", "Ahead of you");
    $("wait-label").textContent = t("待ち時間の目安", "Estimated wait");
    $("ahead").textContent = s.people_ahead === null ? "—" : t(`${s.people_ahead}人`, `${s.people_ahead}`);
    $("wait").textContent = s.estimated_wait_minutes === null ? "—"
      : t(`約${s.estimated_wait_minutes}分`, `about ${s.estimated_wait_minutes} min`);
    $("note").textContent = t("この画面は自動で更新されます。", "This page updates by itself.");
  }

  async function refresh() {
    try {
      const response = await fetch(`/api/v1/follow/${encodeURIComponent(token)}`, { cache: "no-store" });
      if (!response.ok) throw new Error(t("番号札が見つかりません。", "Ticket not found."));
      render(await response.json());
      $("error").textContent = "";
    } catch (err) {
      $("error").textContent = err.message;
    }
  }

  $("lang").addEventListener("click", () => {
    lang = lang === "ja" ? "en" : "ja";
    if (last) render(last);
  });

  if (!token) {
    $("error").textContent = "番号札のQRコードから開いてください / Open this page from your ticket's QR code.";
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
