"""Helpers for the security tests.

Two municipalities: ``home`` (the demo tenant, with its staff and one device of each kind)
and ``foreign`` (992003), holding one object of every kind. Tests act as home principals and
aim at foreign objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.counter.models import Document, HouseholdMember, Signature, Visit, VisitEvent
from backend.guidance.models import CatalogVersion
from backend.identity.auth.tokens import hash_token, new_token
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.security_models import IndividualNumber, OidcProvider
from backend.identity.staff.models import Role, StaffAccount
from backend.identity.tenants.models import Counter, Office, Tenant
from backend.platform.audit.service import record
from backend.platform.db import utcnow
from backend.platform.outbox.models import DeliveryAttempt, OutboxMessage
from backend.queue.models import Queue, Ticket
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE

FOREIGN_CODE = "992003"
FOREIGN_NAME = "他市テスト町"
FOREIGN_ISSUER = "https://idp.foreign.invalid"


@dataclass
class Caller:
    """A home principal: a staff role (cookie + CSRF) or a device kind (bearer token)."""

    label: str
    headers: dict[str, str]
    role: Role | None = None
    kind: DeviceKind | None = None


@dataclass
class World:
    home: Tenant
    foreign: Tenant
    foreign_ids: dict[str, str] = field(default_factory=dict)
    callers: list[Caller] = field(default_factory=list)

    @property
    def sentinels(self) -> list[str]:
        """Strings that must never appear in a home principal's response."""
        # ids long enough to be recognised in a response (not small numbers like a version)
        ids = [value for value in self.foreign_ids.values() if len(value) >= 8]
        return [*ids, FOREIGN_NAME, FOREIGN_ISSUER]


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    """Log in and return headers carrying the session cookie and the CSRF token."""
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": username, "password": password},
    )
    assert response.status_code == 200, response.text
    token = response.cookies.get("madoguchi_session")
    client.cookies.clear()
    return {"cookie": f"madoguchi_session={token}", "x-csrf-token": response.json()["csrf_token"]}


def device_with_token(db: Session, tenant: Tenant, kind: DeviceKind, **placement: str) -> str:
    token = new_token("mdt_")
    db.add(
        Device(
            tenant_id=tenant.id, kind=kind.value, name=f"test {kind.value}",
            token_hash=hash_token(token), **placement,
        )
    )  # fmt: skip
    db.flush()
    return token


def build_foreign(db: Session) -> tuple[Tenant, dict[str, str]]:
    tenant = Tenant(code=FOREIGN_CODE, name=FOREIGN_NAME)
    db.add(tenant)
    db.flush()
    t = tenant.id
    office = Office(tenant_id=t, code="main", name="他市本庁舎")
    db.add(office)
    db.flush()
    counter = Counter(tenant_id=t, office_id=office.id, code="1", name="他市1番")
    queue = Queue(tenant_id=t, office_id=office.id, prefix="A", name_ja="他", name_en="Other")
    db.add_all([counter, queue])
    db.flush()
    now = utcnow()
    ticket = Ticket(
        tenant_id=t, queue_id=queue.id, origin_queue_id=queue.id, office_id=office.id,
        service_day=dt.date(2026, 11, 24), number=1,
        display_number="A-001", issued_at=now, follow_token=new_token()[:32],
    )  # fmt: skip
    db.add(ticket)
    db.flush()
    visit = Visit(tenant_id=t, office_id=office.id, counter_id=counter.id, ticket_id=ticket.id)
    db.add(visit)
    db.flush()
    member = HouseholdMember(tenant_id=t, visit_id=visit.id, name="他市　太郎")
    event = VisitEvent(tenant_id=t, visit_id=visit.id, kind="opened")
    signature = Signature(tenant_id=t, visit_id=visit.id, sha256="0" * 64)
    db.add_all([member, event, signature])
    db.flush()
    document = Document(
        tenant_id=t, visit_id=visit.id, form="juminhyo", filename="x.pdf",
        content_type="application/pdf", sha256="0" * 64, content=b"%PDF",
        signature_id=signature.id,
    )  # fmt: skip
    message = OutboxMessage(
        tenant_id=t, topic="handoff", destination="rpa", idempotency_key=new_token(),
        key=visit.id, payload={},
    )  # fmt: skip
    staff = StaffAccount(tenant_id=t, username="foreign-clerk", display_name="他市職員")
    device = Device(tenant_id=t, kind="display", name="他市表示")
    provider = OidcProvider(tenant_id=t, issuer=FOREIGN_ISSUER, client_id="foreign-client")
    db.add_all([document, message, staff, device, provider])
    db.flush()
    attempt = DeliveryAttempt(tenant_id=t, message_id=message.id, ok=False)
    number = IndividualNumber(tenant_id=t, visit_id=visit.id, member_id=member.id, sealed="x")
    db.add_all([attempt, number])
    # a number the walk's own drafts (POST /catalog/drafts numbers 1, 2, …) never reach
    catalog_version = CatalogVersion(
        tenant_id=t, number=424_242, catalog_id="foreign", label="v1", digest="0" * 64, source="{}"
    )
    db.add(catalog_version)
    audit = record(db, tenant_id=t, action="test.foreign")
    db.flush()
    ids = {
        "office": office.id, "counter": counter.id, "queue": queue.id, "ticket": ticket.id,
        "visit": visit.id, "member": member.id, "household_member": member.id,
        "event": event.id, "visit_event": event.id, "signature": signature.id,
        "document": document.id, "message": message.id, "outbox_message": message.id,
        "attempt": attempt.id, "staff": staff.id, "account": staff.id, "device": device.id,
        "provider": provider.id, "audit_event": audit.id, "individual_number": number.id,
        "follow_token": ticket.follow_token, "token": ticket.follow_token,
        "number": str(catalog_version.number),
    }  # fmt: skip
    return tenant, ids
