"""Addresses compared however they are typed; the text itself is never changed.

A card says ``窓口県窓口デモ市本町１－２－３``, the core record ``窓口デモ市本町一丁目２番３号``, a
tired clerk types ``本町1ー2ー3``: the same place. Everything here builds *comparison keys*
(full/half width, 漢数字 and 算用数字, 丁目・番・号 or hyphens, hiragana or katakana, 﨑/崎-style
variants); the card's text is stored and printed exactly as read (DESIGN: no normalisation).

Standard library only, so every layer compares addresses the same way: the counter's 町字
search and consistency checks (through ``backend.addresses.normalize``) and the core system
simulator's search (integrations/core).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# JIS X 0401 order: the index + 1 is the first two digits of a 団体コード.
PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
)  # fmt: skip

# Variant and old forms seen in addresses and on cards (NFKC leaves these alone).
_VARIANTS = str.maketrans(
    {
        "﨑": "崎", "嵜": "崎", "髙": "高", "德": "徳", "邊": "辺", "邉": "辺", "澤": "沢",
        "濱": "浜", "濵": "浜", "齋": "斎", "嶋": "島", "嶌": "島", "冨": "富", "國": "国",
        "櫻": "桜", "廣": "広", "瀧": "滝", "槇": "槙", "曾": "曽", "檜": "桧", "藪": "薮",
        "眞": "真", "條": "条", "峯": "峰", "淵": "渕", "舘": "館", "萬": "万", "驛": "駅",
        "縣": "県", "龍": "竜", "惠": "恵", "壽": "寿", "與": "与", "戶": "戸", "鄕": "郷",
    }
)  # fmt: skip

_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々"
# 緑ヶ丘 = 緑ケ丘 = 緑が丘 = 緑ヵ丘; 一ノ瀬 = 一の瀬: only between two kanji.
_KE_BETWEEN_KANJI = re.compile(f"(?<=[{_KANJI}])[ヶヵケがガ](?=[{_KANJI}]|$)")
_NO_BETWEEN_KANJI = re.compile(f"(?<=[{_KANJI}])[のノ之](?=[{_KANJI}])")

_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                 "八": 8, "九": 9}  # fmt: skip
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUMBER = re.compile("[〇零一二三四五六七八九十百千]+")

# Hyphens, dashes, minus signs and ー, as people and IMEs type them, between two numbers.
_DASHES = re.compile("(?<=[0-9])[\u2010-\u2015\u2212\u30fc\uff0d\uff70](?=[0-9])")
_BLOCK_UNITS = (
    (re.compile(r"([0-9]+)丁目"), r"\1-"),
    (re.compile(r"([0-9]+)番地?"), r"\1-"),
    (re.compile(r"([0-9]+)号(?=[0-9])"), r"\1-"),  # 3号202号室
    (re.compile(r"([0-9]+)号室?"), r"\1"),
    (re.compile(r"([0-9])ノ(?=[0-9])"), r"\1-"),  # 2の3 (after hiragana → katakana)
    (re.compile(r"(?<=-)ノ(?=[0-9])"), ""),  # 2番地の3
    (re.compile(r"-+"), "-"),
    (re.compile(r"-(?=[^0-9]|$)"), ""),  # 1丁目 at the end, or before a building name
)

# Readings of 丁目 numbers, so いっちょうめ finds the list's 1チョウメ.
_READING_NUMBERS = {
    "イッ": "1", "イチ": "1", "ニ": "2", "サン": "3", "ヨン": "4", "ゴ": "5", "ロッ": "6",
    "ロク": "6", "ナナ": "7", "シチ": "7", "ハッ": "8", "ハチ": "8", "キュウ": "9",
    "ジュッ": "10", "ジッ": "10",
}  # fmt: skip
_READING_CHOME = re.compile(f"({'|'.join(_READING_NUMBERS)})チョウメ")


def _hiragana_to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def _kanji_number_value(numeral: str) -> int:
    """二十三 → 23, 百五 → 105, 一〇二 → 102 (written digit by digit)."""
    if not any(c in _KANJI_UNITS for c in numeral):
        return int("".join(str(_KANJI_DIGITS[c]) for c in numeral))
    total, current = 0, 0
    for char in numeral:
        if char in _KANJI_UNITS:
            total += (current or 1) * _KANJI_UNITS[char]
            current = 0
        else:
            current = current * 10 + _KANJI_DIGITS[char]
    return total + current


# Longer runs are no block number (and would make huge integers): left as written.
_LONGEST_NUMERAL = 8


def _kanji_numbers_to_digits(text: str) -> str:
    def digits(match: re.Match[str]) -> str:
        numeral = match.group()
        return numeral if len(numeral) > _LONGEST_NUMERAL else str(_kanji_number_value(numeral))

    return _KANJI_NUMBER.sub(digits, text)


_SPACE_BETWEEN_NUMBERS = re.compile(r"(?<=[0-9])\s+(?=[0-9])")


def display_form(text: str) -> str:
    """Width folded and spaces removed (a space between two numbers is a hyphen: 1-2-3 202),
    nothing else: for finding names to show a clerk."""
    text = _SPACE_BETWEEN_NUMBERS.sub("-", unicodedata.normalize("NFKC", text))
    return re.sub(r"\s+", "", text)


def fold(text: str) -> str:
    """The comparison form of any text of an address: width, spaces, variants, kana, 漢数字."""
    folded = display_form(text).translate(_VARIANTS)
    folded = _KE_BETWEEN_KANJI.sub("ケ", folded)
    folded = _NO_BETWEEN_KANJI.sub("ノ", folded)
    folded = _hiragana_to_katakana(folded)
    folded = _kanji_numbers_to_digits(folded)
    return _DASHES.sub("-", folded)


def address_key(text: str) -> str:
    """``fold`` plus 丁目・番(地)・号 written as hyphens: 本町一丁目２番３号 → 本町1-2-3."""
    key = fold(text).replace("大字", "")
    for pattern, replacement in _BLOCK_UNITS:
        key = pattern.sub(replacement, key)
    return key


def reading_key(text: str) -> str:
    """The comparison form of a reading: hiragana or katakana, full or half width."""
    return _READING_CHOME.sub(
        lambda m: _READING_NUMBERS[m.group(1)] + "チョウメ", fold(text).replace("・", "")
    )


# --- the municipality an address is in --------------------------------------------------

# Names with 市・町・村 inside, which the shortest match would cut short (四日市|市).
_NAMES_WITH_SUFFIX_INSIDE = (
    "四日市市", "廿日市市", "野々市市", "大町市", "十日町市", "東村山市", "武蔵村山市",
    "田村市", "羽村市", "大村市", "上市町", "大町町", "玉村町", "余市町",
)  # fmt: skip
_PREFECTURE = re.compile(r"^(東京都|北海道|京都府|大阪府|[^0-9\-]{2,3}?県)")
_COUNTY = re.compile(r"^([^0-9\-郡]{1,5}郡)")
_CITY_AFTER_PREFECTURE = re.compile(r"^([^0-9\-]{1,9}?[市区町村])")
# Without a prefecture a 町 or 村 is as likely a 町字 (本町, 港町): only 市 and 区 are trusted.
_CITY_ALONE = re.compile(r"^([^0-9\-]{1,9}?[市区])")


@dataclass(frozen=True)
class Municipality:
    """市区町村 as written in an address (display form); compare with ``same_as``."""

    city: str
    prefecture: str | None = None
    county: str | None = None

    @property
    def name(self) -> str:
        return f"{self.prefecture or ''}{self.county or ''}{self.city}"

    def same_as(self, other: Municipality) -> bool:
        """Same city; the prefecture only when both name it (a 郡 never counts)."""
        if fold(self.city) != fold(other.city):
            return False
        if self.prefecture and other.prefecture:
            return fold(self.prefecture) == fold(other.prefecture)
        return True

    def prefixes(self) -> tuple[str, ...]:
        """Folded ways an address in this municipality can begin (prefecture and 郡 optional)."""
        bodies = {self.city, f"{self.county or ''}{self.city}"}
        heads = {""} | ({self.prefecture} if self.prefecture else set())
        return tuple(sorted({fold(h + b) for h in heads for b in bodies}, key=len, reverse=True))


def prefecture_for_code(tenant_code: str) -> str | None:
    """東京都 for 131016: the first two digits of a 団体コード are the prefecture."""
    index = int(tenant_code[:2]) - 1 if tenant_code[:2].isdigit() else -1
    return PREFECTURES[index] if 0 <= index < len(PREFECTURES) else None


def parse_municipality(name: str) -> Municipality:
    """A municipality's own name (``窓口県窓口デモ市``, ``西多摩郡瑞穂町``) split into its parts."""
    found, _rest = split_municipality(name)
    return found or Municipality(city=display_form(name))


def split_municipality(address: str) -> tuple[Municipality | None, str]:
    """(the municipality the address starts with, the rest); (None, address) when it names none."""
    text = display_form(address)
    prefecture = _match(_PREFECTURE, text)
    rest = text[len(prefecture or "") :]
    county = _match(_COUNTY, rest) if prefecture or "郡" in rest[:8] else None
    rest = rest[len(county or "") :]
    city = next((n for n in _NAMES_WITH_SUFFIX_INSIDE if rest.startswith(n)), None)
    if city is None:
        city = _match(_CITY_AFTER_PREFECTURE if prefecture or county else _CITY_ALONE, rest)
    if city is None:
        return None, display_form(address)
    return Municipality(city=city, prefecture=prefecture, county=county), rest[len(city) :]


def _match(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.match(text)
    return found.group(1) if found else None


def same_address(first: str, second: str) -> bool:
    """The same place however each was typed; a side naming no 市区町村 matches on the rest."""
    place_a, rest_a = split_municipality(first)
    place_b, rest_b = split_municipality(second)
    if address_key(rest_a) != address_key(rest_b):
        return False
    return place_a is None or place_b is None or place_a.same_as(place_b)
