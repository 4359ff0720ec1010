"""The resident's language at the counter: the visit's guidance with local texts, and the
resident's copy of the checklist as a PDF in that language with the Japanese beside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.backend.counter.conftest import Clerk
from tests.backend.counter_documents.test_counter_flow_api import moving_in_visit, tablet_headers


def test_the_visits_guidance_in_vietnamese_keeps_the_japanese(clerk: Clerk, db: Session) -> None:
    vid = moving_in_visit(clerk, db)
    plain = clerk.post(f"/api/v1/visits/{vid}/guidance").json()
    local = clerk.post(f"/api/v1/visits/{vid}/guidance?lang=vi").json()
    assert plain["lang"] is None and plain["procedures"][0]["local"] is None
    assert local["lang"] == "vi"
    assert [p["name"] for p in local["procedures"]] == [p["name"] for p in plain["procedures"]]
    first = local["procedures"][0]
    assert first["name"] == "転入届"
    assert first["local"]["name"] == "Thông báo chuyển đến"
    assert first["local"]["floor"] == "Tầng 1"
    # a screen's tag works too; an unknown language is refused, not silently Japanese
    assert clerk.post(f"/api/v1/visits/{vid}/guidance?lang=zh-Hans").json()["lang"] == "zh"
    assert clerk.post(f"/api/v1/visits/{vid}/guidance?lang=fr").status_code == 422


def test_the_residents_copy_of_the_checklist_in_korean(
    clerk: Clerk, db: Session, tmp_path: Path
) -> None:
    vid = moving_in_visit(clerk, db)
    response = clerk.get(f"/api/v1/visits/{vid}/checklist?lang=ko")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    path = tmp_path / "checklist.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    for wanted in ("절차체크리스트", "전입신고", "転入届", "주민표사본발급", "住民票の写しの交付"):
        assert wanted in flat, wanted
    assert clerk.get(f"/api/v1/visits/{vid}/checklist?lang=xx").status_code == 422


def test_the_tablet_shows_the_procedures_in_the_residents_language(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    vid = moving_in_visit(clerk, db)
    headers = tablet_headers(db, clerk)
    assert clerk.post(f"/api/v1/visits/{vid}/confirm").status_code == 200
    plain = client.get("/api/v1/tablet/current", headers=headers).json()["visit"]
    assert plain["procedures"] is None  # no language asked: as before
    shown = client.get("/api/v1/tablet/current?lang=pt-BR", headers=headers).json()["visit"]
    first = shown["procedures"][0]
    assert first["name"] == "転入届"
    assert first["local"]["name"] == "Notificação de mudança para a cidade"
    assert first["local"]["counter"] == "Divisão de Cidadãos – Mudança de endereço"
