"""One mechanism for every output: which characters a set holds, and what stands in."""

from __future__ import annotations

import pytest

from integrations.charset import convert, holds


@pytest.mark.parametrize(
    ("char", "sets"),
    [
        ("高", {"jisx0208", "jisx0213", "cp932", "mj"}),
        ("髙", {"cp932", "mj"}),  # U+9AD9: an IBM extension of CP932, not JIS X 0208
        ("𠮷", {"mj"}),  # U+20BB7
        ("﨑", {"jisx0213", "cp932", "mj"}),
        ("\ue000", {"cp932"}),  # private use: CP932's user-defined area holds it, MJ does not
    ],
)
def test_which_sets_hold_a_character(char: str, sets: set[str]) -> None:
    assert {s for s in ("jisx0208", "jisx0213", "cp932", "mj") if holds(char, s)} == sets


def test_outside_characters_carry_a_substitute_and_the_original_is_untouched() -> None:
    original = "髙橋　𠮷男"
    text, outside = convert(original, "jisx0208", {"髙": "高", "𠮷": "吉"})
    assert text == "高橋　吉男" and original == "髙橋　𠮷男"
    assert [(o.position, o.original, o.substitute, o.codepoints) for o in outside] == [
        (0, "髙", "高", "U+9AD9"),
        (3, "𠮷", "吉", "U+20BB7"),
    ]


def test_unknown_characters_get_the_mark_and_variation_sequences_their_base() -> None:
    assert convert("\ue000子", "mj")[0] == "〓子"
    text, outside = convert("葛\U000e0100城", "jisx0208")
    assert text == "葛城" and outside[0].original == "葛\U000e0100"
    assert convert("葛\U000e0100城", "mj") == ("葛\U000e0100城", [])  # MJ holds the IVS
    text, outside = convert("ｱｲ", "jisx0208")  # half-width kana: the full-width form
    assert text == "アイ" and [o.substitute for o in outside] == ["ア", "イ"]


def test_the_same_character_under_another_mapping_is_not_flagged() -> None:
    assert convert("1～2", "jisx0208") == ("1〜2", [])  # FULLWIDTH TILDE → WAVE DASH
    assert convert("1〜2", "cp932") == ("1～2", [])
