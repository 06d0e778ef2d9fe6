"""queue counts: how many tickets of each service wait, kept by triggers on tickets

Revision ID: 0026_queue_counts
Revises: 0025_tickets_autovacuum
Create Date: 2026-12-06 18:30:00

Every call and issue reads the waiting count of every service of its hall (queue.stats, the estimates). Counted
from ix_tickets_queue, that read grew with the queue: 0.17 ms at 30 waiting and 0.83 ms at 3,000 on PostgreSQL,
the most of what made a call at 3,000 waiting 1.2x one at 30 (bench/call_cost.py, docs/benchmarks.md). The
database now keeps the counts itself: one row per service, changed by triggers whenever a ticket enters or
leaves `waiting`, changes service, or a 线上取号 ticket's citizen arrives. Triggers rather than the engine's ops,
because every path that changes a ticket (calls, transfers, the nightly expiry, a retention purge, an
operator's SQL) then keeps them right without knowing. A service's row is made with the service (a trigger too).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0026_queue_counts'
down_revision = '0025_tickets_autovacuum'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

# A ticket counts as waiting in its service; as unarrived too while it is a remote one whose citizen has not come.
_SQLITE = [
    """CREATE TRIGGER queue_counts_service AFTER INSERT ON services
    BEGIN
        INSERT INTO queue_counts (service_id, hall_id, waiting, unarrived) VALUES (NEW.id, NEW.hall_id, 0, 0);
    END""",
    """CREATE TRIGGER queue_counts_issue AFTER INSERT ON tickets WHEN NEW.status = 'waiting'
    BEGIN
        UPDATE queue_counts SET waiting = waiting + 1, unarrived = unarrived + (NEW.remote AND NEW.arrived_at IS NULL)
        WHERE service_id = NEW.service_id;
    END""",
    """CREATE TRIGGER queue_counts_change AFTER UPDATE OF status, service_id, remote, arrived_at ON tickets
    WHEN OLD.status = 'waiting' OR NEW.status = 'waiting'
    BEGIN
        UPDATE queue_counts SET waiting = waiting - 1, unarrived = unarrived - (OLD.remote AND OLD.arrived_at IS NULL)
        WHERE OLD.status = 'waiting' AND service_id = OLD.service_id;
        UPDATE queue_counts SET waiting = waiting + 1, unarrived = unarrived + (NEW.remote AND NEW.arrived_at IS NULL)
        WHERE NEW.status = 'waiting' AND service_id = NEW.service_id;
    END""",
    """CREATE TRIGGER queue_counts_delete AFTER DELETE ON tickets WHEN OLD.status = 'waiting'
    BEGIN
        UPDATE queue_counts SET waiting = waiting - 1, unarrived = unarrived - (OLD.remote AND OLD.arrived_at IS NULL)
        WHERE service_id = OLD.service_id;
    END""",
]
_SQLITE_DROP = ["queue_counts_service", "queue_counts_issue", "queue_counts_change", "queue_counts_delete"]

_POSTGRES = [
    """CREATE FUNCTION queue_counts_service() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO queue_counts (service_id, hall_id, waiting, unarrived) VALUES (NEW.id, NEW.hall_id, 0, 0);
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER queue_counts_service AFTER INSERT ON services
    FOR EACH ROW EXECUTE FUNCTION queue_counts_service()""",
    """CREATE FUNCTION queue_counts_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.status = 'waiting' THEN
            UPDATE queue_counts SET waiting = waiting - 1,
                unarrived = unarrived - (OLD.remote AND OLD.arrived_at IS NULL)::int
            WHERE service_id = OLD.service_id;
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.status = 'waiting' THEN
            UPDATE queue_counts SET waiting = waiting + 1,
                unarrived = unarrived + (NEW.remote AND NEW.arrived_at IS NULL)::int
            WHERE service_id = NEW.service_id;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER queue_counts_ticket AFTER INSERT OR DELETE OR UPDATE OF status, service_id, remote, arrived_at
    ON tickets FOR EACH ROW EXECUTE FUNCTION queue_counts_ticket()""",
]
_POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS queue_counts_ticket ON tickets",
    "DROP FUNCTION IF EXISTS queue_counts_ticket()",
    "DROP TRIGGER IF EXISTS queue_counts_service ON services",
    "DROP FUNCTION IF EXISTS queue_counts_service()",
]

_FILL = """
INSERT INTO queue_counts (service_id, hall_id, waiting, unarrived)
SELECT s.id, s.hall_id,
       coalesce(sum(CASE WHEN t.id IS NOT NULL THEN 1 ELSE 0 END), 0),
       coalesce(sum(CASE WHEN t.remote AND t.arrived_at IS NULL THEN 1 ELSE 0 END), 0)
FROM services s LEFT JOIN tickets t ON t.service_id = s.id AND t.status = 'waiting'
GROUP BY s.id, s.hall_id
"""


def upgrade() -> None:
    op.create_table(
        'queue_counts',
        sa.Column('service_id', ID, nullable=False),
        sa.Column('hall_id', ID, nullable=False),
        sa.Column('waiting', sa.Integer(), server_default='0', nullable=False),
        sa.Column('unarrived', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_queue_counts_hall_id_halls'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_queue_counts_service_id_services'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('service_id', name=op.f('pk_queue_counts')),
    )
    op.create_index('ix_queue_counts_hall', 'queue_counts', ['hall_id'])
    # Filled and armed in the same transaction (alembic runs each migration in one): no ticket changes between.
    op.execute(_FILL)
    for statement in _POSTGRES if op.get_bind().dialect.name == 'postgresql' else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for statement in _POSTGRES_DROP:
            op.execute(statement)
    else:
        for name in _SQLITE_DROP:
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
    op.drop_index('ix_queue_counts_hall', table_name='queue_counts')
    op.drop_table('queue_counts')
