"""A fictional demo municipality: 団体コード 991007 in the unassigned prefecture 99.

Idempotent: running it twice changes nothing. Demo passwords are for the demo only and are
refused outside development (see ``seed_demo``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.auth.passwords import hash_password
from backend.identity.auth.tokens import hash_token
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.staff.models import Role, StaffAccount
from backend.identity.tenants.codes import is_valid_local_government_code
from backend.identity.tenants.models import Counter, Office, Tenant
from backend.platform.outbox.seed import ensure_demo_destinations
from backend.queue.models import Queue, counter_queues
from backend.residents import demo as residents_demo

DEMO_TENANT_CODE = "991007"
DEMO_TENANT_NAME = "窓口デモ市"
DEMO_PASSWORD = "madoguchi-demo"  # noqa: S105 - the demo's, refused outside development
# Fixed device tokens so that `make run` screens work at once: /ticket/#token=…, /display/#token=…
DEMO_TICKET_MACHINE_TOKEN = "demo-ticket-machine-token"  # noqa: S105 - demo only
DEMO_DISPLAY_TOKEN = "demo-display-token"  # noqa: S105 - demo only


@dataclass(frozen=True)
class DemoStaff:
    username: str
    display_name: str
    role: Role


DEMO_STAFF = (
    DemoStaff("clerk", "窓口　花子", Role.CLERK),
    DemoStaff("backoffice", "後方　次郎", Role.BACK_OFFICE),
    DemoStaff("admin", "管理　三郎", Role.TENANT_ADMIN),
    DemoStaff("operator", "運用　四郎", Role.OPERATOR),
)

# (prefix, name_ja, name_en, default minutes)
DEMO_QUEUES = (
    ("A", "転入・転出・転居", "Moving in / out", 20.0),
    ("B", "証明書", "Certificates", 6.0),
    ("C", "国保・年金", "Health insurance / Pension", 12.0),
)

# The same names in the other resident languages (the ticket machine's buttons, the slip, the
# phone page and the board); the migration 5a7c3e91d2b4 gave existing demo queues the same.
DEMO_QUEUE_TRANSLATIONS: dict[str, dict[str, str]] = {
    "A": {
        "zh-Hans": "迁入・迁出・迁居",
        "ko": "전입・전출・전거",
        "vi": "Chuyển đến / Chuyển đi",
        "pt": "Mudança (entrada / saída)",
    },
    "B": {"zh-Hans": "证明书", "ko": "증명서", "vi": "Giấy chứng nhận", "pt": "Certidões"},
    "C": {
        "zh-Hans": "国民健康保险・年金",
        "ko": "국민건강보험・연금",
        "vi": "Bảo hiểm y tế / Lương hưu",
        "pt": "Seguro de saúde / Pensão",
    },
}

# (code, name, floor, queue prefixes served)
DEMO_COUNTERS = (
    ("1", "1番窓口（市民課）", "1F", ("A", "B")),
    ("2", "2番窓口（市民課）", "1F", ("A", "B")),
    ("3", "3番窓口（証明書）", "1F", ("B",)),
    ("5", "5番窓口（保険年金課）", "1F", ("C",)),
    ("6", "6番窓口（保険年金課）", "1F", ("C", "A")),
)


def seed_demo(session: Session) -> Tenant:
    assert is_valid_local_government_code(DEMO_TENANT_CODE)
    tenant = session.scalars(select(Tenant).where(Tenant.code == DEMO_TENANT_CODE)).one_or_none()
    if tenant is None:
        tenant = Tenant(code=DEMO_TENANT_CODE, name=DEMO_TENANT_NAME)
        session.add(tenant)
        session.flush()
    session.info["tenant_id"] = tenant.id
    office = _ensure_office(session, tenant)
    queues = {
        prefix: _ensure_queue(session, office, prefix, ja, en, minutes)
        for prefix, ja, en, minutes in DEMO_QUEUES
    }
    for code, name, floor, prefixes in DEMO_COUNTERS:
        _ensure_counter(session, office, code, name, floor, [queues[p] for p in prefixes])
    for demo in DEMO_STAFF:
        _ensure_staff(session, tenant, demo)
    _ensure_device(
        session, office, DeviceKind.TICKET_MACHINE, "発券機（1F）", DEMO_TICKET_MACHINE_TOKEN
    )
    _ensure_device(session, office, DeviceKind.DISPLAY, "呼出表示（1F）", DEMO_DISPLAY_TOKEN)
    ensure_demo_destinations(session, tenant.id)
    residents_demo.ensure_demo(session, tenant, queues["A"])
    session.flush()
    return tenant


def _ensure_office(session: Session, tenant: Tenant) -> Office:
    # By tenant explicitly: the seed runs unscoped, beside the municipalities an operator added.
    office = session.scalars(
        select(Office).where(Office.tenant_id == tenant.id, Office.code == "main")
    ).one_or_none()
    if office is None:
        # Open round the clock so that the demo issues tickets whenever it is tried.
        office = Office(
            tenant_id=tenant.id, code="main", name="本庁舎", opens_at="00:00", closes_at="24:00"
        )
        session.add(office)
        session.flush()
    return office


def _ensure_queue(
    session: Session, office: Office, prefix: str, name_ja: str, name_en: str, minutes: float
) -> Queue:
    queue = session.scalars(
        select(Queue).where(Queue.office_id == office.id, Queue.prefix == prefix)
    ).one_or_none()
    if queue is None:
        queue = Queue(
            tenant_id=office.tenant_id,
            office_id=office.id,
            prefix=prefix,
            name_ja=name_ja,
            name_en=name_en,
            sort_order=ord(prefix),
            default_service_minutes=minutes,
        )
        session.add(queue)
    if not queue.name_translations:  # a demo seeded before the names were translated
        queue.name_translations = dict(DEMO_QUEUE_TRANSLATIONS.get(prefix, {}))
    session.flush()
    return queue


def _ensure_counter(
    session: Session, office: Office, code: str, name: str, floor: str, queues: list[Queue]
) -> Counter:
    counter = session.scalars(
        select(Counter).where(Counter.office_id == office.id, Counter.code == code)
    ).one_or_none()
    if counter is None:
        counter = Counter(
            tenant_id=office.tenant_id, office_id=office.id, code=code, name=name, floor=floor
        )
        session.add(counter)
        session.flush()
        session.execute(
            counter_queues.insert(),
            [{"counter_id": counter.id, "queue_id": queue.id} for queue in queues],
        )
    return counter


def _ensure_staff(session: Session, tenant: Tenant, demo: DemoStaff) -> None:
    exists = session.scalars(
        select(StaffAccount).where(
            StaffAccount.tenant_id == tenant.id, StaffAccount.username == demo.username
        )
    ).one_or_none()
    if exists is None:
        session.add(
            StaffAccount(
                tenant_id=tenant.id,
                username=demo.username,
                display_name=demo.display_name,
                role=demo.role.value,
                password_hash=hash_password(DEMO_PASSWORD),
            )
        )


def _ensure_device(
    session: Session, office: Office, kind: DeviceKind, name: str, token: str
) -> None:
    token_hash = hash_token(token)
    exists = session.scalars(
        select(Device).where(Device.token_hash == token_hash).execution_options(unscoped=True)
    ).one_or_none()
    if exists is None:
        session.add(
            Device(
                tenant_id=office.tenant_id,
                office_id=office.id,
                kind=kind.value,
                name=name,
                token_hash=token_hash,
            )
        )
