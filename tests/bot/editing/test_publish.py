"""Publishing and rolling back on a copy of the sources, with a stand-in trainer, gates and Rasa
server, in virtual time: the stages in order, which training path, a failed check or gate that
leaves the running model and the edits alone, one job at a time, rollback, and the audit log."""

import http.server
import json
import shutil
import threading
from pathlib import Path

import pytest
import yaml

from bot import build, servers
from bot.editing import audit, versions
from bot.editing.gates import Example, Gate, GateReport
from bot.editing.publish import Busy, Publisher, RasaServer, Refused, check_sources, faq_problems
from bot.editing.workspace import FAQ_FILE, REPO_ROOT, PublishInProgress, Workspace
from bot.processes import ManageError
from tests.bot.editing.test_versions import NLU_FILE, a_model, edit

TRAINING_S = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Server:
    """Rasa's model API: runs one model at a time, by file name."""

    def __init__(self, running: str, takes_it: bool = True, fails: bool = False, api: bool = True) -> None:
        self.model = running
        self.loaded: list[Path] = []
        self.takes_it = takes_it
        self.fails = fails
        self.api = api

    def has_api(self) -> bool:
        return self.api

    def load(self, model: Path) -> None:
        if self.fails:
            raise ManageError("no Rasa server at http://127.0.0.1:1")
        self.loaded.append(model)
        if self.takes_it:
            self.model = model.name

    def running(self) -> str:
        return self.model


class Trainer:
    """Writes a model named after the sources' FAQ text; takes TRAINING_S of virtual time."""

    def __init__(self, clock: Clock, publisher_status=None) -> None:
        self.clock = clock
        self.roots: list[Path] = []
        self.seen: list[dict] = []  # the publish's status half way through training
        self.status = publisher_status

    def __call__(self, root: Path) -> Path:
        self.roots.append(root)
        self.clock.now += TRAINING_S / 2
        if self.status:
            self.seen.append(self.status())
        self.clock.now += TRAINING_S / 2
        return a_model(Workspace.at(root), f"trained{len(self.roots)}")


def passing(_workspace, _model) -> GateReport:
    return GateReport([Gate("accuracy:nlu_holdout", "留出测试集意图识别准确率", 0.95, 0.9, True, True)])


def failing(_workspace, _model) -> GateReport:
    wrong = [Example("卡里还有多少钱", "check_balance", "greet", 0.71)]
    return GateReport(
        [Gate("accuracy:nlu_holdout", "留出测试集意图识别准确率", 0.85, 0.9, True, False, examples=wrong)]
    )


def publisher(workspace, server=None, gates=passing, check=lambda _w: [], clock=None, start=None) -> Publisher:
    clock = clock or Clock()
    made = Publisher(
        workspace, server or Server("initial.tar.gz"), check=check, gates=gates, clock=clock,
        start=start or (lambda work: work()),
    )  # fmt: skip
    made.train = Trainer(clock, made.status)
    return made


@pytest.fixture
def live(workspace):
    """A workspace whose version 0001 is the model the server runs."""
    versions.ensure_initial(workspace, a_model(workspace, "initial"))
    return workspace


def change_an_answer(workspace, answer="新的回答：请到柜台办理") -> None:
    edit(workspace, FAQ_FILE, lambda text: text.replace("  answer: ", f"  answer: {answer}", 1))


def add_an_example(workspace) -> None:
    edit(
        workspace, NLU_FILE, lambda text: text.replace("examples: |\n", "examples: |\n    - 帮我瞅瞅卡里还剩多少\n", 1)
    )


def test_a_faq_edit_is_published_on_the_faq_only_path(live):
    change_an_answer(live)
    edited = live.read(FAQ_FILE).text
    server = Server("initial.tar.gz")
    pub = publisher(live, server)
    job = pub.publish("zhou", "改了回答")
    assert job.state == "succeeded" and job.path == "faq" and job.percent(pub.clock()) == 100
    assert [(s.title, s.state) for s in job.stages] == [
        ("校验", "passed"), ("训练", "passed"), ("质量检查", "passed"), ("上线", "passed"), ("完成", "passed"),
    ]  # fmt: skip
    assert "仅重新训练意图分类" in job.stage("train").message
    assert job.stage("train").finished - job.stage("train").started == TRAINING_S
    assert pub.train.roots == [live.root]
    assert server.model == "trained1.tar.gz"
    current = versions.current(live)
    assert (current.number, current.kind, current.staff, current.note, current.model) == (
        2, "publish", "zhou", "改了回答", "trained1.tar.gz",
    )  # fmt: skip
    assert versions.published_text(live, FAQ_FILE) == edited
    assert versions.unpublished(live).empty
    assert not live.publishing()
    assert [(e.action, e.staff, e.target) for e in audit.entries(live)] == [
        ("publish.succeeded", "zhou", "0002"), ("publish.started", "zhou", ""),
    ]  # fmt: skip
    succeeded = audit.entries(live)[0].detail
    assert succeeded["model"] == "trained1.tar.gz" and succeeded["changes"]["files"] == ["bot/faq/faqs.yml"]


def test_an_example_is_published_with_a_full_training(live):
    add_an_example(live)
    job = publisher(live).publish("zhou")
    assert (job.state, job.path) == ("succeeded", "full")
    assert "完整训练" in job.stage("train").message


def test_progress_within_training_is_estimated_from_the_last_training(live):
    change_an_answer(live)
    first = publisher(live)
    first.publish("zhou")
    change_an_answer(live, "再改一次：")
    second = publisher(live)
    second.publish("zhou")
    [halfway] = second.train.seen
    training = next(s for s in halfway["running"]["stages"] if s["key"] == "train")
    assert (training["state"], training["estimate"], training["elapsed"]) == ("running", TRAINING_S, TRAINING_S / 2)
    assert training["progress"] == 0.5
    assert halfway["running"]["percent"] == 10 + 55 // 2  # validation done, half of training


def test_nothing_to_publish_is_said_and_nothing_runs(live):
    pub = publisher(live)
    with pytest.raises(Refused) as refused:
        pub.publish("zhou")
    assert refused.value.code == "nothing_to_publish" and "没有需要发布的修改" in refused.value.message
    assert pub.train.roots == [] and audit.entries(live) == []


def test_a_failed_gate_keeps_the_running_model_and_the_edits(live):
    change_an_answer(live)
    server = Server("initial.tar.gz")
    job = publisher(live, server, gates=failing).publish("zhou")
    assert job.state == "failed"
    assert [s.state for s in job.stages] == ["passed", "passed", "failed", "pending", "pending"]
    assert "质量检查未通过" in job.reason and "85.0%" in job.reason and "不低于 90.0%" in job.reason
    assert job.gates.failed[0].examples[0].text == "卡里还有多少钱"
    assert server.loaded == [] and server.model == "initial.tar.gz"
    assert versions.current(live).number == 1
    assert versions.unpublished(live).files == ["bot/faq/faqs.yml"]
    assert not live.publishing()
    failed = audit.entries(live)[0]
    assert (failed.action, failed.detail["stage"]) == ("publish.failed", "gates")
    assert failed.detail["gates"]["gates"][0]["value"] == 0.85


def test_a_problem_in_the_sources_stops_before_training(live):
    change_an_answer(live)
    pub = publisher(live, check=lambda _w: ["常见问题 card_lost：请填写分类"])
    job = pub.publish("zhou")
    assert job.state == "failed" and job.stage("validate").state == "failed"
    assert job.reason == "校验未通过：常见问题 card_lost：请填写分类"
    assert pub.train.roots == []


def test_a_server_that_keeps_the_old_model_fails_the_publish(live):
    change_an_answer(live)
    server = Server("initial.tar.gz", takes_it=False)
    job = publisher(live, server).publish("zhou")
    assert job.state == "failed" and job.stage("load").state == "failed"
    assert "仍在使用 initial.tar.gz" in job.reason
    assert versions.current(live).number == 1


def test_one_publish_at_a_time_and_the_sources_wait_for_it(live):
    change_an_answer(live)
    threads = []

    def in_a_thread(work):
        threads.append(threading.Thread(target=work))
        threads[-1].start()

    pub = publisher(live, start=in_a_thread)
    training, finish = threading.Event(), threading.Event()
    trainer = pub.train

    def slow(root: Path) -> Path:
        training.set()
        finish.wait()
        return trainer(root)

    pub.train = slow
    job = pub.publish("zhou")
    assert training.wait(30)
    with pytest.raises(Busy):
        pub.publish("zhou")
    with pytest.raises(Busy):
        pub.rollback(1, "boss")
    with pytest.raises(Busy):
        publisher(live).publish("li")  # another gateway process on the same workspace
    snapshot = live.read(FAQ_FILE)
    with pytest.raises(PublishInProgress):
        live.write(FAQ_FILE, snapshot.text + "\n", based_on=snapshot.etag)
    assert pub.status()["running"]["stages"][1]["state"] == "running"
    finish.set()
    threads[0].join(30)
    assert job.state == "succeeded" and pub.status()["running"] is None
    assert pub.status()["last"]["state"] == "succeeded"


def test_a_rollback_restores_the_files_and_loads_the_kept_model(live):
    first = live.read(FAQ_FILE).text
    change_an_answer(live)
    server = Server("initial.tar.gz")
    publisher(live, server).publish("zhou")
    (live.root / "models" / "initial.tar.gz").unlink()  # pruned from models/: the version's copy serves
    job = publisher(live, server).rollback(1, "boss")
    assert job.state == "succeeded"
    assert [(s.key, s.state) for s in job.stages] == [("restore", "passed"), ("load", "passed"), ("done", "passed")]
    assert live.read(FAQ_FILE).text == first
    assert server.model == "initial.tar.gz" and server.loaded[-1] == live.root / "models" / "initial.tar.gz"
    current = versions.current(live)
    assert (current.number, current.kind, current.restored_from, current.staff) == (3, "rollback", 1, "boss")
    assert versions.unpublished(live).empty
    assert [(e.action, e.target) for e in audit.entries(live, 2)] == [("rollback.succeeded", "0003"),
                                                                      ("rollback.started", "0001")]  # fmt: skip


def test_a_rollback_the_server_refuses_leaves_everything_as_it_was(live):
    change_an_answer(live)
    publisher(live).publish("zhou")
    edited = live.read(FAQ_FILE).text
    job = publisher(live, Server("trained1.tar.gz", fails=True)).rollback(1, "boss")
    assert job.state == "failed" and "无法把新模型加载到智能助手服务" in job.reason
    assert live.read(FAQ_FILE).text == edited
    assert versions.current(live).number == 2
    assert audit.entries(live, 1)[0].action == "rollback.failed"


def test_a_rollback_restores_files_and_model_under_the_publish_lock(live):
    first = live.read(FAQ_FILE).text
    change_an_answer(live)
    publisher(live).publish("zhou")
    seen = {}

    class Watching(Server):
        def load(self, model: Path) -> None:
            seen["restored"] = live.read(FAQ_FILE).text == first
            seen["locked"] = live.publishing()
            now = live.read(FAQ_FILE)
            try:
                live.write(FAQ_FILE, now.text + "\n", based_on=now.etag)  # an editor saving meanwhile
            except PublishInProgress:
                seen["edit refused"] = True
            super().load(model)

    job = publisher(live, Watching("trained1.tar.gz")).rollback(1, "boss")
    assert job.state == "succeeded"
    assert seen == {"restored": True, "locked": True, "edit refused": True}
    assert live.read(FAQ_FILE).text == first and not live.publishing()
    assert versions.current(live).kind == "rollback" and versions.unpublished(live).empty


def test_a_rollback_while_a_publish_runs_is_refused_and_changes_nothing(live):
    change_an_answer(live)
    publisher(live).publish("zhou")
    before = (versions.sources(live), versions.current_number(live), audit.entries(live, 100))
    # a publish of another gateway process on the same workspace
    with live.publish_lock("li"), pytest.raises(Busy):
        publisher(live).rollback(1, "boss")
    assert (versions.sources(live), versions.current_number(live), audit.entries(live, 100)) == before


def test_a_failed_rollback_puts_the_sources_back_under_the_lock_and_releases_it(live):
    change_an_answer(live)
    publisher(live).publish("zhou")
    edited = live.read(FAQ_FILE).text
    job = publisher(live, Server("trained1.tar.gz", takes_it=False)).rollback(1, "boss")
    assert job.state == "failed" and "仍在使用 trained1.tar.gz" in job.reason
    assert live.read(FAQ_FILE).text == edited and not live.publishing()
    change_an_answer(live, "回滚失败后照常编辑")  # the lock is gone: editing goes on


def test_a_rollback_needs_a_version_with_a_model(live):
    pub = publisher(live)
    with pytest.raises(KeyError):
        pub.rollback(7, "boss")
    with pytest.raises(Refused) as current:
        pub.rollback(1, "boss")
    assert current.value.code == "already_current"
    change_an_answer(live)
    pub.publish("zhou")
    (live.root / "models" / "initial.tar.gz").unlink()
    versions.model_copy(live, 1).unlink()
    with pytest.raises(Refused) as pruned:
        pub.rollback(1, "boss")
    assert pruned.value.code == "no_model" and "模型副本已清理" in pruned.value.message


def test_the_first_version_is_recorded_from_the_model_the_server_runs(workspace):
    running = a_model(workspace, build.content_hash(workspace.root))  # trained from these sources
    pub = publisher(workspace, Server(running.name))
    assert pub.status()["current"] is None
    first = pub.ensure_initial()
    assert (first.number, first.kind, first.model) == (1, "initial", running.name)
    assert pub.ensure_initial() is None
    assert pub.status()["current"]["number"] == 1


def test_no_first_version_claims_a_model_of_other_sources(workspace):
    a_model(workspace, build.content_hash(workspace.root))
    change_an_answer(workspace)  # edited after the running model was trained
    pub = publisher(workspace, Server(f"{build.content_hash(workspace.root)}.tar.gz"))
    assert pub.ensure_initial() is None
    pub.server = Server(a_model(workspace, "other").name)
    assert pub.ensure_initial() is None
    assert pub.status()["current"] is None
    assert "bot/faq/faqs.yml" in pub.status()["unpublished"]["files"]  # everything waits for a publish


def test_the_last_result_outlives_the_gateway(live):
    change_an_answer(live)
    publisher(live, gates=failing).publish("zhou")
    again = publisher(live).status()  # a new process: nothing in memory
    assert again["running"] is None and again["last"]["state"] == "failed"
    assert "质量检查未通过" in again["last"]["reason"]


def test_the_faq_checks_are_said_in_chinese(workspace):
    edit(workspace, FAQ_FILE, lambda text: text.replace("  category: ", "  category: \n  old_category: ", 1))
    [problem] = faq_problems(workspace)
    first_id = yaml.safe_load(workspace.read(FAQ_FILE).text)[0]["id"]
    assert problem.startswith(f"常见问题 {first_id}：")
    assert "category" not in problem


@pytest.mark.e2e
def test_rasa_validates_the_sources_root(workspace):
    shutil.copy(REPO_ROOT / "config.yml", workspace.root / "config.yml")
    for name in ("rules.yml", "stories.yml"):
        shutil.copy(REPO_ROOT / "bot" / "data" / name, workspace.root / "bot" / "data" / name)
    assert check_sources(workspace) == []
    edit(workspace, NLU_FILE, lambda text: text + "- intent: not_in_the_domain\n  examples: |\n    - 这是什么\n")
    [problem] = check_sources(workspace)
    assert problem.startswith("训练数据校验未通过：") and "not_in_the_domain" in problem


# ----------------------------------------------------------------------------- the server it loads into


def test_make_serve_gives_rasas_api_a_token_given_or_made_for_the_run(monkeypatch):
    monkeypatch.setenv("RASA_TOKEN", "given-token")
    assert servers.serve_api_token() == ("given-token", True)
    monkeypatch.delenv("RASA_TOKEN")
    (one, given), (other, _) = servers.serve_api_token(), servers.serve_api_token()
    assert not given and len(one) >= 32 and one != other


def test_the_gateway_reaches_rasa_at_rasa_url_with_rasa_token(monkeypatch):
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:5123/")
    monkeypatch.setenv("RASA_TOKEN", "api-token")
    assert RasaServer.from_env() == RasaServer("http://127.0.0.1:5123", "api-token")
    monkeypatch.delenv("RASA_URL")
    monkeypatch.setenv("RASA_PORT", "5124")
    assert RasaServer.from_env().url == "http://127.0.0.1:5124"  # as `make faq-reload` finds it
    with pytest.raises(ManageError):
        RasaServer("http://127.0.0.1:5124", "").load(Path("m.tar.gz"))  # no token: the API is not open


class FakeReplica(http.server.ThreadingHTTPServer):
    """A Rasa replica's model API on a free loopback port: PUT /model, GET /status."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.puts = 0
        replica = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def _reply(self, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._reply({"model_file": f"/models/{replica.model}"})

            def do_PUT(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                replica.model, replica.puts = Path(body["model_file"]).name, replica.puts + 1
                self._reply({})

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def two_replicas():
    made = [FakeReplica("old.tar.gz"), FakeReplica("old.tar.gz")]
    yield made
    for replica in made:
        replica.shutdown()
        replica.server_close()


def test_behind_a_load_balancer_every_replica_loads_the_model(monkeypatch, two_replicas):
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:1")  # the balancer: would reach one replica only
    monkeypatch.setenv("RASA_TOKEN", "api-token")
    monkeypatch.setenv("RASA_REPLICA_URLS", ",".join(r.url for r in two_replicas))
    server = RasaServer.from_env()
    assert server.running() == "old.tar.gz"
    server.load(Path("new.tar.gz"))
    assert [r.puts for r in two_replicas] == [1, 1]
    assert server.running() == "new.tar.gz"


def test_replicas_running_different_models_are_not_called_running(two_replicas):
    two_replicas[1].model = "other.tar.gz"
    server = RasaServer("http://127.0.0.1:1", "api-token", tuple(r.url for r in two_replicas))
    with pytest.raises(ManageError, match="different models"):
        server.running()


def test_without_rasa_token_there_is_no_api_to_load_into(monkeypatch):
    monkeypatch.delenv("RASA_URL", raising=False)
    monkeypatch.delenv("RASA_TOKEN", raising=False)  # `make voice-serve` alone
    assert not RasaServer.from_env().has_api()
    monkeypatch.setenv("RASA_TOKEN", "api-token")
    assert RasaServer.from_env().has_api()


def test_no_server_api_is_said_before_anything_trains(live):
    change_an_answer(live)
    publisher(live).publish("zhou")
    change_an_answer(live, "又改了回答")
    before = (versions.sources(live), versions.current_number(live), audit.entries(live, 100))
    pub = publisher(live, Server("trained1.tar.gz", api=False))
    for start in (lambda: pub.publish("zhou"), lambda: pub.rollback(1, "boss")):
        with pytest.raises(Refused) as refused:
            start()
        assert refused.value.code == "no_rasa_api"
        assert "no Rasa API configured" in refused.value.message
        assert "make serve" in refused.value.message and "RASA_URL 和 RASA_TOKEN" in refused.value.message
    assert pub.train.roots == [] and not live.publishing() and pub.status()["running"] is None
    assert (versions.sources(live), versions.current_number(live), audit.entries(live, 100)) == before
