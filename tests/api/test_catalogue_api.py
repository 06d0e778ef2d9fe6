"""Guides and disclosures over the public API, each response checked against its OpenAPI model."""

from __future__ import annotations

from typing import Any

import pytest

from queue_server.catalogue import index
from queue_server.clock import FrozenClock
from queue_server.demo import guides
from queue_server.demo.files import write_demo_files
from queue_server.web.api.schemas.kiosk import DisclosureOut
from queue_server.web.api.schemas.kiosk import DisclosureSummary
from queue_server.web.api.schemas.kiosk import GuideOut
from queue_server.web.api.schemas.kiosk import GuideSummary
from tests import factories


@pytest.fixture
def loaded(app: Any, clock: FrozenClock) -> None:
    store = app.extensions["hallq"].store
    factories.basic_hall(store, clock)
    with store.transaction() as s:
        index.import_guides(s, guides.guides())
        index.import_disclosures(s, guides.disclosures())


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


@pytest.fixture
def files(app: Any, loaded: None) -> None:
    write_demo_files(app.extensions["hallq"].settings.files_path)


def test_the_phone_view_of_a_guide_downloads_the_blank_form_and_the_sample(client: Any, files: None) -> None:
    page = client.get("/kiosk/t1/guides/530000-qysl?mobile=1").get_data(as_text=True)
    blank, sample = "/kiosk/files/公司登记（备案）申请书-空白表.pdf", "/kiosk/files/公司登记（备案）申请书-示例.pdf"

    assert f'href="{blank}"' in page and f'href="{sample}"' in page
    for url in (blank, sample):
        with client.get(url) as got:  # closes the served file
            assert (got.status_code, got.mimetype) == (200, "application/pdf")
            assert got.data.startswith(b"%PDF")


def test_the_kiosk_view_of_a_guide_names_the_forms_without_links_out(client: Any, files: None) -> None:
    page = client.get("/kiosk/t1/guides/530000-qysl").get_data(as_text=True)

    assert "空白表格" in page and "/kiosk/files/" not in page


def test_a_disclosure_attachment_downloads_from_the_phone_view(client: Any, files: None) -> None:
    found = client.get("/api/v1/halls/t1/disclosures?q=部门预算").json
    doc_id = DisclosureSummary.model_validate(found[0]).id

    page = client.get(f"/kiosk/t1/disclosures/{doc_id}?mobile=1").get_data(as_text=True)

    assert 'href="/kiosk/files/budget-2025.pdf"' in page
    with client.get("/kiosk/files/budget-2025.pdf") as got:
        assert got.data.startswith(b"%PDF")


def test_a_file_path_outside_the_files_folder_is_not_served(client: Any, files: None) -> None:
    assert client.get("/kiosk/files/../secret_key").status_code == 404
    assert client.get("/kiosk/files/%2e%2e/secret_key").status_code == 404
    assert client.get("/kiosk/files/missing.pdf").status_code == 404
