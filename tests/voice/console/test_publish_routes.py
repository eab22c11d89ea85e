"""Publishing over HTTP, as create_app serves it, with a stand-in trainer, gates and Rasa server:
who may publish and roll back (an agent may not), CSRF, the status while a publish runs (409 for a
second one, 423 for a rollback), nothing to publish, an unreachable server, the version history and the audit log."""

import asyncio
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot import build
from bot.editing import versions
from bot.editing.publish import Publisher
from bot.editing.workspace import Workspace
from tests.bot.editing.conftest import copy_sources
from tests.bot.editing.test_publish import Clock, Server, Trainer, change_an_answer, failing, passing
from tests.bot.editing.test_versions import a_model
from tests.voice.console import seed
from tests.voice.console.served import serve
from tests.voice.desk.test_auth import csrf_of
from voice.console import publish_routes

HTML = {"Accept": "text/html,application/xhtml+xml"}
PAGE = "/staff/console/publish"
STATUS = "/staff/console/api/publish"
VERSIONS = "/staff/console/api/versions"
AUDIT = "/staff/console/api/audit"


def rollback_of(number: int) -> str:
    return f"/staff/console/api/versions/{number}/rollback"


@pytest.fixture(scope="module")
def tracker_url(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("publish") / "tracker.db"
    seed.save(str(path))
    return f"sqlite:///{path}"


def sources_and_model(tmp_path: Path) -> Workspace:
    """A copy of the sources and the model the server runs, trained from them (models/<content hash>)."""
    workspace = Workspace.at(copy_sources(tmp_path / "root"), tmp_path / "state")
    a_model(workspace, build.content_hash(workspace.root))
    return workspace


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return sources_and_model(tmp_path)


def running(workspace: Workspace) -> Server:
    return Server(build.model_path(workspace.root).name)


def seen_live(workspace: Workspace) -> None:
    """Version 0001, as the console records it the first time it finds the server up."""
    versions.ensure_initial(workspace, build.model_path(workspace.root))


def a_publisher(workspace, server=None, gates=passing, start=None) -> Publisher:
    clock = Clock()
    made = Publisher(workspace, server or running(workspace), check=lambda _w: [], gates=gates, clock=clock,
                     start=start or (lambda work: work()))  # fmt: skip
    made.train = Trainer(clock)
    return made


def run(staff, tracker_url, publisher, test, user: str | None = "zhou"):
    serve(staff, tracker_url, test, workspace=publisher.workspace, user=user,
          prepare=lambda app: publish_routes.use(app, publisher))  # fmt: skip


async def send(client: TestClient, path: str, body=None, csrf: str | None = None):
    headers = {"X-CSRF-Token": csrf if csrf is not None else await csrf_of(client)}
    return await client.post(path, json=body or {}, headers=headers)


async def status_of(client: TestClient) -> dict:
    answer = await client.get(STATUS)
    assert answer.status == 200, await answer.text()
    assert answer.headers["Cache-Control"] == "no-store"
    return await answer.json()


# ----------------------------------------------------------------------------- who may


def test_an_agent_may_not_publish_or_roll_back(staff, tracker_url, workspace):
    change_an_answer(workspace)
    publisher = a_publisher(workspace)

    async def test(client):
        assert (await send(client, STATUS, {"note": "试试"})).status == 403
        assert (await send(client, rollback_of(1))).status == 403
        for path in (STATUS, VERSIONS, AUDIT):
            assert (await client.get(path)).status == 403
        assert (await client.get(PAGE, headers=HTML)).status == 403

    run(staff, tracker_url, publisher, test, user="wang")
    assert publisher.train.roots == [] and versions.current(workspace) is None


def test_signed_out_gets_401_and_the_page_sends_to_login(staff, tracker_url, workspace):
    async def test(client):
        assert (await send(client, STATUS, csrf="x")).status == 401
        assert (await client.get(STATUS)).status == 401
        page = await client.get(PAGE, headers=HTML, allow_redirects=False)
        assert page.status == 302 and page.headers["Location"].startswith("/staff/login")

    run(staff, tracker_url, a_publisher(workspace), test, user=None)


def test_publishing_needs_the_sessions_csrf_token(staff, tracker_url, workspace):
    change_an_answer(workspace)
    publisher = a_publisher(workspace)

    async def test(client):
        for path in (STATUS, rollback_of(1)):
            answer = await send(client, path, {}, csrf="forged")
            assert answer.status == 403 and await answer.json() == {"error": "csrf"}

    run(staff, tracker_url, publisher, test)
    assert publisher.train.roots == []


@pytest.mark.parametrize("user", ["zhou", "boss"])
def test_editors_and_admins_publish(staff, tracker_url, workspace, user):
    server = running(workspace)
    publisher = a_publisher(workspace, server)
    initial = server.model

    async def test(client):
        assert (await status_of(client))["unpublished"]["files"] == []
        change_an_answer(workspace)
        before = await status_of(client)
        assert before["server"] == {"reachable": True, "model": initial, "message": ""}
        assert before["current"]["number"] == 1 and before["current"]["kind"] == "initial"
        assert before["unpublished"]["files"] == ["bot/faq/faqs.yml"] and before["unpublished"]["faq_only"]
        answer = await send(client, STATUS, {"note": "改了回答"})
        assert answer.status == 202
        job = (await answer.json())["job"]
        assert (job["kind"], job["staff"], job["note"], job["path"]) == ("publish", user, "改了回答", "faq")
        after = await status_of(client)
        assert after["running"] is None
        assert (after["last"]["state"], after["last"]["percent"], after["last"]["version"]) == ("succeeded", 100, 2)
        assert [s["state"] for s in after["last"]["stages"]] == ["passed"] * 5
        assert after["current"]["number"] == 2 and after["unpublished"]["files"] == []
        history = await (await client.get(VERSIONS)).json()
        assert history["current"] == 2
        assert [(v["number"], v["kind"], v["staff"], v["note"]) for v in history["versions"]] == [
            (2, "publish", user, "改了回答"), (1, "initial", "system", ""),
        ]  # fmt: skip
        assert history["versions"][0]["changes"]["files"] == ["bot/faq/faqs.yml"]
        log = await (await client.get(AUDIT, params={"limit": "2"})).json()
        assert [(e["action"], e["staff"], e["target"]) for e in log["entries"]] == [
            ("publish.succeeded", user, "0002"), ("publish.started", user, ""),
        ]  # fmt: skip

    run(staff, tracker_url, publisher, test, user=user)
    assert server.model == "trained1.tar.gz"


# ----------------------------------------------------------------------------- refusals


def test_a_second_publish_while_one_runs_gets_409_and_a_rollback_423(staff, tracker_url, workspace):
    change_an_answer(workspace)
    threads, training, finish = [], threading.Event(), threading.Event()

    def in_a_thread(work):
        threads.append(threading.Thread(target=work))
        threads[-1].start()

    publisher = a_publisher(workspace, start=in_a_thread)
    trainer = publisher.train

    def slow(root: Path) -> Path:
        training.set()
        finish.wait()
        return trainer(root)

    publisher.train = slow

    async def test(client):
        assert (await send(client, STATUS)).status == 202
        assert await asyncio.to_thread(training.wait, 30)
        running = await status_of(client)
        assert running["running"]["stages"][1]["state"] == "running"
        again = await send(client, STATUS)
        assert again.status == 409
        assert (await again.json())["error"] == "busy" and "正在进行" in (await again.json())["message"]
        before = (versions.sources(workspace), versions.current_number(workspace))
        rollback = await send(client, rollback_of(1))
        assert rollback.status == 423
        assert (await rollback.json())["error"] == "publishing" and "请等它完成后再回滚" in (await rollback.json())[
            "message"
        ]
        assert (versions.sources(workspace), versions.current_number(workspace)) == before
        finish.set()
        await asyncio.to_thread(threads[0].join, 30)
        assert (await status_of(client))["last"]["state"] == "succeeded"

    try:
        run(staff, tracker_url, publisher, test)
    finally:
        finish.set()


def test_nothing_to_publish_is_said_in_chinese(staff, tracker_url, workspace):
    async def test(client):
        assert (await status_of(client))["current"]["kind"] == "initial"  # what the server runs: version 0001
        answer = await send(client, STATUS)
        assert answer.status == 422
        body = await answer.json()
        assert body["error"] == "nothing_to_publish" and "没有需要发布的修改" in body["message"]

    run(staff, tracker_url, a_publisher(workspace), test)


def test_a_bad_note_is_refused_naming_it(staff, tracker_url, workspace):
    change_an_answer(workspace)

    async def test(client):
        for note in (42, "长" * 501):
            answer = await send(client, STATUS, {"note": note})
            assert answer.status == 400
            body = await answer.json()
            assert (body["error"], body["parameter"]) == ("bad_parameter", "note") and "发布说明" in body["message"]

    run(staff, tracker_url, a_publisher(workspace), test)


def test_an_unreachable_server_is_said_and_nothing_trains(staff, tracker_url, workspace):
    change_an_answer(workspace)

    class Down(Server):
        def running(self) -> str:
            raise OSError("connection refused")

    publisher = a_publisher(workspace, Down("any.tar.gz"))

    async def test(client):
        status = await status_of(client)
        assert not status["server"]["reachable"] and "暂时无法连接智能助手服务" in status["server"]["message"]
        assert status["current"] is None  # no version until the server says which model it runs
        answer = await send(client, STATUS)
        assert answer.status == 409 and (await answer.json())["error"] == "server_unreachable"

    run(staff, tracker_url, publisher, test)
    assert publisher.train.roots == []


def test_no_rasa_api_is_said_on_the_page_and_nothing_trains(staff, tracker_url, workspace):
    seen_live(workspace)
    change_an_answer(workspace)
    publisher = a_publisher(workspace, Server(build.model_path(workspace.root).name, api=False))

    async def test(client):
        status = await status_of(client)
        assert not status["server"]["reachable"]
        assert "no Rasa API configured" in status["server"]["message"] and "make serve" in status["server"]["message"]
        for path in (STATUS, rollback_of(1)):
            answer = await send(client, path)
            body = await answer.json()
            assert (answer.status, body["error"]) == (409, "no_rasa_api")
            assert "RASA_URL 和 RASA_TOKEN" in body["message"]

    run(staff, tracker_url, publisher, test, user="boss")
    assert publisher.train.roots == [] and versions.current_number(workspace) == 1


def test_a_failed_gate_is_shown_with_its_figures(staff, tracker_url, workspace):
    seen_live(workspace)
    change_an_answer(workspace)

    async def test(client):
        await status_of(client)
        assert (await send(client, STATUS)).status == 202
        last = (await status_of(client))["last"]
        assert last["state"] == "failed" and "质量检查未通过" in last["reason"]
        [gate] = last["gates"]["gates"]
        assert (gate["value"], gate["threshold"], gate["passed"]) == (0.85, 0.9, False)
        assert gate["examples"][0]["text"] == "卡里还有多少钱"
        assert (await status_of(client))["unpublished"]["files"] == ["bot/faq/faqs.yml"]

    run(staff, tracker_url, a_publisher(workspace, gates=failing), test)


# ----------------------------------------------------------------------------- rollback


def test_a_rollback_restores_the_version_and_its_model(staff, tracker_url, workspace):
    first = workspace.read(Path("bot/faq/faqs.yml")).text
    seen_live(workspace)
    server = running(workspace)
    initial = server.model
    change_an_answer(workspace)
    publisher = a_publisher(workspace, server)

    async def test(client):
        await status_of(client)
        assert (await send(client, STATUS)).status == 202
        assert server.model == "trained1.tar.gz"
        missing = await send(client, rollback_of(9))
        assert missing.status == 404 and (await missing.json())["error"] == "not_found"
        current = await send(client, rollback_of(2))
        assert current.status == 422 and (await current.json())["error"] == "already_current"
        answer = await send(client, rollback_of(1))
        assert answer.status == 202 and (await answer.json())["job"]["kind"] == "rollback"
        history = await (await client.get(VERSIONS)).json()
        assert (history["current"], history["versions"][0]["kind"], history["versions"][0]["restored_from"]) == (
            3, "rollback", 1,
        )  # fmt: skip

    run(staff, tracker_url, publisher, test, user="boss")
    assert server.model == initial
    assert workspace.read(Path("bot/faq/faqs.yml")).text == first


def test_the_audit_limit_is_checked(staff, tracker_url, workspace):
    async def test(client):
        for limit in ("0", "abc", "100000"):
            answer = await client.get(AUDIT, params={"limit": limit})
            assert answer.status == 400 and (await answer.json())["parameter"] == "limit"

    run(staff, tracker_url, a_publisher(workspace), test)


# ----------------------------------------------------------------------------- the page


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.labels: set[str] = set()
        self.inline: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "label":
            self.labels.add(attrs.get("for", ""))
        if tag == "script" and "src" not in attrs or "style" in attrs:
            self.inline.append(tag)


def test_the_page_has_its_parts_labelled_and_no_inline_code(staff, tracker_url, workspace):
    async def test(client):
        page = await client.get(PAGE, headers=HTML)
        assert page.status == 200 and page.headers["Cache-Control"] == "no-store"
        parsed = Page()
        parsed.feed(await page.text())
        assert {"console-nav", "publish", "note", "job-progress", "stages", "version-rows", "audit-rows"} <= parsed.ids
        assert "note" in parsed.labels and parsed.inline == []
        for asset in ("publish.js", "publish.css", "console.js", "console.css"):
            assert (await client.get(f"/staff/console/static/{asset}")).status == 200

    run(staff, tracker_url, a_publisher(workspace), test)


def test_a_publish_cut_short_by_a_restart_no_longer_blocks(staff, tracker_url, workspace):
    seen_live(workspace)
    change_an_answer(workspace)
    (workspace.state / "publishing").write_text("zhou", encoding="utf-8")  # the gateway stopped mid-publish

    async def test(client):
        assert not (await status_of(client))["publishing_elsewhere"]
        assert (await send(client, STATUS)).status == 202

    run(staff, tracker_url, a_publisher(workspace), test)
    assert versions.current(workspace).number == 2


def test_the_first_version_is_recorded_at_start_without_anyone_opening_the_page(staff, tracker_url, workspace):
    """Editors may change content before anyone opens 发布: the sources the server's model was trained
    from must already be version 0001, else the first publish would count every file as changed."""

    async def test(_client):
        for _ in range(1000):  # the start-up watch asks the server from a thread; a hang guard only
            if versions.current_number(workspace) is not None:
                break
            await asyncio.sleep(0.01)
        assert versions.current_number(workspace) == 1

    run(staff, tracker_url, a_publisher(workspace), test, user=None)
