"""The quality gates a new model passes before it goes live: the same figures and thresholds as
the `quality` test tier (tests/bot/test_nlu_quality.py): intent accuracy on each held-out set, and
out-of-scope false acceptance on the SMP2019 requests in ../shared/data (skipped, and said so,
when that data is absent).

The figures are measured by ``python -m bot.evaluate_nlu MODEL … --json`` in a child process, so
the gateway never loads TensorFlow; it runs in the sources' root, where the model finds the spaCy
directory its config names. Thresholds come from bot/evaluate_nlu.py, or from the environment
(CONSOLE_GATE_MIN_ACCURACY, CONSOLE_GATE_MAX_OOS_BANKING, CONSOLE_GATE_MAX_OOS_ANY)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from bot import evaluate_nlu
from bot.editing.workspace import REPO_ROOT, Workspace
from bot.processes import child_env

EXAMPLES_SHOWN = 5
HOLDOUT_NAMES = tuple(path.name for path in evaluate_nlu.HOLDOUTS)
HOLDOUT_TITLES = {"nlu_holdout": "留出测试集", "nlu_holdout_fresh": "新增留出测试集"}
GATE_TIMEOUT_S = 1800


class GateError(Exception):
    """The figures could not be measured at all (the evaluation crashed or printed no figures)."""


@dataclass(frozen=True)
class Thresholds:
    min_accuracy: float = evaluate_nlu.MIN_HOLDOUT_ACCURACY
    max_oos_banking: float = evaluate_nlu.MAX_OOS_BANKING_ACCEPTANCE
    max_oos_any: float = evaluate_nlu.MAX_OOS_ANY_ACCEPTANCE

    @classmethod
    def from_env(cls) -> Thresholds:
        def given(name: str, default: float) -> float:
            value = os.environ.get(name)
            return float(value) if value else default

        return cls(
            given("CONSOLE_GATE_MIN_ACCURACY", cls.min_accuracy),
            given("CONSOLE_GATE_MAX_OOS_BANKING", cls.max_oos_banking),
            given("CONSOLE_GATE_MAX_OOS_ANY", cls.max_oos_any),
        )


@dataclass(frozen=True)
class Example:
    text: str
    expected: str  # the annotated intent, or "" for an out-of-scope request
    predicted: str
    confidence: float


@dataclass(frozen=True)
class Gate:
    key: str  # "accuracy:nlu_holdout", "oos_banking", "oos_any"
    title: str  # in Chinese, for staff
    value: float | None  # None when skipped
    threshold: float
    at_least: bool  # value must be >= threshold (else <=)
    passed: bool
    skipped: str = ""  # why it was not measured (Chinese)
    examples: list[Example] = field(default_factory=list)  # sentences the model now gets wrong

    @property
    def message(self) -> str:
        if self.skipped:
            return f"{self.title}：未检查（{self.skipped}）"
        relation = ("不低于" if self.at_least else "不高于") + f" {self.threshold:.1%}"
        verdict = "通过" if self.passed else "未通过"
        return f"{self.title} {self.value:.1%}，要求{relation}：{verdict}"

    def as_dict(self) -> dict:
        return {**asdict(self), "message": self.message}


@dataclass(frozen=True)
class GateReport:
    gates: list[Gate]

    @property
    def passed(self) -> bool:
        return all(gate.passed for gate in self.gates)

    @property
    def failed(self) -> list[Gate]:
        return [gate for gate in self.gates if not gate.passed]

    def as_dict(self) -> dict:
        return {"passed": self.passed, "gates": [gate.as_dict() for gate in self.gates]}


def judge(figures: dict, thresholds: Thresholds) -> GateReport:
    """The gates, from ``python -m bot.evaluate_nlu --json``'s figures."""
    gates = []
    for holdout in figures.get("holdouts") or []:
        name = str(holdout["name"])
        accuracy = float(holdout["accuracy"])
        examples = [
            Example(e["text"], e["expected"], e["predicted"], float(e["confidence"]))
            for e in (holdout.get("errors") or [])[:EXAMPLES_SHOWN]
        ]
        gates.append(
            Gate(
                f"accuracy:{name}",
                f"{HOLDOUT_TITLES.get(name, name)}意图识别准确率",
                accuracy,
                thresholds.min_accuracy,
                True,
                accuracy >= thresholds.min_accuracy,
                examples=examples,
            )
        )
    oos = figures.get("out_of_scope")
    if not oos:
        why = "未找到银行业务范围外的评测数据（../shared/data），该数据不在代码库中"
        for key, title, limit in _oos_gates(thresholds):
            gates.append(Gate(key, title, None, limit, False, True, skipped=why))
        return GateReport(gates)
    for key, title, limit in _oos_gates(thresholds):
        rate = float(oos["banking_rate"] if key == "oos_banking" else oos["rate"])
        shown = oos.get("banking" if key == "oos_banking" else "accepted") or []
        examples = [Example(p["text"], "", p["intent"], float(p["confidence"])) for p in shown[:EXAMPLES_SHOWN]]
        gates.append(Gate(key, title, rate, limit, False, rate <= limit, examples=examples))
    return GateReport(gates)


def _oos_gates(thresholds: Thresholds) -> list[tuple[str, str, float]]:
    return [
        ("oos_banking", "业务范围外的问题被误认为银行业务的比例", thresholds.max_oos_banking),
        ("oos_any", "业务范围外的问题被误识别的比例", thresholds.max_oos_any),
    ]


def holdout_files(workspace: Workspace) -> list[Path]:
    """The held-out sets in the sources' root (tests/), else the ones beside this code."""
    found = []
    for path in evaluate_nlu.HOLDOUTS:
        own = workspace.root / "tests" / path.name
        found.append(own if own.exists() else path)
    return found


def evaluation_command(workspace: Workspace, model: Path) -> list[str]:
    cmd = [sys.executable, "-m", "bot.evaluate_nlu", str(Path(model).resolve()), "--json"]
    cmd += ["--config", str(workspace.root / "config.yml"), "--show", "20"]
    for holdout in holdout_files(workspace):
        cmd += ["--holdout", str(holdout)]
    return cmd + ["--oos", str(evaluate_nlu.SMP_OOS_TSV)]


def parse_output(stdout: str) -> dict:
    """The JSON object on the last line of the evaluation's output."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    raise GateError("质量检查程序没有给出结果")


Runner = Callable[[list[str], Path], str]


def _run(cmd: list[str], cwd: Path) -> str:
    # The root's own code first (a copy of the repository has it), else this repository's.
    env = child_env(PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=GATE_TIMEOUT_S)
    if done.returncode != 0:
        last = (done.stderr or "").strip().splitlines()[-3:]
        raise GateError(f"质量检查程序出错（退出码 {done.returncode}）：{' / '.join(last)[:300]}")
    return done.stdout


class Gates:
    """Measures a model and judges it: ``Gates()(workspace, model) -> GateReport``."""

    def __init__(self, thresholds: Thresholds | None = None, runner: Runner = _run) -> None:
        self.thresholds = thresholds
        self.runner = runner

    def __call__(self, workspace: Workspace, model: Path) -> GateReport:
        figures = parse_output(self.runner(evaluation_command(workspace, model), workspace.root))
        return judge(figures, self.thresholds or Thresholds.from_env())
