"""Addresses match however they are typed; different places never do. Synthetic addresses only.

Tables: each row is one way a card, a core record or a tired clerk writes an address.
"""

from __future__ import annotations

import pytest

from backend.addresses import service
from backend.addresses.normalize import (
    Municipality,
    address_key,
    prefecture_for_code,
    reading_key,
    same_address,
    split_municipality,
)

CARD = "窓口県窓口デモ市本町１－２－３"

SAME_PLACE = [
    # (first, second, why)
    (CARD, "窓口デモ市本町一丁目２番３号", "card vs core record: 丁目・番・号 and 漢数字"),
    (CARD, "窓口県窓口デモ市本町1-2-3", "全角 vs 半角"),
    (CARD, "窓口県窓口デモ市本町1丁目2番地3", "番地 instead of 番"),
    (CARD, "窓口県窓口デモ市本町１ー２ー３", "ー typed for a hyphen (IME)"),
    (CARD, "窓口県窓口デモ市本町1−2−3", "U+2212 minus sign"),
    (CARD, "窓口県窓口デモ市本町１‐２‐３", "U+2010 hyphen"),
    (CARD, "窓口県窓口デモ市本町1ｰ2ｰ3", "half-width ｰ (U+FF70)"),
    (CARD, "窓口県　窓口デモ市　本町　１－２－３", "spaces between the parts"),
    (CARD, "本町一丁目２番３号", "core record without prefecture and city"),
    (CARD, "窓口県窓口デモ市本町1の2の3", "の between the numbers"),
    ("窓口県窓口デモ市本町2丁目5番地の3", "窓口デモ市本町二丁目５－３", "番地の"),
    ("窓口県窓口デモ市﨑山1-2", "窓口県窓口デモ市崎山一丁目2番", "﨑 / 崎"),
    ("窓口県窓口デモ市緑が丘二丁目8番1号", "窓口県窓口デモ市緑ヶ丘2-8-1", "が / ヶ"),
    ("窓口県窓口デモ市緑ケ丘2-8-1", "窓口県窓口デモ市緑ヶ丘2-8-1", "ケ / ヶ"),
    ("窓口県窓口デモ市大字窓口123番地", "窓口県窓口デモ市窓口123", "大字 omitted"),
    (
        "窓口県窓口デモ市本町1-2-3 コーポ窓口202号室",
        "窓口デモ市本町一丁目2番3号コーポ窓口202",
        "building and room",
    ),
    ("窓口県窓口デモ市中央十二丁目3-4", "窓口県窓口デモ市中央12-3-4", "十二 → 12"),
    (CARD + "-202", "窓口デモ市本町一丁目2番3号202号室", "room after 号"),
    (CARD + "-202", "窓口デモ市本町1-2-3 202", "room after a space"),
    (CARD, "窓口県窓口デモ市本町１丁目２番３", "no 号"),
    ("窓口県窓口デモ市港町一〇二番地", "窓口県窓口デモ市港町102", "一〇二 → 102"),
    ("東京都清瀬市観布子南１２－７－２０２", "清瀬市観布子南12-7-202", "prefecture omitted"),
]

DIFFERENT_PLACES = [
    (CARD, "窓口県窓口デモ市本町１－２－４", "another 号"),
    (CARD, "窓口県窓口デモ市本町２－２－３", "another 丁目"),
    (CARD, "窓口県窓口デモ市本町１２－３", "1-2-3 is not 12-3"),
    (CARD, "窓口県窓口デモ市中央１－２－３", "another 町字"),
    (CARD, "窓口県別デモ市本町１－２－３", "same block in another city"),
    (CARD, "別県窓口デモ市本町１－２－３", "same city name in another prefecture"),
    ("東京都府中市本町1-2-3", "広島県府中市本町1-2-3", "府中市 in two prefectures"),
    (CARD, "", "nothing typed"),
    (CARD + "-202", "窓口県窓口デモ市本町1-2-3202", "a room is not part of the 号"),
]


@pytest.mark.parametrize(("first", "second", "why"), SAME_PLACE)
def test_the_same_place_matches_however_typed(first: str, second: str, why: str) -> None:
    assert same_address(first, second), why
    assert same_address(second, first), why


@pytest.mark.parametrize(("first", "second", "why"), DIFFERENT_PLACES)
def test_different_places_never_match(first: str, second: str, why: str) -> None:
    assert not same_address(first, second), why


def test_comparison_keys_leave_the_text_untouched() -> None:
    text = "窓口県窓口デモ市﨑山１－２"
    assert address_key(text) == "窓口県窓口デモ市崎山1-2"
    assert text == "窓口県窓口デモ市﨑山１－２"  # str is immutable; the key is a new string


@pytest.mark.parametrize(
    ("address", "prefecture", "county", "city", "rest"),
    [
        ("東京都清瀬市観布子南１２－７－２０２", "東京都", None, "清瀬市", "観布子南12-7-202"),
        ("東京都千代田区九段南1-2-1", "東京都", None, "千代田区", "九段南1-2-1"),
        ("北海道札幌市中央区北1条西2丁目", "北海道", None, "札幌市", "中央区北1条西2丁目"),
        ("三重県四日市市諏訪町1-5", "三重県", None, "四日市市", "諏訪町1-5"),
        ("東京都東村山市本町1-2", "東京都", None, "東村山市", "本町1-2"),
        ("千葉県市川市八幡1-1", "千葉県", None, "市川市", "八幡1-1"),
        ("東京都町田市森野2-2", "東京都", None, "町田市", "森野2-2"),
        ("東京都西多摩郡瑞穂町箱根ケ崎2335", "東京都", "西多摩郡", "瑞穂町", "箱根ケ崎2335"),
        ("神奈川県横浜市中区本町1-1", "神奈川県", None, "横浜市", "中区本町1-1"),
        ("窓口県窓口デモ市本町1-2-3", "窓口県", None, "窓口デモ市", "本町1-2-3"),
        ("清瀬市観布子南12-7", None, None, "清瀬市", "観布子南12-7"),
    ],
)
def test_the_municipality_an_address_names(
    address: str, prefecture: str | None, county: str | None, city: str, rest: str
) -> None:
    place, remainder = split_municipality(address)
    assert place == Municipality(city=city, prefecture=prefecture, county=county)
    assert remainder == rest


@pytest.mark.parametrize("address", ["本町1-2-3", "港町一丁目5", "中央二丁目3番4号", "", "1-2-3"])
def test_a_block_alone_names_no_municipality(address: str) -> None:
    """Without a prefecture a 町 is as likely a 町字 (本町, 港町): not taken as a town."""
    assert split_municipality(address)[0] is None


@pytest.mark.parametrize(
    ("code", "prefecture"),
    [("011002", "北海道"), ("131016", "東京都"), ("471003", "沖縄県"), ("991007", None)],
)
def test_the_prefecture_of_a_tenant_code(code: str, prefecture: str | None) -> None:
    assert prefecture_for_code(code) == prefecture


@pytest.mark.parametrize(
    ("typed", "reading"),
    [
        ("ほんまち", "ホンマチ"),
        ("ﾎﾝﾏﾁ", "ホンマチ"),
        ("ちゅうおういっちょうめ", "チュウオウ1チョウメ"),
        ("チュウオウ１チョウメ", "チュウオウ1チョウメ"),
        ("みどりがおかにちょうめ", "ミドリガオカ2チョウメ"),
    ],
)
def test_readings_fold_hiragana_katakana_and_numbers(typed: str, reading: str) -> None:
    assert reading_key(typed) == reading


# --- the 町字 search (demo list 991007) ---------------------------------------------------

SEARCHES = [
    # (what the clerk types, the 町字 found)
    ("本町", ["本町一丁目", "本町二丁目"]),
    ("本町1", ["本町一丁目"]),
    ("本町１", ["本町一丁目"]),
    ("本町一丁目", ["本町一丁目"]),
    ("本町1丁目", ["本町一丁目"]),
    ("本町1-2-3", ["本町一丁目"]),
    ("窓口デモ市本町１－２－３", ["本町一丁目"]),
    ("窓口県窓口デモ市本町二丁目5番", ["本町二丁目"]),
    ("ほんまち", ["本町一丁目", "本町二丁目"]),
    ("ホンマチ", ["本町一丁目", "本町二丁目"]),
    ("ﾎﾝﾏﾁ", ["本町一丁目", "本町二丁目"]),
    ("ちゅうおうにちょうめ", ["中央二丁目"]),
    ("中央３", ["中央三丁目"]),
    ("崎山", ["﨑山"]),
    ("さきやま", ["﨑山"]),
    ("緑ヶ丘", ["緑が丘一丁目", "緑が丘二丁目"]),
    ("緑ケ丘2", ["緑が丘二丁目"]),
    ("窓口", ["大字窓口"]),
    ("  駅前  ", ["駅前"]),
    ("本町3", []),
    ("清瀬", []),
    ("ｘｙｚ", []),
]


@pytest.mark.parametrize(("query", "names"), SEARCHES)
def test_the_area_search_finds_however_typed(query: str, names: list[str]) -> None:
    _areas, found = service.search("991007", query)
    assert [a.name for a in found] == names


def test_an_empty_search_lists_every_area_up_to_the_limit() -> None:
    areas, found = service.search("991007", "", limit=3)
    assert areas is not None and len(areas.areas) > 3
    assert found == areas.areas[:3]


def test_a_municipality_without_a_list_finds_nothing() -> None:
    assert service.search("131016", "本町") == (None, [])


LOCATIONS = [
    # (address, here?, municipality named)
    ("窓口県窓口デモ市本町１－２－３", True, "窓口県窓口デモ市"),
    ("窓口デモ市駅前5", True, "窓口県窓口デモ市"),
    ("本町1-2-3", True, "窓口県窓口デモ市"),  # a 町字 of this town, city omitted
    ("東京都清瀬市観布子南１２－７－２０２", False, "東京都清瀬市"),
    ("清瀬市観布子南12-7", False, "清瀬市"),
    ("別県窓口デモ市本町1-2-3", False, "別県窓口デモ市"),
    ("観布子南12-7", None, None),  # no municipality and no 町字 of ours: cannot tell
]


@pytest.mark.parametrize(("address", "here", "name"), LOCATIONS)
def test_where_an_address_is(address: str, here: bool | None, name: str | None) -> None:
    found = service.locate("991007", "窓口デモ市", address)
    assert found.here is here
    assert (found.municipality.name if found.municipality else None) == name


def test_a_tenant_without_a_list_is_its_codes_prefecture_and_its_name() -> None:
    assert service.locate("131016", "千代田区", "東京都千代田区九段南1-2-1").here is True
    assert service.locate("131016", "千代田区", "千代田区九段南1-2-1").here is True
    assert service.locate("131016", "千代田区", "東京都清瀬市観布子南1").here is False


def test_a_long_run_of_numerals_is_left_as_written() -> None:
    """A pasted or fuzzed run of 漢数字 is no block number, and must not become a huge int."""
    run = "九" * 5000 + "十"
    assert address_key(f"本町{run}") == f"本町{run}"
    assert address_key("本町九十九") == "本町99"
