// The municipality's admin console: staff accounts, devices (pairing by code and QR),
// back-office destinations and catalog versions. Japanese first, English on request.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const TEXT = {
    ja: {
      title: "管理画面", login: "ログイン", tenantCode: "団体コード", username: "ユーザー名",
      password: "パスワード", logout: "ログアウト", staffTab: "職員", devicesTab: "端末",
      destinationsTab: "連携先", catalogTab: "手続きカタログ", displayName: "氏名", role: "役割",
      state: "状態", actions: "操作", addStaff: "職員アカウントの追加",
      initialPassword: "初期パスワード（12文字以上）", add: "追加する", deviceName: "名前",
      kind: "種類", lastContact: "最終通信", addDevice: "端末の登録",
      placement: "設置場所", wholeOffice: "{office}（庁舎全体）", counterPlace: "{office} {code}番 {name}", noPlace: "なし",
      placementHint: { agent: "窓口を選んでください（この窓口の PC で読み取ります）", tablet: "窓口を選んでください（この窓口の住民に表示します）", ticket_machine: "庁舎を選んでください", display: "庁舎を選んでください", back_office_api: "設置場所はありません" },
      issueCode: "登録コードを発行する", pairingCode: "登録コード",
      pairingHelp: "端末でこの QR コードを読み取るか、端末の /pair/ 画面でコードを入力してください（10分間有効・1回限り）。",
      destName: "連携先", progress: "送信・受領", version: "版", label: "名称", procedures: "手続き数",
      diff: "有効な版との違い", uploadCatalog: "新しい版を登録（YAML・上級者向け）",
      yamlFile: "YAML ファイル", note: "メモ", upload: "下書きとして登録",
      active: "有効", disabled: "無効", disable: "無効にする", enable: "有効にする",
      resetPassword: "パスワード再設定", revoke: "登録を取り消す", reissue: "コード再発行",
      revoked: "取消済み", paired: "登録済み", waiting: "登録待ち", never: "なし",
      activate: "有効にする", showDiff: "違いを見る", rollback: "一つ前の版に戻す", draft: "下書き",
      added: "追加しました", confirmDisable: "このアカウントを無効にしますか？ 開いている画面はすぐにログアウトされます。",
      newPassword: "新しいパスワード（12文字以上）を入力してください", sessionsEnded: "件のログインを終了しました",
      enabled: "有効", paused: "停止中", purged: "未受領のまま削除", sample: "見本カタログ（組み込み）",
      activeVersion: "有効な版", noChanges: "違いはありません", addedItems: "追加", removedItems: "削除",
      changedItems: "変更", chooseFile: "YAML ファイルを選んでください", uploaded: "下書きとして登録しました",
      activated: "有効にしました", rolledBack: "一つ前の版に戻しました", loginFailed: "ログインできませんでした",
      setupTab: "窓口・番号札", areasTab: "町字", areasHelp: "デジタル庁のアドレス・ベース・レジストリ（町字マスター）の CSV、または id,name,kana の CSV を選んでください。取り込むと町字の一覧が置き換わります。",
      csvFile: "CSV ファイル", importAreas: "取り込む", areasAdded: "件を取り込みました", areasRefused: "件は取り込めませんでした",
      hours: "開庁時間", queues: "番号札（発券機のボタン）", counters: "窓口", prefix: "頭文字", nameJa: "表示名（日本語）",
      nameEn: "表示名（英語）", nameOther: "表示名（{lang}）", otherNames: "住民の言語での表示名（空欄は英語で表示）", issueHours: "発券時間", inUse: "使用中", save: "保存", addQueue: "番号札を追加",
      addCounter: "窓口を追加", counterNo: "窓口番号", floor: "階", serves: "受け付ける番号札", saved: "保存しました",
      line: "行",
      kinds: { agent: "カード読取端末（窓口PC）", tablet: "確認用タブレット", ticket_machine: "発券機", display: "呼出表示", back_office_api: "基幹システム・RPA 連携" },
    },
    en: {
      title: "Admin console", login: "Log in", tenantCode: "Municipality code", username: "Username",
      password: "Password", logout: "Log out", staffTab: "Staff", devicesTab: "Devices",
      destinationsTab: "Destinations", catalogTab: "Procedure catalog", displayName: "Name", role: "Role",
      state: "State", actions: "Actions", addStaff: "Add a staff account",
      initialPassword: "Initial password (12+ characters)", add: "Add", deviceName: "Name",
      kind: "Kind", lastContact: "Last contact", addDevice: "Register a device",
      placement: "Placement", wholeOffice: "{office} (whole office)", counterPlace: "{office} counter {code} {name}", noPlace: "none",
      placementHint: { agent: "Choose the counter whose PC reads the cards", tablet: "Choose the counter whose residents it shows", ticket_machine: "Choose the office", display: "Choose the office", back_office_api: "No placement" },
      issueCode: "Issue a pairing code", pairingCode: "Pairing code",
      pairingHelp: "Scan this QR code on the device, or type the code on its /pair/ screen (valid 10 minutes, once).",
      destName: "Destination", progress: "Sent / acknowledged", version: "Version", label: "Label", procedures: "Procedures",
      diff: "Differences from the active version", uploadCatalog: "Upload a new version (YAML, for power users)",
      yamlFile: "YAML file", note: "Note", upload: "Upload as draft",
      active: "Active", disabled: "Disabled", disable: "Disable", enable: "Enable",
      resetPassword: "Reset password", revoke: "Revoke", reissue: "New code",
      revoked: "Revoked", paired: "Paired", waiting: "Waiting for pairing", never: "never",
      activate: "Activate", showDiff: "Show differences", rollback: "Roll back to the previous version", draft: "Draft",
      added: "Added", confirmDisable: "Disable this account? Its open screens are logged out at once.",
      newPassword: "Type the new password (12+ characters)", sessionsEnded: "session(s) ended",
      enabled: "Enabled", paused: "Paused", purged: "purged unread", sample: "Sample catalog (built in)",
      activeVersion: "Active version", noChanges: "No differences", addedItems: "Added", removedItems: "Removed",
      changedItems: "Changed", chooseFile: "Choose a YAML file", uploaded: "Uploaded as a draft",
      activated: "Activated", rolledBack: "Rolled back", loginFailed: "Could not log in",
      setupTab: "Counters & queues", areasTab: "Town names", areasHelp: "Choose the Digital Agency's address base registry CSV (町字マスター) or an id,name,kana CSV. Importing replaces the list.",
      csvFile: "CSV file", importAreas: "Import", areasAdded: "imported", areasRefused: "refused",
      hours: "Opening hours", queues: "Queues (ticket machine buttons)", counters: "Counters", prefix: "Prefix", nameJa: "Label (Japanese)",
      nameEn: "Label (English)", nameOther: "Label ({lang})", otherNames: "Labels in the residents' languages (empty: shown in English)", issueHours: "Issuing hours", inUse: "In use", save: "Save", addQueue: "Add a queue",
      addCounter: "Add a counter", counterNo: "Counter no.", floor: "Floor", serves: "Queues served", saved: "Saved",
      line: "line",
      kinds: { agent: "Card reader PC (agent)", tablet: "Resident tablet", ticket_machine: "Ticket machine", display: "Call display", back_office_api: "Core system / RPA" },
    },
  };
  const state = { lang: localStorage.getItem("admin.lang") || "ja", csrf: null, roles: [], offices: [] };
  const t = (key) => TEXT[state.lang][key] || TEXT.ja[key] || key;
  // For the tabs in their own modules (layouts.js, destinations.js): they add to window.adminTabs.
  window.admin = { api: (...args) => api(...args), say: (...args) => say(...args), when: (v) => when(v), lang: () => state.lang };
  window.adminTabs = window.adminTabs || {};

  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    $("lang").textContent = state.lang === "ja" ? "English" : "日本語";
    $("lang").lang = state.lang === "ja" ? "en" : "ja";
    fillKinds();
    fillPlacements();
    fillRoles();
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.csrf && method !== "GET") headers["x-csrf-token"] = state.csrf;
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await response.json().catch(() => ({}));
    if (response.status === 401) { showLogin(); throw new Error(t("loginFailed")); }
    if (!response.ok) {
      const error = new Error((data.error && data.error.message) || response.statusText);
      error.body = data.error || {};
      throw error;
    }
    return data;
  }

  function say(message, isError) {
    $("status").textContent = message;
    $("status").className = isError ? "error" : "";
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.append(td);
    return td;
  }

  function button(label, onClick, secondary) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (secondary) b.className = "secondary";
    b.addEventListener("click", onClick);
    return b;
  }

  function when(value) {
    return value ? new Date(value).toLocaleString(state.lang === "ja" ? "ja-JP" : "en-GB") : t("never");
  }

  // --- staff -----------------------------------------------------------------------------
  function fillRoles() {
    const select = $("role-select");
    const current = select.value;
    select.textContent = "";
    for (const role of state.roles) {
      if (role.role === "operator") continue;  // granted by the operator, not here
      const option = document.createElement("option");
      option.value = role.role;
      option.textContent = role.description.split("：")[0] + " (" + role.role + ")";
      select.append(option);
    }
    if (current) select.value = current;
    showRoleHelp();
  }

  function showRoleHelp() {
    const role = state.roles.find((r) => r.role === $("role-select").value);
    $("role-help").textContent = role ? role.description : "";
  }

  async function loadStaff() {
    const rows = await api("GET", "/api/v1/staff");
    const body = $("staff-table").querySelector("tbody");
    body.textContent = "";
    for (const staff of rows) {
      const row = document.createElement("tr");
      cell(row, staff.username);
      cell(row, staff.display_name);
      const role = state.roles.find((r) => r.role === staff.role);
      cell(row, role ? role.description.split("：")[0] : staff.role);
      const stateCell = cell(row, staff.active ? t("active") : t("disabled"));
      if (!staff.active) stateCell.className = "inactive";
      const actions = cell(row, "");
      if (staff.active) {
        actions.append(button(t("disable"), () => disableStaff(staff), true));
      } else {
        actions.append(button(t("enable"), () => act(`/api/v1/staff/${staff.id}/enable`, loadStaff), true));
      }
      actions.append(button(t("resetPassword"), () => resetPassword(staff), true));
      body.append(row);
    }
  }

  async function disableStaff(staff) {
    if (!window.confirm(t("confirmDisable") + "\n" + staff.username)) return;
    const result = await api("POST", `/api/v1/staff/${staff.id}/disable`).catch((e) => say(e.message, true));
    if (result) say(`${staff.username}: ${t("disabled")} (${result.sessions_ended} ${t("sessionsEnded")})`);
    loadStaff();
  }

  async function resetPassword(staff) {
    const password = window.prompt(t("newPassword") + "\n" + staff.username);
    if (!password) return;
    const result = await api("POST", `/api/v1/staff/${staff.id}/reset-password`, { password }).catch((e) => say(e.message, true));
    if (result) say(`${staff.username}: ${t("resetPassword")} (${result.sessions_ended} ${t("sessionsEnded")})`);
  }

  async function act(path, reload) {
    try { await api("POST", path); } catch (e) { say(e.message, true); }
    reload();
  }

  async function addStaff(event) {
    event.preventDefault();
    const form = event.target;
    const body = Object.fromEntries(new FormData(form));
    if (!body.display_name) delete body.display_name;
    try {
      await api("POST", "/api/v1/staff", body);
      say(`${t("added")}: ${body.username}`);
      form.reset();
      showRoleHelp();
      loadStaff();
    } catch (e) { say(e.message, true); }
  }

  // --- devices ---------------------------------------------------------------------------
  function fillKinds() {
    const select = $("kind-select");
    const current = select.value;
    select.textContent = "";
    for (const [kind, label] of Object.entries(t("kinds"))) {
      const option = document.createElement("option");
      option.value = kind;
      option.textContent = label;
      select.append(option);
    }
    if (current) select.value = current;
  }

  // Where a device stands: a card reader or tablet at one counter, a ticket machine or display
  // in an office. Without it a tablet pairs but never shows a visit.
  const COUNTER_KINDS = ["agent", "tablet"];
  const OFFICE_KINDS = ["ticket_machine", "display"];
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");

  function placeName(device) {
    for (const office of state.offices) {
      const counter = office.counters.find((c) => c.id === device.counter_id);
      if (counter) return fill(t("counterPlace"), { office: office.name, code: counter.code, name: counter.name || "" });
      if (office.id === device.office_id) return fill(t("wholeOffice"), { office: office.name });
    }
    return t("noPlace");
  }

  function fillPlacements() {
    const kind = $("kind-select").value;
    const select = $("placement-select");
    const current = select.value;
    select.textContent = "";
    select.disabled = !COUNTER_KINDS.includes(kind) && !OFFICE_KINDS.includes(kind);
    select.required = !select.disabled;
    $("placement-hint").textContent = (t("placementHint") || {})[kind] || "";
    if (select.disabled) return;
    for (const office of state.offices) {
      const group = document.createElement("optgroup");
      group.label = office.name;
      if (OFFICE_KINDS.includes(kind)) group.append(new Option(fill(t("wholeOffice"), { office: office.name }), `office:${office.id}`));
      for (const c of office.counters) group.append(new Option(fill(t("counterPlace"), { office: office.name, code: c.code, name: c.name || "" }), `counter:${c.id}`));
      select.append(group);
    }
    if ([...select.options].some((o) => o.value === current)) select.value = current;
  }

  async function loadDevices() {
    state.offices = await api("GET", "/api/v1/setup/offices").catch(() => state.offices);
    fillPlacements();
    const rows = await api("GET", "/api/v1/devices");
    const body = $("device-table").querySelector("tbody");
    body.textContent = "";
    for (const device of rows) {
      const row = document.createElement("tr");
      cell(row, device.name);
      cell(row, t("kinds")[device.kind] || device.kind);
      cell(row, placeName(device));
      cell(row, when(device.last_seen_at));
      const status = device.revoked_at ? t("revoked") : device.paired ? t("paired") : t("waiting");
      cell(row, status).className = device.revoked_at ? "inactive" : "";
      const actions = cell(row, "");
      if (!device.revoked_at) {
        actions.append(button(t("reissue"), () => reissue(device), true));
        actions.append(button(t("revoke"), () => act(`/api/v1/devices/${device.id}/revoke`, loadDevices), true));
      }
      body.append(row);
    }
  }

  function showPairing(result) {
    $("pairing-code").textContent = result.pairing_code;
    $("pairing-qr").src = result.pairing_qr;
    $("pairing-link").href = result.pairing_url;
    $("pairing-link").textContent = result.pairing_url;
    $("pairing").hidden = false;
    $("pairing").scrollIntoView({ block: "nearest" });
  }

  async function reissue(device) {
    try { showPairing(await api("POST", `/api/v1/devices/${device.id}/pairing-code`)); } catch (e) { say(e.message, true); }
    loadDevices();
  }

  async function addDevice(event) {
    event.preventDefault();
    const body = Object.fromEntries(new FormData(event.target));
    const [where, id] = (body.placement || "").split(":");
    delete body.placement;
    if (where === "counter") body.counter_id = id;
    if (where === "office") body.office_id = id;
    try {
      showPairing(await api("POST", "/api/v1/devices", body));
      event.target.reset();
      loadDevices();
    } catch (e) { say(e.message, true); }
  }

  // --- offices, queues and counters -----------------------------------------------------
  function input(name, value, attrs) {
    const el = document.createElement("input");
    el.name = name;
    el.setAttribute("value", value == null ? "" : value);  // the saved value, as markup too
    Object.assign(el, attrs || {});
    return el;
  }

  function labelled(text, control) {
    const label = document.createElement("label");
    if (control.type === "checkbox") label.append(control, " " + text);  // box first, as usual
    else label.append(text + " ", control);
    return label;
  }

  async function save(method, path, body, reload) {
    try { await api(method, path, body); say(t("saved")); } catch (e) { say(e.message, true); }
    reload();
  }

  async function loadSetup() {
    const offices = await api("GET", "/api/v1/setup/offices");
    const root = $("offices");
    root.textContent = "";
    for (const office of offices) root.append(officeSection(office));
  }

  function officeSection(office) {
    const section = document.createElement("section");
    section.className = "card";
    const title = document.createElement("h3");
    title.textContent = `${office.name}（${office.code}）`;
    const hours = document.createElement("form");
    const opens = input("opens_at", office.opens_at, { size: 5, required: true });
    const closes = input("closes_at", office.closes_at, { size: 5, required: true });
    hours.append(labelled(t("hours"), opens), " 〜 ", closes, submitButton(t("save")));
    hours.addEventListener("submit", (e) => { e.preventDefault(); save("PATCH", `/api/v1/setup/offices/${office.id}`, { opens_at: opens.value, closes_at: closes.value }, loadSetup); });
    section.append(title, hours, queueTable(office), counterTable(office));
    return section;
  }

  function submitButton(text) {
    const b = document.createElement("button");
    b.type = "submit";
    b.textContent = text;
    return b;
  }

  // The resident languages beyond Japanese and English (ticket machine, slip, phone page,
  // board): each queue's label in them, optional (an empty one is shown in English).
  const OTHER_LANGUAGES = { ja: [["zh-Hans", "中国語"], ["ko", "韓国語"], ["vi", "ベトナム語"], ["pt", "ポルトガル語"]],
    en: [["zh-Hans", "Chinese"], ["ko", "Korean"], ["vi", "Vietnamese"], ["pt", "Portuguese"]] };

  function translationInputs(names) {
    const box = document.createElement("span");
    box.className = "translations";
    box.title = t("otherNames");
    const inputs = {};
    for (const [code, label] of OTHER_LANGUAGES[state.lang === "en" ? "en" : "ja"]) {
      inputs[code] = input(`name_${code}`, (names || {})[code] || "", { maxLength: 64, lang: code });
      box.append(labelled(t("nameOther").replace("{lang}", label), inputs[code]), " ");
    }
    const values = () => Object.fromEntries(Object.entries(inputs)
      .map(([code, el]) => [code, el.value.trim()]).filter(([, value]) => value));
    return { box, values };
  }

  function queueTable(office) {
    const wrap = document.createElement("div");
    const h = document.createElement("h4");
    h.textContent = t("queues");
    wrap.append(h);
    for (const q of office.queues) {
      const form = document.createElement("form");
      form.className = "row-form";
      const ja = input("name_ja", q.name_ja, { required: true, maxLength: 64 });
      const en = input("name_en", q.name_en, { required: true, maxLength: 64 });
      const others = translationInputs(q.name_translations);
      const active = input("active", "", { type: "checkbox", checked: q.active });
      form.append(`${q.prefix}  `, labelled(t("nameJa"), ja), labelled(t("nameEn"), en), others.box, labelled(t("inUse"), active), submitButton(t("save")));
      form.addEventListener("submit", (e) => { e.preventDefault(); save("PATCH", `/api/v1/setup/queues/${q.id}`, { name_ja: ja.value, name_en: en.value, name_translations: others.values(), active: active.checked }, loadSetup); });
      wrap.append(form);
    }
    const add = document.createElement("form");
    add.className = "row-form";
    const prefix = input("prefix", "", { required: true, maxLength: 2, size: 2, pattern: "[A-Z]{1,2}" });
    const ja = input("name_ja", "", { required: true, maxLength: 64 });
    const en = input("name_en", "", { required: true, maxLength: 64 });
    const others = translationInputs({});
    add.append(labelled(t("prefix"), prefix), labelled(t("nameJa"), ja), labelled(t("nameEn"), en), others.box, submitButton(t("addQueue")));
    add.addEventListener("submit", (e) => { e.preventDefault(); save("POST", `/api/v1/setup/offices/${office.id}/queues`, { prefix: prefix.value.toUpperCase(), name_ja: ja.value, name_en: en.value, name_translations: others.values(), sort_order: 100 }, loadSetup); });
    wrap.append(add);
    return wrap;
  }

  function queueChoices(office, chosen) {
    const box = document.createElement("span");
    for (const q of office.queues) {
      const check = input("queue", q.id, { type: "checkbox", checked: chosen.includes(q.id) });
      box.append(labelled(`${q.prefix} ${q.name_ja}`, check), " ");
    }
    return box;
  }

  function chosenQueues(box) {
    return Array.from(box.querySelectorAll("input[type=checkbox]")).filter((c) => c.checked).map((c) => c.value);
  }

  function counterTable(office) {
    const wrap = document.createElement("div");
    const h = document.createElement("h4");
    h.textContent = t("counters");
    wrap.append(h);
    for (const c of office.counters) {
      const form = document.createElement("form");
      form.className = "row-form";
      const name = input("name", c.name, { required: true, maxLength: 100 });
      const floor = input("floor", c.floor, { maxLength: 16, size: 4 });
      const choices = queueChoices(office, c.queue_ids);
      form.append(`${c.code}  `, labelled(t("deviceName"), name), labelled(t("floor"), floor), t("serves") + ": ", choices, submitButton(t("save")));
      form.addEventListener("submit", (e) => { e.preventDefault(); save("PATCH", `/api/v1/setup/counters/${c.id}`, { name: name.value, floor: floor.value || null, queue_ids: chosenQueues(choices) }, loadSetup); });
      wrap.append(form);
    }
    const add = document.createElement("form");
    add.className = "row-form";
    const code = input("code", "", { required: true, maxLength: 32, size: 4 });
    const name = input("name", "", { required: true, maxLength: 100 });
    const choices = queueChoices(office, []);
    add.append(labelled(t("counterNo"), code), labelled(t("deviceName"), name), t("serves") + ": ", choices, submitButton(t("addCounter")));
    add.addEventListener("submit", (e) => { e.preventDefault(); save("POST", `/api/v1/setup/offices/${office.id}/counters`, { code: code.value, name: name.value, queue_ids: chosenQueues(choices) }, loadSetup); });
    wrap.append(add);
    return wrap;
  }

  // --- 町字 ------------------------------------------------------------------------------
  async function importAreas(event) {
    event.preventDefault();
    const file = $("areas-file").files[0];
    $("areas-refused").textContent = "";
    if (!file) { say(t("chooseFile").replace("YAML", "CSV"), true); return; }
    const buffer = await file.arrayBuffer();
    let text;
    try { text = new TextDecoder("utf-8", { fatal: true }).decode(buffer); } catch (e) { text = new TextDecoder("shift_jis").decode(buffer); }
    try {
      const result = await api("POST", "/api/v1/addresses/import", { csv: text });
      $("areas-result").textContent = `${result.prefecture}${result.city}: ${result.added} ${t("areasAdded")} / ${result.refused} ${t("areasRefused")}`;
      for (const refusal of result.refusals) {
        const li = document.createElement("li");
        li.textContent = `${refusal.line} ${t("line")}: ${refusal.reason}`;
        $("areas-refused").append(li);
      }
    } catch (e) { say(e.message, true); $("areas-result").textContent = e.message; }
  }

  async function loadAreas() { /* the form is the whole tab */ }

  // --- catalog ---------------------------------------------------------------------------
  async function loadCatalog() {
    const versions = await api("GET", "/api/v1/catalog/versions");
    const active = versions.find((v) => v.active);
    $("catalog-active").textContent = `${t("activeVersion")}: ` + (active ? `${active.number} ${active.label}` : t("sample"));
    const body = $("catalog-table").querySelector("tbody");
    body.textContent = "";
    for (const version of versions.slice().reverse()) {
      const row = document.createElement("tr");
      cell(row, String(version.number));
      cell(row, version.label + (version.note ? ` — ${version.note}` : ""));
      cell(row, String(version.procedures));
      cell(row, version.active ? t("active") : t("draft"));
      const actions = cell(row, "");
      actions.append(button(t("showDiff"), () => showDiff(version.number), true));
      if (!version.active) {
        actions.append(button(t("activate"), () => act(`/api/v1/catalog/versions/${version.number}/activate`, () => { say(t("activated")); loadCatalog(); })));
      }
      body.append(row);
    }
    if (active) {
      const row = document.createElement("tr");
      const td = cell(row, "");
      td.colSpan = 5;
      td.append(button(t("rollback"), () => act("/api/v1/catalog/rollback", () => { say(t("rolledBack")); loadCatalog(); }), true));
      body.append(row);
    }
  }

  async function showDiff(number) {
    const diff = await api("GET", `/api/v1/catalog/versions/${number}/diff`);
    const list = $("catalog-diff-list");
    list.textContent = "";
    const sections = { procedures: t("procedures"), questions: "質問 / questions", counters: "窓口 / counters", departments: "課 / departments" };
    for (const [key, name] of Object.entries(sections)) {
      const section = diff[key];
      const lines = [];
      if (section.added.length) lines.push(`${t("addedItems")}: ${section.added.join(", ")}`);
      if (section.removed.length) lines.push(`${t("removedItems")}: ${section.removed.join(", ")}`);
      for (const [id, fields] of Object.entries(section.changed)) lines.push(`${t("changedItems")}: ${id} (${fields.join(", ")})`);
      for (const line of lines) {
        const li = document.createElement("li");
        li.textContent = `${name} — ${line}`;
        list.append(li);
      }
    }
    if (!list.children.length) {
      const li = document.createElement("li");
      li.textContent = t("noChanges");
      list.append(li);
    }
    $("catalog-diff").hidden = false;
  }

  async function uploadCatalog(event) {
    event.preventDefault();
    const file = $("catalog-file").files[0];
    const errors = $("catalog-errors");
    errors.textContent = "";
    if (!file) { say(t("chooseFile"), true); return; }
    const note = new FormData(event.target).get("note") || null;
    try {
      await api("POST", "/api/v1/catalog/versions", { source: await file.text(), note });
      say(t("uploaded"));
      event.target.reset();
      loadCatalog();
    } catch (e) {
      say(e.message, true);
      for (const issue of (e.body.issues || [])) {
        const li = document.createElement("li");
        li.textContent = typeof issue === "string" ? issue : `${issue.path || ""} ${issue.message || JSON.stringify(issue)}`;
        errors.append(li);
      }
    }
  }

  // --- frame -----------------------------------------------------------------------------
  const LOADERS = { staff: loadStaff, devices: loadDevices, setup: loadSetup, areas: loadAreas, catalog: loadCatalog };
  // Tabs in their own files (catalog.js, sharing.js) register a loader here and call the API through us.
  window.MadoguchiAdmin = { api, say, lang: () => state.lang, loaders: LOADERS };

  function selectTab(name) {
    for (const tab of document.querySelectorAll("[role=tab]")) {
      const selected = tab.id === "t-" + name;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      $(tab.getAttribute("aria-controls")).hidden = !selected;
    }
    const load = LOADERS[name] || window.adminTabs[name];  // a tab of its own module
    load().catch((e) => say(e.message, true));
  }

  function onTabKey(event) {
    const tabs = Array.from(document.querySelectorAll("[role=tab]"));
    const index = tabs.indexOf(document.activeElement);
    if (index < 0 || !["ArrowRight", "ArrowLeft"].includes(event.key)) return;
    const next = tabs[(index + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    next.focus();
    selectTab(next.id.slice(2));
  }

  // The login form, the session already open and the logout: /common/login.js.
  const session = window.staffLogin({
    storageKey: "admin.tenantCode",
    api: (...args) => api(...args),
    onStart: async (me) => {
      state.csrf = me.csrf_token;
      // The first tab at once: an admin who picks another tab while the roles load stays there.
      selectTab("staff");
      state.roles = await api("GET", "/api/v1/staff/roles").catch(() => []);
      fillRoles();
    },
    onLogout: () => { state.csrf = null; },
  });
  const showLogin = () => session.show();

  document.addEventListener("DOMContentLoaded", async () => {
    applyLanguage();
    $("lang").addEventListener("click", () => {
      state.lang = state.lang === "ja" ? "en" : "ja";
      localStorage.setItem("admin.lang", state.lang);
      applyLanguage();
    });
    $("staff-form").addEventListener("submit", addStaff);
    $("role-select").addEventListener("change", showRoleHelp);
    $("device-form").addEventListener("submit", addDevice);
    $("kind-select").addEventListener("change", () => {
      fillPlacements();
      if (!state.offices.length) loadDevices().catch((e) => say(e.message, true));  // not loaded yet, or it failed: ask again
    });
    $("catalog-form").addEventListener("submit", uploadCatalog);
    $("areas-form").addEventListener("submit", importAreas);
    for (const tab of document.querySelectorAll("[role=tab]")) tab.addEventListener("click", () => selectTab(tab.id.slice(2)));
    $("tabs").addEventListener("keydown", onTabKey);
    await session.begin();
  });
})();
