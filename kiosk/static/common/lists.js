// The lists the screens show (和暦 eras, life events, sexes, 続柄, certificate kinds), loaded once
// from GET /api/v1/schemas/lists.json: the server's tables are the only copy (the eras are
// forms/wareki.py's). Dates typed by staff are read by the same rule as forms.wareki.parse_date,
// with the same messages; tests/e2e/test_date_input.py holds the two equal.
"use strict";

const Lists = (() => {
  let data = null;

  async function load() {
    if (data) return data;
    const response = await fetch("/api/v1/schemas/lists.json", { headers: { accept: "application/json" } });
    if (!response.ok) throw new Error(`lists.json: HTTP ${response.status}`);
    data = await response.json();
    return data;
  }

  function get() {
    if (!data) throw new Error("Lists.load() has not finished");
    return data;
  }

  // A choice's label in ``lang``; falls back to English (for a language other than Japanese),
  // then Japanese, then the code itself.
  function label(list, code, lang = "ja") {
    const choice = data && (data[list] || []).find((c) => c.code === code);
    if (!choice) return code || "";
    const labels = choice.labels;
    return labels[lang] || (lang !== "ja" && labels.en) || labels.ja;
  }

  // --- dates, as forms/wareki.py ---------------------------------------------------------

  const halfWidth = (text) => text.replace(/[０-９．／－]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  const pad = (n, width) => String(n).padStart(width, "0");

  function patterns() {
    const eras = get().eras;
    const names = eras.map((e) => e.name).join("|");
    const letters = eras.map((e) => e.letter).join("");
    return {
      wareki: new RegExp(`^\\s*(${names}|[${letters}${letters.toLowerCase()}])\\.?\\s*(元|[0-9]{1,3})\\s*[年./-]\\s*`
        + "([0-9]{1,2})\\s*[月./-]\\s*([0-9]{1,2})\\s*日?\\s*$"),
      gregorian: /^\s*([0-9]{4})\s*[年./-]\s*([0-9]{1,2})\s*[月./-]\s*([0-9]{1,2})\s*日?\s*$/,
    };
  }

  // The ISO day, or null when the day does not exist (proleptic Gregorian, years 1–9999).
  function isoDay(year, month, day) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
    if (year < 1 || year > 9999 || !days || day < 1 || day > days) return null;
    return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
  }

  function eraOf(iso) {
    const eras = get().eras;
    for (const era of eras) if (iso >= era.start) return era;
    throw new Error(`${iso} は${eras[eras.length - 1].name}より前の日付です`);
  }

  function parseWareki(text) {
    const match = halfWidth(text).match(patterns().wareki);
    if (!match) throw new Error(`和暦の日付として読めません: ${text}`);
    const key = match[1].length === 1 ? match[1].toUpperCase() : match[1];
    const era = get().eras.find((e) => e.name === key || e.letter === key);
    const year = match[2] === "元" ? 1 : parseInt(match[2], 10);
    if (year < 1) throw new Error(`年が正しくありません: ${text}`);
    const day = isoDay(parseInt(era.start.slice(0, 4), 10) + year - 1, parseInt(match[3], 10), parseInt(match[4], 10));
    if (!day) throw new Error(`存在しない日付です: ${text}`);
    if (eraOf(day) !== era) throw new Error(`${text} は${era.name}の期間外です`);
    return day;
  }

  // 和暦 (R8.12.3, 令和8年12月3日, H31/4/30) or Gregorian (2026-12-03, 2026年12月3日) → ISO day;
  // throws an Error with the server's message otherwise.
  function parseDate(text) {
    const { wareki, gregorian } = patterns();
    const normalized = halfWidth(text);
    const match = normalized.match(gregorian);
    if (!match) {
      if (!wareki.test(normalized)) throw new Error(`日付として読めません: ${text}`);
      return parseWareki(text);
    }
    const day = isoDay(parseInt(match[1], 10), parseInt(match[2], 10), parseInt(match[3], 10));
    if (!day) throw new Error(`存在しない日付です: ${text}`);
    eraOf(day);
    return day;
  }

  // ISO day → 令和元年5月1日 (forms.wareki.to_wareki); the ISO day itself before the first era.
  function wareki(iso) {
    if (!iso) return "";
    let era;
    try { era = eraOf(iso); } catch (error) { return iso; }
    const [y, m, d] = iso.split("-").map(Number);
    const year = y - parseInt(era.start.slice(0, 4), 10) + 1;
    return `${era.name}${year === 1 ? "元" : year}年${m}月${d}日`;
  }

  return { load, get, label, parseDate, wareki };
})();
