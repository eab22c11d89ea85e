"""Card safety: freezing a lost or stolen debit or credit card."""

from datetime import datetime

from sqlalchemy.orm import Session

from actions.bank.clock import now as bank_now
from actions.bank.errors import AmbiguousCard, CardAlreadyFrozen, CardNotFound
from actions.bank.money import card_tail, normalize_card_tail
from actions.bank.services import audit, lookup
from actions.bank.views import PRODUCT_NAMES, FreezeResult


def freeze_card(
    session: Session, customer_id: int, tail: str, reason: str, sender_id: str, now: datetime | None = None
) -> FreezeResult:
    """Freeze the card with these last four digits; CardAlreadyFrozen if it already is."""
    moment = now or bank_now()
    tail = normalize_card_tail(tail)
    lookup.customer(session, customer_id)
    cards = [a for a in lookup.savings_accounts(session, customer_id) if card_tail(a.card_number) == tail]
    cards += lookup.credit_cards_with_tail(session, customer_id, tail)
    if not cards:
        raise CardNotFound(card_tail=tail)
    if len(cards) > 1:
        raise AmbiguousCard("card_tail_shared", card_tail=tail)
    card = cards[0]
    kind = getattr(card, "kind", None) or card.product
    if card.status == "frozen":
        raise CardAlreadyFrozen(card_tail=tail, card=PRODUCT_NAMES[kind])
    card.status, card.frozen_reason, card.frozen_at = "frozen", (reason or "客户申请")[:200], moment
    audit.record(
        session, "freeze_card", sender_id, customer_id, at=moment, kind=kind, card_tail=tail, reason=card.frozen_reason
    )
    session.flush()
    return FreezeResult(kind=kind, card_tail=tail, frozen_at=moment)
