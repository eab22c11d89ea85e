import pytest
import spacy

from nlu import spacy_zh


@pytest.fixture(scope="module")
def pipeline_dir(tmp_path_factory):
    return spacy_zh.build(tmp_path_factory.mktemp("spacy_zh"))


def test_built_pipeline_loads_and_keeps_finance_words(pipeline_dir):
    nlp = spacy.load(pipeline_dir)
    tokens = [t.text for t in nlp("我想查白条最低还款")]
    assert tokens == ["我", "想", "查", "白条", "最低还款"]


@pytest.mark.parametrize(
    "text, words",
    [
        ("帮我查一下信用卡账单", ["信用卡", "账单"]),
        ("查下交易记录", ["交易记录"]),
        ("我要转人工客服", ["人工客服"]),
        ("还款日是几号", ["还款日"]),
        ("我的储蓄卡被盗刷了", ["储蓄卡", "盗刷"]),
    ],
)
def test_dictionary_words_are_single_tokens(pipeline_dir, text, words):
    tokens = [t.text for t in spacy.load(pipeline_dir)(text)]
    assert set(words) <= set(tokens)


def test_global_jieba_is_left_alone(pipeline_dir):
    import jieba

    spacy.load(pipeline_dir)
    assert jieba.dt.FREQ.get("最低还款") is None
