"""Credit cards and 白条: bills, installments, repayment, limit increase eligibility."""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.bank.clock import now as bank_now
from actions.bank.errors import BillNotFound, InvalidInput, NotAllowed
from actions.bank.models import Bill, CreditLine, InstallmentPlan, Transaction
from actions.bank.money import card_tail, cents
from actions.bank.repayment import Debt, amount_to_repay
from actions.bank.services import audit, loans, lookup, movements
from actions.bank.views import (
    PRODUCT_NAMES,
    BillView,
    CreditLineView,
    InstallmentPlanView,
    InstallmentQuote,
    LimitEligibility,
    RepaymentView,
)

ZERO = Decimal("0.00")
# Fee per period as a fraction of the principal, by product and number of periods.
INSTALLMENT_FEE_RATES = {
    "credit_card": {3: Decimal("0.0075"), 6: Decimal("0.0070"), 12: Decimal("0.0066"), 24: Decimal("0.0065")},
    "baitiao": {3: Decimal("0.0060"), 6: Decimal("0.0055"), 12: Decimal("0.0050"), 24: Decimal("0.0050")},
}
MIN_INSTALLMENT_PRINCIPAL = Decimal("500.00")


def credit_lines(session: Session, customer_id: int) -> tuple[CreditLineView, ...]:
    lookup.customer(session, customer_id)
    lines = session.scalars(select(CreditLine).where(CreditLine.customer_id == customer_id).order_by(CreditLine.id))
    return tuple(lookup.credit_line_view(line) for line in lines)


def _latest_bill(session: Session, line: CreditLine) -> Bill:
    bill = session.scalar(
        select(Bill).where(Bill.credit_line_id == line.id).order_by(Bill.statement_date.desc(), Bill.id.desc()).limit(1)
    )
    if bill is None:
        raise BillNotFound(product=PRODUCT_NAMES[line.product])
    return bill


def _bill_view(bill: Bill, line: CreditLine, today: date) -> BillView:
    remaining = bill.amount_due - bill.paid_amount
    overdue_days = (today - bill.due_date).days if remaining > 0 and today > bill.due_date else 0
    status = "overdue" if overdue_days else bill.status
    return BillView(
        id=bill.id,
        product=line.product,
        product_name=PRODUCT_NAMES[line.product],
        card_tail=card_tail(line.card_number) if line.card_number else None,
        statement_date=bill.statement_date,
        due_date=bill.due_date,
        amount_due=bill.amount_due,
        minimum_due=bill.minimum_due,
        paid_amount=bill.paid_amount,
        remaining=remaining,
        remaining_minimum=max(bill.minimum_due - bill.paid_amount, ZERO),
        status=status,
        days_overdue=overdue_days,
    )


def current_bill(session: Session, customer_id: int, product: str, today: date | None = None) -> BillView:
    """The latest statement of ``credit_card`` or ``baitiao``."""
    line = lookup.credit_line(session, customer_id, product)
    return _bill_view(_latest_bill(session, line), line, today or bank_now().date())


def _fee_rate(product: str, count) -> tuple[int, Decimal]:
    rates = INSTALLMENT_FEE_RATES.get(product)
    if rates is None:
        raise InvalidInput("not_installable_product", product=product)
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = None
    if count not in rates:
        raise InvalidInput("invalid_installment_count", product=PRODUCT_NAMES[product], counts=list(rates))
    return count, rates[count]


def _quote(product: str, count: int, rate: Decimal, principal: Decimal) -> InstallmentQuote:
    per_principal = cents(principal / count)
    per_fee = cents(principal * rate)
    last_principal = principal - per_principal * (count - 1)
    return InstallmentQuote(
        product=product,
        count=count,
        principal=principal,
        fee_rate=rate,
        per_period_principal=per_principal,
        per_period_fee=per_fee,
        per_period_amount=per_principal + per_fee,
        last_period_amount=last_principal + per_fee,
        total_fee=per_fee * count,
        total_amount=principal + per_fee * count,
    )


def _installable(session, customer_id, product, today) -> tuple[CreditLine, Bill, BillView]:
    line = lookup.credit_line(session, customer_id, product)
    bill = _latest_bill(session, line)
    view = _bill_view(bill, line, today)
    name = PRODUCT_NAMES[product]
    if view.status == "installment":
        raise NotAllowed("already_installed", product=name)
    if view.status == "overdue":
        raise NotAllowed("bill_overdue", product=name)
    if view.remaining < MIN_INSTALLMENT_PRINCIPAL:
        raise NotAllowed("bill_too_small", product=name, remaining=view.remaining, least=MIN_INSTALLMENT_PRINCIPAL)
    return line, bill, view


def quote_installment(
    session: Session, customer_id: int, product: str, count, today: date | None = None
) -> InstallmentQuote:
    """What splitting the unpaid part of the current bill into ``count`` periods would cost."""
    count, rate = _fee_rate(product, count)
    _, _, view = _installable(session, customer_id, product, today or bank_now().date())
    return _quote(product, count, rate, view.remaining)


def create_installment(
    session: Session,
    customer_id: int,
    product: str,
    count,
    sender_id: str,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> InstallmentPlanView:
    """Split the current bill. Its amount due becomes the first period's payment.

    With an ``idempotency_key``, a repeat of the key returns the first plan (movements.once)."""
    moment = now or bank_now()

    def split() -> InstallmentPlanView:
        return _create_installment(session, customer_id, product, count, sender_id, moment, idempotency_key)

    return movements.once(session, idempotency_key, "installment", customer_id, InstallmentPlanView, split, now=moment)


def _create_installment(
    session: Session,
    customer_id: int,
    product: str,
    count,
    sender_id: str,
    moment: datetime,
    idempotency_key: str | None,
) -> InstallmentPlanView:
    count, rate = _fee_rate(product, count)
    line, bill, view = _installable(session, customer_id, product, moment.date())
    quote = _quote(product, count, rate, view.remaining)
    plan = InstallmentPlan(
        bill=bill,
        count=count,
        principal=quote.principal,
        fee_rate=rate,
        per_period_amount=quote.per_period_amount,
        total_fee=quote.total_fee,
        created_at=moment,
    )
    session.add(plan)
    bill.amount_due = bill.paid_amount + quote.per_period_amount
    bill.minimum_due = bill.amount_due
    bill.status = "installment"
    session.flush()
    audit.record(
        session,
        "create_installment",
        sender_id,
        customer_id,
        at=moment,
        product=product,
        bill_id=bill.id,
        count=count,
        principal=quote.principal,
        per_period_amount=quote.per_period_amount,
        total_fee=quote.total_fee,
        **movements.key_detail(idempotency_key),
    )
    return InstallmentPlanView(plan_id=plan.id, quote=quote, first_due_date=bill.due_date)


def repay_amount(bill: BillView, amount=None, mode: str | None = None) -> Decimal:
    """What repaying ``bill`` with ``amount`` or ``mode`` takes: the rule ``repay`` enforces."""
    debt = Debt(name=f"本期{bill.product_name}账单", owed=bill.remaining, due_now=bill.remaining_minimum)
    return amount_to_repay(debt, amount, mode)


def repay(
    session: Session,
    customer_id: int,
    product: str,
    amount=None,
    mode: str | None = None,
    source_card_tail: str | None = None,
    sender_id: str | None = None,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> RepaymentView:
    """Repay the current ``credit_card``/``baitiao`` bill (or a ``jintiao`` loan) from a debit card.

    Give either ``amount`` or ``mode`` (``"full"`` / ``"minimum"``). With an ``idempotency_key``, a
    repeat of the key returns the first repayment's receipt (movements.once).
    """
    if product == "jintiao":
        return loans.repay_loan(
            session,
            customer_id,
            amount=amount,
            mode=mode,
            source_card_tail=source_card_tail,
            sender_id=sender_id,
            now=now,
            idempotency_key=idempotency_key,
        )
    moment = now or bank_now()

    def move() -> RepaymentView:
        return _repay_bill(
            session, customer_id, product, amount, mode, source_card_tail, sender_id, moment, idempotency_key
        )

    return movements.once(session, idempotency_key, "repay", customer_id, RepaymentView, move, now=moment)


def _repay_bill(
    session: Session,
    customer_id: int,
    product: str,
    amount,
    mode: str | None,
    source_card_tail: str | None,
    sender_id: str | None,
    moment: datetime,
    idempotency_key: str | None,
) -> RepaymentView:
    line = lookup.credit_line(session, customer_id, product)
    bill = _latest_bill(session, line)
    value = repay_amount(_bill_view(bill, line, moment.date()), amount, mode)
    account = lookup.source_account(session, customer_id, source_card_tail)
    lookup.check_can_pay(account, value)

    account.balance -= value
    bill.paid_amount += value
    remaining = bill.amount_due - bill.paid_amount
    if remaining == 0:
        bill.status = "paid"
    elif bill.status == "unpaid":
        bill.status = "partially_paid"
    line.available = min(line.credit_limit, line.available + value)
    source_tail, name = card_tail(account.card_number), PRODUCT_NAMES[product]
    session.add_all(
        [
            Transaction(
                account_id=account.id, posted_at=moment, amount=-value, description=f"{name}还款", counterparty=name
            ),
            Transaction(
                credit_line_id=line.id,
                posted_at=moment,
                amount=value,
                description="还款",
                counterparty=f"储蓄卡尾号{source_tail}",
            ),
        ]
    )
    audit.record(
        session,
        "repay",
        sender_id,
        customer_id,
        at=moment,
        product=product,
        bill_id=bill.id,
        amount=value,
        source_card_tail=source_tail,
        remaining=remaining,
        **movements.key_detail(idempotency_key),
    )
    session.flush()
    return RepaymentView(
        product=product,
        amount=value,
        source_card_tail=source_tail,
        source_balance_after=account.balance,
        remaining=remaining,
        status=bill.status,
    )


def raise_limit_eligibility(
    session: Session, customer_id: int, product: str, today: date | None = None
) -> LimitEligibility:
    """Whether the customer can ask for a higher limit now, and roughly how much."""
    today = today or bank_now().date()
    line = lookup.credit_line(session, customer_id, product)
    reasons = []
    if line.status != "active":
        reasons.append("账户目前处于冻结状态")
    overdue = [b for b in line.bills if b.amount_due > b.paid_amount and today > b.due_date]
    if overdue:
        reasons.append("有逾期未还的账单")
    if (today - line.opened_on).days < 180:
        reasons.append("开通时间不足6个月")
    eligible = not reasons
    suggested = None
    if eligible:
        step = Decimal("1000")
        suggested = ((line.credit_limit * Decimal("1.2")) / step).to_integral_value(ROUND_HALF_UP) * step
        reasons.append("近期用卡和还款记录良好")
    return LimitEligibility(
        product=product,
        eligible=eligible,
        current_limit=line.credit_limit,
        suggested_limit=cents(suggested) if suggested else None,
        reasons=tuple(reasons),
    )
