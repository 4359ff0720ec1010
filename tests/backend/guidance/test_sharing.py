"""共創 (issue 18): a catalog exported by one municipality and imported by another.

The bundle is signed and checked; the import is a draft with the differences in words; after
an upstream change, the three-way view shows it and one procedure can be taken on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from backend.guidance import service, sharing, wording
from backend.guidance.models import CatalogFork
from backend.identity.tenants.models import Tenant
from backend.identity.tenants.service import create_tenant
from backend.platform.db import set_session_tenant
from tests.helpers.cli_db import commands_database

UPSTREAM_CODE = "991007"  # the demo municipality
OUR_CODE = "012025"  # a second, synthetic municipality


def _sample() -> dict[str, Any]:
    return yaml.safe_load(service.DEFAULT_CATALOG_PATH.read_text(encoding="utf-8"))


def _procedure(catalog: dict[str, Any], pid: str) -> dict[str, Any]:
    return next(p for p in catalog["procedures"] if p["id"] == pid)


def _publish(session: Session, tenant: Tenant, catalog: dict[str, Any], label: str) -> bytes:
    """Upload, activate and export ``catalog`` as ``tenant``."""
    set_session_tenant(session, tenant.id)
    catalog["catalog"]["version"] = label
    text = yaml.safe_dump(catalog, allow_unicode=True, sort_keys=False)
    version = service.upload(session, tenant.id, text, "test")
    service.activate(session, tenant.id, version.number, "test")
    return sharing.export_bundle(session, tenant.id, "test")


@pytest.fixture
def tenants(db: Session) -> tuple[Tenant, Tenant]:
    db.info["unscoped"] = False  # each tenant sees its own catalog versions, as in a request
    upstream = create_tenant(db, code=UPSTREAM_CODE, name="窓口デモ市", actor="test")
    ours = create_tenant(db, code=OUR_CODE, name="見本市", actor="test")
    return upstream, ours


def test_a_bundle_carries_its_source_and_refuses_tampering(
    db: Session, tenants: tuple[Tenant, Tenant]
) -> None:
    upstream, _ = tenants
    data = _publish(db, upstream, _sample(), "2026.2-demo")
    bundle = sharing.read_bundle(data)
    assert bundle.source_tenant_code == UPSTREAM_CODE and bundle.label.endswith("2026.2-demo")
    assert len(bundle.signer_fingerprint) == 16

    document = json.loads(data)
    document["catalog"] = document["catalog"].replace("児童手当", "児童手当X", 1)
    with pytest.raises(sharing.BundleInvalid, match="署名"):
        sharing.read_bundle(json.dumps(document).encode())
    for broken in (b"not json", b"{}", b"[1, 2]", data[: len(data) // 2]):
        with pytest.raises(sharing.BundleInvalid):
            sharing.read_bundle(broken)


def test_import_is_a_draft_with_the_differences_in_words(
    db: Session, tenants: tuple[Tenant, Tenant]
) -> None:
    upstream, ours = tenants
    catalog = _sample()
    allowance = _procedure(catalog, "child-allowance")
    days = allowance["deadline"]["days"]
    allowance["deadline"]["days"] = days - 1
    bundle = sharing.read_bundle(_publish(db, upstream, catalog, "2026.2-demo"))

    set_session_tenant(db, ours.id)
    draft, fork = sharing.import_bundle(db, ours.id, bundle, "test")
    assert not draft.active and service.active_catalog(db)[0] is None  # never activated
    assert fork.upstream_code == UPSTREAM_CODE
    words = wording.diff_in_words(
        service.DEFAULT_CATALOG_PATH.read_text(encoding="utf-8"), draft.source
    )
    assert words == [f"{allowance['name']}の期限を {days}日 → {days - 1}日"]
    service.activate(db, ours.id, draft.number, "test")  # the forked draft activates
    assert service.active_catalog(db)[0] == draft.number


def test_an_upstream_change_after_the_fork_shows_in_the_three_way_view(
    db: Session, tenants: tuple[Tenant, Tenant]
) -> None:
    upstream, ours = tenants
    first = sharing.read_bundle(_publish(db, upstream, _sample(), "v1"))
    set_session_tenant(db, ours.id)
    draft, _ = sharing.import_bundle(db, ours.id, first, "test")
    mine = yaml.safe_load(draft.source)
    _procedure(mine, "residence-certificate")["minutes"] += 5  # our own local change
    text = yaml.safe_dump(mine, allow_unicode=True, sort_keys=False)
    service.activate(db, ours.id, service.upload(db, ours.id, text, "test").number, "test")

    changed = _sample()
    seal = _procedure(changed, "seal-registration")
    old_fee = seal["fee_yen"]
    seal["fee_yen"] = old_fee + 100
    second = sharing.read_bundle(_publish(db, upstream, changed, "v2"))
    set_session_tenant(db, ours.id)
    sharing.import_bundle(db, ours.id, second, "test")

    rows = {row.id: row for row in sharing.three_way(db, UPSTREAM_CODE)}
    assert rows["seal-registration"].state == "upstream_changed"
    assert rows["seal-registration"].changes == [
        f"{seal['name']}の手数料を {old_fee:,}円 → {old_fee + 100:,}円"
    ]
    assert rows["residence-certificate"].state == "ours_changed"
    assert set(rows) == {"seal-registration", "residence-certificate"}
    # what taking upstream's version would change for us, per procedure
    assert rows["seal-registration"].ours_to_upstream == rows["seal-registration"].changes
    minutes = _procedure(mine, "residence-certificate")["minutes"]
    assert rows["residence-certificate"].ours_to_upstream == [
        f"{_procedure(mine, 'residence-certificate')['name']}の所要時間を {minutes}分 → "
        f"{minutes - 5}分"
    ]
    [known] = sharing.upstreams(db)
    assert (known.code, known.imports, known.label) == (UPSTREAM_CODE, 2, "default@v2")

    adopted = sharing.adopt(db, ours.id, UPSTREAM_CODE, ["seal-registration"], "test")
    taken = yaml.safe_load(adopted.source)
    assert _procedure(taken, "seal-registration")["fee_yen"] == old_fee + 100
    minutes = _procedure(mine, "residence-certificate")["minutes"]
    assert _procedure(taken, "residence-certificate")["minutes"] == minutes
    assert not adopted.active
    with pytest.raises(sharing.ValidationFailed):
        sharing.adopt(db, ours.id, UPSTREAM_CODE, ["no-such-procedure"], "test")


# --- the commands -------------------------------------------------------------------------


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def two_tenants(session: Session) -> None:
        create_tenant(session, code=UPSTREAM_CODE, name="窓口デモ市", actor="test")
        create_tenant(session, code=OUR_CODE, name="見本市", actor="test")

    with commands_database(tmp_path, monkeypatch, prepare=two_tenants) as engine:
        yield engine


def test_catalog_export_and_import_commands(cli_database: Any, tmp_path: Path) -> None:
    from backend.cli import build_app

    runner = CliRunner()
    bundle = tmp_path / "bundle.json"
    exported = runner.invoke(
        build_app(), ["catalog", "export", "--tenant", UPSTREAM_CODE, "--out", str(bundle)]
    )
    assert exported.exit_code == 0, exported.output
    imported = runner.invoke(build_app(), ["catalog", "import", "--tenant", OUR_CODE, str(bundle)])
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.startswith("draft 1: 窓口デモ市 (991007)")
    with Session(cli_database) as session:
        session.info["unscoped"] = True
        fork = session.scalars(select(CatalogFork)).one()
        assert fork.draft_number == 1

    tampered = tmp_path / "tampered.json"
    document = json.loads(bundle.read_text(encoding="utf-8"))
    document["source_tenant_name"] = "別の市"
    tampered.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    for args in (
        ["catalog", "import", "--tenant", OUR_CODE, str(tampered)],
        ["catalog", "import", "--tenant", OUR_CODE, str(tmp_path / "missing.json")],
        ["catalog", "import", "--tenant", "999999", str(bundle)],
        ["catalog", "export", "--tenant", OUR_CODE, "--out", str(tmp_path)],
    ):
        refused = runner.invoke(build_app(), args)
        assert refused.exit_code == 2, (args, refused.output)
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
