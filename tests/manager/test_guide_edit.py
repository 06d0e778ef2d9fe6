"""A manager edits a 办事指南 item from the settings page: the answer lists the guide-quality findings left, the
edit is searchable at once, audited with before and after, and announced; a refused edit writes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from queue_server.catalogue import index
from queue_server.clock import FrozenClock
from queue_server.demo import guides
from queue_server.storage.models import AuditEntry
from queue_server.storage.store import Store
from tests.api.footprint import footprint
from tests.conftest import Recorder
from tests.factories import basic_hall
from tests.factories import bearer

JZZ = "530000-jzz"  # 居住证办理: its 设定依据 names the law but no article (rule 1)


def _guides(store: Store) -> None:
    with store.transaction() as s:
        index.import_guides(s, guides.guides())


def test_citing_the_article_clears_the_finding_and_the_edit_is_audited_and_announced(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = basic_hall(store, clock)
    _guides(store)
    found = client.get(f"/api/v1/halls/t1/guides/{JZZ}/findings", headers=bearer(hall.manager)).get_json()

    resp = client.patch(f"/api/v1/halls/t1/guides/{JZZ}", json={"legal_basis": "《居住证暂行条例》第十条"},
                        headers=bearer(hall.manager))

    assert [f["code"] for f in found] == ["legal_basis_without_article"]
    assert resp.status_code == 200
    assert resp.get_json()["guide"]["legal_basis"] == "《居住证暂行条例》第十条"
    assert resp.get_json()["findings"] == []
    assert published.envelopes[-1].type == "guide.updated"
    assert published.envelopes[-1].data["guide"]["code"] == JZZ
    with store.read_session() as s:
        entry = s.scalars(select(AuditEntry)).one()
    assert (entry.actor, entry.action, entry.target) == ("m1", "guide.update", f"guide:{JZZ}")
    assert entry.data == {"before": {"legal_basis": "《居住证暂行条例》"},
                          "after": {"legal_basis": "《居住证暂行条例》第十条"}}


def test_an_edit_that_breaks_a_rule_is_saved_and_the_finding_is_shown(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)
    _guides(store)

    resp = client.patch(f"/api/v1/halls/t1/guides/{JZZ}", json={"consult_phone": "12345",
                                                                 "legal_basis": "《居住证暂行条例》第十条"},
                        headers=bearer(hall.manager))

    assert resp.status_code == 200
    assert [(f["code"], f["message"]) for f in resp.get_json()["findings"]] == [
        ("consult_phone_without_area_code", "咨询电话应带区号，如 0878-1234567")]


def test_a_renamed_guide_is_found_by_its_new_name_at_once(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    _guides(store)

    client.patch(f"/api/v1/halls/t1/guides/{JZZ}", json={"name": "居住证申领", "keywords": "暂住 流动人口"},
                 headers=bearer(hall.manager))
    found = client.get("/api/v1/halls/t1/guides?q=流动人口").get_json()

    assert [g["code"] for g in found] == [JZZ]


def test_an_empty_name_or_an_impossible_time_limit_is_refused_and_writes_nothing(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)
    _guides(store)
    before = footprint(store)

    unnamed = client.patch(f"/api/v1/halls/t1/guides/{JZZ}", json={"name": ""}, headers=bearer(hall.manager))
    limit = client.patch(f"/api/v1/halls/t1/guides/{JZZ}", json={"legal_limit_days": 400},
                         headers=bearer(hall.manager))
    missing = client.patch("/api/v1/halls/t1/guides/none", json={"name": "x"}, headers=bearer(hall.manager))

    assert unnamed.status_code == 422 and unnamed.get_json()["code"] == "name_required"
    assert limit.status_code == 422 and limit.get_json()["detail"] == "法定办结时限（工作日）须为 0 到 365 之间的整数。"
    assert missing.status_code == 404 and missing.get_json()["code"] == "guide_not_found"
    assert footprint(store) == before


def test_only_the_halls_manager_or_an_admin_may_edit_a_guide(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    _guides(store)
    before = footprint(store)

    answers = {who: client.patch(f"/api/v1/halls/t1/guides/{JZZ}", json={"name": "改名"}, headers=bearer(token))
               for who, token in (("staff", hall.staff1), ("display", hall.display),
                                  ("other_manager", hall.other_manager))}

    assert answers["staff"].get_json()["code"] == "role_required"
    assert answers["display"].get_json()["code"] == "role_required"
    assert answers["other_manager"].get_json()["code"] == "hall_not_allowed"
    assert footprint(store) == before
    admin = client.patch(f"/api/v1/halls/t1/guides/{JZZ}", json={"name": "居住证申领"}, headers=bearer(hall.admin))
    assert admin.status_code == 200
