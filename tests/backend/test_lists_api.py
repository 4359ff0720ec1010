"""``GET /api/v1/schemas/lists.json``: the lists the screens show, from the one source each."""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from contracts.visit import EVENTS, SEX_LABELS, Certificate
from forms.data import EVENT_LABEL, TAX_KIND
from forms.wareki import ERAS

URL = "/api/v1/schemas/lists.json"
TOP_KEYS = {
    "schema",
    "eras",
    "first_day",
    "events",
    "sexes",
    "relationships",
    "relationship_labels",
    "certificate_kinds",
    "tax_kinds",
}


@pytest.fixture(scope="module")
def lists() -> dict[str, Any]:
    """Read anonymously: no cookie, no device token (an unpaired tablet must read it too)."""
    response = TestClient(create_app()).get(URL)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_shape(lists: dict[str, Any]) -> None:
    assert set(lists) == TOP_KEYS
    assert lists["schema"] == "madoguchi.lists/1"
    for name in ("events", "sexes", "certificate_kinds", "tax_kinds"):
        for choice in lists[name]:
            assert set(choice) == {"code", "labels"}, name
            assert {"ja", "en"} <= set(choice["labels"]), choice
            assert all(isinstance(v, str) and v for v in choice["labels"].values()), choice
    assert all(isinstance(r, str) and r for r in lists["relationships"])
    assert "世帯主" in lists["relationships"]
    assert [c["code"] for c in lists["relationship_labels"]] == lists["relationships"]


RESIDENT_LANGUAGES = {"ja", "en", "zh-Hans", "ko", "vi", "pt"}


def test_every_label_is_in_the_six_resident_languages(lists: dict[str, Any]) -> None:
    """The tablet shows these to the resident: no fallback to English or Japanese."""
    for name in ("events", "sexes", "relationship_labels", "certificate_kinds", "tax_kinds"):
        for choice in lists[name]:
            assert set(choice["labels"]) == RESIDENT_LANGUAGES, (name, choice["code"])


def test_the_era_table_is_forms_wareki(lists: dict[str, Any]) -> None:
    expected = []
    for index, era in enumerate(ERAS):
        end = ERAS[index - 1].start - dt.timedelta(days=1) if index else None
        expected.append(
            {
                "name": era.name,
                "letter": era.letter,
                "start": era.start.isoformat(),
                "end": end.isoformat() if end else None,
            }
        )
    assert lists["eras"] == expected
    assert lists["eras"][1] == {
        "name": "平成",
        "letter": "H",
        "start": "1989-01-08",
        "end": "2019-04-30",
    }
    assert lists["first_day"] == "1868-01-25" == ERAS[-1].start.isoformat()


def test_codes_are_the_contract_and_labels_match_the_forms(lists: dict[str, Any]) -> None:
    events = {c["code"]: c["labels"] for c in lists["events"]}
    assert len(lists["events"]) == 9
    assert set(events) == set(EVENTS)
    assert {code: labels["ja"] for code, labels in events.items()} == EVENT_LABEL
    assert [c["code"] for c in lists["events"]][:3] == ["moving-in", "moving-within", "moving-out"]
    assert events["moving-in"]["en"] == "Moving in"
    sexes = {c["code"]: c["labels"]["ja"] for c in lists["sexes"]}
    assert sexes == SEX_LABELS
    kinds = [c["code"] for c in lists["certificate_kinds"]]
    assert kinds == list(get_args(Certificate.model_fields["kind"].annotation))
    assert {c["code"]: c["labels"]["ja"] for c in lists["tax_kinds"]} == TAX_KIND


def test_no_personal_or_tenant_data(lists: dict[str, Any]) -> None:
    """Only reference data: no key a person or a municipality would be stored under, and the
    demo municipality's name and code appear nowhere."""
    keys: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            keys.update(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(lists)
    allowed = TOP_KEYS | {"name", "letter", "start", "end", "code", "labels"}
    allowed |= {"ja", "en", "zh-Hans", "ko", "vi", "pt"}
    assert keys <= allowed, keys - allowed
    text = str(lists)
    for forbidden in ("991007", "窓口デモ市", "birth_date", "individual_number", "tenant"):
        assert forbidden not in text


def test_published_in_openapi() -> None:
    spec = TestClient(create_app()).get("/openapi.json").json()
    operation = spec["paths"][URL]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Lists"}
