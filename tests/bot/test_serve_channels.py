"""End to end: the Rasa server as `make serve` runs it (bot/credentials-serve.yml) takes only
requests carrying a channel's token; the REST webhook, where a client names the conversation,
is off unless RASA_REST_TOKEN enables it for other servers."""

import json
import urllib.error
import urllib.request

import pytest

from bot import processes
from bot.servers import start_rasa_with_actions

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600, func_only=True)]
CHANNEL_TOKEN = "channel-token-for-this-test"


def post(url: str, token: str = "") -> int:
    body = json.dumps({"sender": "serve-test", "message": "你好"}).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=120) as answer:
            assert json.load(answer), f"{url}: no bot message"
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


@pytest.fixture(scope="module")
def rasa(trained_model, tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        tmp = tmp_path_factory.mktemp("serve")
        env.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp / 'tracker.db'}")
        env.setenv("RASA_REST_TOKEN", "rest-token-for-this-test")
        with processes.ProcessGroup() as group:
            yield start_rasa_with_actions(
                group, trained_model, tmp / "endpoints.yml", channel="web", channel_token=CHANNEL_TOKEN
            )


@pytest.mark.parametrize("channel", ["web", "voice"])
def test_the_gateways_channels_need_the_channel_token(rasa, channel):
    url = f"{rasa}/webhooks/{channel}/webhook"
    assert post(url) == 401
    assert post(url, "guess") == 401
    assert post(url, CHANNEL_TOKEN) == 200


def test_the_rest_webhook_needs_its_own_token(rasa):
    url = f"{rasa}/webhooks/rest/webhook"
    assert post(url) == 401
    assert post(url, CHANNEL_TOKEN) == 401
    assert post(url, "rest-token-for-this-test") == 200


def test_the_history_needs_the_token_too(rasa):
    url = f"{rasa}/webhooks/web/history?sender=serve-test"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=30)
    assert refused.value.code == 401
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {CHANNEL_TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        said = json.load(answer)
    assert [m["from"] for m in said][:2] == ["customer", "bot"] and said[0]["text"] == "你好"


def test_socket_io_where_a_client_picks_its_session_id_is_not_served(rasa):
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{rasa}/socket.io/?EIO=4&transport=polling", timeout=30)
    assert missing.value.code == 404
