// Ticket machine: one large button per purpose; the issued ticket is printed by the machine's
// printer, or, when nothing was printed (paper out, no printer), shown as a QR code on screen.
"use strict";
(function () {
  const M = window.Madoguchi;
  const token = M.deviceToken("ticket");
  let lang = "ja";
  let resetTimer = null;
  const $ = (id) => document.getElementById(id);

  function t(ja, en) { return lang === "ja" ? ja : en; }

  function applyLanguage() {
    document.documentElement.lang = lang;
    $("lang").textContent = lang === "ja" ? "English" : "日本語";
    document.querySelectorAll("[data-ja]").forEach((el) => {
      el.textContent = el.dataset[lang];
    });
  }

  function waitText(minutes, waiting) {
    if (minutes === null || minutes === undefined) return t("待ち時間：不明", "Wait: unknown");
    return t(`待ち ${waiting}人・約${minutes}分`, `${waiting} waiting · about ${minutes} min`);
  }

  async function loadQueues() {
    if (!token) {
      $("error").textContent = t("この端末は登録されていません（#token=…）。", "This device is not registered (#token=…).");
      return;
    }
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
        button.textContent = lang === "ja" ? queue.name_ja : queue.name_en;
        const small = document.createElement("small");
        small.textContent = queue.issuing_open
          ? waitText(queue.estimated_wait_minutes, queue.waiting)
          : t(`受付時間 ${queue.opens_at}〜${queue.closes_at}`, `Hours ${queue.opens_at}–${queue.closes_at}`);
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
      const result = await M.api(token, "POST", "/api/v1/tickets", { queue_id: queue.id });
      showIssued(result);
    } catch (err) {
      const body = err.body || {};
      $("error").textContent = lang === "en" && body.message_en ? body.message_en : err.message;
    }
  }

  function showIssued(result) {
    $("choose").classList.add("hidden");
    $("issued").classList.remove("hidden");
    $("issued-queue").textContent = lang === "ja" ? result.queue_name_ja : result.queue_name_en;
    $("issued-number").textContent = result.ticket.display_number;
    $("issued-wait").textContent = t(
      `あなたの前に ${result.people_ahead}人・待ち時間 約${result.estimated_wait_minutes ?? "?"}分`,
      `${result.people_ahead} ahead of you · about ${result.estimated_wait_minutes ?? "?"} min`);
    const printed = result.print.printed;
    $("printed-note").textContent = printed ? t("番号札をお取りください。", "Please take your ticket.") : "";
    $("qr-box").classList.toggle("hidden", printed);
    if (!printed) {
      $("qr").src = result.qr_svg_url;
      $("qr-reason").textContent = result.print.status === "paper_out"
        ? t("用紙切れのため番号札を印刷できませんでした。", "The printer is out of paper.")
        : t("番号札を印刷できませんでした。", "The ticket could not be printed.");
    }
    document.body.dataset.printStatus = result.print.status;
    clearTimeout(resetTimer);
    resetTimer = setTimeout(backToStart, 30000);
  }

  function backToStart() {
    $("issued").classList.add("hidden");
    $("choose").classList.remove("hidden");
    loadQueues();
  }

  $("lang").addEventListener("click", () => {
    lang = lang === "ja" ? "en" : "ja";
    applyLanguage();
    loadQueues();
  });
  $("back").addEventListener("click", backToStart);
  applyLanguage();
  loadQueues();
})();
