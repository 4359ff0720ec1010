// One message mechanism for every resident screen (tablet, ticket machine, phone page, display
// board): the six languages, messages with ICU-style placeholders and plural forms chosen by
// Intl.PluralRules (never "1" + "copies"), numbers and dates through Intl in the resident's
// language. The subset understood: {name}, {n, plural, =0 {…} one {…} other {…}} with # for the
// number. No eval (the pages' CSP forbids it) and no library: the browser's Intl does the work.
"use strict";

const I18n = (() => {
  const LANGS = [["ja", "日本語"], ["en", "English"], ["zh-Hans", "中文"], ["ko", "한국어"],
    ["vi", "Tiếng Việt"], ["pt", "Português"]];
  const CODES = LANGS.map(([code]) => code);

  // "zh", "zh-CN", "ko-KR", "pt-BR" → one of CODES, or null.
  function normalize(tag) {
    if (!tag) return null;
    const lower = String(tag).toLowerCase();
    if (lower.startsWith("zh")) return "zh-Hans";
    const base = lower.split("-")[0];
    return CODES.find((code) => code === base) || null;
  }

  // The language asked for in the URL (?lang=), else the browser's, else ``fallback``.
  function fromPage(fallback = "ja") {
    const params = new URLSearchParams(window.location.search);
    const fromHash = new URLSearchParams(window.location.hash.slice(1));
    return normalize(params.get("lang")) || normalize(fromHash.get("lang"))
      || (navigator.languages || [navigator.language]).map(normalize).find(Boolean) || fallback;
  }

  // Finds the brace that closes the one opened at ``start``.
  function closing(text, start) {
    let depth = 0;
    for (let i = start; i < text.length; i += 1) {
      if (text[i] === "{") depth += 1;
      else if (text[i] === "}") { depth -= 1; if (depth === 0) return i; }
    }
    throw new Error(`unbalanced braces in message: ${text}`);
  }

  function plural(lang, body, value) {
    const options = {};
    const pattern = /\s*(=\d+|zero|one|two|few|many|other)\s*\{/g;
    let match;
    while ((match = pattern.exec(body))) {
      const open = match.index + match[0].length - 1;
      const end = closing(body, open);
      options[match[1]] = body.slice(open + 1, end);
      pattern.lastIndex = end + 1;
    }
    const exact = options[`=${value}`];
    const chosen = exact !== undefined ? exact
      : options[new Intl.PluralRules(lang).select(value)] ?? options.other ?? "";
    return chosen.replace(/#/g, number(lang, value));
  }

  // ``template`` with its placeholders filled from ``params`` in ``lang``.
  function format(lang, template, params = {}) {
    let out = "";
    let i = 0;
    while (i < template.length) {
      const open = template.indexOf("{", i);
      if (open < 0) { out += template.slice(i); break; }
      out += template.slice(i, open);
      const end = closing(template, open);
      const inner = template.slice(open + 1, end);
      const comma = inner.indexOf(",");
      if (comma < 0) {
        const value = params[inner.trim()];
        out += typeof value === "number" ? number(lang, value) : (value ?? "");
      } else {
        const name = inner.slice(0, comma).trim();
        const rest = inner.slice(comma + 1);
        const kindEnd = rest.indexOf(",");
        const kind = rest.slice(0, kindEnd).trim();
        if (kind !== "plural") throw new Error(`unsupported message kind ${kind}`);
        out += plural(lang, rest.slice(kindEnd + 1), Number(params[name]));
      }
      i = end + 1;
    }
    return out;
  }

  function number(lang, value) { return new Intl.NumberFormat(lang).format(value); }

  // ISO day → the long date in ``lang`` (2026年12月3日, December 3, 2026, 2026년 12월 3일 …).
  function date(lang, iso) {
    if (!iso) return "";
    const [y, m, d] = iso.split("-").map(Number);
    const day = new Date(Date.UTC(y, m - 1, d));
    return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeZone: "UTC" }).format(day);
  }

  // A message catalogue { lang: { key: template } } read with English, then Japanese, as the
  // last resort (a test checks that no key is missing in any language).
  function catalogue(messages) {
    return (lang, key, params) => {
      const own = messages[lang] && messages[lang][key];
      const template = own ?? (lang !== "ja" ? messages.en[key] : undefined) ?? messages.ja[key] ?? key;
      return format(lang, template, params);
    };
  }

  // Keys of ``messages.ja`` missing in another language (for tests and the console).
  function missing(messages) {
    const gaps = [];
    for (const code of CODES) {
      for (const key of Object.keys(messages.ja)) if (!(messages[code] || {})[key]) gaps.push(`${code}:${key}`);
    }
    return gaps;
  }

  // One button per language in ``nav`` (aria-pressed marks the current one); ``choose(code)``
  // on a tap.
  function languageButtons(nav, current, choose) {
    nav.replaceChildren();
    for (const [code, label] of LANGS) {
      const button = document.createElement("button");
      button.type = "button"; button.className = "secondary"; button.lang = code;
      button.dataset.lang = code; button.textContent = label;
      button.addEventListener("click", () => { markLanguage(nav, code); choose(code); });
      nav.appendChild(button);
    }
    markLanguage(nav, current);
  }

  function markLanguage(nav, current) {
    for (const button of nav.children) button.setAttribute("aria-pressed", String(button.dataset.lang === current));
  }

  // A queue's name in ``lang`` from ``names`` (the API's six-language map, a missing
  // translation already English, then Japanese), with the Japanese below it for the languages
  // other than ja and en, so the resident and the signs agree.
  function nameIn(names, lang) {
    return (names && (names[lang] || names.en || names.ja)) || "";
  }

  function queueName(element, lang, names) {
    element.textContent = nameIn(names, lang);
    element.lang = lang;
    if (lang !== "ja" && lang !== "en" && names && names.ja && names.ja !== element.textContent) {
      const other = document.createElement("span");
      other.className = "other-name"; other.lang = "ja"; other.textContent = names.ja;
      element.appendChild(other);
    }
  }

  return { LANGS, CODES, normalize, fromPage, format, number, date, catalogue, missing,
    languageButtons, markLanguage, nameIn, queueName };
})();
window.I18n = I18n;
