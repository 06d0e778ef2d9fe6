"""The demo's downloadable files: a blank form and a filled sample for every form-type material of the demo
guides, and the disclosure attachments, written as one-page PDFs into the instance's `files/` folder.

A real hall uploads its own PDFs there; the demo draws stand-ins so that every link on a guide page works.
Pillow renders the page (it already draws the ticket image) and saves it as PDF; no PDF library is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote

from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

from queue_server.demo import guides

FILES_URL = "/kiosk/files/"
# Debian's fonts-noto-cjk (installed by `make test` / deploy/install-system-deps.sh); index 2 is Simplified Chinese.
CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
A4_PX = (1240, 1754)  # A4 at 150 dpi: readable on a phone, small on disk


def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(CJK_FONT, px, index=2)
    except OSError:  # no CJK font: the page still downloads, with boxes for the characters
        return ImageFont.load_default()


def _page(title: str, lines: Iterable[str], stamp: str) -> Image.Image:
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)
    draw.text((620, 120), title, font=_font(48), fill=0, anchor="mt")
    y = 260
    for line in lines:
        draw.text((120, y), line, font=_font(32), fill=0)
        draw.line((120, y + 52, 1120, y + 52), fill=160, width=2)
        y += 96
    draw.text((1120, 1640), stamp, font=_font(28), fill=90, anchor="rs")
    return page


def _form(name: str, sample: bool) -> Image.Image:
    fields = ["申请人（单位）名称：", "统一社会信用代码 / 身份证件号码：", "联系人：", "联系电话：", "通讯地址：",
              "申请事项：", "申请理由：", "", "申请人签字（盖章）：", "日期：      年    月    日"]
    filled = ["楚雄某某商贸有限公司", "91532301MA6XXXXXX1", "张某某", "0878-3120000", "楚雄市鹿城南路 1 号",
              name.removesuffix("申请书").removesuffix("申请表"), "依法申请办理", "", "（盖章）", "2026 年 3 月 2 日"]
    lines = [f + (v if sample else "") for f, v in zip(fields, filled, strict=True)]
    stamp = "示例样表 Sample — 仅供参考" if sample else "空白表格 Blank form"
    return _page(name, lines, f"{stamp} · 楚雄州政务服务中心（演示数据）")


def _attachment(name: str) -> Image.Image:
    lines = ["本文件为演示附件。", "正式附件由发布机构上传至本系统的 files/ 目录。", f"文件名：{name}"]
    return _page(name.rsplit(".", 1)[0], lines, "楚雄州政务服务管理局（演示数据）")


def _target(folder: Path, url: str) -> Path | None:
    if not url.startswith(FILES_URL):
        return None
    return folder / unquote(url.removeprefix(FILES_URL))


def write_demo_files(folder: Path) -> int:
    """Write every file the demo catalogue links to (existing ones are kept). Returns how many were written."""
    folder.mkdir(parents=True, exist_ok=True)
    pages: dict[Path, Image.Image] = {}
    for guide in guides.guides():
        for material in guide["materials"]:
            for key, sample in (("blank_form", False), ("sample", True)):
                target = _target(folder, material.get(key) or "")
                if target is not None and not target.exists():
                    pages[target] = _form(material["name"], sample)
    for doc in guides.disclosures():
        for attachment in doc["attachments"]:
            target = _target(folder, attachment["url"])
            if target is not None and not target.exists():
                pages[target] = _attachment(attachment["name"])
    for target, page in pages.items():
        page.save(target, "PDF", resolution=150)
    return len(pages)
