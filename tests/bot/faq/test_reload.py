"""`make faq-reload`: a running server takes a model with a new FAQ without a restart.

A conversation begun before the reload (identity check half done) goes on after it,
and the new FAQ is answered. The second model is trained like `make train` after a staff
edit: the same project, with one FAQ added to the FAQ source. Only the intent classifier
trains again; the rest of the pipeline and the dialogue policies come from Rasa's cache,
which the test checks.
"""

import subprocess
import sys

import pytest
import yaml

from bot import processes, servers
from bot.faq import reload
from nlu import faq_source
from nlu.faq_source import Faq
from tests.bot.test_e2e_rest import latest_code, say

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800, func_only=True)]

TOKEN = "reload-test-token"
NEW_FAQ = Faq(
    id="pay_ecny_wallet",
    category="银行卡与支付",
    questions=(
        "数字人民币钱包能绑你们的卡吗",
        "怎么开通数字人民币",
        "数币钱包可以充值吗",
        "数字人民币和微信支付有啥区别",
        "e-cny 支持吗",
        "数字 人民币 钱包 在哪开",
        "你们支持数字人民币付款吗",
    ),
    answer="支持数字人民币：在App“我的-数字人民币”中开通钱包并绑定本行储蓄卡，即可充钱包和付款。",
    answer_voice="支持数字人民币，在App里开通钱包并绑定储蓄卡就能用。",
)
HELD_OUT_QUESTION = "我想用数字人民币，要怎么开钱包"


FAQ_COMPONENT = "nlu.intent_classifier.IntentClassifier"


def config_reading(faqs) -> dict:
    config = yaml.safe_load((processes.REPO_ROOT / "config.yml").read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"] == FAQ_COMPONENT:
            component["faq_source"] = str(faqs)
    return config


@pytest.fixture(scope="module")
def model_with_new_faq(trained_model, tmp_path_factory):
    """Trained after `trained_model`, so that Rasa's cache holds everything a FAQ edit leaves alone."""
    project = tmp_path_factory.mktemp("project")
    faq_source.dump(faq_source.load() + [NEW_FAQ], project / "faqs.yml")
    (project / "config.yml").write_text(yaml.safe_dump(config_reading(project / "faqs.yml")), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "--config",
            str(project / "config.yml"),
            "--domain",
            str(faq_source.REPO_ROOT / "bot" / "domain"),
            "--data",
            str(faq_source.REPO_ROOT / "bot" / "data"),
            "--out",
            str(project / "models"),
            "--fixed-model-name",
            "with-new-faq",
        ],
        cwd=faq_source.REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    log = result.stdout + result.stderr
    for cached in ("MemoizationPolicy", "RulePolicy"):
        assert f"Restored component '{cached}' from cache." in log
    assert "Finished training component 'IntentClassifier'." in log
    return project / "models" / "with-new-faq.tar.gz"


@pytest.fixture
def server(trained_model, model_with_new_faq, bank_db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    with processes.ProcessGroup() as group:
        yield servers.start_rasa_with_actions(group, trained_model, tmp_path / "endpoints.yml", TOKEN)


def test_reload_keeps_the_conversation_and_answers_the_new_faq(server, model_with_new_faq, bank_db_url, trained_model):
    webhook = f"{server}/webhooks/rest/webhook"
    assert NEW_FAQ.answer not in say(webhook, HELD_OUT_QUESTION, sender="before-only")
    assert "手机号" in say(webhook, "帮我查一下余额", sender="caller")
    assert "验证码" in say(webhook, "13800138000", sender="caller")
    assert reload.loaded_model(server, TOKEN) == trained_model.name
    assert_bad_reloads_are_refused_clearly(server, model_with_new_faq)

    reload.load_model(model_with_new_faq, server, TOKEN)

    assert reload.loaded_model(server, TOKEN) == model_with_new_faq.name
    reply = say(webhook, latest_code(bank_db_url), sender="caller")  # the form started before the reload
    assert "验证成功" in reply and "¥" in reply
    assert NEW_FAQ.answer in say(webhook, HELD_OUT_QUESTION, sender="caller")


def assert_bad_reloads_are_refused_clearly(server, model):
    with pytest.raises(processes.ManageError, match="refused RASA_TOKEN"):
        reload.load_model(model, server, "wrong-token")
    with pytest.raises(processes.ManageError, match="could not load"):
        reload.load_model(model.with_name("missing.tar.gz"), server, TOKEN)
    with pytest.raises(processes.ManageError, match="no Rasa server"):
        reload.load_model(model, f"http://{processes.HOST}:{processes.free_port()}", TOKEN)
    assert reload.loaded_model(server, TOKEN) != model.name
