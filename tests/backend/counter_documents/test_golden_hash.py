"""Golden digests: a fixed record and signature always hash to the same bytes.

A change here means every stored document hash and signature binding stops matching what the
back office recomputes: change the hashing only on purpose, with a new layout or schema version.
"""

from __future__ import annotations

from backend.counter.documents import signature_digest
from contracts import GuidanceResult, Signature, VisitRecord
from forms import document_hash

RECORD = VisitRecord.model_validate(
    {
        "visit_id": "00000000-0000-4000-8000-000000000001",
        "tenant": {"code": "999999", "name": "窓口デモ市"},
        "event": "moving-in",
        "event_date": "2026-11-20",
        "filed_on": "2026-11-24",
        "previous_address": "東京都清瀬市観布子南１２－７－２０２",
        "new_address": "窓口デモ市中央一丁目２番３号",
        "household_head": "黒桐　幹也",
        "applicant": {"name": "黒桐　幹也", "relationship": "本人"},
        "members": [
            {
                "name": "黒桐　幹也",
                "kana": "コクトウ　ミキヤ",
                "birth_date": "1980-02-17",
                "sex": "1",
                "relationship": "世帯主",
                "source": "card",
            },
            {"name": "\U00020bb7野　花", "birth_date": "2019-04-02", "sex": "2"},
        ],
        "facts": {"has_dog": True},
        "certificates": [{"kind": "residence", "copies": 1, "scope": "household"}],
    }
)
GUIDANCE = GuidanceResult.model_validate(
    {
        "procedures": [
            {
                "id": "moving-in",
                "name": "転入届",
                "department": "市民課",
                "counter": {"id": "c1", "name": "市民課", "floor": "1"},
                "reasons": ["転入されたため"],
                "forms": ["moving-notice"],
            }
        ],
        "catalog_version": "2026.1",
    }
)
SIGNATURE = Signature.model_validate(
    {
        "width": 600,
        "height": 200,
        "strokes": [
            {
                "points": [
                    {"x": 10, "y": 20, "pressure": 0.4, "time": 1000},
                    {"x": 80, "y": 60, "pressure": 0.6, "time": 1040},
                ]
            }
        ],
    }
)

GOLDEN_DOCUMENT = "ecb5103944356e66ee5e6ec4c523ccac8c2eb91885ab7c98644659668b96250f"
GOLDEN_SIGNATURE = "15aded9d4ac9e015c58cef6a33de0c045d523f48d799ffd8079686ab867f0e2d"


def test_document_hash_is_pinned() -> None:
    assert document_hash("moving-notice", 1, RECORD, GUIDANCE) == GOLDEN_DOCUMENT


def test_signature_digest_is_pinned() -> None:
    assert signature_digest(SIGNATURE) == GOLDEN_SIGNATURE


def test_the_hash_covers_the_form_its_version_the_record_and_the_guidance() -> None:
    pinned = document_hash("moving-notice", 1, RECORD, GUIDANCE)
    other_member = RECORD.model_copy(update={"household_head": "黒桐　鮮花"})
    assert document_hash("moving-notice", 2, RECORD, GUIDANCE) != pinned
    assert document_hash("checklist", 1, RECORD, GUIDANCE) != pinned
    assert document_hash("moving-notice", 1, other_member, GUIDANCE) != pinned
    assert document_hash("moving-notice", 1, RECORD, None) != pinned
