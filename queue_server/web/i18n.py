"""Message catalogues: zh_Hans (complete) and en (the msgids). Compiles .po to .mo when the .mo is stale.

The .mo files are build output and not committed; compiling on start keeps a fresh checkout working without a
separate step.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).parents[1] / "translations"  # the app's own folder, beside app.py
LOCALES = ("zh_Hans", "en")


def ensure_compiled() -> None:
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog)
        tmp.replace(mo)


def catalog_ids() -> set[str]:
    with (TRANSLATIONS / "zh_Hans/LC_MESSAGES/messages.po").open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id and m.string}
