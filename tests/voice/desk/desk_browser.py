"""The agent desk in a real browser, as an agent uses it: logs in, takes customers from the
queue, talks, joins calls, gives back and closes. Every wait is for something the page shows."""

from __future__ import annotations

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.voice.web.browser import BOT_TIMEOUT_S, PAGE_TIMEOUT_S

READ_TRANSCRIPT = """
return Array.from(document.querySelectorAll('#transcript .msg')).map((el) => [
  el.dataset.from, (el.querySelector('.msg-text') || el).textContent,
]);
"""
READ_QUEUE = """
return Array.from(document.querySelectorAll('#queue li[data-id]')).map((el) => [el.dataset.id, el.textContent]);
"""


class DeskPage:
    def __init__(self, driver: WebDriver, base_url: str, timeout_s: float = BOT_TIMEOUT_S) -> None:
        self.driver, self.base, self.timeout_s = driver, base_url.rstrip("/"), timeout_s

    # -------------------------------------------------------------- reading
    def _read(self, script: str) -> list:
        for _attempt in range(5):
            try:
                return self.driver.execute_script(script)
            except StaleElementReferenceException:
                continue
        return self.driver.execute_script(script)

    def transcript(self) -> list[tuple[str, str]]:
        return [tuple(row) for row in self._read(READ_TRANSCRIPT)]

    def queue(self) -> list[tuple[str, str]]:
        return [tuple(row) for row in self._read(READ_QUEUE)]

    def connection(self) -> str:
        return self.driver.execute_script("return document.body.dataset.connection") or ""

    def shows(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def wait(self, condition, what: str, timeout_s: float | None = None):
        try:
            return WebDriverWait(self.driver, timeout_s or self.timeout_s, poll_frequency=0.2).until(
                lambda _driver: condition(self)
            )
        except TimeoutException:
            raise AssertionError(f"timed out waiting for {what}\nthe desk shows:\n{self.shows()}") from None

    # -------------------------------------------------------------- acting
    def log_in(self, username: str, password: str) -> None:
        self.driver.get(f"{self.base}/staff/desk")
        self.wait(lambda d: d.driver.find_elements(By.ID, "login-form"), "the login page", PAGE_TIMEOUT_S)
        self.driver.find_element(By.ID, "username").send_keys(username)
        self.driver.find_element(By.ID, "password").send_keys(password)
        self.driver.find_element(By.ID, "login-button").click()
        self.wait(lambda d: d.connection() == "open", "the desk to connect", PAGE_TIMEOUT_S)

    def take(self, containing: str) -> str:
        """Takes the waiting customer whose card shows ``containing``; their desk id."""
        key = self.wait(
            lambda d: next((k for k, text in d.queue() if containing in text), None), f"{containing!r} in the queue"
        )
        self.driver.find_element(By.CSS_SELECTOR, f'#queue li[data-id="{key}"] button.take').click()
        self.wait(lambda d: d.driver.find_elements(By.CSS_SELECTOR, f'#held [data-id="{key}"]'), "the taken customer")
        return key

    def say(self, text: str) -> None:
        self.driver.find_element(By.ID, "composer").send_keys(text)
        self.driver.find_element(By.ID, "send").click()
        self.wait(lambda d: ("agent", text) in d.transcript(), f"{text!r} in the desk's transcript")

    def give_back(self) -> None:
        self.driver.find_element(By.ID, "give-back").click()

    def close(self, note: str) -> None:
        self.driver.find_element(By.ID, "close-conversation").click()
        self.wait(lambda d: d.driver.find_element(By.ID, "close-note").is_displayed(), "the resolution note box")
        self.driver.find_element(By.ID, "close-note").send_keys(note)
        self.driver.find_element(By.ID, "close-confirm").click()
