// The staff login shared by the admin console and the managers' report: the #login form
// (団体コード, user name, password), the #console section shown once logged in with #who and
// #tenant-name filled in, the #logout button, and the session already open at /api/v1/auth/me.
// Each screen keeps its own texts, its own api() (CSRF header) and what happens after login.
"use strict";
window.staffLogin = function (options) {
  // options: storageKey (the last 団体コード typed, per screen), api(method, path, body),
  // onStart(me) once logged in, onLogout() after the logout.
  const $ = (id) => document.getElementById(id);

  function show() {
    $("console").hidden = true;
    $("login").hidden = false;
    // What was typed stays; otherwise the 団体コード last used on this screen.
    $("tenant-code").value = $("tenant-code").value || localStorage.getItem(options.storageKey) || "";
    ($("tenant-code").value ? $("login").elements.username : $("tenant-code")).focus();
  }

  async function start(me) {
    $("who").textContent = `${me.staff.display_name}（${me.staff.username}）`;
    $("tenant-name").textContent = `${me.staff.tenant_name}（${me.staff.tenant_code}）`;
    $("login").hidden = true;
    $("console").hidden = false;
    await options.onStart(me);
  }

  async function submit(event) {
    event.preventDefault();
    const body = Object.fromEntries(new FormData(event.target));
    $("login-error").textContent = "";
    try {
      const me = await options.api("POST", "/api/v1/auth/login", body);
      localStorage.setItem(options.storageKey, body.tenant_code);
      event.target.elements.password.value = "";
      await start(me);
    } catch (e) { $("login-error").textContent = e.message; }
  }

  async function logout() {
    await options.api("POST", "/api/v1/auth/logout").catch(() => {});
    options.onLogout();
    show();
  }

  // Wires the form and the logout button, then opens the console if a session is open.
  async function begin() {
    $("login").addEventListener("submit", submit);
    $("logout").addEventListener("click", logout);
    try {
      const me = await fetch("/api/v1/auth/me", { headers: { Accept: "application/json" } });
      if (me.ok) { await start(await me.json()); return; }
    } catch (e) { /* not logged in */ }
    show();
  }

  return { show, begin };
};
