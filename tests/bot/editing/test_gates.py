"""The publish's quality gates: the figures `python -m bot.evaluate_nlu --json` prints (measured
here with a stand-in model), judged against the quality tier's thresholds or injected ones, and
the evaluation run in a child process in the sources' root."""

import json
from pathlib import Path

import pytest

from bot import evaluate_nlu
from bot.editing.gates import GateError, Gates, Thresholds, evaluation_command, judge, parse_output
from bot.editing.workspace import REPO_ROOT, Workspace

HOLDOUT = """version: "3.1"
nlu:
- intent: check_balance
  examples: |
    - 卡里还有多少钱
    - 查一下余额
- intent: greet
  examples: |
    - 你好
    - 早上好
"""


class CannedAgent:
    """Parses like a model that knows these sentences, and nothing else."""

    def __init__(self, answers: dict[str, tuple[str, float]]) -> None:
        self.answers = answers

    async def parse_message(self, text: str) -> dict:
        name, confidence = self.answers.get(text, ("nlu_fallback", 0.4))
        return {"intent": {"name": name, "confidence": confidence}}


def figures(accuracy: float, errors: int = 0, oos: dict | None = None) -> dict:
    wrong = [{"text": f"句子{n}", "expected": "repay", "predicted": "greet", "confidence": 0.7} for n in range(errors)]
    return {
        "holdouts": [{"name": "nlu_holdout", "accuracy": accuracy, "examples": 100, "errors": wrong}],
        "out_of_scope": oos,
        "out_of_scope_skipped": "" if oos else "not found",
    }


def test_the_evaluation_prints_every_figure_as_json(tmp_path):
    holdout = tmp_path / "holdout.yml"
    holdout.write_text(HOLDOUT, encoding="utf-8")
    oos = tmp_path / "oos.tsv"
    oos.write_text("domain\ttext\nmusic\t放首歌\nweather\t明天下雨吗\ncooking\t红烧肉怎么做\n", encoding="utf-8")
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n  - name: FallbackClassifier\n    threshold: 0.5\n", encoding="utf-8")
    agent = CannedAgent(
        {"卡里还有多少钱": ("check_balance", 0.9), "查一下余额": ("greet", 0.8), "你好": ("greet", 0.95),
         "早上好": ("greet", 0.9), "放首歌": ("query_bill", 0.7), "明天下雨吗": ("greet", 0.6)}
    )  # fmt: skip
    found = evaluate_nlu.figures(agent, [str(holdout)], str(oos), str(config), show=10)
    assert json.loads(json.dumps(found)) == found
    [measured] = found["holdouts"]
    assert (measured["name"], measured["accuracy"], measured["examples"], measured["error_count"]) == (
        "holdout", 0.75, 4, 1,
    )  # fmt: skip
    assert measured["errors"] == [{"text": "查一下余额", "expected": "check_balance", "predicted": "greet",
                                   "confidence": 0.8}]  # fmt: skip
    assert found["out_of_scope"]["rate"] == pytest.approx(2 / 3)
    assert found["out_of_scope"]["banking_rate"] == pytest.approx(1 / 3)
    assert [p["text"] for p in found["out_of_scope"]["banking"]] == ["放首歌"]
    missing = evaluate_nlu.figures(agent, [str(holdout)], str(tmp_path / "absent.tsv"), str(config), show=10)
    assert missing["out_of_scope"] is None and "absent.tsv" in missing["out_of_scope_skipped"]


def test_the_quality_tiers_thresholds_pass_and_fail():
    thresholds = Thresholds()
    assert thresholds.min_accuracy == evaluate_nlu.MIN_HOLDOUT_ACCURACY
    assert judge(figures(0.91), thresholds).passed
    failed = judge(figures(0.85, errors=8), thresholds)
    assert not failed.passed
    [gate] = [g for g in failed.failed]
    assert (gate.key, gate.value, gate.threshold) == ("accuracy:nlu_holdout", 0.85, 0.90)
    assert gate.message == "留出测试集意图识别准确率 85.0%，要求不低于 90.0%：未通过"
    assert [e.text for e in gate.examples] == ["句子0", "句子1", "句子2", "句子3", "句子4"]  # a few, not all


def test_out_of_scope_gates_are_skipped_and_say_why_without_the_data():
    report = judge(figures(0.95), Thresholds())
    skipped = [g for g in report.gates if g.skipped]
    assert [g.key for g in skipped] == ["oos_banking", "oos_any"]
    assert report.passed
    assert all("未检查" in g.message and "../shared/data" in g.message for g in skipped)


def test_out_of_scope_acceptance_is_held_to_its_thresholds():
    oos = {"threshold": 0.4, "count": 100, "rate": 0.09, "banking_rate": 0.02,
           "accepted": [{"text": "放首歌", "intent": "greet", "confidence": 0.8}], "banking": []}  # fmt: skip
    report = judge(figures(0.95, oos=oos), Thresholds())
    assert [g.key for g in report.failed] == ["oos_any"]
    [gate] = report.failed
    assert gate.message == "业务范围外的问题被误识别的比例 9.0%，要求不高于 8.0%：未通过"
    assert gate.examples[0].text == "放首歌"


def test_thresholds_can_be_set_in_the_environment(monkeypatch):
    monkeypatch.setenv("CONSOLE_GATE_MIN_ACCURACY", "0.99")
    monkeypatch.setenv("CONSOLE_GATE_MAX_OOS_ANY", "0.5")
    thresholds = Thresholds.from_env()
    assert (thresholds.min_accuracy, thresholds.max_oos_any) == (0.99, 0.5)
    assert thresholds.max_oos_banking == evaluate_nlu.MAX_OOS_BANKING_ACCEPTANCE
    assert not judge(figures(0.95), thresholds).passed


def test_the_figures_are_the_last_json_line_of_the_output():
    noisy = "2026 INFO loading\nsome warning {not json\n" + json.dumps(figures(0.9)) + "\n"
    assert parse_output(noisy)["holdouts"][0]["accuracy"] == 0.9
    with pytest.raises(GateError):
        parse_output("Traceback (most recent call last):\n")


def test_the_evaluation_runs_in_the_sources_root_with_its_held_out_sets(workspace):
    own = workspace.root / "tests" / "nlu_holdout.yml"
    own.parent.mkdir()
    own.write_text(HOLDOUT, encoding="utf-8")
    model = workspace.root / "models" / "abc.tar.gz"
    calls = []

    def runner(cmd: list[str], cwd: Path) -> str:
        calls.append((cmd, cwd))
        return json.dumps(figures(0.5))

    report = Gates(Thresholds(min_accuracy=0.4), runner)(workspace, model)
    assert report.passed
    [(cmd, cwd)] = calls
    assert cwd == workspace.root
    assert cmd[1:5] == ["-m", "bot.evaluate_nlu", str(model.resolve()), "--json"]
    holdouts = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--holdout"]
    assert holdouts == [str(own), str(evaluate_nlu.HOLDOUTS[1])]  # the root's own, else the repository's
    assert cmd == evaluation_command(workspace, model)


@pytest.mark.e2e
def test_the_trained_model_passes_the_gates_measured_in_a_child_process(trained_model, tmp_path):
    report = Gates(Thresholds())(Workspace.at(REPO_ROOT, tmp_path / "state"), trained_model)
    measured = {gate.key: gate for gate in report.gates}
    assert set(measured) == {"accuracy:nlu_holdout", "accuracy:nlu_holdout_fresh", "oos_banking", "oos_any"}
    assert report.passed, [gate.message for gate in report.failed]
    assert measured["accuracy:nlu_holdout"].value >= evaluate_nlu.MIN_HOLDOUT_ACCURACY
    if evaluate_nlu.SMP_OOS_TSV.exists():
        assert not measured["oos_any"].skipped and measured["oos_any"].value <= evaluate_nlu.MAX_OOS_ANY_ACCEPTANCE
