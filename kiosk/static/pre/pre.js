// The resident's page of a municipality (/pre/#<団体コード>): pre-entry (事前入力) with a QR
// code for the counter, and reservations (来庁予約). Public, no login; nothing is stored until
// the resident asks for the QR code or books. Catalog texts come translated from the server.
"use strict";
(function () {
  const { S, LANGS } = window.PreStrings;
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(window.location.search);
  const tenantCode = (window.location.hash.slice(1) || params.get("t") || "").replace(/\D/g, "");
  const browserLang = (navigator.language || "ja").slice(0, 2);
  const state = {
    lang: LANGS.includes(params.get("lang")) ? params.get("lang") : (LANGS.includes(browserLang) ? browserLang : "ja"),
    setup: null, event: null, members: [], answers: {}, areasLoaded: false,
    slots: [], slot: null, booked: null, guidanceSeq: 0,
  };
  const t = (key) => (S[state.lang] && S[state.lang][key]) || S.ja[key];
  const base = `/api/v1/public/${tenantCode}`;
  const ERRORS = { resident_service_off: "err_off", individual_number_refused: "err_number", slot_full: "err_full",
    already_booked: "err_already", too_many_requests: "err_busy" };

  async function api(method, url, body) {
    const response = await fetch(url, { method, headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error((data.error && data.error.message) || response.statusText);
      error.code = data.error && data.error.code;
      throw error;
    }
    return data;
  }

  function fail(error) {
    $("error").textContent = t(ERRORS[error.code] || "err_generic");
    document.body.dataset.error = error.code || "error";
  }

  function el(tag, text, attrs = {}) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  function withJapanese(label, ja) {
    const span = el("span", label);
    if (ja && ja !== label) span.append(el("small", ja, { lang: "ja" }));
    return span;
  }

  function qrImage(img, svg, alt) {
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
    img.alt = alt;
  }

  // --- language ---------------------------------------------------------------------------

  function applyLanguage() {
    document.documentElement.lang = state.lang;
    $("lang").value = state.lang;
    document.querySelectorAll("[data-t]").forEach((node) => { node.textContent = t(node.dataset.t); });
    document.title = t("title");
  }

  async function changeLanguage() {
    state.lang = $("lang").value;
    applyLanguage();
    await loadSetup();
    if (state.event) refreshGuidance();
    if (!$("res").hidden) loadSlots();
  }

  // --- set-up -----------------------------------------------------------------------------

  async function loadSetup() {
    state.setup = await api("GET", `${base}/setup?lang=${state.lang}`);
    $("tenant").textContent = state.setup.tenant_name;
    $("tab-pre").hidden = !state.setup.preentry;
    $("tab-res").hidden = !state.setup.reservations;
    renderEvents();
    renderCertificates();
  }

  function renderEvents() {
    const box = $("events");
    box.replaceChildren();
    for (const choice of state.setup.events) {
      const input = el("input", null, { type: "radio", name: "event", value: choice.value });
      input.checked = choice.value === state.event;
      input.addEventListener("change", () => chooseEvent(choice.value));
      const label = el("label");
      label.append(input, withJapanese(choice.label, choice.label_ja));
      box.append(label);
    }
  }

  function renderCertificates() {
    const box = $("certificates");
    const checked = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
    box.replaceChildren();
    for (const choice of state.setup.certificates) {
      const input = el("input", null, { type: "checkbox", value: choice.value });
      input.checked = checked.has(choice.value);
      const label = el("label");
      label.append(input, withJapanese(choice.label, choice.label_ja));
      box.append(label);
    }
  }

  function showTab(which) {
    $("pre").hidden = which !== "pre";
    $("res").hidden = which !== "res";
    $("tab-pre").setAttribute("aria-pressed", String(which === "pre"));
    $("tab-res").setAttribute("aria-pressed", String(which === "res"));
    if (which === "res") loadSlots();
  }

  // --- pre-entry --------------------------------------------------------------------------

  async function chooseEvent(code) {
    state.event = code;
    $("details").hidden = false;
    const moves = code === "moving-in" || code === "moving-within";
    $("address-box").hidden = !moves;
    if (moves && !state.areasLoaded) await loadAreas();
    refreshGuidance();
  }

  async function loadAreas() {
    const areas = await api("GET", `${base}/areas`).catch(() => []);
    const select = $("area");
    for (const area of areas) select.append(el("option", area.name, { value: area.id }));
    state.areasLoaded = true;
  }

  function renderMembers() {
    const list = $("members");
    list.replaceChildren();
    state.members.forEach((member, index) => {
      const item = el("li", `${member.name} (${member.birth_date})`);
      const remove = el("button", t("remove"), { type: "button", class: "secondary" });
      remove.addEventListener("click", () => {
        state.members.splice(index, 1);
        state.answers = {};
        renderMembers(); refreshGuidance();
      });
      item.append(remove);
      list.append(item);
    });
  }

  function addMember(event) {
    event.preventDefault();
    const name = $("m-name").value.trim();
    const birth = $("m-birth").value;
    if (!name || !birth) { $("error").textContent = t("err_member"); return; }
    const member = { name, birth_date: birth, sex: $("m-sex").value, relationship: $("m-rel").value,
      nationality: $("m-nat").value };
    const kana = $("m-kana").value.trim();
    if (kana) member.kana = kana;
    state.members.push(member);
    $("member-form").reset(); $("member-form").hidden = true; $("error").textContent = "";
    renderMembers(); refreshGuidance();
    $("add-member").focus();
  }

  function asked() {
    return { lang: state.lang, event: state.event, members: state.members, answers: state.answers };
  }

  async function refreshGuidance() {
    const seq = ++state.guidanceSeq;
    document.body.dataset.busy = "1";
    try {
      const guidance = await api("POST", `${base}/guidance`, asked());
      if (seq !== state.guidanceSeq) return;
      $("error").textContent = "";
      renderQuestions(guidance.questions);
      renderProcedures(guidance);
    } catch (error) { fail(error); }
    finally { if (seq === state.guidanceSeq) document.body.dataset.busy = "0"; }
  }

  function answer(id, value) {
    if (value === "" || value === null) delete state.answers[id]; else state.answers[id] = value;
    refreshGuidance();
  }

  function renderQuestions(questions) {
    const box = $("questions");
    box.replaceChildren();
    $("no-questions").hidden = questions.length > 0;
    for (const question of questions) {
      const row = el("div", null, { class: "question", "data-question": question.id });
      row.append(el("p", question.text));
      if (question.type === "bool") {
        const choices = el("div", null, { class: "row" });
        for (const [value, key] of [[true, "yes"], [false, "no"]]) {
          const input = el("input", null, { type: "radio", name: `q-${question.id}`, value: String(value) });
          input.addEventListener("change", () => answer(question.id, value));
          const label = el("label");
          label.append(input, el("span", t(key)));
          choices.append(label);
        }
        row.append(choices);
      } else if (question.type === "choice") {
        const select = el("select", null, { "aria-label": question.text });
        select.append(el("option", t("choose"), { value: "" }));
        for (const choice of question.choices) select.append(el("option", choice.label, { value: choice.value }));
        select.addEventListener("change", () => answer(question.id, select.value));
        row.append(select);
      } else {
        const input = el("input", null, { type: question.type === "int" ? "number" : "text", "aria-label": question.text });
        input.addEventListener("change", () => answer(question.id,
          question.type === "int" && input.value !== "" ? Number(input.value) : input.value.trim()));
        row.append(input);
      }
      box.append(row);
    }
  }

  function renderProcedures(guidance) {
    const L = S[state.lang];
    $("totals").textContent = L.totals(guidance.procedures.length, guidance.fee_yen);
    const list = $("procedures");
    list.replaceChildren();
    for (const procedure of guidance.procedures) {
      const item = el("li");
      item.append(withJapanese(procedure.name, procedure.name_ja));
      item.append(el("div", L.where({ name: procedure.counter, number: procedure.counter_number,
        floor: procedure.floor }), { class: "where" }));
      if (procedure.fee_yen) item.append(el("div", L.fee(procedure.fee_yen)));
      if (procedure.items.length) {
        const items = el("ul", null, { "aria-label": t("bring") });
        for (const thing of procedure.items) {
          const li = el("li");
          li.append(withJapanese(thing.label, thing.label_ja));
          items.append(li);
        }
        item.append(items);
      }
      list.append(item);
    }
  }

  function entry() {
    const body = { ...asked() };
    const date = $("event-date").value;
    if (date) body.event_date = date;
    const phone = $("phone").value.trim();
    if (phone) body.phone = phone;
    if (!$("address-box").hidden && $("area").value) {
      body.new_area_id = $("area").value;
      const block = $("block").value.trim();
      if (block) body.new_block = block;
    }
    body.certificates = [...$("certificates").querySelectorAll("input:checked")].map((input) => (
      { kind: input.value, copies: 1, ...(input.value === "residence" ? { scope: "household" } : {}) }));
    return body;
  }

  async function makeQr() {
    try {
      const issued = await api("POST", `${base}/preentries`, entry());
      $("error").textContent = "";
      qrImage($("qr"), issued.qr_svg, issued.code);
      $("code").textContent = issued.code;
      const until = new Date(issued.expires_at).toLocaleDateString(state.lang, { dateStyle: "long" });
      $("expires").textContent = S[state.lang].expires(until);
      $("details").hidden = true; $("events-box").hidden = true;
      $("done").hidden = false;
      document.body.dataset.state = "issued";
      $("done").scrollIntoView();
    } catch (error) { fail(error); }
  }

  // --- reservations -----------------------------------------------------------------------

  function when(iso) {
    return new Date(iso).toLocaleString(state.lang, { month: "long", day: "numeric", weekday: "short",
      hour: "2-digit", minute: "2-digit", timeZone: "Asia/Tokyo" });
  }

  async function loadSlots() {
    try {
      state.slots = await api("GET", `${base}/slots?lang=${state.lang}`);
    } catch (error) { fail(error); return; }
    const purposes = new Map(state.slots.map((s) => [s.purpose, s]));
    const select = $("purpose");
    const chosen = select.value;
    select.replaceChildren();
    for (const [purpose, slot] of purposes) {
      const label = slot.label === slot.label_ja ? slot.label : `${slot.label} (${slot.label_ja})`;
      select.append(el("option", label, { value: purpose }));
    }
    if (purposes.has(chosen)) select.value = chosen;
    renderSlots();
  }

  function renderSlots() {
    const list = $("slots");
    list.replaceChildren();
    const shown = state.slots.filter((s) => s.purpose === $("purpose").value);
    $("no-slots").hidden = shown.length > 0;
    for (const slot of shown) {
      const button = el("button", `${when(slot.starts_at)} — ${S[state.lang].remaining(slot.remaining)}`,
        { type: "button", "aria-pressed": String(state.slot === slot.id), "data-slot": slot.id });
      button.disabled = slot.remaining <= 0;
      button.addEventListener("click", () => { state.slot = slot.id; $("book").disabled = false; renderSlots(); });
      const item = el("li");
      item.append(button);
      list.append(item);
    }
  }

  async function book() {
    const body = { slot_id: state.slot, lang: state.lang };
    const phone = $("res-phone").value.trim();
    if (phone) body.phone = phone;
    try {
      state.booked = await api("POST", `${base}/reservations`, body);
      $("error").textContent = "";
      $("res-number").textContent = state.booked.number;
      $("res-when").textContent = `${when(state.booked.slot.starts_at)} — ${state.booked.slot.label}`;
      qrImage($("res-qr"), state.booked.qr_svg, state.booked.number);
      $("booked").hidden = false; $("book").disabled = true;
      document.body.dataset.state = "booked";
      $("booked").scrollIntoView();
      loadSlots();
    } catch (error) { fail(error); loadSlots(); }
  }

  async function cancelBooking() {
    try {
      await api("POST", `${base}/reservations/cancel`, { code: state.booked.code });
      $("booked").hidden = true;
      $("error").textContent = "";
      $("res-when").textContent = "";
      say(t("cancelled"));
      loadSlots();
    } catch (error) { fail(error); }
  }

  function say(text) {
    const note = el("p", text, { class: "ok", role: "status" });
    $("res").prepend(note);
  }

  // --- start ------------------------------------------------------------------------------

  async function start() {
    applyLanguage();
    $("lang").addEventListener("change", changeLanguage);
    $("tab-pre").addEventListener("click", () => showTab("pre"));
    $("tab-res").addEventListener("click", () => showTab("res"));
    $("add-member").addEventListener("click", () => { $("member-form").hidden = false; $("m-name").focus(); });
    $("m-cancel").addEventListener("click", () => { $("member-form").hidden = true; });
    $("member-form").addEventListener("submit", addMember);
    $("make-qr").addEventListener("click", makeQr);
    $("purpose").addEventListener("change", () => { state.slot = null; $("book").disabled = true; renderSlots(); });
    $("book").addEventListener("click", book);
    $("res-cancel").addEventListener("click", cancelBooking);
    try {
      await loadSetup();
      showTab(state.setup.preentry ? "pre" : "res");
      document.body.dataset.state = "ready";
    } catch (error) { fail(error); document.body.dataset.state = "off"; }
  }

  start();
})();
