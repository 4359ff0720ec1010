"""Every model, imported once so that alembic and the metadata see the whole schema."""

from backend.agent.models import AgentJob
from backend.audit.models import AuditEvent
from backend.db import Base
from backend.devices.models import Device
from backend.documents.models import Document, Signature
from backend.guidance.models import CatalogVersion
from backend.outbox.models import DeliveryAttempt, Destination, OutboxMessage
from backend.queue.models import Queue, Ticket, TicketEvent, TicketSequence, counter_queues
from backend.security.models import IndividualNumber, OidcLogin, OidcProvider
from backend.staff.models import StaffAccount, StaffSession
from backend.tenants.models import Counter, Office, Tenant
from backend.visits.models import HouseholdMember, Visit, VisitEvent

__all__ = [
    "AgentJob",
    "AuditEvent",
    "Base",
    "CatalogVersion",
    "Counter",
    "DeliveryAttempt",
    "Destination",
    "Device",
    "Document",
    "HouseholdMember",
    "IndividualNumber",
    "Office",
    "OidcLogin",
    "OidcProvider",
    "OutboxMessage",
    "Queue",
    "Signature",
    "StaffAccount",
    "StaffSession",
    "Tenant",
    "Ticket",
    "TicketEvent",
    "TicketSequence",
    "Visit",
    "VisitEvent",
    "counter_queues",
]
