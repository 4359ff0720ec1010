"""Every model, imported once so that alembic and the metadata see the whole schema."""

from backend.addresses.models import AreaListRow
from backend.backoffice.models import Case, WorkItem
from backend.counter.models import Document, HouseholdMember, Signature, Visit, VisitEvent
from backend.guidance.models import CatalogFork, CatalogVersion
from backend.identity.devices.models import Device
from backend.identity.security_models import IndividualNumber, OidcLogin, OidcProvider
from backend.identity.staff.models import StaffAccount, StaffSession
from backend.identity.tenants.models import Counter, Office, Tenant
from backend.identity.throttle import LoginFailure
from backend.journey.models import BaselineSurvey, JourneySettings, VisitSummary
from backend.layouts.models import FormLayoutVersion
from backend.platform.agentlink.models import AgentJob, AgentLink, AgentPin
from backend.platform.audit.models import AuditEvent
from backend.platform.db import Base
from backend.platform.outbox.models import DeliveryAttempt, Destination, OutboxMessage
from backend.queue.models import Queue, Ticket, TicketEvent, TicketSequence, counter_queues
from backend.residents.models import (
    PreEntry,
    Reservation,
    ReservationSlot,
    ResidentServiceSettings,
)

__all__ = [
    "AgentJob",
    "AgentLink",
    "AgentPin",
    "AreaListRow",
    "AuditEvent",
    "Base",
    "BaselineSurvey",
    "Case",
    "CatalogFork",
    "CatalogVersion",
    "Counter",
    "DeliveryAttempt",
    "Destination",
    "Device",
    "Document",
    "FormLayoutVersion",
    "HouseholdMember",
    "IndividualNumber",
    "JourneySettings",
    "LoginFailure",
    "Office",
    "OidcLogin",
    "OidcProvider",
    "OutboxMessage",
    "PreEntry",
    "Queue",
    "Reservation",
    "ReservationSlot",
    "ResidentServiceSettings",
    "Signature",
    "StaffAccount",
    "StaffSession",
    "Tenant",
    "Ticket",
    "TicketEvent",
    "TicketSequence",
    "Visit",
    "VisitEvent",
    "VisitSummary",
    "WorkItem",
    "counter_queues",
]
