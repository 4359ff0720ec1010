"""audit: append to a tenant's chain in one statement on PostgreSQL (audit_append)

The chain's lock is held from the moment it is taken until the transaction ends, so the
statements sent while it is held are what every other audited commit of the municipality
waits for. ``audit_append`` takes the lock, reads the chain's end, hashes and inserts the
unit's events in one call: the commit that follows is the only other round trip under the
lock (four before: lock, read, INSERT, COMMIT; each a wait for the GIL in a busy process).

The hash is the one ``backend.platform.audit.service.event_digest`` computes: SHA-256 of
prev_hash ‖ the event's canonical JSON, whose text the caller sends in two parts around the
seq (the keys sort as action, actor, at, detail, device, seq, tenant_id, visit_id), so the
function only puts the number between them.

Revision ID: b3e1a7c94f20
Revises: 5a7c3e91d2b4
Create Date: 2026-12-06 02:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b3e1a7c94f20"
down_revision: str | None = "5a7c3e91d2b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each element of ``events``: id, at (ISO text), actor, device, action, visit_id, detail (an
# object), before_seq and after_seq (the canonical JSON's text before and after the seq).
# Every SQL command of a plpgsql function takes its own snapshot under READ COMMITTED: the read
# of the chain's end, after the lock, sees the previous holder's committed events.
_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append(tenant text, events jsonb)
RETURNS TABLE (seq integer, prev_hash varchar, hash varchar) AS $$
DECLARE
    last_seq integer := 0;
    last_hash varchar := repeat('0', 64);
    event jsonb;
    next_hash varchar;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('audit:' || tenant, 0));
    SELECT a.seq, a.hash INTO last_seq, last_hash
        FROM audit_events a WHERE a.tenant_id = tenant ORDER BY a.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        last_seq := 0;
        last_hash := repeat('0', 64);
    END IF;
    FOR event IN SELECT value FROM jsonb_array_elements(events) LOOP
        last_seq := last_seq + 1;
        next_hash := encode(sha256(convert_to(
            last_hash || (event->>'before_seq') || last_seq::text || (event->>'after_seq'),
            'UTF8')), 'hex');
        INSERT INTO audit_events
            (id, tenant_id, seq, at, actor, device, action, visit_id, detail, prev_hash, hash)
        VALUES (event->>'id', tenant, last_seq, (event->>'at')::timestamptz, event->>'actor',
                event->>'device', event->>'action', event->>'visit_id',
                (event->'detail')::json, last_hash, next_hash);
        seq := last_seq;
        prev_hash := last_hash;
        hash := next_hash;
        RETURN NEXT;
        last_hash := next_hash;
    END LOOP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_append(text, jsonb)")
