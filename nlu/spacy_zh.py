"""The project's spaCy pipeline: blank Chinese + jieba with the finance dictionary.

spaCy serializes only the segmenter name for jieba, not jieba's user dictionary, so the
pipeline config names a tokenizer registered here; `spacy.load(dir)` calls it and the
dictionary is applied on every load. Importing this module registers it; the Rasa
components in `nlu` import it.

Build the pipeline directory:  python -m nlu.spacy_zh build var/spacy_zh
"""

from __future__ import annotations

import argparse
import functools
import logging
from pathlib import Path
from typing import Callable, List, Optional

import jieba
import spacy
from spacy.lang.zh import ChineseTokenizer, Segmenter
from spacy.language import Language

TOKENIZER_NAME = "finance_zh.jieba_tokenizer.v1"
FINANCE_DICT = Path(__file__).with_name("finance_dict.txt")

jieba.setLogLevel(logging.WARNING)


@functools.cache
def finance_jieba(user_dict: str = str(FINANCE_DICT)) -> jieba.Tokenizer:
    """A private jieba instance (the global one stays untouched) with our dictionary."""
    segmenter = jieba.Tokenizer()
    segmenter.load_userdict(user_dict)
    return segmenter


def _create_tokenizer(vocab) -> ChineseTokenizer:
    tokenizer = ChineseTokenizer(vocab, segmenter=Segmenter.jieba)
    tokenizer.jieba_seg = finance_jieba()
    return tokenizer


@spacy.registry.tokenizers(TOKENIZER_NAME)
def create_finance_tokenizer() -> Callable[[Language], ChineseTokenizer]:
    def make(nlp: Language) -> ChineseTokenizer:
        return _create_tokenizer(nlp.vocab)

    return make


def build_pipeline() -> Language:
    """A blank Chinese pipeline whose tokenizer is jieba + the finance dictionary."""
    return spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER_NAME}}})


def build(target: Path) -> Path:
    """Write the pipeline to `target` (no downloads); returns the directory."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    nlp = build_pipeline()
    nlp.meta["name"] = "finance_zh"
    nlp.meta["description"] = "blank zh + jieba with the finance user dictionary"
    nlp.to_disk(target)
    return target


def load(path: Path) -> Language:
    """`spacy.load` with the finance tokenizer guaranteed to be registered."""
    return spacy.load(path)


def segment(text: str, nlp: Optional[Language] = None) -> List[str]:
    """Token texts for `text` (handy for debugging the dictionary)."""
    nlp = nlp or build_pipeline()
    return [token.text for token in nlp(text)]


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m nlu.spacy_zh")
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="write the spaCy pipeline directory")
    build_cmd.add_argument("target", nargs="?", default="var/spacy_zh")
    segment_cmd = commands.add_parser("segment", help="print the segmentation of a text")
    segment_cmd.add_argument("text")
    args = parser.parse_args(argv)
    if args.command == "build":
        print(f"spaCy pipeline written to {build(Path(args.target))}")
    else:
        print(" / ".join(segment(args.text)))


if __name__ == "__main__":
    main()
