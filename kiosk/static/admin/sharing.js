// 共創: hand the active catalog to another municipality as a signed file, import theirs as a
// draft (never active), see per procedure what differs, take changes one by one, and later see
// what changed upstream since the fork (upstream then → upstream now, and ours).
"use strict";
(function () {
  const admin = window.MadoguchiAdmin;
  const TEXT = {
    ja: {
      tab: "共創（他の自治体と共有）",
      intro: "手続きカタログを署名付きのファイルで他の自治体と共有します。ファイルは USB メモリ・庁内の共有フォルダなどで受け渡しできます（自治体間のネットワークは不要です）。",
      exportTitle: "当市の有効な版を書き出す", exportButton: "共有ファイルをダウンロード", exported: "共有ファイルを書き出しました",
      importTitle: "他の自治体の共有ファイルを取り込む", importHelp: "取り込むと下書きの版ができます。有効にするまで窓口の案内は変わりません。",
      file: "共有ファイル（.json）", importButton: "取り込む", chooseFile: "共有ファイルを選んでください",
      imported: "取り込みました。下書きの版", from: "取り込み元", signer: "署名の指紋", changesTitle: "当市の有効な版との違い",
      noChanges: "違いはありません", upstreamTitle: "取り込み元の変更（三者比較）", upstream: "取り込み元", show: "表示",
      noUpstreams: "まだ他の自治体から取り込んでいません。", procedure: "手続き", state: "状態",
      sinceFork: "取り込み時 → 最新（取り込み元の変更）", oursToUpstream: "当市 → 取り込み元の最新（取り込むと変わること）",
      take: "取り込む", takeSelected: "選んだ手続きの変更を下書きにする", adopted: "下書きの版を作りました",
      chooseSome: "取り込む手続きを選んでください", imports: "回取り込み", next: "下書きは「手続きの編集」で確認・試行・有効化できます。",
      states: { upstream_changed: "取り込み元が変更", ours_changed: "当市が変更", both_changed: "両方が変更", upstream_added: "取り込み元で追加", upstream_removed: "取り込み元で削除", ours_only: "当市だけ" },
    },
    en: {
      tab: "Sharing (共創)",
      intro: "Share the procedure catalog with other municipalities as a signed file, carried on a USB stick or a shared folder (no network between municipalities needed).",
      exportTitle: "Export our active version", exportButton: "Download the bundle", exported: "Bundle exported",
      importTitle: "Import another municipality's bundle", importHelp: "Importing creates a draft version. Guidance at the counter does not change until you activate it.",
      file: "Bundle file (.json)", importButton: "Import", chooseFile: "Choose a bundle file",
      imported: "Imported as draft version", from: "From", signer: "Signer fingerprint", changesTitle: "Differences from our active version",
      noChanges: "No differences", upstreamTitle: "Changes upstream (three-way view)", upstream: "Upstream", show: "Show",
      noUpstreams: "Nothing imported from another municipality yet.", procedure: "Procedure", state: "State",
      sinceFork: "At the fork → latest (upstream's changes)", oursToUpstream: "Ours → upstream's latest (what taking it changes)",
      take: "Take", takeSelected: "Make a draft with the chosen changes", adopted: "Draft version created",
      chooseSome: "Choose the procedures to take", imports: "import(s)", next: "Review, try and activate the draft on the Edit procedures tab.",
      states: { upstream_changed: "changed upstream", ours_changed: "changed by us", both_changed: "changed on both sides", upstream_added: "added upstream", upstream_removed: "removed upstream", ours_only: "ours only" },
    },
  };
  const $ = (id) => document.getElementById(id);
  const tr = (key) => TEXT[admin.lang()][key] || TEXT.ja[key] || key;
  const state = { code: null, lastImport: null };

  const el = admin.el;  // catalog.js's element builder (loaded before this file)

  function lines(id, items, empty) {
    return el("ul", { id }, ...(items.length ? items : [empty]).map((text) => el("li", { text })));
  }

  function frame() {
    const panel = $("tab-sharing");
    panel.textContent = "";
    panel.append(
      el("h2", { text: tr("tab") }),
      el("p", { className: "help", text: tr("intro") }),
      el("section", { className: "card" },
        el("h3", { text: tr("exportTitle") }),
        el("button", { type: "button", id: "share-export", text: tr("exportButton"), on: { click: exportBundle } })),
      el("form", { className: "card", id: "share-import", on: { submit: importBundle } },
        el("h3", { text: tr("importTitle") }),
        el("p", { className: "help", text: tr("importHelp") }),
        el("label", {}, tr("file") + " ", el("input", { type: "file", id: "share-file", accept: ".json,application/json" })),
        el("button", { type: "submit", text: tr("importButton") }),
        el("div", { id: "share-imported", "aria-live": "polite" })),
      el("section", { className: "card" },
        el("h3", { text: tr("upstreamTitle") }),
        el("div", { className: "filters" },
          el("label", {}, tr("upstream") + " ", el("select", { id: "share-upstream" })),
          el("button", { type: "button", className: "secondary", text: tr("show"), on: { click: () => showUpstream($("share-upstream").value) } })),
        el("form", { id: "share-threeway", on: { submit: adopt } })),
    );
    if (state.lastImport) showImported(state.lastImport);
  }

  async function load() {
    if (!$("share-upstream")) frame();
    const upstreams = await admin.api("GET", "/api/v1/catalog/upstreams");
    const select = $("share-upstream");
    select.textContent = "";
    for (const u of upstreams) {
      select.append(el("option", { value: u.code, text: `${u.name}（${u.code}）${u.label} — ${u.imports} ${tr("imports")}`, selected: u.code === state.code || undefined }));
    }
    if (!upstreams.length) { $("share-threeway").textContent = tr("noUpstreams"); return; }
    await showUpstream(select.value);
  }

  async function exportBundle() {
    const response = await fetch("/api/v1/catalog/bundle", { headers: { Accept: "application/json" } });
    if (!response.ok) { admin.say((await response.json().catch(() => ({}))).error?.message || response.statusText, true); return; }
    const blob = await response.blob();
    const link = el("a", { href: URL.createObjectURL(blob), download: "catalog-bundle.json" });
    document.body.append(link);
    link.click();
    link.remove();
    admin.say(tr("exported"));
  }

  async function importBundle(event) {
    event.preventDefault();
    const file = $("share-file").files[0];
    if (!file) { admin.say(tr("chooseFile"), true); return; }
    let bundle;
    try { bundle = JSON.parse(await file.text()); } catch (e) { admin.say(tr("chooseFile"), true); return; }
    try {
      const result = await admin.api("POST", "/api/v1/catalog/bundle", bundle);
      state.lastImport = result;
      state.code = result.upstream_code;
      showImported(result);
      admin.say(`${tr("imported")} ${result.draft.number}`);
      event.target.reset();
      await load();
    } catch (e) { admin.say(e.message, true); }
  }

  function showImported(result) {
    const box = $("share-imported");
    box.textContent = "";
    box.append(
      el("p", { text: `${tr("imported")} ${result.draft.number} — ${tr("from")}: ${result.upstream_name}（${result.upstream_code}）、${tr("signer")}: ${result.signer_fingerprint}` }),
      el("h4", { text: tr("changesTitle") }),
      lines("share-changes", result.changes, tr("noChanges")),
      el("p", { className: "help", text: tr("next") }),
    );
  }

  async function showUpstream(code) {
    if (!code) return;
    state.code = code;
    const rows = await admin.api("GET", `/api/v1/catalog/upstream/${encodeURIComponent(code)}`);
    const form = $("share-threeway");
    form.textContent = "";
    const body = el("tbody");
    for (const row of rows) {
      const box = el("input", { type: "checkbox", name: "procedure", value: row.id, "aria-label": `${tr("take")}: ${row.name}`, disabled: row.state === "ours_only" || !row.ours_to_upstream.length || undefined });
      body.append(el("tr", {},
        el("td", {}, box),
        el("td", { text: row.name }),
        el("td", { className: "state-" + row.state, text: TEXT[admin.lang()].states[row.state] || row.state }),
        el("td", {}, lines(null, row.changes, "—")),
        el("td", {}, lines(null, row.ours_to_upstream, "—")),
      ));
    }
    form.append(
      el("table", { id: "share-rows" },
        el("thead", {}, el("tr", {}, ...[tr("take"), tr("procedure"), tr("state"), tr("sinceFork"), tr("oursToUpstream")].map((text) => el("th", { scope: "col", text })))),
        body),
      el("button", { type: "submit", text: tr("takeSelected") }),
    );
  }

  async function adopt(event) {
    event.preventDefault();
    const chosen = Array.from(event.target.querySelectorAll("input[name=procedure]:checked")).map((c) => c.value);
    if (!chosen.length) { admin.say(tr("chooseSome"), true); return; }
    try {
      const draft = await admin.api("POST", `/api/v1/catalog/upstream/${encodeURIComponent(state.code)}/adopt`, { procedures: chosen });
      admin.say(`${tr("adopted")}: ${draft.number} — ${tr("next")}`);
      await showUpstream(state.code);
    } catch (e) { admin.say(e.message, true); }
  }

  admin.loaders.sharing = load;
  function relabel() {
    $("t-sharing").textContent = tr("tab");
    if ($("share-upstream")) { frame(); if (!$("tab-sharing").hidden) load().catch((e) => admin.say(e.message, true)); }
  }
  new MutationObserver(relabel).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
  document.addEventListener("DOMContentLoaded", relabel);
})();
