"""Builders for synthetic visits (no real person's data) and the compiled default catalog."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE
from contracts import VisitRecord

EVENT_DATE = dt.date(2026, 11, 20)
SAME_PREFECTURE = "東京都清瀬市観布子南１２－７－２０２"
HERE = "東京都千代田区九段南１－２－１"
OTHER_PREFECTURE = "大阪府大阪市北区梅田１－１－１"

# Every household fact of the default catalog, answered "no" unless a scenario says otherwise.
HOUSEHOLD_DEFAULTS: dict[str, Any] = {
    "special_move_in": False,
    "from_abroad": False,
    "wants_seal_registration": False,
    "has_seal_registration": False,
    "has_dog": False,
    "has_moped": False,
    "school_district_changed": False,
    "low_birth_weight": False,
    "head_changes": False,
    "has_my_number_card": False,
    "name_changes": False,
    "needs_childcare": False,
    "receiving_pension": False,
    # facts of the issue-15 catalog block (helper "catalog")
    "to_abroad": False,
    "expecting": False,
    "receives_single_parent_allowance": False,
    "lives_in_public_housing": False,
    "keeps_married_surname": False,
    "child_surname_change": False,
    "spouse_restores_surname": False,
    "wants_family_register_copy": False,
    "wants_tax_payment_certificate": False,
    "child_allowance_recipient_leaves": False,
    "needs_neonatal_care": False,
    "leaves_dependent_insurance": False,
    "joins_spouse_insurance": False,
    "gave_birth": False,
    "attends_kindergarten": False,
    "in_daycare": False,
    "severe_disability": False,
    "receives_disability_allowance": False,
    "paid_resident_tax": False,
    "owned_real_estate": False,
    "owned_unregistered_house": False,
    "water_account_holder": False,
    "municipal_grave_holder": False,
    "had_high_medical_costs": False,
    "receives_child_allowance": False,
    "left_employee_insurance": False,
}


def person(
    relationship: str,
    born: str,
    *,
    insurance: str | None = "employee",
    nationality: str | None = "JP",
    card: bool = False,
    care: bool | None = False,
    disability: bool | None = False,
    deceased: bool | None = None,
) -> dict[str, Any]:
    """A synthetic member; the name is made up from the relationship."""
    member: dict[str, Any] = {
        "name": f"見本　{relationship}",
        "relationship": relationship,
        "birth_date": born,
        "nationality": nationality,
        "source": "card" if card else "staff",
        "insurance": insurance,
        "care_certified": care,
        "disability_certificate": disability,
        "deceased": deceased,
    }
    return {key: value for key, value in member.items() if value is not None}


def visit(
    event: str,
    members: list[dict[str, Any]],
    *,
    previous: str | None = SAME_PREFECTURE,
    new: str | None = HERE,
    facts: dict[str, Any] | None = None,
    certificates: list[dict[str, Any]] | None = None,
    defaults: bool = True,
    event_date: dt.date = EVENT_DATE,
) -> VisitRecord:
    all_facts = {**(HOUSEHOLD_DEFAULTS if defaults else {}), **(facts or {})}
    return VisitRecord.model_validate(
        {
            "tenant": {"code": "131016", "name": "千代田区"},
            "event": event,
            "event_date": event_date.isoformat(),
            "filed_on": event_date.isoformat(),
            "previous_address": previous,
            "new_address": new,
            "members": members,
            "facts": all_facts,
            "certificates": certificates or [],
        }
    )


def login(client: Any, username: str) -> dict[str, str]:
    """Log a demo staff member in on a TestClient; returns the CSRF header for writes."""
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": username, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return {"x-csrf-token": response.json()["csrf_token"]}
