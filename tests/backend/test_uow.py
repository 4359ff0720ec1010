"""After-commit effects: run once the unit of work commits, never for one that rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.platform import uow


def test_effects_run_in_order_after_commit_only(engine: Engine) -> None:
    ran: list[str] = []
    with Session(engine) as session:
        session.execute(text("SELECT 1"))
        uow.after_commit(session, lambda: ran.append("first"))
        uow.after_commit(session, lambda: ran.append("second"))
        assert ran == []  # not before the commit
        session.commit()
    assert ran == ["first", "second"]


def test_effects_are_dropped_when_the_unit_rolls_back(engine: Engine) -> None:
    ran: list[str] = []
    with Session(engine) as session:
        session.execute(text("SELECT 1"))
        uow.after_commit(session, lambda: ran.append("lost"))
        session.rollback()
        session.execute(text("SELECT 1"))
        session.commit()  # a later commit of the same session does not revive them
    assert ran == []


def test_a_savepoint_rollback_keeps_the_outer_units_effects(engine: Engine) -> None:
    ran: list[str] = []
    with Session(engine) as session:
        session.execute(text("SELECT 1"))
        uow.after_commit(session, lambda: ran.append("outer"))
        with pytest.raises(RuntimeError), session.begin_nested():
            raise RuntimeError("inner step failed")
        session.commit()
    assert ran == ["outer"]


def test_a_failing_effect_does_not_stop_the_others(engine: Engine) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise ValueError("receiver gone")

    with Session(engine) as session:
        session.execute(text("SELECT 1"))
        uow.after_commit(session, broken)
        uow.after_commit(session, lambda: ran.append("still runs"))
        session.commit()
    assert ran == ["still runs"]
