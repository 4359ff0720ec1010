// Device token for kiosk screens (ticket machine, display board). Pairing link: /ticket/#token=…
// (a fragment never reaches the server or its logs); the older ?token=… is still accepted on
// the first load. Either way the token moves into localStorage and leaves the address bar
// (history.replaceState), and from then on travels only as "Authorization: Bearer".
"use strict";
(function () {
  function deviceToken(kind) {
    const key = "madoguchi.deviceToken." + kind;
    const params = new URLSearchParams(window.location.search);
    const hash = new URLSearchParams(window.location.hash.slice(1));
    const fromUrl = hash.get("token") || params.get("token");
    if (fromUrl) {
      window.localStorage.setItem(key, fromUrl);
      params.delete("token");
      const query = params.toString();
      window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
      return fromUrl;
    }
    return window.localStorage.getItem(key);
  }

  async function api(token, method, path, body) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error((data.error && data.error.message) || response.statusText);
      error.body = data.error || {};
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // Server-sent events over fetch (EventSource cannot send an Authorization header).
  // Reconnects with a growing pause; onEvent(kind, data) for every event.
  function streamEvents(path, token, onEvent, onState) {
    let pause = 1000;
    async function connect() {
      try {
        const headers = { Accept: "text/event-stream" };
        if (token) headers.Authorization = "Bearer " + token;
        const response = await fetch(path, { headers, cache: "no-store" });
        if (!response.ok || !response.body) throw new Error("stream " + response.status);
        onState && onState(true);
        pause = 1000;
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            dispatch(buffer.slice(0, end), onEvent);
            buffer = buffer.slice(end + 2);
          }
        }
      } catch (err) {
        /* reconnect below */
      }
      onState && onState(false);
      setTimeout(connect, pause);
      pause = Math.min(pause * 2, 30000);
    }
    connect();
  }

  function dispatch(block, onEvent) {
    let kind = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) kind = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trim());
    }
    if (!data.length) return;
    try { onEvent(kind, JSON.parse(data.join("\n"))); } catch (err) { /* ignore */ }
  }

  window.Madoguchi = { deviceToken, api, streamEvents };
})();
