"""The settings page's catalogue in Chromium against a live server: a manager creates a 办事指南 item with one
申请材料 (a refusal shows next to the form in Chinese first), sees it in the list, and edits a 政务公开 document."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from queue_server.catalogue import index
from queue_server.storage.store import make_store
from tests.browser.conftest import load_demo_catalogue
from tests.browser.manager_steps import TIMEOUT_MS
from tests.browser.manager_steps import post
from tests.browser.manager_steps import sign_in
from tests.device_pairing import pair_kiosk
from tests.factories import BasicHall
from tests.realtime.server import Server


def test_a_manager_creates_a_guide_with_a_material_and_edits_a_disclosure_on_the_settings_page(
    page: Any, server: Server, tokens: BasicHall, hall: tuple[str, BasicHall]
) -> None:
    load_demo_catalogue(hall[0], disclosures=True)
    store = make_store(hall[0])
    with store.read_session() as s:
        doc = index.search_disclosures(s, "年度报告")[0].id
    store.dispose()
    sign_in(page, server, "m1")
    page.click("text=设置 Settings")
    expect(page.locator('#guide-list tr[data-guide="530000-jzz"]')).to_be_visible(timeout=TIMEOUT_MS)

    page.click("#gf-new")
    page.fill("#gf-code", "530000-test")
    page.fill("#gf-name", "林木采伐许可证核发")
    page.select_option("#gf-item_type", "01")
    page.fill("#gf-agency", "楚雄州林业和草原局")
    page.click("#gf-add-material")
    page.click("#guide-form button[type=submit]")  # the material has no name yet
    expect(page.locator("#gf-error")).to_contain_text("申请材料不正确：第 1 项申请材料须填写名称", timeout=TIMEOUT_MS)
    material = page.locator("#gf-materials tr[data-material]").first
    material.locator("[data-field=name]").fill("林木采伐申请表")
    material.locator("[data-field=copies]").fill("2")
    material.locator("[data-field=form]").check()
    material.locator("[data-field=blank_form]").fill("/kiosk/files/林木采伐申请表-空白表.pdf")
    material.locator("[data-field=sample]").fill("/kiosk/files/林木采伐申请表-示例.pdf")
    page.fill("#gf-process", "受理\n审查\n决定")
    page.click("#guide-form button[type=submit]")

    expect(page.locator('#guide-list tr[data-guide="530000-test"]')).to_contain_text("林木采伐许可证核发",
                                                                                     timeout=TIMEOUT_MS)
    expect(page.locator("#gf-error")).to_be_hidden()
    expect(page.locator("#gf-code")).not_to_be_editable()  # saved: now the key, fixed
    guide = post(server, "/halls/t1/guides/530000-test", tokens.manager, method="GET")
    assert (guide["item_type"], guide["process"], guide["fee"]["standard"]) == (
        "01", ["受理", "审查", "决定"], "不收费")
    assert [(m["name"], m["original"], m["copies"], m["required"], m["form"], m["sample"])
            for m in guide["materials"]] == [
        ("林木采伐申请表", 1, 2, True, True, "/kiosk/files/林木采伐申请表-示例.pdf")]

    row = page.locator(f'#disclosure-list tr[data-disclosure="{doc}"]')
    row.get_by_role("button", name="编辑 Edit").click()
    expect(page.locator("#df-index_no")).not_to_have_value("", timeout=TIMEOUT_MS)
    page.fill("#df-title", "2018年政府信息公开工作年度报告（修订）")
    page.click("#df-add-attachment")
    attachment = page.locator("#df-attachments tr[data-attachment]").last
    attachment.locator("[data-field=name]").fill("报告全文")
    attachment.locator("[data-field=url]").fill("/static/docs/report-2018.pdf")
    page.click("#disclosure-form button[type=submit]")

    expect(row).to_contain_text("2018年政府信息公开工作年度报告（修订）", timeout=TIMEOUT_MS)
    saved = post(server, f"/halls/t1/disclosures/{doc}", tokens.manager, method="GET")
    assert saved["title"] == "2018年政府信息公开工作年度报告（修订）"
    assert saved["attachments"][-1] == {"name": "报告全文", "url": "/static/docs/report-2018.pdf"}


def test_a_kiosk_showing_a_guide_follows_an_edit_made_from_another_hall_and_leaves_when_it_is_deleted(
    page: Any, server: Server, tokens: BasicHall, hall: tuple[str, BasicHall]
) -> None:
    load_demo_catalogue(hall[0])
    pair_kiosk(page, "t1", tokens.kiosk)
    page.goto(f"{server.url}/kiosk/")
    page.wait_for_url("**/kiosk/t1/", timeout=TIMEOUT_MS)
    page.goto(f"{server.url}/kiosk/t1/guides/530000-jzz")
    expect(page.locator("[data-guide-name]")).to_have_text("居住证办理")
    expect(page.locator("[data-live-catalogue][data-live-online='1']")).to_be_attached(timeout=TIMEOUT_MS)

    # hall t2's manager edits the shared guide: guide.updated reaches hall t1's kiosk too
    post(server, "/halls/t2/guides/530000-jzz", tokens.other_manager, {"name": "居住证申领"}, method="PATCH")
    expect(page.locator("[data-guide-name]")).to_have_text("居住证申领", timeout=TIMEOUT_MS)

    expect(page.locator("[data-live-catalogue][data-live-online='1']")).to_be_attached(timeout=TIMEOUT_MS)
    post(server, "/halls/t2/guides/530000-jzz", tokens.other_manager, method="DELETE")
    page.wait_for_url("**/kiosk/t1/guides", timeout=TIMEOUT_MS)
