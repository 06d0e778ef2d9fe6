"""Scrolling notices of the wall display: set through the runtime like every hall write."""

from __future__ import annotations

from sqlalchemy import select

from queue_server import engine
from queue_server.queries import snapshots
from queue_server.storage.models import HallNotice
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests import factories
from tests.conftest import Recorder


def test_setting_notices_replaces_the_active_ones_and_publishes_them_in_order(
    store: Store, runtime: Runtime, published: Recorder
) -> None:
    with store.transaction() as s:
        factories.hall(s)
    runtime.execute(engine.set_notices, hall="t1", texts=["旧通知"])

    runtime.execute(engine.set_notices, hall="t1", texts=["请携带身份证原件", "  ", "午休时间 12:00-13:00"])

    with store.read_session() as s:
        active = snapshots.notices(s, snapshots.hall_by_code(s, "t1"))
        kept = s.scalars(select(HallNotice.text).where(HallNotice.active.is_(False))).all()
    assert active == ["请携带身份证原件", "午休时间 12:00-13:00"]
    assert kept == ["旧通知"]
    assert published.types() == ["notices.updated", "notices.updated"]
    assert published.envelopes[-1].data == {"notices": ["请携带身份证原件", "午休时间 12:00-13:00"]}
