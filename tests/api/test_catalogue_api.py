"""Guides and disclosures over the public API, each response checked against its OpenAPI model."""

from __future__ import annotations

from typing import Any

import pytest

from queue_server import catalogue
from queue_server import demo_guides
from queue_server.api.kiosk_schemas import DisclosureOut
from queue_server.api.kiosk_schemas import DisclosureSummary
from queue_server.api.kiosk_schemas import GuideOut
from queue_server.api.kiosk_schemas import GuideSummary
from queue_server.clock import FrozenClock
from tests import factories


@pytest.fixture
def loaded(app: Any, clock: FrozenClock) -> None:
    store = app.extensions["hallq"].store
    factories.basic_hall(store, clock)
    with store.transaction() as s:
        catalogue.import_guides(s, demo_guides.guides())
        catalogue.import_disclosures(s, demo_guides.disclosures())


def test_guide_search_needs_no_login_and_names_the_hall_service_to_take(client: Any, loaded: None) -> None:
    found = client.get("/api/v1/halls/t1/guides?q=社保")

    assert found.status_code == 200
    items = [GuideSummary.model_validate(g) for g in found.json]
    assert items[0].name == "社会保险登记"


def test_guide_carries_the_national_fields_in_order(client: Any, loaded: None) -> None:
    resp = client.get("/api/v1/halls/t1/guides/530000-bdczy")

    guide = GuideOut.model_validate(resp.json)
    assert guide.item_type_name == "行政确认"
    assert guide.materials[0].form and guide.materials[0].blank_form and guide.materials[0].sample
    assert guide.promised_limit_days is not None and guide.legal_limit_days is not None
    assert guide.promised_limit_days <= guide.legal_limit_days
    assert "￥80" in str(guide.fee["standard"])


def test_free_services_say_so_rather_than_leaving_the_fee_blank(client: Any, loaded: None) -> None:
    guide = GuideOut.model_validate(client.get("/api/v1/halls/t1/guides/530000-hj").json)

    assert guide.fee["standard"] == "不收费"


def test_unknown_guide_is_a_problem_in_chinese(client: Any, loaded: None) -> None:
    resp = client.get("/api/v1/halls/t1/guides/530000-nope")

    assert resp.status_code == 404
    assert resp.json["code"] == "guide_not_found" and resp.json["title"] == "办事指南不存在"


def test_disclosure_catalogue_holds_the_annual_report_with_its_full_text(client: Any, loaded: None) -> None:
    listed = [DisclosureSummary.model_validate(d) for d in
              client.get("/api/v1/halls/t1/disclosures?category=年度报告").json]
    report = DisclosureOut.model_validate(client.get(f"/api/v1/halls/t1/disclosures/{listed[0].id}").json)

    assert len(listed) == 1
    assert report.written_on == "2019-01-25"
    assert "政务服务智能导视系统" in report.body
