import pytest
import yaml

from bot.faq import rasa_data
from nlu import faq_source

ANSWER = "白条开通免费，在App“我的-白条”页面按提示完成实名认证即可申请，额度以审核结果为准。"


def good_entry(faq_id="baitiao_open", questions=None, **fields) -> dict:
    entry = {
        "id": faq_id,
        "category": "白条",
        "questions": questions
        or ["白条怎么开通", "开通白条需要什么条件", "为啥我开不了白条", "白条 在哪里 开通", "想用白条，怎么申请"],
        "answer": ANSWER,
        "answer_voice": "白条开通免费，在App我的白条页面按提示申请即可。",
        "enabled": True,
    }
    entry.update(fields)
    return entry


def second_entry(**fields) -> dict:
    defaults = {
        "questions": ["转账多久能到账", "跨行转账几天到", "钱转出去了对方还没收到", "转账 到账 时间", "转账是实时的吗"],
        "category": "银行卡与支付",
        "answer": "转账一般实时到账，部分跨行转账可能延迟。",
        "answer_voice": "",
    }
    return good_entry("transfer_arrival", **{**defaults, **fields})


@pytest.fixture
def write_yaml(tmp_path):
    def write(items, name="faqs.yml"):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """Source and Rasa's `faq` snapshot redirected into tmp_path, starting from the real source."""
    source = tmp_path / "faqs.yml"
    source.write_text(faq_source.SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(faq_source, "SOURCE", source)
    monkeypatch.setattr(rasa_data, "NLU_FILE", tmp_path / "nlu_faq.yml")
    return tmp_path
