"""`make faq-export` / `make faq-import`: XLSX and CSV round trips without loss."""

import csv

import pytest
from openpyxl import load_workbook

from bot.faq import rasa_data, sheets
from bot.faq.__main__ import main
from nlu import faq_source


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_then_import_round_trips_the_source(sandbox, suffix, capsys):
    before_text = faq_source.SOURCE.read_text(encoding="utf-8")
    before = faq_source.load()
    sheet = sandbox / f"faq{suffix}"
    assert main(["export", str(sheet)]) == 0
    assert sheets.read(sheet) == before
    assert main(["import", str(sheet)]) == 0, capsys.readouterr().err
    assert faq_source.load() == before
    assert faq_source.SOURCE.read_text(encoding="utf-8") == before_text


def test_xlsx_has_one_row_per_faq_with_phrasings_one_per_line(sandbox):
    sheet = sandbox / "faq.xlsx"
    main(["export", str(sheet)])
    rows = list(load_workbook(sheet).active.iter_rows(values_only=True))
    first = faq_source.load()[0]
    assert rows[0] == faq_source.FIELDS
    assert rows[1][0] == first.id and rows[1][2].splitlines() == list(first.questions)
    assert len(rows) == len(faq_source.load()) + 1


def test_an_edited_sheet_becomes_the_source(sandbox, capsys):
    sheet = sandbox / "faq.csv"
    main(["export", str(sheet)])
    with sheet.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    phrasings = "信用卡年费多少\n年费怎么免\n年费能退吗\n为什么扣了年费\n 信用卡 要交 年费 吗 "
    rows.append(
        ["card_annual_fee_demo", "银行卡与支付", phrasings, "刷卡满6次免次年年费。", "刷卡满六次免次年年费。", "是"]
    )
    rows[1][5] = "否"  # staff switch an FAQ off
    with sheet.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)

    assert main(["import", str(sheet)]) == 0, capsys.readouterr().err
    faqs = faq_source.load()
    added = next(f for f in faqs if f.id == "card_annual_fee_demo")
    assert added.questions[-1] == "信用卡 要交 年费 吗" and added.answer_voice == "刷卡满六次免次年年费。"
    assert faqs[0].enabled is False
    assert not rasa_data.NLU_FILE.exists()  # a staff edit leaves Rasa's data (and the cached policies) alone


def test_a_bad_sheet_changes_nothing(sandbox, capsys):
    before = faq_source.SOURCE.read_text(encoding="utf-8")
    sheet = sandbox / "faq.xlsx"
    main(["export", str(sheet)])
    book = load_workbook(sheet)
    book.active["D3"] = ""  # an answer deleted by mistake
    book.save(sheet)
    assert main(["import", str(sheet)]) == 1
    assert f"{sheet} row 3" in capsys.readouterr().err
    assert faq_source.SOURCE.read_text(encoding="utf-8") == before
    assert not rasa_data.NLU_FILE.exists()


def test_a_sheet_without_the_needed_columns_is_refused(sandbox, capsys):
    sheet = sandbox / "faq.csv"
    sheet.write_text("编号,问题\nx,y\n", encoding="utf-8")
    assert main(["import", str(sheet)]) == 1
    assert "row 1: missing column(s) id, category, questions, answer, enabled" in capsys.readouterr().err
