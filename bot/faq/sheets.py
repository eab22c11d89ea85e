"""FAQ spreadsheets (CSV or XLSX): one row per FAQ, one column per field.

The questions cell holds one phrasing per line (Alt+Enter in Excel). ``enabled`` is
written as 是/否 and read from 是/否, true/false, yes/no or 1/0.
"""

import csv
from pathlib import Path

from nlu.faq_source import FIELDS, Faq, FaqFormatError, from_mapping

YES = {"是", "true", "yes", "y", "1", "启用"}
NO = {"否", "false", "no", "n", "0", "停用"}
SUFFIXES = (".csv", ".xlsx")


def parse_enabled(value):
    """True/False for a recognised value; otherwise the text itself, which validation reports."""
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in YES or text == "":
        return True
    if text in NO:
        return False
    return text


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise FaqFormatError(f"{path}: unsupported file type {suffix or '(none)'}; use .csv or .xlsx")
    return suffix


def _rows_to_faqs(path: Path, header: list, rows: list) -> list[Faq]:
    names = [str(h or "").strip().lower() for h in header]
    missing = [f for f in FIELDS if f not in names and f != "answer_voice"]
    if missing:
        raise FaqFormatError(f"{path} row 1: missing column(s) {', '.join(missing)}; expected {', '.join(FIELDS)}")
    faqs = []
    for number, row in enumerate(rows, start=2):
        raw = dict(zip(names, row, strict=False))
        if all(value in (None, "") for value in raw.values()):
            continue  # blank rows staff leave between groups
        raw["enabled"] = parse_enabled(raw.get("enabled"))
        faqs.append(from_mapping(raw, f"{path} row {number}"))
    return faqs


def read(path: Path) -> list[Faq]:
    if _format(path) == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            table = list(csv.reader(handle))
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        table = [list(row) for row in sheet.iter_rows(values_only=True)]
    if not table:
        raise FaqFormatError(f"{path}: the sheet is empty")
    return _rows_to_faqs(path, table[0], table[1:])


def _row(faq: Faq) -> list[str]:
    return [faq.id, faq.category, "\n".join(faq.questions), faq.answer, faq.answer_voice, "是" if faq.enabled else "否"]


def write(faqs: list[Faq], path: Path) -> None:
    rows = [list(FIELDS)] + [_row(faq) for faq in faqs]
    if _format(path) == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel reads UTF-8
            csv.writer(handle).writerows(rows)
        return
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "FAQ"
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEF", (28, 12, 40, 60, 40, 8), strict=True):
        sheet.column_dimensions[column].width = width
        for cell in sheet[column][1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    book.save(path)
