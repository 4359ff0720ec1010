"""The parse limits shared by every reader of outside documents (issue 14, item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from contracts.parse_limits import (
    DocumentRefused,
    ParseLimits,
    check_json,
    check_yaml_events,
    read_text_file,
)

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def alias_bomb(levels: int) -> str:
    lines = ["l0: &l0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def refusal_of_yaml(text: str, limits: ParseLimits = ParseLimits()) -> str | None:
    try:
        check_yaml_events(yaml.parse(text, Loader=LOADER), limits)
    except DocumentRefused as exc:
        return exc.code
    return None


def refusal_of_json(data: str | bytes, limits: ParseLimits = ParseLimits()) -> str | None:
    try:
        check_json(data, limits)
    except DocumentRefused as exc:
        return exc.code
    return None


@pytest.mark.parametrize("levels", [7, 8, 9])
def test_alias_bombs_are_refused_from_their_events(levels: int) -> None:
    assert refusal_of_yaml(alias_bomb(levels)) == "document_too_many_nodes"


def test_aliases_within_the_limit_are_accepted() -> None:
    assert refusal_of_yaml(alias_bomb(3)) is None  # 9**3 = 729 nodes
    assert refusal_of_yaml(alias_bomb(4), ParseLimits(max_nodes=1_000)) == (
        "document_too_many_nodes"
    )


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    assert refusal_of_yaml("a: &a [1, *a]\n") == "document_recursive_alias"


@pytest.mark.parametrize(
    "text", ["[" * 50_000, "a:\n" + "".join(f"{' ' * i}- \n" for i in range(100))]
)
def test_deep_yaml_is_refused(text: str) -> None:
    assert refusal_of_yaml(text) == "document_too_deep"


def test_the_depth_limit_is_exact() -> None:
    limits = ParseLimits(max_depth=3)
    assert refusal_of_yaml("[[[1]]]", limits) is None
    assert refusal_of_yaml("[[[[1]]]]", limits) == "document_too_deep"
    assert refusal_of_json("[[[1]]]", limits) is None
    assert refusal_of_json("[[[[1]]]]", limits) == "document_too_deep"


def test_huge_plain_integers_are_refused_but_quoted_digits_are_text() -> None:
    assert refusal_of_yaml("n: " + "9" * 5_000) == "number_too_large"
    assert refusal_of_yaml('n: "' + "9" * 5_000 + '"') is None


@pytest.mark.parametrize("data", ["[" * 50_000, b"[" * 50_000, '{"a": ' * 1_000])
def test_deep_json_is_refused_without_parsing(data: str | bytes) -> None:
    assert refusal_of_json(data) == "document_too_deep"


def test_brackets_in_json_strings_are_ignored() -> None:
    text = '{"a": "' + "[" * 1_000 + '\\"[[["}'
    assert refusal_of_json(text) is None
    assert refusal_of_json(text.encode()) is None


def test_size_is_checked_first() -> None:
    assert refusal_of_json("[]" * 10, ParseLimits(max_bytes=10)) == "document_too_large"


def test_read_text_file_refuses_what_is_not_a_text_document(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes("名前: é".encode()[:-1] + b"\xe9")
    (tmp_path / "binary.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "big.yaml").write_bytes(b"x" * 101)
    (tmp_path / "folder.yaml").mkdir()
    codes = {}
    for name in ("latin1.yaml", "binary.yaml", "big.yaml", "folder.yaml"):
        with pytest.raises(DocumentRefused) as caught:
            read_text_file(tmp_path / name, ParseLimits(max_bytes=100))
        codes[name] = caught.value.code
        assert "\n" not in caught.value.message
    assert codes == {
        "latin1.yaml": "not_utf8",
        "binary.yaml": "binary_file",
        "big.yaml": "document_too_large",
        "folder.yaml": "not_a_file",
    }
    with pytest.raises(FileNotFoundError):
        read_text_file(tmp_path / "missing.yaml")


def test_json_integers_too_long_to_convert_are_refused() -> None:
    assert refusal_of_json('{"n": ' + "9" * 5_000 + "}") == "number_too_large"
    assert refusal_of_json(b"[" + b"9" * 4_300 + b"]") is None
    assert refusal_of_json('{"n": "' + "9" * 5_000 + '"}') is None
