"""What the console's Chromium tests share: the gateway as `make serve` runs it over a tracker store
the test filled (and, for the pages that edit, a copy of the sources: CONSOLE_ROOT), an editor's
account, signing in, and waiting for the page with what it shows when it doesn't come."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bot import processes
from tests.bot.editing.conftest import copy_sources
from tests.voice.console import seed
from tests.voice.web.browser import PAGE_TIMEOUT_S, Assistant, Gateway
from voice.desk.accounts import StaffStore

EDITOR = ("zhou", "周编辑", "editor password 1")


def staff_with_editor(database: Path) -> StaffStore:
    """A staff store at ``database`` (SQLite) holding the EDITOR account."""
    staff = StaffStore(f"sqlite:///{database}")
    username, name, password = EDITOR
    staff.add(username, password, "editor", name=name)
    return staff


@contextmanager
def console_gateway(
    directory: Path, name: str, conversations: list[seed.Conversation] = seed.CONVERSATIONS, sources: bool = False
) -> Iterator[tuple[Gateway, Path]]:
    """The gateway over a tracker store of ``conversations``; with ``sources``, a copy of the sources
    to edit. Yields the gateway and the copy's root (under ``directory``)."""
    tracker_url = f"sqlite:///{directory / 'tracker.db'}"
    seed.save(str(directory / "tracker.db"), conversations)
    staff_with_editor(directory / "staff.db").engine.dispose()
    root = directory / "sources"
    env = {"TRACKER_STORE_URL": tracker_url}
    if sources:
        copy_sources(root)
        env |= {"CONSOLE_ROOT": str(root), "CONSOLE_STATE_DIR": str(directory / "state")}
    nobody = f"http://{processes.HOST}:{processes.free_port()}"  # the chat page's Rasa: not used here
    assistant = Assistant(nobody, "unused", "", tracker_url, directory)
    with Gateway(assistant, name=name, env=env) as gateway:
        yield gateway, root


def wait(driver, condition, what: str):
    try:
        return WebDriverWait(driver, PAGE_TIMEOUT_S, poll_frequency=0.2).until(lambda d: condition())
    except TimeoutException:
        shows = driver.find_element(By.TAG_NAME, "body").text
        raise AssertionError(f"timed out waiting for {what}\nthe page shows:\n{shows}") from None


def sign_in(driver, url: str) -> None:
    """Open ``url``, which sends to the login page, and sign in as the EDITOR."""
    driver.get(url)
    wait(driver, lambda: driver.find_elements(By.ID, "login-form"), "the login page")
    username, _name, password = EDITOR
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-button").click()


def ready(driver) -> bool:
    return driver.execute_script("return document.body.dataset.state") == "ready"


def fits(driver) -> bool:
    """Nothing wider than the window (on a phone, nothing scrolls sideways)."""
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
