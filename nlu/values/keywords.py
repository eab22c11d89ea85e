"""Keyword entities: account type, repayment mode, loan purpose."""

from __future__ import annotations

import re
from typing import Dict, List, Tuple

from nlu.values.span import Span

ACCOUNT_TYPES: Dict[str, Tuple[str, ...]] = {
    "savings": ("储蓄卡", "借记卡", "银行卡", "工资卡", "储蓄账户", "活期账户"),
    "credit_card": ("信用卡", "贷记卡"),
    "baitiao": ("白条",),
    "jintiao": ("金条",),
}

REPAY_MODES: Dict[str, Tuple[str, ...]] = {
    "full": (
        "全额还款",
        "全部还清",
        "一次性还清",
        "一次还清",
        "全部还",
        "还全部",
        "还全款",
        "全额",
        "全部还款",
        "还清",
        "结清",
        "都还了",
        "全还",
    ),
    "minimum": ("最低还款", "还最低", "最低额", "按最低", "最低的", "最低"),
}

LOAN_PURPOSES: Dict[str, Tuple[str, ...]] = {
    "装修": ("装修", "翻新", "装房子", "家装"),
    "教育": ("教育", "学费", "上学", "读书", "培训", "留学", "考研"),
    "旅游": ("旅游", "旅行", "度假", "出去玩"),
    "医疗": ("医疗", "看病", "住院", "手术", "治病", "医药费", "看医生"),
    "购车": ("购车", "买车", "提车", "车贷"),
    "日常消费": ("日常消费", "日常开销", "日常开支", "生活费", "买东西", "购物", "家用", "消费"),
    "经营周转": ("经营周转", "资金周转", "周转", "做生意", "经营", "进货", "生意"),
}

# Shopping words usually describe a transaction (消费记录, 没买东西), not a loan purpose:
# they count only after a borrowing or purpose cue.
_NEEDS_PURPOSE_CUE = {"消费", "买东西", "购物", "家用"}
_PURPOSE_CUE = re.compile(r"用于|用来|拿来|用作|为了|借|贷")
_NEGATION = ("没", "未", "不")


def _keyword_spans(entity: str, table: Dict[str, Tuple[str, ...]], text: str) -> List[Span]:
    pairs = sorted(((word, value) for value, words in table.items() for word in words), key=lambda pair: -len(pair[0]))
    pattern = re.compile("|".join(re.escape(word) for word, _ in pairs))
    lookup = dict(pairs)
    return [Span(entity, lookup[m.group()], m.start(), m.end()) for m in pattern.finditer(text)]


def find_account_type(text: str) -> List[Span]:
    return _keyword_spans("account_type", ACCOUNT_TYPES, text)


def find_repay_mode(text: str) -> List[Span]:
    """全部/全额/还清 → full, 最低/最低还款 → minimum; 没还清 is no choice at all."""
    spans = _keyword_spans("repay_mode", REPAY_MODES, text)
    return [s for s in spans if not text[: s.start].endswith(_NEGATION)]


def find_loan_purpose(text: str) -> List[Span]:
    spans = []
    for span in _keyword_spans("loan_purpose", LOAN_PURPOSES, text):
        if text[span.start : span.end] in _NEEDS_PURPOSE_CUE and not _PURPOSE_CUE.search(text[: span.start]):
            continue
        spans.append(span)
    return spans
