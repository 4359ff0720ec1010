"""Shapes that travel between the parts: pydantic only, no I/O (docs/architecture.md)."""

from contracts.guidance import (
    CounterRef,
    GuidanceResult,
    LocalProcedure,
    ProcedureResult,
    QuestionResult,
    Totals,
)
from contracts.signature import Signature, Stroke, StrokePoint
from contracts.visit import (
    EVENTS,
    SCHEMA_ID,
    SEX_LABELS,
    Applicant,
    Certificate,
    Member,
    Representative,
    TenantRef,
    Unresolved,
    VisitRecord,
    visit_json_schema,
)

__all__ = [
    "EVENTS",
    "SCHEMA_ID",
    "SEX_LABELS",
    "Applicant",
    "Certificate",
    "CounterRef",
    "GuidanceResult",
    "LocalProcedure",
    "Member",
    "ProcedureResult",
    "QuestionResult",
    "Representative",
    "Signature",
    "Stroke",
    "StrokePoint",
    "TenantRef",
    "Totals",
    "Unresolved",
    "VisitRecord",
    "visit_json_schema",
]
