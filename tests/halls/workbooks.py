"""Reading and changing set-up workbooks in tests, as an operator would in Excel (openpyxl, by header)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook


def contents(path: Path | bytes) -> dict[str, list[list[Any]]]:
    """Every sheet's cell values, row by row (what a person sees in the workbook)."""
    import io

    source = io.BytesIO(path) if isinstance(path, bytes) else path
    book = load_workbook(source)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def edit(path: Path, sheet: str, row: int, header: str, value: Any, out: Path | None = None) -> Path:
    """Set one cell, found by its sheet, 1-based row and column header; saved to `out` (default: in place)."""
    book = load_workbook(path)
    ws = book[sheet]
    headers = [c.value for c in ws[1]]
    ws.cell(row=row, column=headers.index(header) + 1).value = value
    target = out or path
    book.save(target)
    return target


def append(path: Path, sheet: str, values: dict[str, Any]) -> None:
    """Add a row to a sheet, by column header."""
    book = load_workbook(path)
    ws = book[sheet]
    headers = [c.value for c in ws[1]]
    ws.append([values.get(h) for h in headers])
    book.save(path)
