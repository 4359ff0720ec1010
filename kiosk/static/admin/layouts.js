// The admin console's 様式 tab: a municipality's own layout of a form — its background PDF and
// the positions of the fields (YAML or JSON, docs/forms.md) — uploaded as a draft, previewed
// with an invented household under 見本, activated; or back to the built-in layout.
// Uses the frame's helpers (window.admin, from admin.js).
"use strict";
(function () {
  const TEXT = {
    ja: {
      tab: "様式", intro: "自治体の様式（背景の PDF と項目の位置）を登録できます。登録しただけでは使われません。見本で確かめてから「この版を使う」を押してください。自治体の版がない様式は組み込みの様式で印刷します。",
      form: "様式", inUse: "使用中", builtin: "組み込みの様式", version: "第{n}版", actions: "操作",
      preview: "見本を見る", activate: "この版を使う", useBuiltin: "組み込みに戻す", versions: "登録した版",
      upload: "新しい版を登録", layoutFile: "項目の位置（YAML または JSON）", backgroundFile: "背景の PDF（A4 縦・5 MB まで、なくても可）",
      note: "メモ", submit: "下書きとして登録", chooseLayout: "項目の位置のファイルを選んでください",
      uploaded: "第{n}版を下書きとして登録しました。「見本を見る」で確かめてください。", activated: "第{n}版を使い始めました",
      backToBuiltin: "組み込みの様式に戻しました", refused: "登録できませんでした。次の点を直してください:",
      share: "共創（ほかの自治体と様式を分け合う）", shareHelp: "使用中の様式を署名付きのファイルに書き出し、ほかの自治体に渡せます。受け取ったファイルを取り込むと下書きになります（自動では使われません）。",
      export: "使用中の様式を書き出す", bundleFile: "共有ファイル", import: "取り込む", imported: "{n} 件を下書きとして取り込みました",
    },
    en: {
      tab: "Form layouts", intro: "Upload your municipality's own form (background PDF and field positions). An upload is a draft: check its sample, then press “Use this version”. Forms without a version of your own print with the built-in layout.",
      form: "Form", inUse: "In use", builtin: "Built-in layout", version: "version {n}", actions: "Actions",
      preview: "Sample", activate: "Use this version", useBuiltin: "Back to built-in", versions: "Uploaded versions",
      upload: "Upload a new version", layoutFile: "Field positions (YAML or JSON)", backgroundFile: "Background PDF (A4 portrait, up to 5 MB, optional)",
      note: "Note", submit: "Upload as draft", chooseLayout: "Choose the field positions file",
      uploaded: "Uploaded version {n} as a draft. Check its sample.", activated: "Now using version {n}",
      backToBuiltin: "Back to the built-in layout", refused: "Could not upload. Please fix:",
      share: "Sharing (共創) with other municipalities", shareHelp: "Export the layouts in use as a signed file for another municipality. An imported file becomes drafts (never used until you choose).",
      export: "Export the layouts in use", bundleFile: "Shared file", import: "Import", imported: "Imported {n} draft(s)",
    },
  };
  const t = (key, n) => (TEXT[window.admin.lang()][key] || TEXT.ja[key]).replace("{n}", n);
  const base = "/api/v1/forms/layouts";
  const el = (tag, text, attrs) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    Object.assign(node, attrs || {});
    return node;
  };

  function previewLink(href) {
    return el("a", t("preview"), { href, target: "_blank", rel: "noopener", className: "button-link" });
  }

  function button(label, onClick, secondary) {
    const b = el("button", label, { type: "button", className: secondary ? "secondary" : "" });
    b.addEventListener("click", onClick);
    return b;
  }

  async function post(path, message) {
    try {
      await window.admin.api("POST", path);
      window.admin.say(message);
      await loadLayouts();
    } catch (e) { window.admin.say(e.message, true); }
  }

  function versionItem(entry, v) {
    const li = el("li");
    li.dataset.version = String(v.number);
    const who = [v.note, window.admin.when(v.created_at)];
    li.append(el("strong", t("version", v.number)), " ", who.filter(Boolean).join(" — "), " ");
    li.append(previewLink(`${base}/${entry.form}/versions/${v.number}/preview`));
    if (v.active) li.append(" ", el("span", t("inUse"), { className: "health-ok" }));
    else li.append(" ", button(t("activate"), () => post(`${base}/${entry.form}/versions/${v.number}/activate`, t("activated", v.number))));
    return li;
  }

  function formRow(entry) {
    const row = el("tr");
    row.dataset.form = entry.form;
    row.append(el("th", `${entry.title}（${entry.form}）`, { scope: "row" }));
    row.append(el("td", entry.active ? t("version", entry.active) : t("builtin")));
    const actions = el("td");
    actions.append(previewLink(entry.active ? `${base}/${entry.form}/versions/${entry.active}/preview` : `${base}/${entry.form}/preview`));
    if (entry.active) actions.append(" ", button(t("useBuiltin"), () => post(`${base}/${entry.form}/builtin`, t("backToBuiltin")), true));
    if (entry.versions.length) {
      const list = el("ul", undefined, { className: "versions" });
      list.setAttribute("aria-label", `${entry.title} ${t("versions")}`);
      for (const v of entry.versions) list.append(versionItem(entry, v));
      actions.append(list);
    }
    row.append(actions);
    return row;
  }

  function labelled(text, control) {
    const label = el("label");
    label.append(el("span", text), " ", control);
    return label;
  }

  function uploadForm(forms) {
    const form = el("form", undefined, { id: "layout-form", className: "card" });
    const choice = el("select", undefined, { name: "form", id: "layout-form-select", required: true });
    for (const entry of forms) choice.append(el("option", `${entry.title}（${entry.form}）`, { value: entry.form }));
    form.append(el("h3", t("upload")), labelled(t("form"), choice));
    form.append(labelled(t("layoutFile"), el("input", undefined, { type: "file", id: "layout-file", accept: ".yaml,.yml,.json,text/yaml,application/json" })));
    form.append(labelled(t("backgroundFile"), el("input", undefined, { type: "file", id: "layout-background", accept: ".pdf,application/pdf" })));
    form.append(labelled(t("note"), el("input", undefined, { name: "note", maxLength: 200 })));
    form.append(el("button", t("submit"), { type: "submit" }), el("ul", undefined, { id: "layout-errors", className: "error" }));
    form.addEventListener("submit", upload);
    return form;
  }

  function base64Of(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  async function upload(event) {
    event.preventDefault();
    const errors = document.getElementById("layout-errors");
    errors.textContent = "";
    const layout = document.getElementById("layout-file").files[0];
    const background = document.getElementById("layout-background").files[0];
    if (!layout) { window.admin.say(t("chooseLayout"), true); return; }
    const body = { form: event.target.elements.form.value, source: await layout.text(), note: event.target.elements.note.value || null };
    if (background) body.background_base64 = await base64Of(background);
    try {
      const created = await window.admin.api("POST", `${base}/upload`, body);
      window.admin.say(t("uploaded", created.number));
      await loadLayouts();
    } catch (e) {
      window.admin.say(t("refused"), true);
      for (const issue of (e.body && e.body.issues) || [e.message]) errors.append(el("li", issue));
    }
  }

  function sharingForm() {
    const form = el("form", undefined, { id: "layout-bundle-form", className: "card" });
    form.append(el("h3", t("share")), el("p", t("shareHelp"), { className: "help" }));
    form.append(el("a", t("export"), { href: `${base}/bundle`, download: "layout-bundle.json", className: "button-link", id: "layout-export" }));
    form.append(labelled(t("bundleFile"), el("input", undefined, { type: "file", id: "layout-bundle", accept: ".json,application/json" })));
    form.append(el("button", t("import"), { type: "submit" }));
    form.addEventListener("submit", importBundle);
    return form;
  }

  async function importBundle(event) {
    event.preventDefault();
    const file = document.getElementById("layout-bundle").files[0];
    if (!file) return;
    try {
      const created = await window.admin.api("POST", `${base}/bundle/upload`, JSON.parse(await file.text()));
      window.admin.say(t("imported", created.length));
      await loadLayouts();
    } catch (e) { window.admin.say(e.message, true); }
  }

  async function loadLayouts() {
    const forms = await window.admin.api("GET", base);
    const panel = document.getElementById("tab-layouts");
    panel.textContent = "";
    panel.append(el("h2", t("tab")), el("p", t("intro"), { className: "help" }));
    const table = el("table", undefined, { id: "layout-table" });
    const head = el("tr");
    for (const key of ["form", "inUse", "actions"]) head.append(el("th", t(key), { scope: "col" }));
    table.append(el("thead"), el("tbody"));
    table.tHead.append(head);
    for (const entry of forms) table.tBodies[0].append(formRow(entry));
    panel.append(table, uploadForm(forms), sharingForm());
  }

  function nameTheTab() { document.getElementById("t-layouts").textContent = t("tab"); }

  document.addEventListener("DOMContentLoaded", () => {
    nameTheTab();
    document.getElementById("lang").addEventListener("click", () => {
      nameTheTab();
      if (!document.getElementById("tab-layouts").hidden) loadLayouts().catch(() => {});
      if (!document.getElementById("tab-destinations").hidden) window.adminTabs.destinations().catch(() => {});
    });
  });
  window.adminTabs = window.adminTabs || {};
  window.adminTabs.layouts = loadLayouts;
})();
