"""What the signature, a dated change and the hand-off send to the database (issue 17).

Pinned: the signature row is inserted already bound to its documents' hashes (no UPDATE after
it), the hashes computed with the record and guidance serialised once are forms' own, byte for
byte; an event chosen without dates is one UPDATE of the visit; the hand-off reads the visit
once and its documents without their PDFs, and links the same documents as before.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.counter import service
from backend.counter.documents import Prepared, document_hashes, prefilled_fields
from backend.counter.handoff import document_url
from backend.counter.models import Document, Signature
from backend.platform.outbox.models import OutboxMessage
from contracts import GuidanceResult, VisitRecord
from forms import document_hash, load_layout
from tests.backend.counter.conftest import Clerk
from tests.backend.counter_documents.test_counter_flow_api import (
    SIGNATURE,
    moving_in_visit,
    signed_visit,
    tablet_headers,
)
from tests.backend.counter_documents.test_golden_hash import GUIDANCE, RECORD
from tests.helpers.sql import count_starting, statements

PDF_COLUMN = re.compile(r"documents\.content\b(?!_)")
FORMS = ["moving-notice", "residence-certificate-request", "tax-certificate-request", "checklist"]


def test_the_hashes_of_all_forms_at_once_are_forms_document_hash() -> None:
    odd = GUIDANCE.model_copy(update={"lang": "en", "catalog_version": 'quote " and \\ ✓'})
    for guidance in (GUIDANCE, odd):
        prepared = Prepared(RECORD, guidance, FORMS)
        layouts = {form: prepared.layout(form) for form in FORMS}
        expected = {
            form: document_hash(layouts[form].form, layouts[form].version, RECORD, guidance)
            for form in FORMS
        }
        assert document_hashes(prepared, layouts) == expected
    assert len(set(expected.values())) == len(FORMS)


def test_signing_inserts_the_signature_bound_and_stores_each_prefilled_count(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    vid = moving_in_visit(clerk, db)
    headers = tablet_headers(db, clerk)
    assert clerk.post(f"/api/v1/visits/{vid}/confirm").status_code == 200
    with statements(db) as sent:
        signed = client.post(
            f"/api/v1/tablet/visits/{vid}/signature", headers=headers, json={"signature": SIGNATURE}
        )
    assert signed.status_code == 200, signed.text
    assert count_starting(sent, "INSERT INTO signatures") == 1
    assert count_starting(sent, "UPDATE signatures") == 0
    assert count_starting(sent, "SELECT visits") == 1
    (signature,) = db.scalars(select(Signature).where(Signature.visit_id == vid)).all()
    documents = db.scalars(select(Document).where(Document.visit_id == vid)).all()
    assert signature.bound_documents == {d.form: d.sha256 for d in documents}
    record = VisitRecord.model_validate(clerk.get(f"/api/v1/visits/{vid}/record").json())
    guidance = GuidanceResult.model_validate(clerk.post(f"/api/v1/visits/{vid}/guidance").json())
    events = clerk.get(f"/api/v1/visits/{vid}/journey").json()["events"]
    stored = {e["data"]["form"]: e["data"] for e in events if e["kind"] == "document.stored"}
    assert set(stored) == set(signed.json()["forms"])
    for document in documents:
        layout = load_layout(document.form)
        assert document.sha256 == document_hash(layout.form, layout.version, record, guidance)
        assert stored[document.form]["document_id"] == document.id
        assert stored[document.form]["sha256"] == document.sha256
        count = prefilled_fields(document.form, record, guidance)
        assert stored[document.form]["prefilled_fields"] == count > 0


def test_an_event_without_dates_is_one_update_of_the_visit(clerk: Clerk, db: Session) -> None:
    vid = clerk.post("/api/v1/visits", {"counter_id": clerk.counter.id}).json()["id"]
    card = service.CardFields("試験　太郎", "東京都清瀬市観布子南１２－７－２０２", "19800217", "1")
    service.add_card_member(db, service.get_visit(db, vid), card)
    db.expire(clerk.tenant)  # read by the request, as in production (not held by a test)
    with statements(db) as sent:
        changed = clerk.patch(f"/api/v1/visits/{vid}", {"event": "moving-in"})
    assert changed.status_code == 200, changed.text
    # Dated today, and the previous address from the card: both in the one UPDATE.
    assert changed.json()["filed_on"] == changed.json()["event_date"] is not None
    assert changed.json()["previous_address"] == card.address
    assert count_starting(sent, "UPDATE visits") == 1


def test_the_hand_off_reads_the_visit_once_and_no_pdf(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    vid = signed_visit(clerk, db, client)
    with statements(db) as sent:
        closed = clerk.post(f"/api/v1/visits/{vid}/handoff")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert count_starting(sent, "SELECT visits") == 1
    assert not [s for s in sent if s.startswith("SELECT") and PDF_COLUMN.search(s)]
    documents = db.scalars(
        select(Document).where(Document.visit_id == vid).order_by(Document.created_at)
    ).all()
    expected = [
        {
            "id": d.id,
            "form": d.form,
            "filename": d.filename,
            "content_type": d.content_type,
            "sha256": d.sha256,
            "url": document_url(d.id),
        }
        for d in documents
    ]
    messages = db.scalars(select(OutboxMessage).where(OutboxMessage.key == vid)).all()
    assert messages
    for message in messages:
        assert message.payload is not None
        assert message.payload["documents"] == expected


def test_the_document_list_and_the_signature_wait_read_columns_not_rows(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    vid = signed_visit(clerk, db, client)
    with statements(db) as sent:
        listed = clerk.get(f"/api/v1/visits/{vid}/documents")
        waited = clerk.get(f"/api/v1/tablet/visits/{vid}/signature-wait")
    assert listed.status_code == 200 and waited.status_code == 200, waited.text
    assert not [s for s in sent if s.startswith("SELECT") and PDF_COLUMN.search(s)]
    assert [s for s in sent if s.startswith("SELECT visits.status, visits.counter_id FROM")]
    assert not [s for s in sent if s.startswith("SELECT devices.kind")]  # only last_seen_at
    documents = db.scalars(
        select(Document).where(Document.visit_id == vid).order_by(Document.created_at)
    ).all()
    shown = [
        (d["id"], d["form"], d["filename"], d["sha256"], d["signature_id"]) for d in listed.json()
    ]
    assert shown == [(d.id, d.form, d.filename, d.sha256, d.signature_id) for d in documents]
    assert all(d["title"] for d in listed.json())
    assert waited.json()["status"] == "signed"
    assert waited.json()["tablet"] == {"paired": True, "online": True}
