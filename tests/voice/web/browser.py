"""The customer web page in a real browser: the servers behind it (Rasa + action server on a
private bank and tracker store, the gateway ``python -m voice serve`` as a child process that
can be stopped and started again), headless Chromium driven by Selenium, and the page as a
customer sees it (``ChatPage``). Used by test_page_in_chromium.py and by `make screenshots`.

Nothing here sleeps to let time pass: every wait is for something the page shows.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from actions.bank.db import session_scope
from actions.bank.sms import outbox
from bot import processes, servers
from voice import vosk_model

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
NO_SPEECH_MODEL = "/nonexistent"  # VOSK_MODEL for a chat-only gateway (starts in seconds)
BOT_TIMEOUT_S = 90.0  # a bot answer on a busy 2-core machine (Rasa + actions + the browser)
PAGE_TIMEOUT_S = 60.0  # the page loading and its websocket opening
CHAT_GATEWAY_START_S = 120.0
SPEECH_GATEWAY_START_S = 300.0  # the Chinese Vosk model and its warm-up recognizers
DESKTOP = (1280, 800)
PHONE = (360, 740)
TIMEZONE = "Asia/Shanghai"
ZHANG_WEI = "13800138000"  # actions/bank/seed.py: 储蓄卡 尾号1234, 信用卡 本期 ¥8,650.00（最低 ¥865.00）


def speech_model_installed() -> bool:
    """The Chinese Vosk model `make setup` puts under var/vosk (or VOSK_MODEL's)."""
    configured = os.environ.get("VOSK_MODEL")
    path = Path(configured) if configured else vosk_model.default_model_dir()
    return (path / "am" / "final.mdl").is_file()


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """``os.environ`` with ``values`` set while the block runs (children started in it inherit them)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# ----------------------------------------------------------------------------- servers


@dataclass
class Assistant:
    """Rasa (token-protected channels only, as `make serve` runs it) and its action server."""

    url: str
    token: str
    bank_url: str
    tracker_url: str
    directory: Path


@contextlib.contextmanager
def assistant(model: Path, bank_url: str, tracker_url: str, directory: Path) -> Iterator[Assistant]:
    """Rasa + action server on the bank at ``bank_url`` with the tracker store at ``tracker_url``."""
    token = secrets.token_urlsafe(32)
    with processes.ProcessGroup() as group:
        with environment(BANK_DATABASE_URL=bank_url, TRACKER_STORE_URL=tracker_url):  # read as they start
            url = servers.start_rasa_with_actions(
                group, model, directory / "endpoints.yml", channel="web", channel_token=token
            )
        yield Assistant(url, token, bank_url, tracker_url, directory)


class Gateway:
    """``python -m voice serve`` in front of ``assistant``: the web page at ``url``. Chat only
    unless ``speech`` (then calls too, with the Chinese Vosk model). ``stop()`` and ``start()``
    again keep the port, and the session key (var/web-session.key), so the pages' cookies stay good."""

    def __init__(
        self,
        assistant: Assistant,
        speech: bool = False,
        port: int | None = None,
        name: str = "gateway",
        env: dict | None = None,
    ):
        self.assistant, self.speech, self.env = assistant, speech, dict(env or {})
        self.port = port or processes.free_port()
        self.log = assistant.directory / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{processes.HOST}:{self.port}/"

    def start(self) -> Gateway:
        cmd = processes.python_module(
            "voice", "serve", "--web-port", str(self.port), "--twilio-port", "0", "--audiosocket-port", "0",
            "--warm", "1",
        )  # fmt: skip
        env = {
            "RASA_URL": self.assistant.url,
            servers.CHANNEL_TOKEN_ENV: self.assistant.token,
            "CALL_RECORD_URL": f"sqlite:///{self.assistant.directory / 'calls.db'}",
            "STAFF_DB_URL": f"sqlite:///{self.assistant.directory / 'staff.db'}",
            **({} if self.speech else {"VOSK_MODEL": NO_SPEECH_MODEL}),
            **self.env,
        }
        with open(self.log, "a", encoding="utf-8") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=processes.REPO_ROOT, env=processes.child_env(**env), start_new_session=True,
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        timeout = SPEECH_GATEWAY_START_S if self.speech else CHAT_GATEWAY_START_S
        try:
            processes.wait_until_up(f"{self.url}healthz", self.proc, "web gateway", timeout)
        except processes.ManageError as exc:
            self.stop()
            raise processes.ManageError(f"{exc}\n--- {self.log} ---\n{processes.tail(self.log)}") from None
        return self

    def stop(self) -> None:
        """SIGTERM, as a deployment stops it: its websockets close from the server side."""
        if self.proc is not None:
            processes.stop_process(self.proc)
            self.proc = None

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def sent_code(bank_url: str, phone: str, conversation: str) -> str:
    """The one-time code the demo SMS outbox (`make outbox`) holds for ``phone``: the newest one,
    which must have been sent for ``conversation`` (Rasa's sender id)."""
    with session_scope(bank_url) as session:
        newest = outbox.recent_messages(session, phone, limit=1)
        code = outbox.latest_code(session, phone)
    assert newest and code, f"no SMS to {phone} in the outbox"
    assert newest[0].conversation == conversation, (
        f"the newest code to {phone} is for {newest[0].conversation}, not {conversation}"
    )
    return code


def page_headers(url: str) -> tuple[int, dict, list]:
    """GET the page without a browser: status, headers, and every Set-Cookie header."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, dict(response.headers), response.headers.get_all("Set-Cookie") or []


# ----------------------------------------------------------------------------- the browser


def chromium(size: tuple = DESKTOP, microphone: Path | None = None, mobile: bool = False) -> WebDriver:
    """Headless Chromium with its own new profile (its own cookies and storage). With
    ``microphone``, the page may use the microphone without asking, and hears that WAV file
    (once, then silence). ``mobile``: a phone's viewport at ``size`` CSS pixels."""
    options = Options()
    options.binary_location = CHROMIUM
    width, height = size
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=zh-CN"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={width},{height}")
    if microphone is not None:
        options.add_argument("--use-fake-ui-for-media-stream")
        options.add_argument("--use-fake-device-for-media-stream")
        options.add_argument(f"--use-file-for-fake-audio-capture={microphone}%noloop")
        options.add_argument("--autoplay-policy=no-user-gesture-required")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        set_viewport(driver, size, mobile)
        driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": TIMEZONE})  # the bank's clock
    except Exception:
        driver.quit()
        raise
    return driver


def set_viewport(driver: WebDriver, size: tuple, mobile: bool = False) -> None:
    """The page's viewport exactly ``size`` CSS pixels (the window's frame does not count)."""
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


# ----------------------------------------------------------------------------- the page


@dataclass(frozen=True)
class Shown:
    """One message as the page shows it."""

    sender: str  # "bot" | "agent" | "customer"
    text: str
    via: str  # "chat" | "call"
    pending: bool


READ_MESSAGES = """
return Array.from(document.querySelectorAll('#messages > .msg')).map((el) => [
  el.classList.contains('msg-agent') ? 'agent' : el.classList.contains('msg-bot') ? 'bot' : 'customer',
  el.querySelector('.msg-text').textContent,
  el.classList.contains('via-call') ? 'call' : 'chat',
  el.classList.contains('pending') || el.classList.contains('failed'),
]);
"""


class ChatPage:
    """The page in one browser, as a customer uses it: reads what it shows, types, taps."""

    def __init__(self, driver: WebDriver, url: str, timeout_s: float = BOT_TIMEOUT_S) -> None:
        self.driver, self.url, self.timeout_s = driver, url, timeout_s

    # -------------------------------------------------------------- reading
    def messages(self) -> list[Shown]:
        for _attempt in range(5):  # the history re-renders the list; read again if it did
            try:
                return [Shown(*row) for row in self.driver.execute_script(READ_MESSAGES)]
            except StaleElementReferenceException:
                continue
        return [Shown(*row) for row in self.driver.execute_script(READ_MESSAGES)]

    def texts(self, sender: str | None = None) -> list[str]:
        return [m.text for m in self.messages() if sender is None or m.sender == sender]

    def transcript(self) -> str:
        return "\n".join(f"{'客服' if m.sender == 'bot' else '客户'}[{m.via}]: {m.text}" for m in self.messages())

    def connection(self) -> str:
        return self.driver.execute_script("return document.body.dataset.connection")

    def status(self) -> str:
        return self.driver.find_element(By.ID, "status").text

    def status_state(self) -> str:
        return self.driver.find_element(By.ID, "status").get_attribute("data-state") or ""

    def typing(self) -> bool:
        return not self.driver.execute_script("return document.getElementById('typing').hidden")

    def quick_replies(self) -> list[str]:
        return [b.text for b in self.driver.find_elements(By.CSS_SELECTOR, ".quick-replies button")]

    def session_cookie(self) -> dict:
        cookie = self.driver.get_cookie("sid")
        assert cookie is not None, "the page set no session cookie"
        return cookie

    def conversation(self) -> str:
        """Rasa's sender id for this browser's conversation (voice/web/gateway.py: web-<session id>)."""
        return "web-" + self.session_cookie()["value"].rsplit(".", 2)[0]

    # -------------------------------------------------------------- waiting
    def wait(self, condition, what: str, timeout_s: float | None = None):
        """Waits until ``condition(page)`` is truthy; on timeout says what was awaited and what the page shows."""
        try:
            return WebDriverWait(self.driver, timeout_s or self.timeout_s, poll_frequency=0.2).until(
                lambda _driver: condition(self)
            )
        except TimeoutException:
            raise AssertionError(
                f"timed out waiting for {what}\nconnection: {self.connection()}, status: {self.status()!r}\n"
                f"page shows:\n{self.transcript()}"
            ) from None

    def wait_until_live(self) -> None:
        self.wait(lambda p: p.connection() == "open", "the page's websocket to open", PAGE_TIMEOUT_S)

    def wait_for_answer(self, bots_before: int, containing: str | None = None) -> list[str]:
        """The bot's messages after the first ``bots_before``, once it has answered and stopped
        typing (and one of them contains ``containing``)."""

        def answered(page: ChatPage):
            new = page.texts("bot")[bots_before:]
            if not new or page.typing() or any(m.pending for m in page.messages()):
                return None
            if containing is not None and not any(containing in text for text in new):
                return None
            return new

        return self.wait(answered, f"the bot's answer{f' containing {containing!r}' if containing else ''}")

    # -------------------------------------------------------------- acting
    def open(self, greeting: bool = True) -> list[str]:
        """Loads the page; with ``greeting``, waits for the bot's first message and returns the bot's texts."""
        self.driver.get(self.url)
        self.wait_until_live()
        if greeting:
            self.wait_for_answer(0)
        return self.texts("bot")

    def type(self, text: str) -> None:
        box = self.driver.find_element(By.ID, "input")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def say(self, text: str, expect: str | None = None) -> str:
        """Types ``text`` and returns the bot's answer (its messages joined by newlines)."""
        before, typed = len(self.texts("bot")), self.texts("customer").count(text)
        self.type(text)
        self.wait(lambda p: p.texts("customer").count(text) > typed, f"{text!r} to show as the customer's message", 30)
        return "\n".join(self.wait_for_answer(before, expect))

    def tap(self, title: str, expect: str | None = None) -> str:
        """Taps the quick reply ``title`` under the bot's latest message; returns the bot's answer."""
        before = len(self.texts("bot"))
        buttons = [b for b in self.driver.find_elements(By.CSS_SELECTOR, ".quick-replies button") if b.text == title]
        assert buttons, f"no quick reply {title!r}; the page offers {self.quick_replies()}"
        buttons[0].click()
        return "\n".join(self.wait_for_answer(before, expect))

    def verify(self, bank_url: str, phone: str = ZHANG_WEI, question: str = "查一下我的信用卡账单") -> str:
        """Asks ``question``, gives the phone number and the code from the SMS outbox; the answer after verification."""
        asked = self.say(question)
        assert "手机号" in asked, asked
        sent = self.say(phone)
        assert "验证码" in sent, sent
        return self.say(sent_code(bank_url, phone, self.conversation()), expect="验证成功")

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))


def until(condition, timeout_s: float, what: str, interval_s: float = 0.2):
    """Polls ``condition()`` (outside a browser) until it is truthy."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
