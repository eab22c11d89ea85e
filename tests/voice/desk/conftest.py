"""Servers for the desk's browser tests: Rasa + actions on a private bank and tracker store
(tests/voice/web/conftest.py), a staff account, and gateways with the desk open around the clock."""

from collections.abc import Iterator

import pytest

from tests.voice.web.browser import Gateway, speech_model_installed
from tests.voice.web.conftest import browsers, web_assistant  # noqa: F401  (fixtures used here)
from voice.desk.accounts import StaffStore

AGENT = ("wangmin", "王敏", "correct-horse-42")


@pytest.fixture(scope="module")
def staff(web_assistant) -> StaffStore:  # noqa: F811
    store = StaffStore(f"sqlite:///{web_assistant.directory / 'staff.db'}")
    username, name, password = AGENT
    store.add(username, password, "agent", name=name)
    return store


@pytest.fixture(scope="module")
def desk_gateway(web_assistant, staff) -> Iterator[Gateway]:  # noqa: F811
    with Gateway(web_assistant, name="desk-gateway", env={"DESK_HOURS": "00:00-24:00"}) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def desk_speech_gateway(web_assistant, staff) -> Iterator[Gateway]:  # noqa: F811
    """The same, with calls: the Chinese Vosk model `make setup` installs under var/vosk."""
    if not speech_model_installed():
        pytest.skip("no Chinese Vosk model under var/vosk (make setup installs it): no calls to test")
    env = {"DESK_HOURS": "00:00-24:00"}
    with Gateway(web_assistant, speech=True, name="desk-speech-gateway", env=env) as gateway:
        yield gateway
