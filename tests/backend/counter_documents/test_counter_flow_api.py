"""After the interview: guidance, forms, the tablet's one signature bound to each document hash."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.counter import service
from backend.counter.models import Document, Signature
from backend.counter.states import VisitStatus
from backend.identity.auth.tokens import hash_token
from backend.identity.devices.models import Device, DeviceKind
from contracts import VisitRecord
from forms import document_hash, load_layout
from tests.backend.counter.conftest import Clerk, answer_open_questions

TABLET_TOKEN = "tablet-token-for-flow-tests"
SIGNATURE = {
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


def tablet_headers(db: Session, clerk: Clerk) -> dict[str, str]:
    db.add(
        Device(
            tenant_id=clerk.tenant.id,
            kind=DeviceKind.TABLET.value,
            name="tablet 1",
            counter_id=clerk.counter.id,
            token_hash=hash_token(TABLET_TOKEN),
        )
    )
    db.flush()
    return {"authorization": f"Bearer {TABLET_TOKEN}"}


def moving_in_visit(clerk: Clerk, db: Session) -> str:
    vid = clerk.post("/api/v1/visits", {"counter_id": clerk.counter.id}).json()["id"]
    visit = service.get_visit(db, vid)
    card = service.CardFields("黒桐　幹也", "東京都清瀬市観布子南１２－７－２０２", "19800217", "1")
    member = service.add_card_member(db, visit, card)
    clerk.patch(
        f"/api/v1/visits/{vid}/members/{member.id}", {"relationship": "世帯主", "nationality": "JP"}
    )
    response = clerk.patch(
        f"/api/v1/visits/{vid}",
        {
            "event": "moving-in",
            "event_date": "2026-11-20",
            "filed_on": "2026-11-24",
            "previous_address": "東京都清瀬市観布子南１２－７－２０２",
            "new_address": "窓口デモ市中央一丁目２番３号",
            "household_head": "黒桐　幹也",
            "applicant": {"name": "黒桐　幹也", "relationship": "本人"},
            "certificates": [
                {"kind": "residence", "copies": 1, "scope": "household"},
                {"kind": "tax", "fiscal_year": 2026, "tax_kind": "income_taxation"},
            ],
        },
    )
    assert response.status_code == 200, response.text
    answer_open_questions(clerk, vid)  # an open question would block the tablet
    return vid


def signed_visit(clerk: Clerk, db: Session, client: TestClient) -> str:
    """``moving_in_visit``, sent to the counter's tablet and signed there (asserted)."""
    vid = moving_in_visit(clerk, db)
    headers = tablet_headers(db, clerk)
    assert clerk.post(f"/api/v1/visits/{vid}/confirm").status_code == 200
    signed = client.post(
        f"/api/v1/tablet/visits/{vid}/signature", headers=headers, json={"signature": SIGNATURE}
    )
    assert signed.status_code == 200, signed.text
    return vid


def test_guidance_and_forms_for_a_moving_in(clerk: Clerk, db: Session) -> None:
    vid = moving_in_visit(clerk, db)
    guidance = clerk.post(f"/api/v1/visits/{vid}/guidance")
    assert guidance.status_code == 200, guidance.text
    assert guidance.json()["procedures"], "a moving-in always has procedures"
    forms = [f["form"] for f in clerk.get(f"/api/v1/visits/{vid}/forms").json()["forms"]]
    assert "moving-notice" in forms
    assert "residence-certificate-request" in forms
    # Moved in after 1 January 2026: the 令和8年度 certificate is asked of the previous town.
    assert "tax-certificate-postal-request" in forms
    assert "tax-certificate-request" not in forms
    preview = clerk.get(f"/api/v1/visits/{vid}/forms/moving-notice/preview")
    assert preview.status_code == 200 and preview.content.startswith(b"%PDF")


def test_the_tablet_signs_once_for_every_form(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    vid = moving_in_visit(clerk, db)
    headers = tablet_headers(db, clerk)
    assert client.get("/api/v1/tablet/current", headers=headers).json()["visit"] is None
    # Not yet sent to the tablet: signing is refused.
    early = client.post(
        f"/api/v1/tablet/visits/{vid}/signature", headers=headers, json={"signature": SIGNATURE}
    )
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_confirming"

    assert clerk.post(f"/api/v1/visits/{vid}/confirm").json()["status"] == VisitStatus.CONFIRMING
    shown = client.get("/api/v1/tablet/current", headers=headers).json()["visit"]
    assert shown["id"] == vid and shown["record"]["members"][0]["name"] == "黒桐　幹也"
    empty = client.post(
        f"/api/v1/tablet/visits/{vid}/signature",
        headers=headers,
        json={"signature": {**SIGNATURE, "strokes": []}},
    )
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "empty_signature"
    signed = client.post(
        f"/api/v1/tablet/visits/{vid}/signature", headers=headers, json={"signature": SIGNATURE}
    )
    assert signed.status_code == 200, signed.text
    forms = signed.json()["forms"]
    assert len(forms) == signed.json()["documents"] >= 3

    record = VisitRecord.model_validate(clerk.get(f"/api/v1/visits/{vid}/record").json())
    guidance = clerk.post(f"/api/v1/visits/{vid}/guidance").json()
    from contracts import GuidanceResult

    result = GuidanceResult.model_validate(guidance)
    (signature,) = db.scalars(select(Signature).where(Signature.visit_id == vid)).all()
    documents = db.scalars(select(Document).where(Document.visit_id == vid)).all()
    assert {d.signature_id for d in documents} == {signature.id}  # one signature for all
    for document in documents:
        layout = load_layout(document.form)
        expected = document_hash(layout.form, layout.version, record, result)
        assert document.sha256 == expected == signature.bound_documents[document.form]
    listed = clerk.get(f"/api/v1/visits/{vid}/documents").json()
    pdf = clerk.get(f"/api/v1/visits/{vid}/documents/{listed[0]['id']}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    again = client.post(
        f"/api/v1/tablet/visits/{vid}/signature", headers=headers, json={"signature": SIGNATURE}
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_signed"
    journey = clerk.get(f"/api/v1/visits/{vid}/journey").json()
    assert journey["forms"] == len(forms) and journey["fields_not_handwritten"] > 10
    # The download is the very PDF stored at signing, byte for byte.
    (downloaded,) = [d for d in documents if d.id == listed[0]["id"]]
    assert pdf.content == downloaded.content


def test_a_change_after_sending_voids_the_confirmation(clerk: Clerk, db: Session) -> None:
    vid = moving_in_visit(clerk, db)
    clerk.post(f"/api/v1/visits/{vid}/confirm")
    clerk.patch(f"/api/v1/visits/{vid}", {"facts": {"has_dog": True}})
    assert clerk.get(f"/api/v1/visits/{vid}").json()["status"] == VisitStatus.OPEN


def test_a_tablet_of_another_counter_cannot_sign(clerk: Clerk, db: Session, client) -> None:  # type: ignore[no-untyped-def]
    vid = moving_in_visit(clerk, db)
    clerk.post(f"/api/v1/visits/{vid}/confirm")
    db.add(
        Device(
            tenant_id=clerk.tenant.id,
            kind=DeviceKind.TABLET.value,
            name="other",
            counter_id=None,
            token_hash=hash_token("other-tablet"),
        )
    )
    db.flush()
    response = client.post(
        f"/api/v1/tablet/visits/{vid}/signature",
        json={"signature": SIGNATURE},
        headers={"authorization": "Bearer other-tablet"},
    )
    assert response.status_code == 404


def test_handoff_writes_the_outbox_and_closes_in_one_transaction(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    from backend.platform.outbox.models import OutboxMessage

    vid = moving_in_visit(clerk, db)
    early = clerk.post(f"/api/v1/visits/{vid}/handoff")
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_signed"
    headers = tablet_headers(db, clerk)
    clerk.post(f"/api/v1/visits/{vid}/confirm")
    client.post(
        f"/api/v1/tablet/visits/{vid}/signature", headers=headers, json={"signature": SIGNATURE}
    )
    closed = clerk.post(f"/api/v1/visits/{vid}/handoff")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == VisitStatus.CLOSED
    assert db.scalars(select(OutboxMessage).where(OutboxMessage.key == vid)).all()
    kinds = [e["kind"] for e in clerk.get(f"/api/v1/visits/{vid}/journey").json()["events"]]
    assert kinds[-2:] == ["handed_off", "visit.closed"]


def test_handoff_without_any_destination_is_refused_and_the_visit_stays_open(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    from backend.platform.outbox.models import Destination, OutboxMessage

    vid = moving_in_visit(clerk, db)
    headers = tablet_headers(db, clerk)
    clerk.post(f"/api/v1/visits/{vid}/confirm")
    client.post(
        f"/api/v1/tablet/visits/{vid}/signature", headers=headers, json={"signature": SIGNATURE}
    )
    for destination in db.scalars(select(Destination)).all():
        destination.enabled = False
    db.flush()
    refused = clerk.post(f"/api/v1/visits/{vid}/handoff")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "no_handoff_destination"
    assert db.scalars(select(OutboxMessage).where(OutboxMessage.key == vid)).all() == []
    assert clerk.get(f"/api/v1/visits/{vid}").json()["status"] != VisitStatus.CLOSED


def test_a_name_the_forms_cannot_print_is_a_422_with_the_forms_code(
    clerk: Clerk, db: Session
) -> None:
    vid = moving_in_visit(clerk, db)
    changed = clerk.patch(f"/api/v1/visits/{vid}", {"household_head": "黒桐\U000f0000"})
    assert changed.status_code == 200, changed.text
    preview = clerk.get(f"/api/v1/visits/{vid}/forms/moving-notice/preview")
    assert preview.status_code == 422, preview.text
    error = preview.json()["error"]
    assert error["code"] == "forms.unprintable_character"
    assert "U+F0000" in error["message"]


def test_once_signed_the_visit_its_guidance_and_documents_come_in_one_request(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    """The console's step ⑥: ``with-guidance?documents=true`` answers what ``with-guidance``
    and ``GET …/documents`` answered (issue 17: one request a visit fewer)."""
    vid = signed_visit(clerk, db, client)
    both = clerk.get(f"/api/v1/visits/{vid}/with-guidance?documents=true")
    assert both.status_code == 200, both.text
    answer = both.json()
    listed = clerk.get(f"/api/v1/visits/{vid}/documents").json()
    assert answer.pop("documents") == listed
    assert len(listed) >= 3 and all(d["signature_id"] for d in listed)
    plain = clerk.get(f"/api/v1/visits/{vid}/with-guidance").json()
    assert plain.pop("documents") is None
    assert answer == plain and answer["status"] == VisitStatus.SIGNED


def test_the_documents_flag_is_checked_after_the_caller(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    vid = moving_in_visit(clerk, db)
    refused = clerk.get(f"/api/v1/visits/{vid}/with-guidance?documents=maybe")
    assert refused.status_code == 422, refused.text
    assert "documents" in refused.text
    # Not signed yet: asked for, the list is there and empty.
    assert clerk.get(f"/api/v1/visits/{vid}/with-guidance?documents=1").json()["documents"] == []
    anonymous = TestClient(client.app).get(f"/api/v1/visits/{vid}/with-guidance?documents=maybe")
    assert anonymous.status_code == 401  # who asks comes before what was asked
