"""Issue 14 item 2: the PDFs, signatures and print data are ciphertext in a raw database dump.

A full visit ends with a signed set of PDFs; then every table is read with plain SQL (no
ORM types, so what a ``pg_dump`` or a copy of the SQLite file would show) and searched for the
synthetic resident's name, kana, addresses, birth date and phone, in UTF-8, UTF-16 (PDF text
strings) and CP932, and for any PDF, whose text ``pdftotext`` extracts.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend.counter.models import Document
from backend.identity.devices.models import Device
from backend.models import Base
from backend.platform.agentlink.models import AgentJob
from tests.backend.counter.conftest import Clerk
from tests.backend.counter_documents.test_counter_flow_api import (
    SIGNATURE,
    moving_in_visit,
    tablet_headers,
)

NAME, KANA = "黒桐　幹也", "コクトウ　ミキヤ"
SECRETS = (
    "黒桐",
    "コクトウ",
    "幹也",
    "観布子南",
    "中央一丁目２番３号",
    "1980-02-17",
    "19800217",
    "090-5555-0142",
)


def _encodings(secret: str) -> list[bytes]:
    return [secret.encode(codec) for codec in ("utf-8", "utf-16-be", "cp932")]


def pdf_text(blob: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    source = tmp_path / "found.pdf"
    source.write_bytes(blob)
    done = subprocess.run(
        ["pdftotext", "-q", str(source), "-"], capture_output=True, check=False, timeout=60
    )
    return done.stdout.decode("utf-8", errors="replace")


def raw_dump(db: Session) -> list[bytes]:
    """Every value of every table, as the database holds it (no TypeDecorator in the way)."""
    values: list[bytes] = []
    for table in Base.metadata.sorted_tables:
        query = text(f'SELECT * FROM "{table.name}"')  # noqa: S608 (names of our models)
        for row in db.execute(query):
            for value in row:
                if isinstance(value, bytes | bytearray | memoryview):
                    values.append(bytes(value))
                elif value is not None:
                    values.append(str(value).encode("utf-8"))
    return values


def test_a_signed_visit_leaves_no_personal_data_in_a_raw_dump(
    clerk: Clerk, db: Session, client: TestClient, tmp_path: Path
) -> None:
    vid = moving_in_visit(clerk, db)
    assert (
        clerk.patch(
            f"/api/v1/visits/{vid}",
            {"applicant": {"name": NAME, "relationship": "本人", "phone": "090-5555-0142"}},
        ).status_code
        == 200
    )
    (member,) = clerk.get(f"/api/v1/visits/{vid}").json()["members"]
    kana = clerk.patch(f"/api/v1/visits/{vid}/members/{member['id']}", {"kana": KANA})
    assert kana.status_code == 200, kana.text
    headers = tablet_headers(db, clerk)
    assert clerk.post(f"/api/v1/visits/{vid}/confirm").status_code == 200
    signed = client.post(
        f"/api/v1/tablet/visits/{vid}/signature", headers=headers, json={"signature": SIGNATURE}
    )
    assert signed.status_code == 200, signed.text
    # Bytes queued for a printer (a receipt naming the resident) wait in the database too.
    device = db.scalars(select(Device)).first()
    assert device is not None
    db.add(
        AgentJob(
            tenant_id=clerk.tenant.id,
            device_id=device.id,
            visit_id=vid,
            kind="print",
            data=b"\x1b@" + NAME.encode("cp932") + b"\n090-5555-0142\n",
        )
    )
    db.flush()
    db.expire_all()

    # The application still sees the very PDF it rendered, and it does name the resident:
    # so the searches below can fail.
    listed = clerk.get(f"/api/v1/visits/{vid}/documents").json()
    assert listed
    download = clerk.get(f"/api/v1/visits/{vid}/documents/{listed[0]['id']}")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    stored = db.get(Document, listed[0]["id"])
    assert stored is not None and stored.content == download.content
    shown = pdf_text(download.content, tmp_path)
    assert "黒桐" in shown and "コクトウ" in shown
    assert db.scalars(select(AgentJob.data)).one().startswith(b"\x1b@")

    dump = raw_dump(db)
    blob = b"\0".join(dump)
    for secret in SECRETS:
        for encoded in _encodings(secret):
            assert encoded not in blob, f"{secret!r} found in a raw dump"
    pdfs = [value for value in dump if b"%PDF" in value]
    for value in pdfs:
        found = pdf_text(value[value.index(b"%PDF") :], tmp_path)
        assert not any(secret in found for secret in SECRETS), "a PDF in the dump names a resident"
    assert pdfs == [], "PDF bytes are stored as they are"
    raw_documents = db.execute(text("SELECT content FROM documents")).scalars().all()
    assert raw_documents and all(bytes(v).startswith(b"v1:") for v in raw_documents)
