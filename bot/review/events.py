"""Reading single Rasa events (``event.as_dict()``): who spoke, by which channel, understood as what.

Nothing here imports ``actions``: the web console (voice/) reads conversations through this package,
and voice may not depend on the action code, not even indirectly. ``SUBMIT_ACTIONS`` is therefore a
copy of bot/rules.py ``FORMS``; tests/bot/review checks that the two agree.
"""

from collections.abc import Mapping
from typing import Any

FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
LOW_CONFIDENCE = 0.6
SYSTEM_VIA = "system"
VOICE_CHANNEL = "voice"
AGENT_ACTIONS = frozenset({"action_agent_joined"})

# form → the action that answers once the form is complete (bot/rules.py FORMS)
SUBMIT_ACTIONS = {
    "balance_form": "action_show_balance",
    "bill_form": "action_show_bill",
    "transactions_form": "action_show_transactions",
    "credit_limit_form": "action_show_credit_limit",
    "raise_limit_form": "action_raise_credit_limit",
    "loan_status_form": "action_show_loan_status",
    "repay_form": "action_submit_repay",
    "installment_form": "action_submit_installment",
    "transfer_form": "action_submit_transfer",
    "card_loss_form": "action_submit_card_loss",
    "fraud_form": "action_submit_fraud",
    "loan_form": "action_submit_loan",
}


def metadata_of(event: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = event.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def is_customer_message(event: Mapping[str, Any]) -> bool:
    """A message the customer sent (not one the gateway sent for them, like the greeting's /greet)."""
    return event.get("event") == "user" and metadata_of(event).get("via") != SYSTEM_VIA


def channel_of(event: Mapping[str, Any]) -> str:
    """ "call" for a message that came by the voice channel, else "chat"."""
    return "call" if event.get("input_channel") == VOICE_CHANNEL else "chat"


def intent_of(event: Mapping[str, Any]) -> str | None:
    """The intent a customer message was understood as; a retrieval intent ``faq/<id>`` is ``faq``."""
    name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
    return str(name).split("/")[0] if name else None


def confidence_of(event: Mapping[str, Any]) -> float:
    confidence = ((event.get("parse_data") or {}).get("intent") or {}).get("confidence")
    try:
        return float(confidence or 0.0)
    except (TypeError, ValueError):
        return 0.0


def faq_of(event: Mapping[str, Any]) -> str | None:
    """The FAQ id chosen for a customer message understood as ``faq`` (nlu/intent_classifier.py writes
    it as ResponseSelector does: ``response_selector.faq.response.intent_response_key`` = ``faq/<id>``)."""
    parse_data = event.get("parse_data") or {}
    name = str((parse_data.get("intent") or {}).get("name") or "")
    if name.startswith("faq/"):
        return name.split("/", 1)[1] or None
    if name != "faq":
        return None
    response = ((parse_data.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    key = str(response.get("intent_response_key") or "")
    return key.split("/", 1)[1] if key.startswith("faq/") and key != "faq/" else None
