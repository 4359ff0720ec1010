// The procedure catalog, one procedure at a time: browse by event and department, edit in a
// form (errors next to each field), save into a draft, see the change in words, try the draft
// on a sample household, activate, roll back. Raw YAML stays on the 手続きカタログ tab.
"use strict";
(function () {
  const admin = window.MadoguchiAdmin;
  const TEXT = {
    ja: {
      tab: "手続きの編集", version: "表示する版", newDraft: "有効な版から下書きを作る", event: "届出", department: "担当課",
      all: "すべて", search: "名称で絞り込み", actions: "操作", procedure: "手続き", counter: "窓口", deadline: "期限", fee: "手数料",
      edit: "編集", activeTag: "有効", draftTag: "下書き", oldTag: "過去の版", sample: "見本カタログ（組み込み）",
      count: "件", editing: "手続きの編集", nameJa: "名称（日本語）", nameEn: "名称（英語）", events: "対象の届出（選ばないと全部）",
      items: "持ち物", itemText: "持ち物", itemWhen: "条件（空欄は全員）", addItem: "持ち物を追加", remove: "削除",
      deadlineDays: "期限（届出の日から何日以内か。前なら負の数）", countFirstDay: "届出の日を1日目と数える（戸籍法）",
      fromFact: "起算日にする事実（任意）", feeYen: "手数料（円）", feePerCopy: "手数料の数え方", perCopyNone: "定額",
      minutes: "所要時間（分）", source: "出典（法令・例規・URL）", rules: "案内する条件", reason: "案内の理由（住民向け）",
      when: "世帯の条件", member: "世帯員の条件（{member} が使えます）", ruleSource: "条件の出典", validFrom: "施行日",
      validUntil: "廃止の前日", addRule: "条件を追加", notes: "注意書き（1行に1つ）", forms: "帳票",
      needsNumber: "個人番号（マイナンバー）が必要", save: "下書きに保存", close: "閉じる",
      conditionHelp: "条件の書き方: {fact: from_abroad}、{all: [{fact: has_dog}, {event: moving-in}]}、{any_member: {age: {under: 15}}}、世帯員なら {age: {at_least: 65}}。空欄は「いつも」です。",
      saved: "下書きに保存しました", draftMade: "下書きを作りました", review: "下書きの確認", changes: "有効な版との違い",
      noChanges: "違いはありません", trial: "見本の世帯で試す", household: "世帯", tryIt: "試す",
      added: "追加される手続き", removed: "案内されなくなる手続き", changed: "内容が変わる手続き", none: "なし",
      listed: "下書きで案内される手続き", openQuestions: "残る質問", activate: "この下書きを有効にする",
      activated: "有効にしました", rollback: "一つ前の版に戻す", rolledBack: "一つ前の版に戻しました",
      days: "日", yen: "円", fieldErrors: "入力内容に誤りがあります。赤字の欄を確認してください。",
      chooseDraft: "編集した内容は下書きに保存されます。有効な版は、有効にするまで変わりません。",
      fieldNames: { deadline: "期限", items: "持ち物", fee_yen: "手数料", notes: "注意書き", minutes: "所要時間", reasons: "理由", counter: "窓口", forms: "帳票", department: "担当課", name: "名称", needs_individual_number: "個人番号" },
      eventNames: { "moving-in": "転入", "moving-out": "転出", "moving-within": "転居", birth: "出生", death: "死亡", marriage: "婚姻", divorce: "離婚", "household-change": "世帯変更", certificate: "証明書" },
    },
    en: {
      tab: "Edit procedures", version: "Version shown", newDraft: "New draft from the active version", event: "Event", department: "Department",
      all: "All", search: "Filter by name", actions: "Actions", procedure: "Procedure", counter: "Counter", deadline: "Deadline", fee: "Fee",
      edit: "Edit", activeTag: "active", draftTag: "draft", oldTag: "earlier version", sample: "Sample catalog (built in)",
      count: "procedures", editing: "Edit a procedure", nameJa: "Name (Japanese)", nameEn: "Name (English)", events: "Events (none: all)",
      items: "Items to bring", itemText: "Item", itemWhen: "Condition (blank: everyone)", addItem: "Add an item", remove: "Remove",
      deadlineDays: "Deadline (days after the event; negative: before)", countFirstDay: "The event day counts as day 1 (family register law)",
      fromFact: "Count from this fact (optional)", feeYen: "Fee (yen)", feePerCopy: "Fee counted per", perCopyNone: "flat",
      minutes: "Minutes at the counter", source: "Source (law, bylaw, URL)", rules: "When it is needed", reason: "Reason (for the resident)",
      when: "Household condition", member: "Member condition ({member} allowed)", ruleSource: "Source of the rule", validFrom: "In force from",
      validUntil: "Last day in force", addRule: "Add a rule", notes: "Notes (one per line)", forms: "Forms",
      needsNumber: "Needs the Individual Number", save: "Save to the draft", close: "Close",
      conditionHelp: "Conditions: {fact: from_abroad}, {all: [{fact: has_dog}, {event: moving-in}]}, {any_member: {age: {under: 15}}}; for a member {age: {at_least: 65}}. Blank: always.",
      saved: "Saved to the draft", draftMade: "Draft created", review: "Review the draft", changes: "Differences from the active version",
      noChanges: "No differences", trial: "Try on a sample household", household: "Household", tryIt: "Try",
      added: "Procedures added", removed: "Procedures no longer listed", changed: "Procedures that change", none: "none",
      listed: "Procedures the draft lists", openQuestions: "Questions left", activate: "Activate this draft",
      activated: "Activated", rollback: "Roll back to the previous version", rolledBack: "Rolled back",
      days: " days", yen: " yen", fieldErrors: "Some fields need correcting (in red).",
      chooseDraft: "Edits are saved into a draft. The active version stays as it is until you activate the draft.",
      fieldNames: {},
      eventNames: {},
    },
  };
  const FORMS = ["moving-notice", "residence-certificate-request", "tax-certificate-request", "checklist"];
  const state = { browse: null, versions: [], selected: null, editing: null, households: [] };
  const $ = (id) => document.getElementById(id);
  const lang = () => admin.lang();
  const tr = (key) => TEXT[lang()][key] || TEXT.ja[key] || key;
  const eventName = (e) => TEXT[lang()].eventNames[e] || TEXT.ja.eventNames[e] || e;

  // Builds an element: properties and attributes from `attrs` (text, on: {event: handler}), then children.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "on") for (const [name, fn] of Object.entries(value)) node.addEventListener(name, fn);
      else if (key in node && key !== "list") node[key] = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }

  function option(value, label, selected) {
    return el("option", { value, text: label, selected: selected || undefined });
  }

  // --- the frame of the tab ------------------------------------------------------------------
  function frame() {
    const panel = $("tab-procedures");
    panel.textContent = "";
    panel.append(
      el("h2", { text: tr("tab") }),
      el("p", { className: "help", text: tr("chooseDraft") }),
      el("div", { className: "filters" },
        el("label", {}, tr("version") + " ", el("select", { id: "cat-version", on: { change: (e) => show(e.target.value ? Number(e.target.value) : null) } })),
        el("button", { type: "button", className: "secondary", id: "cat-new-draft", text: tr("newDraft"), on: { click: newDraft } }),
      ),
      el("section", { id: "cat-review", className: "card", hidden: true }),
      el("div", { className: "filters" },
        el("label", {}, tr("event") + " ", el("select", { id: "cat-event", on: { change: renderTable } })),
        el("label", {}, tr("department") + " ", el("select", { id: "cat-department", on: { change: renderTable } })),
        el("label", {}, tr("search") + " ", el("input", { id: "cat-search", type: "search", on: { input: renderTable } })),
      ),
      el("p", { id: "cat-summary", className: "help" }),
      el("table", { id: "cat-table" }, el("thead", {}, el("tr", {},
        ...["procedure", "department", "counter", "deadline", "fee"].map((k) => el("th", { scope: "col", text: tr(k) })),
        el("th", { scope: "col" }, el("span", { className: "visually-hidden", text: tr("actions") })))), el("tbody")),
      el("form", { id: "cat-form", className: "card", hidden: true, noValidate: true, on: { submit: saveProcedure, keydown: (e) => { if (e.key === "Escape") closeForm(); } } }),
    );
  }

  async function load() {
    if (!$("cat-version")) frame();
    const [versions, households] = await Promise.all([
      admin.api("GET", "/api/v1/catalog/versions"),
      state.households.length ? state.households : admin.api("GET", "/api/v1/catalog/trial-households"),
    ]);
    state.versions = versions;
    state.households = households;
    const draft = versions.slice().reverse().find((v) => !v.active && !v.activated_at);
    await show(state.selected !== null ? state.selected : draft ? draft.number : null);
  }

  function versionLabel(v) {
    const tag = v.active ? tr("activeTag") : v.activated_at ? tr("oldTag") : tr("draftTag");
    return `${v.number}（${tag}）${v.label}${v.note ? " — " + v.note : ""}`;
  }

  function fillVersions() {
    const select = $("cat-version");
    select.textContent = "";
    const active = state.versions.find((v) => v.active);
    if (!active) select.append(option("", `${tr("sample")}（${tr("activeTag")}）`, state.selected === null));
    for (const v of state.versions.slice().reverse()) {
      select.append(option(String(v.number), versionLabel(v), state.selected === v.number || (state.selected === null && v.active)));
    }
  }

  async function show(number) {
    const active = state.versions.find((v) => v.active);
    state.selected = number === null && active ? active.number : number;
    const query = state.selected ? `?version=${state.selected}` : "";
    state.browse = await admin.api("GET", `/api/v1/catalog/procedures${query}`);
    fillVersions();
    fillFilters();
    renderTable();
    closeForm();
    await renderReview();
  }

  function fillFilters() {
    const browse = state.browse;
    for (const [id, entries] of [["cat-event", browse.events.map((e) => [e, eventName(e)])], ["cat-department", browse.departments.map((d) => [d.id, d.name])]]) {
      const select = $(id);
      const current = select.value;
      select.textContent = "";
      select.append(option("", tr("all")));
      for (const [value, label] of entries) select.append(option(value, label, value === current));
    }
  }

  function nameOf(list, id) {
    const found = list.find((x) => x.id === id);
    return found ? found.name : id;
  }

  function deadlineText(p) {
    return p.deadline ? `${p.deadline.days}${tr("days")}` : "—";
  }

  function renderTable() {
    const browse = state.browse;
    const event = $("cat-event").value;
    const department = $("cat-department").value;
    const words = $("cat-search").value.trim();
    const shown = browse.procedures.filter((p) =>
      (!event || !p.events.length || p.events.includes(event)) &&
      (!department || p.department === department) &&
      (!words || p.name.includes(words) || (p.name_en || "").toLowerCase().includes(words.toLowerCase()) || p.id.includes(words)));
    $("cat-summary").textContent = `${browse.label} — ${shown.length} / ${browse.procedures.length} ${tr("count")}`;
    const body = $("cat-table").querySelector("tbody");
    body.textContent = "";
    for (const p of shown) {
      const label = lang() === "en" && p.name_en ? p.name_en : p.name;
      body.append(el("tr", { "data-id": p.id },
        el("td", { text: label }),
        el("td", { text: nameOf(browse.departments, p.department) }),
        el("td", { text: nameOf(browse.counters, p.counter) }),
        el("td", { text: deadlineText(p) }),
        el("td", { text: p.fee_yen ? `${p.fee_yen.toLocaleString()}${tr("yen")}` : "—" }),
        el("td", {}, el("button", { type: "button", className: "secondary", text: tr("edit"), "aria-label": `${tr("edit")}: ${p.name}`, on: { click: () => openForm(p) } })),
      ));
    }
  }

  // --- the form ------------------------------------------------------------------------------
  function field(loc, label, control, wide) {
    const id = "f-" + loc.replace(/\./g, "-");
    control.id = id;
    control.dataset.loc = loc;
    control.setAttribute("aria-describedby", id + "-error");
    const box = el("div", { className: wide ? "field wide" : "field" });
    if (control.type === "checkbox") box.append(el("label", { htmlFor: id }, control, " " + label));
    else box.append(el("label", { htmlFor: id, text: label }), control);
    box.append(el("span", { id: id + "-error", className: "field-error", role: "alert" }));
    return box;
  }

  function textInput(value, attrs) {
    return el("input", Object.assign({ type: "text", value: value === null || value === undefined ? "" : String(value) }, attrs || {}));
  }

  function select(entries, value) {
    const s = el("select");
    for (const [v, label] of entries) s.append(option(v, label, v === value));
    return s;
  }

  function itemRow(item, index) {
    return el("fieldset", { className: "row-set", "data-row": "items" },
      el("legend", { text: `${tr("items")} ${index + 1}` }),
      field(`items.${index}.text`, tr("itemText"), textInput(item.text), true),
      field(`items.${index}.when`, tr("itemWhen"), textInput(item.when, { className: "condition" }), true),
      el("button", { type: "button", className: "secondary", text: tr("remove"), on: { click: (e) => { e.target.closest("fieldset").remove(); } } }),
    );
  }

  function ruleRow(rule, index) {
    return el("fieldset", { className: "row-set", "data-row": "rules" },
      el("legend", { text: `${tr("rules")} ${index + 1}` }),
      field(`rules.${index}.reason`, tr("reason"), textInput(rule.reason), true),
      field(`rules.${index}.when`, tr("when"), textInput(rule.when, { className: "condition" }), true),
      field(`rules.${index}.member`, tr("member"), textInput(rule.member, { className: "condition" }), true),
      field(`rules.${index}.source`, tr("ruleSource"), textInput(rule.source), true),
      field(`rules.${index}.valid_from`, tr("validFrom"), textInput(rule.valid_from, { placeholder: "2026-04-01", size: 12 })),
      field(`rules.${index}.valid_until`, tr("validUntil"), textInput(rule.valid_until, { placeholder: "2027-03-31", size: 12 })),
      el("button", { type: "button", className: "secondary", text: tr("remove"), on: { click: (e) => { e.target.closest("fieldset").remove(); } } }),
    );
  }

  function openForm(p) {
    state.editing = p;
    const browse = state.browse;
    const form = $("cat-form");
    form.textContent = "";
    const deadline = p.deadline || {};
    const events = el("div", { className: "checks", role: "group", "aria-label": tr("events") },
      ...browse.events.map((e) => el("label", {}, el("input", { type: "checkbox", name: "events", value: e, checked: p.events.includes(e) }), " " + eventName(e))));
    const forms = el("div", { className: "checks", role: "group", "aria-label": tr("forms") },
      ...FORMS.map((f) => el("label", {}, el("input", { type: "checkbox", name: "forms", value: f, checked: p.forms.includes(f) }), " " + f)));
    const items = el("div", { id: "cat-items" }, ...p.items.map(itemRow));
    const rules = el("div", { id: "cat-rules" }, ...p.rules.map(ruleRow));
    form.append(
      el("h3", { text: `${tr("editing")}: ${p.name}（${p.id}）` }),
      el("p", { id: "cat-form-error", className: "error", role: "alert" }),
      el("div", { className: "grid" },
        field("name", tr("nameJa"), textInput(p.name, { required: true })),
        field("name_en", tr("nameEn"), textInput(p.name_en, { lang: "en" })),
        field("department", tr("department"), select(browse.departments.map((d) => [d.id, d.name]), p.department)),
        field("counter", tr("counter"), select(browse.counters.map((c) => [c.id, c.name]), p.counter)),
        field("deadline.days", tr("deadlineDays"), textInput(deadline.days, { inputMode: "numeric", size: 6 })),
        field("deadline.count_first_day", tr("countFirstDay"), el("input", { type: "checkbox", checked: !!deadline.count_first_day })),
        field("deadline.from_fact", tr("fromFact"), textInput(deadline.from_fact)),
        field("fee_yen", tr("feeYen"), textInput(p.fee_yen, { inputMode: "numeric", size: 8 })),
        field("fee_per_copy", tr("feePerCopy"), select([["", tr("perCopyNone")], ["residence", "residence"], ["tax", "tax"], ["seal", "seal"]], p.fee_per_copy || "")),
        field("minutes", tr("minutes"), textInput(p.minutes, { inputMode: "numeric", size: 6 })),
        field("needs_individual_number", tr("needsNumber"), el("input", { type: "checkbox", checked: p.needs_individual_number })),
      ),
      field("source", tr("source"), textInput(p.source), true),
      el("fieldset", {}, el("legend", { text: tr("events") }), events, el("span", { id: "f-events-error", className: "field-error", role: "alert", "data-loc-error": "events" })),
      el("h4", { text: tr("items") }), items,
      el("button", { type: "button", className: "secondary", text: tr("addItem"), on: { click: () => { items.append(itemRow({ text: "", when: "" }, items.children.length)); } } }),
      el("h4", { text: tr("rules") }), el("p", { className: "help", text: tr("conditionHelp") }), rules,
      el("button", { type: "button", className: "secondary", text: tr("addRule"), on: { click: () => { rules.append(ruleRow({ reason: "", when: "", member: "" }, rules.children.length)); } } }),
      field("notes", tr("notes"), el("textarea", { rows: 3, value: p.notes.join("\n") }), true),
      el("fieldset", {}, el("legend", { text: tr("forms") }), forms),
      el("div", { className: "actions" },
        el("button", { type: "submit", text: tr("save") }),
        el("button", { type: "button", className: "secondary", text: tr("close"), on: { click: closeForm } })),
    );
    form.hidden = false;
    form.scrollIntoView({ block: "start" });
    $("f-name").focus();
  }

  function closeForm() {
    const form = $("cat-form");
    const wasOpen = form && !form.hidden && state.editing;
    if (form) { form.hidden = true; form.textContent = ""; }
    if (wasOpen) {  // back to the row the form was opened from, for the keyboard
      const button = document.querySelector(`#cat-table tr[data-id="${state.editing.id}"] button`);
      if (button) button.focus();
    }
    state.editing = null;
  }

  const value = (loc) => { const c = document.querySelector(`#cat-form [data-loc="${loc}"]`); return c ? c.value : ""; };
  const checked = (loc) => { const c = document.querySelector(`#cat-form [data-loc="${loc}"]`); return !!(c && c.checked); };
  const numberOrText = (text) => (/^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text);
  const blankToNull = (text) => (text.trim() === "" ? null : text.trim());

  function rowsOf(containerId, read) {
    return Array.from($(containerId).children).map((fieldset) => {
      const get = (suffix) => { const c = fieldset.querySelector(`[data-loc$=".${suffix}"]`); return c ? c.value : ""; };
      return read(get);
    });
  }

  // Rows can be removed: number them again so that an error's place (rules.1.when) finds its field.
  function renumber(containerId, prefix) {
    Array.from($(containerId).children).forEach((fieldset, index) => {
      for (const control of fieldset.querySelectorAll("[data-loc]")) {
        const loc = control.dataset.loc.replace(/^\w+\.\d+\./, `${prefix}.${index}.`);
        const span = $(control.id + "-error");
        const label = control.labels && control.labels[0];
        control.dataset.loc = loc;
        control.id = "f-" + loc.replace(/\./g, "-");
        control.setAttribute("aria-describedby", control.id + "-error");
        if (span) span.id = control.id + "-error";
        if (label) label.htmlFor = control.id;
      }
    });
  }

  function collect() {
    const form = $("cat-form");
    renumber("cat-items", "items");
    renumber("cat-rules", "rules");
    const days = value("deadline.days").trim();
    return {
      name: value("name"),
      name_en: blankToNull(value("name_en")),
      department: value("department"),
      counter: value("counter"),
      events: Array.from(form.querySelectorAll("input[name=events]:checked")).map((c) => c.value),
      rules: rowsOf("cat-rules", (get) => ({ reason: get("reason"), when: get("when"), member: get("member"), source: blankToNull(get("source")), valid_from: blankToNull(get("valid_from")), valid_until: blankToNull(get("valid_until")) })),
      items: rowsOf("cat-items", (get) => ({ text: get("text"), when: get("when") })),
      fee_yen: numberOrText(value("fee_yen") || "0"),
      fee_per_copy: value("fee_per_copy") || null,
      deadline: days === "" ? null : { days: numberOrText(days), count_first_day: checked("deadline.count_first_day"), from_fact: blankToNull(value("deadline.from_fact")) },
      minutes: numberOrText(value("minutes") || "0"),
      forms: Array.from(form.querySelectorAll("input[name=forms]:checked")).map((c) => c.value),
      notes: value("notes").split("\n").map((n) => n.trim()).filter(Boolean),
      needs_individual_number: checked("needs_individual_number"),
      source: blankToNull(value("source")),
    };
  }

  function clearErrors() {
    for (const span of document.querySelectorAll("#cat-form .field-error")) span.textContent = "";
    for (const c of document.querySelectorAll("#cat-form [aria-invalid]")) c.removeAttribute("aria-invalid");
    $("cat-form-error").textContent = "";
  }

  function showErrors(fields) {
    const general = [];
    let first = null;
    for (const error of fields) {
      // an error on a whole list (events, rules) or an unknown place goes to the nearest field
      let loc = error.field;
      let control = document.querySelector(`#cat-form [data-loc="${loc}"]`);
      while (!control && loc.includes(".")) { loc = loc.slice(0, loc.lastIndexOf(".")); control = document.querySelector(`#cat-form [data-loc="${loc}"]`); }
      const span = control ? $(control.id + "-error") : document.querySelector(`#cat-form [data-loc-error="${error.field.split(".")[0]}"]`);
      if (span) {
        span.textContent = (span.textContent ? span.textContent + " " : "") + error.message;
        if (control) { control.setAttribute("aria-invalid", "true"); first = first || control; }
      } else {
        general.push((error.field ? error.field + ": " : "") + error.message);
      }
    }
    $("cat-form-error").textContent = [tr("fieldErrors"), ...general].join(" ");
    if (first) first.focus();
  }

  async function ensureDraft() {
    const current = state.versions.find((v) => v.number === state.selected);
    if (current && !current.activated_at) return current.number;
    const draft = await admin.api("POST", "/api/v1/catalog/drafts", { base: state.selected });
    admin.say(`${tr("draftMade")}: ${draft.number}`);
    return draft.number;
  }

  async function saveProcedure(event) {
    event.preventDefault();
    clearErrors();
    const procedure = collect();
    const id = state.editing.id;
    try {
      const number = await ensureDraft();
      if (number !== state.selected) { state.selected = number; await refreshVersionsOnly(); }
      const saved = await admin.api("PUT", `/api/v1/catalog/versions/${number}/procedures/${encodeURIComponent(id)}`, { procedure, expected_digest: state.browse.digest });
      admin.say(`${tr("saved")}（${number}）: ${saved.changes.join("、") || tr("noChanges")}`);
      state.selected = number;
      await load();
      const row = document.querySelector(`#cat-table tr[data-id="${id}"] button`);
      if (row) row.focus();
    } catch (e) {
      if (e.body && e.body.fields) showErrors(e.body.fields);
      else admin.say(e.message, true);
    }
  }

  async function refreshVersionsOnly() {
    state.versions = await admin.api("GET", "/api/v1/catalog/versions");
    fillVersions();
  }

  async function newDraft() {
    try {
      const draft = await admin.api("POST", "/api/v1/catalog/drafts", {});
      admin.say(`${tr("draftMade")}: ${draft.number}`);
      state.selected = draft.number;
      await load();
    } catch (e) { admin.say(e.message, true); }
  }

  // --- review: diff in words, trial, activate, roll back --------------------------------------
  function list(id, lines) {
    return el("ul", { id }, ...(lines.length ? lines : [tr("none")]).map((line) => el("li", { text: line })));
  }

  async function renderReview() {
    const box = $("cat-review");
    box.textContent = "";
    const current = state.versions.find((v) => v.number === state.selected);
    const active = state.versions.find((v) => v.active);
    if (current && !current.active) {
      const words = await admin.api("GET", `/api/v1/catalog/versions/${current.number}/changes`);
      box.append(
        el("h3", { text: `${tr("review")}: ${current.number}` }),
        el("h4", { text: tr("changes") }),
        el("ul", { id: "cat-changes" }, ...(words.length ? words : [tr("noChanges")]).map((w) => el("li", { text: w }))),
        el("h4", { text: tr("trial") }),
        el("div", { className: "filters" },
          el("label", {}, tr("household") + " ", select(state.households.map((h) => [h.id, h.label[lang()] || h.label.ja]), state.households[0] && state.households[0].id)),
          el("button", { type: "button", id: "cat-try", className: "secondary", text: tr("tryIt"), on: { click: () => tryDraft(current.number) } })),
        el("div", { id: "cat-trial", "aria-live": "polite" }),
        el("div", { className: "actions" }, el("button", { type: "button", id: "cat-activate", text: tr("activate"), on: { click: () => activate(current.number) } })),
      );
      box.querySelector("select").id = "cat-household";
    }
    if (active) {
      box.append(el("div", { className: "actions" }, el("button", { type: "button", id: "cat-rollback", className: "secondary", text: tr("rollback"), on: { click: rollback } })));
    }
    box.hidden = !box.children.length;
  }

  function procedureLines(procedures, withFields) {
    return procedures.map((p) => {
      let line = p.name;
      const was = p.before && p.before.deadline !== p.deadline ? `${p.before.deadline || tr("none")} → ` : "";
      if (p.deadline || was) line += `（${tr("deadline")} ${was}${p.deadline || tr("none")}）`;
      if (withFields && p.fields) line += ` — ${p.fields.map((f) => TEXT[lang()].fieldNames[f] || f).join("、")}`;
      return line;
    });
  }

  async function tryDraft(number) {
    const out = $("cat-trial");
    out.textContent = "";
    try {
      const result = await admin.api("POST", `/api/v1/catalog/versions/${number}/trial`, { household: $("cat-household").value });
      out.append(
        el("h5", { text: tr("added") }), list("cat-trial-added", procedureLines(result.added)),
        el("h5", { text: tr("removed") }), list("cat-trial-removed", procedureLines(result.removed)),
        el("h5", { text: tr("changed") }), list("cat-trial-changed", procedureLines(result.changed, true)),
        el("p", { className: "help", text: `${tr("listed")}: ${result.draft.map((p) => p.name).join("、") || tr("none")}（${tr("openQuestions")} ${result.open_questions}）` }),
      );
    } catch (e) { admin.say(e.message, true); }
  }

  async function activate(number) {
    try {
      await admin.api("POST", `/api/v1/catalog/versions/${number}/activate`);
      admin.say(`${tr("activated")}: ${number}`);
      state.selected = number;
      await load();
    } catch (e) { admin.say(e.message, true); }
  }

  async function rollback() {
    try {
      const version = await admin.api("POST", "/api/v1/catalog/rollback");
      admin.say(`${tr("rolledBack")}: ${version.number}`);
      state.selected = version.number;
      await load();
    } catch (e) { admin.say(e.message, true); }
  }

  // --- wiring --------------------------------------------------------------------------------
  admin.loaders.procedures = load;
  admin.el = el;  // sharing.js builds its elements with it too
  function relabel() {
    $("t-procedures").textContent = tr("tab");
    if ($("cat-version") && !$("tab-procedures").hidden) { frame(); load().catch((e) => admin.say(e.message, true)); }
    else if ($("cat-version")) frame();
  }
  new MutationObserver(relabel).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
  document.addEventListener("DOMContentLoaded", relabel);
})();
