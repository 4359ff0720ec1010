// Pairs this device with a one-time code (from the QR link /pair/#code=… or typed), then opens
// the device's own screen with its token in the fragment (each screen stores it and clears it).
"use strict";
(function () {
  const SCREENS = { ticket_machine: "/ticket/", display: "/display/", tablet: "/tablet/" };
  const $ = (id) => document.getElementById(id);

  async function pair(code) {
    $("status").textContent = "登録しています… / Pairing…";
    const response = await fetch("/api/v1/devices/pair", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ code }),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const message = (data.error && data.error.message) || response.statusText;
      $("status").textContent = "登録できませんでした: " + message;
      $("code").focus();
      return;
    }
    const screen = SCREENS[data.device.kind];
    if (screen) {
      window.location.replace(screen + "#token=" + encodeURIComponent(data.token));
      return;
    }
    $("status").textContent = "登録しました: " + data.device.name + " / Paired.";
    $("token").textContent = data.token;
    $("token-box").hidden = false;
    $("pair-form").hidden = true;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const code = new URLSearchParams(window.location.hash.slice(1)).get("code");
    window.history.replaceState(null, "", window.location.pathname);  // the code leaves the bar
    $("pair-form").addEventListener("submit", (event) => {
      event.preventDefault();
      pair($("code").value.trim().toUpperCase());
    });
    if (code) {
      $("code").value = code;
      pair(code);
    } else {
      $("code").focus();
    }
  });
})();
