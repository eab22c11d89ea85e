"""The console's query parameters, checked: the review's filters and the analytics' period and dates,
or ``BadParameter`` naming the parameter and what was wrong (the API answers 400 with both)."""

import re
from typing import Dict, Optional, Tuple

from multidict import MultiMapping

from bot.review import Filters, parse_filters
from bot.review.analytics import PERIODS
from bot.review.search import NAMES as FILTERS

NAME = re.compile(r"[A-Za-z0-9_./-]{1,80}")  # an intent or FAQ id
DATES = ("since", "until")
ANALYTICS = ("period", *DATES)


class BadParameter(ValueError):
    def __init__(self, parameter: Optional[str], problem: str) -> None:
        super().__init__(problem)
        self.parameter = parameter
        self.problem = problem

    def as_dict(self) -> dict:
        return {"error": "bad_parameter", "parameter": self.parameter, "problem": self.problem}


def review_filters(query: MultiMapping[str]) -> Filters:
    given = _given(query, FILTERS)
    for name in ("intent", "faq"):
        if name in given and not NAME.fullmatch(given[name]):
            raise BadParameter(name, f"'{name}' must be a name of letters, digits and _ . / - (at most 80)")
    return _filters(given)


def analytics_query(query: MultiMapping[str]) -> Tuple[str, Filters]:
    """The period ("day" unless given) and the dates."""
    given = _given(query, ANALYTICS)
    period = given.pop("period", "day")
    if period not in PERIODS:
        raise BadParameter("period", f"'period' must be one of {', '.join(PERIODS)}")
    return period, _filters(given)


def _given(query: MultiMapping[str], allowed: Tuple[str, ...]) -> Dict[str, str]:
    """Each allowed parameter given once with a value; an unknown or repeated one is refused."""
    given: Dict[str, str] = {}
    for name in query:
        if name not in allowed:
            raise BadParameter(name, f"'{name}' is not a parameter here; expected {', '.join(allowed)}")
        values = query.getall(name)
        if len(values) > 1:
            raise BadParameter(name, f"'{name}' given {len(values)} times")
        if values[0].strip():
            given[name] = values[0].strip()
    return given


def _filters(given: Dict[str, str]) -> Filters:
    try:
        return parse_filters(given)
    except ValueError as exc:
        named = re.search(r"'(\w+)'", str(exc))  # parse_filters quotes the parameter it refuses first
        raise BadParameter(named.group(1) if named else None, str(exc)) from None
