"""The offline sentence encoder: unit vectors; paraphrases closer than unrelated sentences."""

import numpy as np

from nlu.sentence_encoder import DIMENSIONS, encode


def test_paraphrases_are_closer_than_unrelated_sentences():
    vectors = encode(["银行卡丢了怎么补办", "我的卡不见了要重新办一张", "今天天气怎么样"])
    assert vectors.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1


def test_no_texts_no_rows():
    assert encode([]).shape == (0, DIMENSIONS)
