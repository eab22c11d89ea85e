"""Publishing the console's edits: validate the sources, train (the FAQ-only path when only the FAQ
changed), hold the new model to the quality gates, load it into the running server, and record the
version; or roll back to an earlier version. One at a time per workspace, in a background thread,
observable stage by stage.

A failed stage stops the job: the running model stays, the sources stay as edited (unpublished),
and the reason is said in Chinese. Progress within a stage is an estimate from how long the same
stage took last time (``state/publish-timings.json``); the page says it is one.

Everything outside this process is injected (the trainer, the gates, the server, the clock, how
the job is started), so tests run a publish with fakes, synchronously and in virtual time."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from bot import build
from bot.editing import audit, versions
from bot.editing.gates import GateError, GateReport, Gates
from bot.editing.versions import Changes, Version
from bot.editing.workspace import REPO_ROOT, EditConflict, PublishHold, PublishInProgress, Workspace
from bot.processes import ManageError, child_env
from bot.servers import REPLICAS_ENV

log = logging.getLogger(__name__)
TIMINGS_FILE = "publish-timings.json"
LAST_JOB_FILE = "last-publish.json"
PROBLEMS_SHOWN = 5
DATA_CHECK_TIMEOUT_S = 600
STATUS_TIMEOUT_S = 5
# Share of the whole job each stage counts for in the progress bar.
PUBLISH_STAGES = (("validate", "校验", 10), ("train", "训练", 55), ("gates", "质量检查", 25), ("load", "上线", 10),
                  ("done", "完成", 0))  # fmt: skip
ROLLBACK_STAGES = (("restore", "恢复内容", 20), ("load", "上线", 80), ("done", "完成", 0))
# First-time guesses (seconds) until a stage has been timed here.
DEFAULT_ESTIMATES = {"validate": 30.0, "train:faq": 90.0, "train:full": 240.0, "gates": 40.0, "load": 20.0,
                     "restore": 2.0}  # fmt: skip


class Busy(Exception):
    """A publish or rollback is already running."""


class Refused(Exception):
    """The job can't start; ``message`` says why in Chinese."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class StageFailed(Exception):
    def __init__(self, message: str, detail: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or {}


NO_RASA_API = (
    "未配置智能助手服务的管理接口（no Rasa API configured），无法上线新模型：请用 make serve 启动服务，"
    "或设置 RASA_URL 和 RASA_TOKEN 后重启网关"
)


class ModelServer(Protocol):
    def has_api(self) -> bool: ...  # whether models can be loaded into it at all

    def load(self, model: Path) -> None: ...

    def running(self) -> str: ...  # the file name of the model it runs


@dataclass(frozen=True)
class RasaServer:
    """The running Rasa server's HTTP API (PUT /model, GET /status), with its token.

    Behind a load balancer (`make serve-cluster`) ``url`` reaches one replica per request, so a model
    would be loaded into one of them only: ``replicas`` (RASA_REPLICA_URLS, comma-separated) are the
    replicas' own addresses; each loads the model, and the model is running only when all run it."""

    url: str
    token: str
    replicas: tuple[str, ...] = ()

    @classmethod
    def from_env(cls) -> RasaServer:
        from bot.faq import reload

        replicas = tuple(u.strip().rstrip("/") for u in os.environ.get(REPLICAS_ENV, "").split(",") if u.strip())
        return cls(reload.server_url(), os.environ.get("RASA_TOKEN") or "", replicas)

    def has_api(self) -> bool:
        """Rasa opens its HTTP API only with a token (`make serve`); `make voice-serve` alone starts
        a Rasa without one, and gives the gateway no RASA_TOKEN."""
        return bool(self.token)

    def _servers(self) -> tuple[str, ...]:
        return self.replicas or (self.url,)

    def load(self, model: Path) -> None:
        from bot.faq import reload

        if not self.token:
            raise ManageError("RASA_TOKEN is not set")
        for url in self._servers():
            reload.load_model(model, url, self.token)

    def running(self) -> str:
        from bot.faq import reload

        names = {url: reload.loaded_model(url, self.token, timeout=STATUS_TIMEOUT_S) for url in self._servers()}
        if len(set(names.values())) > 1:
            listed = ", ".join(f"{url} runs {name}" for url, name in names.items())
            raise ManageError(f"the Rasa replicas run different models: {listed}")
        return next(iter(names.values()))


@dataclass
class Stage:
    key: str
    title: str
    weight: int
    state: str = "pending"  # pending, running, passed, failed
    message: str = ""
    started: float | None = None
    finished: float | None = None
    estimate: float | None = None  # seconds, from the last time this stage ran

    def progress(self, now: float) -> float:
        if self.state in ("passed", "failed"):
            return 1.0
        if self.state == "pending" or self.started is None or not self.estimate:
            return 0.0
        return min(0.95, (now - self.started) / self.estimate)

    def as_dict(self, now: float) -> dict:
        elapsed = None
        if self.started is not None:
            elapsed = (self.finished if self.finished is not None else now) - self.started
        return {**asdict(self), "elapsed": elapsed, "progress": self.progress(now)}


@dataclass
class Job:
    id: int
    kind: str  # publish, rollback
    staff: str
    note: str
    stages: list[Stage]
    started: float
    state: str = "running"  # running, succeeded, failed
    finished: float | None = None
    reason: str = ""  # why it failed, in Chinese
    path: str = ""  # training: "faq" (only the intent classifier) or "full"
    changes: Changes = field(default_factory=Changes)
    restored_from: int | None = None
    version: int | None = None  # the version it recorded
    model: str = ""
    gates: GateReport | None = None

    def stage(self, key: str) -> Stage:
        return next(stage for stage in self.stages if stage.key == key)

    def percent(self, now: float) -> int:
        total = sum(stage.weight for stage in self.stages) or 1
        done = sum(stage.weight * stage.progress(now) for stage in self.stages)
        return 100 if self.state == "succeeded" else min(99, int(100 * done / total))

    def as_dict(self, now: float) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "staff": self.staff,
            "note": self.note,
            "state": self.state,
            "started": self.started,
            "finished": self.finished,
            "reason": self.reason,
            "path": self.path,
            "changes": self.changes.as_dict(),
            "restored_from": self.restored_from,
            "version": self.version,
            "model": self.model,
            "gates": self.gates.as_dict() if self.gates else None,
            "percent": self.percent(now),
            "stages": [stage.as_dict(now) for stage in self.stages],
        }


def _thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="console-publish", daemon=True).start()


def check_sources(workspace: Workspace) -> list[str]:
    """What is wrong with the sources, in Chinese (empty: valid): the FAQ checks, then Rasa's
    validation of the domain and training data (in a child process)."""
    found = faq_problems(workspace)
    if found:
        return found
    done = subprocess.run(
        [sys.executable, "-m", "bot.editing.data_check", str(workspace.root)], cwd=REPO_ROOT, env=child_env(),
        capture_output=True, text=True, timeout=DATA_CHECK_TIMEOUT_S,
    )  # fmt: skip
    if done.returncode == 0:
        return []
    said = rasa_complaints(done.stdout + done.stderr)
    return [f"训练数据校验未通过：{line[:300]}" for line in said[:PROBLEMS_SHOWN]] or ["训练数据校验未通过"]


ANSI = re.compile(r"\x1b\[[0-9;]*m")
ALWAYS_WARNED = ("Slot auto-fill has been removed",)  # said of every domain; not a failure


def rasa_complaints(output: str) -> list[str]:
    """What Rasa's validation objected to: its UserWarnings and ERROR lines (in English)."""
    found = []
    for line in ANSI.sub("", output).splitlines():
        if "UserWarning: " in line:
            found.append(line.split("UserWarning: ", 1)[1].strip())
        elif " ERROR " in line:
            found.append(line.split(" - ", 1)[-1].strip())
    return [text for text in found if text and not text.startswith(ALWAYS_WARNED)]


def faq_problems(workspace: Workspace) -> list[str]:
    from bot.faq import checks
    from nlu import faq_source

    try:
        faqs = faq_source.load(workspace.faq_file)
    except Exception as error:  # the loader names the file and line of a YAML or schema problem
        return [f"常见问题文件无法读取：{error}"]
    found = checks.problems(faqs, checks.task_examples(workspace.nlu_dir))
    return [f"常见问题 {p.faq_id or '（无编号）'}：{getattr(p, 'chinese', '') or p.reason}" for p in found]


class Publisher:
    """Publishes and rolls back one workspace, one job at a time."""

    def __init__(
        self,
        workspace: Workspace,
        server: ModelServer,
        *,
        check: Callable[[Workspace], list[str]] = check_sources,
        train: Callable[[Path], Path] = build.train,
        gates: Callable[[Workspace, Path], GateReport] | None = None,
        clock: Callable[[], float] = time.time,
        start: Callable[[Callable[[], None]], None] = _thread,
    ) -> None:
        self.workspace = workspace
        self.server = server
        self.check = check
        self.train = train
        self.gates = gates or Gates()
        self.clock = clock
        self.start = start
        self._lock = threading.Lock()
        self._job: Job | None = None
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ what the page shows

    def status(self) -> dict:
        """The running job (or None), the last finished one, the current version and what is unpublished."""
        now = self.clock()
        with self._lock:
            job = self._job.as_dict(now) if self._job else None
        running = job if job and job["state"] == "running" else None
        last = job if job and not running else self._last_saved()
        current = versions.current(self.workspace)
        return {
            "running": running,
            "last": last,
            "current": current.as_dict() if current else None,
            "unpublished": versions.unpublished(self.workspace).as_dict(),
            "publishing_elsewhere": running is None and self.workspace.publishing(),
        }

    def busy(self) -> bool:
        with self._lock:
            mine = self._job is not None and self._job.state == "running"
        return mine or self.workspace.publishing()

    def ensure_initial(self) -> Version | None:
        """Version 0001 from the sources and the model the server runs, if there is no version yet
        and that model is the one trained from the sources as they are (models/<content hash>).
        Raises what the server raises when it can't say which model it runs."""
        if versions.current_number(self.workspace) is not None:
            return None
        name = self.server.running()
        if name != build.model_path(self.workspace.root).name:
            # Not trained from the sources as they are now (edited since, or another model was
            # loaded): which sources it was trained from is unknown, so no version claims it.
            log.warning("console: the server runs %s, not the model of the sources: no initial version", name)
            return None
        for folder in (self.workspace.root, REPO_ROOT):
            model = folder / build.MODELS_DIR / name
            if model.exists():
                return versions.ensure_initial(self.workspace, model)
        log.warning("console: the server runs %s, which is not in models/: no initial version", name)
        return None

    # ------------------------------------------------------------------ starting a job

    def publish(self, staff: str, note: str = "") -> Job:
        """Start publishing the sources (Busy, or Refused when there is nothing to publish or no server
        API to load the model into: said before training, not after)."""
        self._need_api()
        with self._lock:
            if self._running():
                raise Busy()
            changes = versions.unpublished(self.workspace)
            if changes.empty:
                raise Refused("没有需要发布的修改：内容与当前线上版本一致", "nothing_to_publish")
            hold = contextlib.ExitStack()
            try:
                hold.enter_context(self.workspace.publish_lock(staff))
            except PublishInProgress as elsewhere:
                raise Busy() from elsewhere
            job = Job(next(self._ids), "publish", staff, note, self._stages(PUBLISH_STAGES), self.clock())
            job.changes = changes
            job.path = "faq" if changes.faq_only else "full"
            self._job = job
        audit.record(self.workspace, staff, "publish.started", "", {"note": note, "changes": changes.as_dict()})
        self.start(lambda: self._run(job, hold, self._publish))
        return job

    def rollback(self, number: int, staff: str) -> Job:
        """Start restoring version ``number`` (KeyError: no such version; Busy; Refused). The files are
        restored, the model loaded and the version recorded under the publish lock, as a publish is."""
        self._need_api()
        with self._lock:
            if self._running():
                raise Busy()
            target = versions.get(self.workspace, number)
            if self._model_of(target) is None:
                raise Refused(f"版本 {target.label} 的模型副本已清理，无法直接回滚；请修改内容后重新发布", "no_model")
            if versions.current_number(self.workspace) == number:
                raise Refused(f"版本 {target.label} 就是当前线上版本，无需回滚", "already_current")
            hold = contextlib.ExitStack()
            try:
                held = hold.enter_context(self.workspace.publish_lock(staff))
            except PublishInProgress as elsewhere:
                raise Busy() from elsewhere
            job = Job(next(self._ids), "rollback", staff, "", self._stages(ROLLBACK_STAGES), self.clock())
            job.restored_from = number
            job.model = target.model
            self._job = job
        audit.record(self.workspace, staff, "rollback.started", target.label, {"model": target.model})
        self.start(lambda: self._run(job, hold, lambda job: self._rollback(job, held)))
        return job

    def _need_api(self) -> None:
        if not self.server.has_api():
            raise Refused(NO_RASA_API, "no_rasa_api")

    def _running(self) -> bool:
        return (self._job is not None and self._job.state == "running") or self.workspace.publishing()

    def _stages(self, spec: tuple[tuple[str, str, int], ...]) -> list[Stage]:
        return [Stage(key, title, weight) for key, title, weight in spec]

    # ------------------------------------------------------------------ running a job

    def _run(self, job: Job, hold: contextlib.ExitStack, work: Callable[[Job], None]) -> None:
        with hold:
            try:
                work(job)
            except StageFailed as failed:
                self._fail(job, failed.message, failed.detail)
            except Exception as error:  # a job never dies silently: the page shows why
                log.exception("console: %s %d failed", job.kind, job.id)
                self._fail(job, f"发生意外错误：{error}", {})
        self._save_last(job)

    def _publish(self, job: Job) -> None:
        texts = versions.sources(self.workspace)  # frozen while the publish lock is held
        with self._stage(job, "validate", "validate") as stage:
            problems = self.check(self.workspace)
            if problems:
                shown = "；".join(problems[:PROBLEMS_SHOWN])
                more = f"（另有 {len(problems) - PROBLEMS_SHOWN} 处）" if len(problems) > PROBLEMS_SHOWN else ""
                raise StageFailed(f"校验未通过：{shown}{more}", {"problems": problems})
            stage.message = "常见问题、意图例句和话术检查通过"
        path = "仅重新训练意图分类（只修改了常见问题）" if job.path == "faq" else "完整训练（修改了意图例句或话术）"
        with self._stage(job, "train", f"train:{job.path}") as stage:
            stage.message = path
            try:
                model = self.train(self.workspace.root)
            except ManageError as error:
                raise StageFailed(f"训练失败：{str(error).splitlines()[0][:300]}") from error
            job.model = model.name
            stage.message = f"{path}，模型 {model.name}"
        with self._stage(job, "gates", "gates") as stage:
            try:
                report = self.gates(self.workspace, model)
            except GateError as error:
                raise StageFailed(f"质量检查无法完成：{error}") from error
            job.gates = report
            if not report.passed:
                raise StageFailed(
                    "质量检查未通过，新模型没有上线：" + "；".join(gate.message for gate in report.failed),
                    {"gates": report.as_dict()},
                )
            stage.message = "；".join(gate.message for gate in report.gates)
        with self._stage(job, "load", "load") as stage:
            self._go_live(model)
            stage.message = f"智能助手已在使用新模型 {model.name}"
        version = versions.record_publish(self.workspace, model, job.staff, job.note, files_published=texts)
        self._succeed(job, version, "publish.succeeded")

    def _rollback(self, job: Job, held: PublishHold) -> None:
        number = job.restored_from
        assert number is not None
        target = versions.get(self.workspace, number)
        texts = versions.files(self.workspace, number)
        with self._stage(job, "restore", "restore") as stage:
            model = self._model_of(target)
            if model is None:
                raise StageFailed(f"版本 {target.label} 的模型副本已清理，无法直接回滚")
            before = self._restore(texts, held)
            stage.message = f"已恢复版本 {target.label} 的内容（{len(before)} 个文件有变化）"
        try:
            with self._stage(job, "load", "load") as stage:
                self._go_live(model)
                stage.message = f"智能助手已在使用版本 {target.label} 的模型 {model.name}"
                version = versions.record_publish(
                    self.workspace, model, job.staff, files_published=texts, kind="rollback", restored_from=number
                )
        except StageFailed:
            self._restore(before, held)  # the running model stayed: so do the sources
            raise
        self._succeed(job, version, "rollback.succeeded")

    def _model_of(self, version: Version) -> Path | None:
        """The model to load for ``version``, put back in models/ under its own name (so the
        server reports that name, and training the same sources finds it)."""
        target = self.workspace.root / build.MODELS_DIR / version.model
        if target.exists():
            return target
        copy = versions.model_copy(self.workspace, version.number)
        if copy is None:
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(copy, target)
        return target

    def _restore(self, texts: dict[str, str], held: PublishHold) -> dict[str, str]:
        """Write ``texts`` into the sources as the holder of the publish lock; the texts they replaced."""
        replaced = {}
        editable = {path.as_posix() for path in self.workspace.editable()}
        for relative, text in texts.items():
            if relative not in editable:
                continue
            for _attempt in range(3):  # the command line (make faq-import) writes past the lock
                now = self.workspace.read(Path(relative))
                if now.text == text:
                    break
                try:
                    held.write(Path(relative), text, based_on=now.etag)
                    replaced[relative] = now.text
                    break
                except EditConflict:
                    continue
        return replaced

    def _go_live(self, model: Path) -> None:
        try:
            self.server.load(model)
            running = self.server.running()
        except (ManageError, OSError, urllib.error.URLError) as error:
            raise StageFailed(f"无法把新模型加载到智能助手服务：{error}") from error
        if running != model.name:
            raise StageFailed(f"智能助手服务加载后仍在使用 {running or '未知模型'}，而不是 {model.name}")

    @contextlib.contextmanager
    def _stage(self, job: Job, key: str, timing: str):
        stage = job.stage(key)
        with self._lock:
            stage.state, stage.started = "running", self.clock()
            stage.estimate = self._timings().get(timing, DEFAULT_ESTIMATES.get(timing))
        try:
            yield stage
        except StageFailed as failed:
            with self._lock:
                stage.state, stage.finished, stage.message = "failed", self.clock(), failed.message
            raise
        with self._lock:
            stage.state, stage.finished = "passed", self.clock()
        self._remember(timing, stage.finished - stage.started)

    def _succeed(self, job: Job, version: Version, action: str) -> None:
        with self._lock:
            done = job.stage("done")
            done.state, done.started, done.finished = "passed", self.clock(), self.clock()
            done.message = f"已上线，当前版本 {version.label}"
            job.state, job.finished, job.version, job.model = "succeeded", self.clock(), version.number, version.model
        detail: dict = {
            "model": version.model,
            "note": job.note,
            "changes": version.changes.as_dict(),
            "path": job.path,
        }
        if job.restored_from is not None:
            detail["restored_from"] = job.restored_from
        audit.record(self.workspace, job.staff, action, version.label, detail)

    def _fail(self, job: Job, reason: str, detail: dict) -> None:
        with self._lock:
            for stage in job.stages:
                if stage.state == "running":
                    stage.state, stage.finished, stage.message = "failed", self.clock(), reason
            job.state, job.finished, job.reason = "failed", self.clock(), reason
            failed = next((stage.key for stage in job.stages if stage.state == "failed"), "")
        target = str(job.restored_from) if job.restored_from is not None else ""
        audit.record(self.workspace, job.staff, f"{job.kind}.failed", target, {"stage": failed, "reason": reason,
                                                                              **detail})  # fmt: skip

    # ------------------------------------------------------------------ what is remembered

    def _timings(self) -> dict[str, float]:
        try:
            return json.loads((self.workspace.state / TIMINGS_FILE).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}

    def _remember(self, timing: str, seconds: float) -> None:
        timings = {**self._timings(), timing: round(seconds, 1)}
        self.workspace.state.mkdir(parents=True, exist_ok=True)
        (self.workspace.state / TIMINGS_FILE).write_text(json.dumps(timings), encoding="utf-8")

    def _save_last(self, job: Job) -> None:
        with self._lock:
            body = json.dumps(job.as_dict(self.clock()), ensure_ascii=False)
        (self.workspace.state / LAST_JOB_FILE).write_text(body, encoding="utf-8")

    def _last_saved(self) -> dict | None:
        try:
            return json.loads((self.workspace.state / LAST_JOB_FILE).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
