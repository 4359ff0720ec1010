"""``start_demo``: a counter agent inside the backend process, bound to the demo's counter 1.

Listed in ``backend.demo.DEMO_DEVICE_MODULES``. It uses the in-process transport, so it needs no
token and no port; the card reader and printer are the configured devices when present, else the
synthetic stand-ins of ``hardware.agent.fakes`` (PIN 1234).
"""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import select

from backend.demo import DEMO_DEVICE_MODULES
from backend.identity.auth.tokens import hash_token
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.tenants.models import Counter, Tenant
from backend.platform.agentlink.hub import AgentIdentity, get_hub
from backend.platform.agentlink.inprocess import InProcessTransport
from backend.platform.db import session_scope
from backend.platform.settings import get_settings
from backend.seed import DEMO_TENANT_CODE
from hardware.agent.client import AgentClient
from hardware.agent.devices import EscposPrinter, PcscCardReader
from hardware.agent.fakes import FakeCardReader, MemoryPrinter
from hardware.agent.handlers import CardReader, Handlers, Printer
from hardware.card.errors import CardError
from hardware.card.pcsc import list_readers

DEMO_COUNTER_CODE = "1"
DEMO_AGENT_NAME = "1番窓口 内蔵エージェント"


def ensure_demo_agent(counter_code: str = DEMO_COUNTER_CODE) -> AgentIdentity:
    """The demo counter's agent device (created once; it connects in-process, no token)."""
    with session_scope(unscoped=True, write=True) as session:
        tenant = session.scalars(select(Tenant).where(Tenant.code == DEMO_TENANT_CODE)).one()
        counter = session.scalars(
            select(Counter).where(Counter.tenant_id == tenant.id, Counter.code == counter_code)
        ).one()
        device = session.scalars(
            select(Device).where(
                Device.tenant_id == tenant.id,
                Device.kind == DeviceKind.AGENT.value,
                Device.counter_id == counter.id,
                Device.revoked_at.is_(None),
            )
        ).first()
        if device is None:
            device = Device(
                tenant_id=tenant.id,
                kind=DeviceKind.AGENT.value,
                name=DEMO_AGENT_NAME,
                office_id=counter.office_id,
                counter_id=counter.id,
            )
            session.add(device)
            session.flush()
        return AgentIdentity(device.id, tenant.id, counter.id, device.name)


DEMO_TABLET_TOKEN = "demo-tablet-counter-1"  # noqa: S105 - the demo's, development only


def ensure_demo_tablet(counter_code: str = DEMO_COUNTER_CODE) -> str | None:
    """A tablet paired with the demo counter, with a fixed token (development only)."""
    if get_settings().environment != "development":
        return None
    with session_scope(unscoped=True, write=True) as session:
        tenant = session.scalars(select(Tenant).where(Tenant.code == DEMO_TENANT_CODE)).one()
        counter = session.scalars(
            select(Counter).where(Counter.tenant_id == tenant.id, Counter.code == counter_code)
        ).one()
        token_hash = hash_token(DEMO_TABLET_TOKEN)
        exists = session.scalars(select(Device).where(Device.token_hash == token_hash)).first()
        if exists is None:
            session.add(
                Device(
                    tenant_id=tenant.id,
                    kind=DeviceKind.TABLET.value,
                    name="1番窓口 タブレット",
                    office_id=counter.office_id,
                    counter_id=counter.id,
                    token_hash=token_hash,
                )
            )
    return DEMO_TABLET_TOKEN


def demo_handlers() -> Handlers:
    """The demo's emulated printer (started before us by ``backend.printing.demo``) when it
    runs; the virtual My Number Card through pcscd/vpcd when available, else a synthetic card
    (both PIN 1234)."""
    from backend.printing import demo as printing_demo

    printer: Printer = MemoryPrinter()
    if "backend.printing.demo" in DEMO_DEVICE_MODULES:
        printer = EscposPrinter(printing_demo.demo_printer_url)
    reader: CardReader = FakeCardReader()
    if "hardware.card.demo" in DEMO_DEVICE_MODULES and _pcsc_readers():
        reader = PcscCardReader(None)  # the virtual card on vpcd, through pcscd
    return Handlers(card_reader=reader, printer=printer)


def _pcsc_readers() -> bool:
    try:
        return bool(list_readers())
    except CardError:
        return False


def run_in_thread(
    identity: AgentIdentity, handlers: Handlers, stop: threading.Event
) -> tuple[threading.Thread, AgentClient]:
    client = AgentClient(InProcessTransport(get_hub(), identity), handlers)

    async def main() -> None:
        stop_async = asyncio.Event()
        loop = asyncio.get_running_loop()
        threading.Thread(
            target=lambda: (stop.wait(), loop.call_soon_threadsafe(stop_async.set)),
            name="agent-stop-watch",
            daemon=True,
        ).start()
        await client.run(stop_async)

    thread = threading.Thread(target=asyncio.run, args=(main(),), name="agent", daemon=True)
    thread.start()
    return thread, client


def start_demo(stop: threading.Event) -> str:
    identity = ensure_demo_agent()
    tablet = ensure_demo_tablet()
    run_in_thread(identity, demo_handlers(), stop)
    line = f"カウンターエージェント（内蔵）/ in-process agent: {DEMO_COUNTER_CODE}番窓口"
    if tablet:
        base = get_settings().public_url.rstrip("/")
        line += (
            f"\n  タブレット / tablet of counter {DEMO_COUNTER_CODE}: {base}/tablet/#token={tablet}"
        )
    return line
