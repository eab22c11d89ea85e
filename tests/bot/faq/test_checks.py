"""`make faq-validate`: each kind of error on a crafted file, named by file, row and reason."""

import pytest

from bot.faq.__main__ import main
from tests.bot.faq.conftest import good_entry, second_entry


def validate(path, capsys):
    code = main(["validate", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_good_file_passes(write_yaml, capsys):
    code, out, err = validate(write_yaml([good_entry(), second_entry()]), capsys)
    assert code == 0 and err == ""
    assert "2 FAQs (2 enabled), 10 phrasings: OK" in out


def test_the_committed_source_passes(capsys):
    assert main(["validate"]) == 0, capsys.readouterr().err


@pytest.mark.parametrize(
    "entries_, line, reason",
    [
        (
            [
                good_entry(),
                good_entry(
                    questions=[
                        "白条额度怎么定",
                        "额度是按什么给的",
                        "为什么额度这么低",
                        "额度 多少",
                        "白条能给多少额度",
                    ]
                ),
            ],
            12,
            "duplicate id (first at",
        ),
        (
            [
                good_entry(),
                second_entry(
                    questions=[
                        "白条怎么开通",
                        "跨行转账几天到",
                        "钱转出去了对方还没收到",
                        "转账 到账 时间",
                        "转账是实时的吗",
                    ]
                ),
            ],
            12,
            "phrasing '白条怎么开通' is also in FAQ baitiao_open",
        ),
        (
            [
                good_entry(
                    questions=[
                        "我要还钱",
                        "开通白条需要什么条件",
                        "为啥我开不了白条",
                        "白条 在哪里 开通",
                        "想用白条，怎么申请",
                    ]
                )
            ],
            1,
            "phrasing '我要还钱' is a training example of the task intent repay",
        ),
        (
            [good_entry(questions=["白条怎么开通", "开通白条需要什么条件", "为啥我开不了白条", "怎么申请"])],
            1,
            "only 4 phrasing(s); at least 5 are needed",
        ),
        ([good_entry(answer="  ")], 1, "answer is empty"),
        ([good_entry(answer_voice="白条" * 41)], 1, "voice answer is too long (82 characters, at most 80)"),
        ([good_entry(answer_voice="详情见 https://example.com")], 1, "no links or symbols"),
        ([good_entry(faq_id="白条开通")], 1, "id '白条开通' must be"),
        ([good_entry(enabled="maybe")], 1, "enabled must be 是/否"),
    ],
)
def test_each_error_names_file_row_and_reason(write_yaml, capsys, entries_, line, reason):
    path = write_yaml(entries_)
    code, out, err = validate(path, capsys)
    assert code == 1 and out == ""
    assert f"{path}:{line} " in err and reason in err
    assert "nothing was changed" in err


def test_same_phrasing_in_other_punctuation_and_spacing_counts_as_the_same(write_yaml, capsys):
    other = second_entry(
        questions=["白条 怎么开通？", "跨行转账几天到", "钱转出去了对方还没收到", "转账 到账 时间", "转账是实时的吗"]
    )
    code, _, err = validate(write_yaml([good_entry(), other]), capsys)
    assert code == 1 and "is also in FAQ baitiao_open" in err


def test_unreadable_files_get_a_clear_error(tmp_path, capsys):
    broken = tmp_path / "broken.yml"
    broken.write_text("- id: [unclosed\n", encoding="utf-8")
    assert main(["validate", str(broken)]) == 1
    assert "not valid YAML" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "missing.xlsx")]) == 1
    assert "no such file" in capsys.readouterr().err
    other = tmp_path / "faq.txt"
    other.write_text("x", encoding="utf-8")
    assert main(["validate", str(other)]) == 1
    assert "use .csv or .xlsx" in capsys.readouterr().err
