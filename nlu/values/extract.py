"""Run all value finders over a normalized text and resolve overlapping matches.

Finders run in tiers. Within a tier the longest match wins (下个月15号 beats 下个月,
最近三个月 beats 三个月); text claimed by a tier is masked for the later tiers, so a
phone number never also yields an amount and 尾号1234 never an amount or a code.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Callable, List, Sequence

from nlu.values import amount, answers, counts, dates, identifiers, keywords, negation, recipient
from nlu.values.span import Span

Finder = Callable[[str], List[Span]]
_MASK = "\x00"


def _tiers(today: date) -> Sequence[Sequence[Finder]]:
    return (
        (
            identifiers.find_phone,
            identifiers.find_card_tail,
            identifiers.find_otp_cued,
            recipient.find_recipient,
            answers.find_ordinal,
        ),
        (amount.find_explicit,),
        (
            partial(dates.find_dates, today=today),
            partial(dates.find_date_ranges, today=today),
            counts.find_installment_count,
            counts.find_term_months,
            amount.find_implicit,
        ),
        (identifiers.find_otp_standalone,),
        (amount.find_in_money_context,),
        (answers.find_number,),
    )


_KEYWORD_FINDERS: Sequence[Finder] = (
    keywords.find_account_type,
    keywords.find_repay_mode,
    keywords.find_loan_purpose,
)


def _resolve(candidates: List[Span], accepted: List[Span]) -> List[Span]:
    chosen: List[Span] = []
    for span in sorted(candidates, key=lambda s: (-(s.end - s.start), s.start)):
        if not any(span.overlaps(other) for other in accepted + chosen):
            chosen.append(span)
    return chosen


def _mask(text: str, spans: List[Span]) -> str:
    chars = list(text)
    for span in spans:
        chars[span.start : span.end] = _MASK * (span.end - span.start)
    return "".join(chars)


def extract_values(text: str, today: date) -> List[Span]:
    """All entity values in `text` (already normalized), ordered by position."""
    accepted: List[Span] = []
    for tier in _tiers(today):
        masked = _mask(text, accepted)
        candidates = [span for finder in tier for span in finder(masked)]
        accepted += _resolve(candidates, accepted)
    keyword_spans = [span for finder in _KEYWORD_FINDERS for span in finder(text)]
    accepted += _resolve(keyword_spans, [])
    return sorted(negation.mark_negated(text, accepted), key=lambda s: (s.start, s.entity))
