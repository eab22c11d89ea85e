"""The staff console with nothing stood in: a copy of the sources (CONSOLE_ROOT) with the model trained
from them, Rasa with its HTTP API (the console loads new models through it) and its action server on a
private bank and tracker store, and the gateway ``python -m voice serve`` in front, as `make serve` runs
it. A publish from this console really validates, trains, runs the quality gates and loads the model.

The repository's own files are never changed: the console edits the copy, and trains into the copy's
models/. The copy's training uses the repository's Rasa cache (RASA_CACHE_DIRECTORY), so what did not
change is restored instead of trained again.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from bot import build, processes, servers
from bot.editing.workspace import REPO_ROOT
from tests.database_backends import empty_database, fresh_copy, seeded_template
from tests.voice.console import seed
from tests.voice.web.browser import PAGE_TIMEOUT_S, Assistant, Gateway, environment
from voice.desk.accounts import StaffStore

# What training, the data check and the quality gates read relative to the sources' root
# (bot/build.py TRAINING_INPUTS, bot/editing/heldout.py, bot/editing/gates.py).
SOURCES = (
    "config.yml",
    "bot",
    "nlu",
    "tests/nlu_holdout.yml",
    "tests/nlu_holdout_fresh.yml",
    "tests/bot/faq/holdout.yml",
    "tests/bot/faq/holdout_fresh.yml",
)
# Copied, never linked: build.ensure_spacy rebuilds the directory in place when its stamp is stale.
SPACY = (build.SPACY_DIR, build.SPACY_DIR + ".stamp")
RASA_CACHE = REPO_ROOT / ".rasa" / "cache"


@dataclass(frozen=True)
class Account:
    username: str
    name: str
    role: str
    password: str


EDITOR = Account("zhou", "周编辑", "editor", "editor password 1")
AGENT = Account("wangmin", "王敏", "agent", "agent password 1")


def _ignored(_folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name == "__pycache__" or name.startswith(".")]


def copy_sources(root: Path, model: Path) -> Path:
    """The sources, the spaCy directory and ``model`` (trained from these sources) under ``root``;
    the copy of the model."""
    for relative in SOURCES:
        source, target = REPO_ROOT / relative, root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=_ignored)
        else:
            shutil.copy2(source, target)
    shutil.copytree(REPO_ROOT / SPACY[0], root / SPACY[0])
    shutil.copy2(REPO_ROOT / SPACY[1], root / SPACY[1])
    copied = root / build.MODELS_DIR / model.name
    copied.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(model, copied)
    assert build.model_path(root) == copied, "the copy's sources are not the ones the model was trained from"
    return copied


@dataclass
class LiveConsole:
    """Where everything runs: ``gateway.url`` serves the customers' page and the console."""

    root: Path  # the sources the console edits
    state: Path  # the console's versions and audit log
    gateway: Gateway
    assistant: Assistant
    api_token: str

    @property
    def base(self) -> str:
        return self.gateway.url.rstrip("/")

    def running_model(self) -> str:
        """The file name of the model Rasa runs, as Rasa's own status says."""
        with urllib.request.urlopen(f"{self.assistant.url}/status?token={self.api_token}", timeout=30) as answer:
            return Path(json.load(answer)["model_file"]).name

    def parse(self, text: str) -> dict:
        """Rasa's own understanding of ``text`` with the model it runs now (POST /model/parse)."""
        request = urllib.request.Request(
            f"{self.assistant.url}/model/parse?token={self.api_token}",
            json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.load(answer)


def understood_as(parsed: dict) -> str:
    """``faq/<id>`` for a common question, the intent's name otherwise (nlu_fallback when unsure)."""
    intent = parsed["intent"]["name"]
    if intent == "faq":
        selected = (parsed.get("response_selector") or {}).get("faq", {}).get("response", {})
        return str(selected.get("intent_response_key") or "faq")
    return str(intent)


@contextlib.contextmanager
def live_console(
    directory: Path, model: Path, day, accounts: tuple[Account, ...] = (EDITOR, AGENT),
    earlier: list[seed.Conversation] | None = None,
):  # fmt: skip
    """Everything started under ``directory``, the tracker store holding the ``earlier``
    conversations (tests/voice/console/seed.py); all stopped at the end."""
    root, state = directory / "sources", directory / "console-state"
    copy_sources(root, model)
    staff = StaffStore(f"sqlite:///{directory / 'staff.db'}")
    for account in accounts:
        staff.add(account.username, account.password, account.role, name=account.name)
    staff.engine.dispose()
    template = seeded_template("sqlite", directory / "bank-template", day)
    api_token, channel_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with (
        fresh_copy("sqlite", template, directory) as bank_url,
        empty_database("sqlite", directory, "tracker") as tracker_url,
        processes.ProcessGroup() as group,
    ):
        if earlier:
            seed.save(tracker_url.removeprefix("sqlite:///"), earlier)
        with environment(BANK_DATABASE_URL=bank_url, TRACKER_STORE_URL=tracker_url):  # read as they start
            url = servers.start_rasa_with_actions(
                group, root / build.MODELS_DIR / model.name, directory / "endpoints.yml",
                token=api_token, channel="web", channel_token=channel_token,
            )  # fmt: skip
        assistant = Assistant(url, channel_token, bank_url, tracker_url, directory)
        env = {
            "TRACKER_STORE_URL": tracker_url,
            servers.API_TOKEN_ENV: api_token,
            "CONSOLE_ROOT": str(root),
            "CONSOLE_STATE_DIR": str(state),
            "RASA_CACHE_DIRECTORY": str(RASA_CACHE),
        }
        with Gateway(assistant, name="live-console-gateway", env=env) as gateway:
            yield LiveConsole(root, state, gateway, assistant, api_token)


# ----------------------------------------------------------------------------- the console's pages


def wait(driver: WebDriver, condition, what: str, timeout_s: float = PAGE_TIMEOUT_S):
    """Waits until ``condition()`` is truthy; on timeout says what was awaited and what the page shows."""
    try:
        return WebDriverWait(driver, timeout_s, poll_frequency=0.5).until(lambda _driver: condition())
    except TimeoutException:
        shows = driver.find_element(By.TAG_NAME, "body").text
        raise AssertionError(f"timed out waiting for {what}\nthe page shows:\n{shows}") from None


def log_in(driver: WebDriver, base: str, account: Account, path: str) -> None:
    """Opens ``path``, signs in on the login page it leads to, and waits until the sign-in went through."""
    driver.get(f"{base}{path}")
    wait(driver, lambda: driver.find_elements(By.ID, "login-form"), "the login page")
    driver.find_element(By.ID, "username").send_keys(account.username)
    driver.find_element(By.ID, "password").send_keys(account.password)
    driver.find_element(By.ID, "login-button").click()
    wait(driver, lambda: not driver.find_elements(By.ID, "login-form"), "the sign-in to go through")


def ready(driver: WebDriver) -> bool:
    """A console page has loaded what it shows."""
    return driver.execute_script("return document.body.dataset.state") == "ready"
