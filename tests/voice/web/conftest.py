"""Servers shared by a module's browser tests: a private copy of the demo bank, an empty tracker
store, Rasa (token-protected channels, as `make serve` runs it) with its action server, and the
web gateway in front (chat only, or with speech for calls). Each test opens its own browsers.

On SQLite only: the bank and the tracker store are tested on PostgreSQL too by the data layer's
tests and the end-to-end REST conversation; the page adds nothing a database would see."""

from collections.abc import Callable, Iterator

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.database_backends import empty_database, fresh_copy, seeded_template
from tests.voice.web.browser import Assistant, Gateway, assistant, chromium, speech_model_installed


@pytest.fixture(scope="module")
def web_assistant(trained_model, day, tmp_path_factory) -> Iterator[Assistant]:
    directory = tmp_path_factory.mktemp("web_servers")
    template = seeded_template("sqlite", tmp_path_factory.mktemp("web_bank_template"), day)
    with (
        fresh_copy("sqlite", template, directory) as bank_url,
        empty_database("sqlite", directory, "tracker") as tracker_url,
        assistant(trained_model, bank_url, tracker_url, directory) as served,
    ):
        yield served


@pytest.fixture(scope="module")
def chat_gateway(web_assistant) -> Iterator[Gateway]:
    """The page without calls (no speech model: starts in seconds)."""
    with Gateway(web_assistant, name="chat-gateway") as gateway:
        yield gateway


@pytest.fixture(scope="module")
def speech_gateway(web_assistant) -> Iterator[Gateway]:
    """The page with calls: the Chinese Vosk model `make setup` installs under var/vosk."""
    if not speech_model_installed():
        pytest.skip("no Chinese Vosk model under var/vosk (make setup installs it): no calls to test")
    with Gateway(web_assistant, speech=True, name="speech-gateway") as gateway:
        yield gateway


@pytest.fixture
def browsers() -> Iterator[Callable[..., WebDriver]]:
    """Opens headless Chromium browsers, each with a new profile (cookies, storage); all quit after the test."""
    opened: list = []

    def open_browser(**options) -> WebDriver:
        driver = chromium(**options)
        opened.append(driver)
        return driver

    yield open_browser
    for driver in opened:
        driver.quit()
