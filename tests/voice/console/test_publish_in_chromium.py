"""The publish page in headless Chromium, over the console's real API served in this process with
a stand-in trainer, gates and Rasa server (the publish with real training and Rasa is the lead's
end-to-end test): an editor sees the unpublished FAQ edit, publishes and watches the stages and the
bar while training runs, reads why a failed gate blocked it (the figure, the threshold and a
sentence the model got wrong), publishes again, and rolls back through the confirmation dialog."""

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from bot import processes
from bot.editing import versions
from bot.editing.workspace import FAQ_FILE
from bot.review import ConversationStore
from tests.bot.editing.test_publish import Clock, Trainer, change_an_answer, failing, passing
from tests.voice.console import seed
from tests.voice.console.in_chromium import fits, sign_in, staff_with_editor, wait
from tests.voice.console.test_publish_routes import a_publisher, running, seen_live, sources_and_model
from tests.voice.web.browser import PHONE, set_viewport
from tests.voice.web.conftest import browsers  # noqa: F401  (the fixture)
from tests.voice.web.doubles import TrackerAssistant
from voice.console import publish_routes
from voice.web.gateway import WebGateway
from voice.web.server import create_app, serve
from voice.web.sessions import SessionCookies

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300, func_only=True)]
STAGES = """return Array.from(document.querySelectorAll('#stages li')).map((li) => [
  li.querySelector('.stage-title').textContent, li.dataset.state,
]);"""


class Served:
    """The app on a free port, served by an event loop in a thread of its own."""

    def __init__(self, app) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = processes.free_port()
        self.runner = self._do(serve(app, processes.HOST, self.port))
        self.url = f"http://{processes.HOST}:{self.port}"

    def _do(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def close(self) -> None:
        self._do(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)


class Gates:
    """Fails the first publish (accuracy 85 % < 90 %), passes the next."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, workspace, model):
        self.calls += 1
        return (failing if self.calls == 1 else passing)(workspace, model)


@pytest.fixture
def console(tmp_path, workspace) -> Iterator[tuple]:
    tracker = tmp_path / "tracker.db"
    seed.save(str(tracker))
    staff = staff_with_editor(tmp_path / "staff.db")
    seen_live(workspace)
    server = running(workspace)
    publisher = a_publisher(workspace, server, gates=Gates(), start=lambda work: threading.Thread(target=work).start())
    release = threading.Event()
    trainer = Trainer(Clock())

    def train(root: Path) -> Path:
        assert release.wait(120), "the test never let training finish"
        return trainer(root)

    publisher.train = train
    conversations = ConversationStore(f"sqlite:///{tracker}")
    app = create_app(WebGateway(TrackerAssistant(), calls=None), SessionCookies(b"k" * 32), staff=staff,
                     conversations=conversations, workspace=workspace)  # fmt: skip
    publish_routes.use(app, publisher)
    served = Served(app)
    try:
        yield served.url, server, release
    finally:
        release.set()
        served.close()
        conversations.close()
        staff.engine.dispose()


@pytest.fixture
def workspace(tmp_path):
    return sources_and_model(tmp_path)


def text_of(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def test_an_editor_publishes_sees_a_failed_gate_publishes_again_and_rolls_back(console, workspace, browsers):  # noqa: F811
    base, server, release = console
    initial_model = server.model
    published = workspace.read(FAQ_FILE).text
    change_an_answer(workspace)
    driver = browsers()
    sign_in(driver, f"{base}/staff/console/publish")

    wait(driver, lambda: "1 个文件有修改" in text_of(driver, "unpublished"), "the unpublished FAQ edit")
    assert "只修改了常见问题" in text_of(driver, "unpublished")
    assert "修改常见问题：" in text_of(driver, "unpublished-detail")
    assert "版本 0001" in text_of(driver, "current-version")
    driver.find_element(By.ID, "note").send_keys("改了回答")
    driver.find_element(By.ID, "publish").click()

    wait(driver, lambda: ["训练", "running"] in driver.execute_script(STAGES), "training under way")
    assert driver.execute_script(STAGES)[0] == ["校验", "passed"]
    assert int(driver.find_element(By.ID, "job-progress").get_attribute("value")) >= 10
    assert "第 2 步（共 5 步）训练" in text_of(driver, "job-summary")
    assert not driver.find_element(By.ID, "publish").is_enabled()
    release.set()

    wait(driver, lambda: driver.find_element(By.ID, "job-failure").is_displayed(), "the failed gate")
    failure = text_of(driver, "job-failure")
    assert "质量检查未通过" in failure and "85.0%" in failure and "不低于 90.0%" in failure
    assert "卡里还有多少钱" in failure and "查询余额（check_balance）" in failure and "打招呼（greet）" in failure
    assert ["质量检查", "failed"] in driver.execute_script(STAGES) and ["上线", "pending"] in driver.execute_script(
        STAGES
    )
    assert server.model == initial_model and "1 个文件有修改" in text_of(driver, "unpublished")

    wait(driver, lambda: driver.find_element(By.ID, "publish").is_enabled(), "publishing possible again")
    driver.find_element(By.ID, "publish").click()
    wait(driver, lambda: "发布成功，当前线上版本 0002" in text_of(driver, "job-summary"), "the publish done")
    wait(driver, lambda: text_of(driver, "version-rows").startswith("0002"), "version 0002 listed")
    assert "没有未发布的修改" in text_of(driver, "unpublished")
    assert "发布成功" in text_of(driver, "audit-rows").splitlines()[0]
    assert server.model != initial_model

    assert driver.find_element(By.CSS_SELECTOR, 'button[aria-label="回滚到版本 0001"]').is_enabled()  # in the history
    previous = driver.find_element(By.ID, "restore-previous")
    assert previous.is_displayed() and previous.text == "恢复上一版本（0001）"
    previous.click()
    wait(driver, lambda: driver.find_element(By.ID, "rollback-dialog").is_displayed(), "the confirmation")
    assert "尚未发布的修改会被覆盖" in text_of(driver, "rollback-text")
    driver.find_element(By.ID, "rollback-confirm").click()
    wait(driver, lambda: "回滚成功，当前线上版本 0003" in text_of(driver, "job-summary"), "the rollback done")
    assert server.model == initial_model
    assert workspace.read(FAQ_FILE).text == published
    assert versions.current(workspace).restored_from == 1

    set_viewport(driver, PHONE, mobile=True)
    assert fits(driver)
