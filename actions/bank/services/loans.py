"""金条 cash loans: current loans, applications, repayment."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.bank.clock import now as bank_now
from actions.bank.errors import InvalidAmount, InvalidInput, NotAllowed, ProductNotFound
from actions.bank.models import Loan, LoanApplication, Transaction
from actions.bank.money import card_tail, parse_amount
from actions.bank.repayment import Debt, amount_to_repay
from actions.bank.services import audit, lookup, movements
from actions.bank.views import LoanApplicationView, LoanView, RepaymentView

MIN_LOAN = Decimal("1000.00")
MAX_LOAN = Decimal("200000.00")
LOAN_TERMS = (3, 6, 12, 24, 36)
LOAN_PURPOSES = ("装修", "教育", "旅游", "医疗", "购车", "日常消费", "经营周转")
PENDING = "审核中"


def _loan_view(loan: Loan) -> LoanView:
    return LoanView(
        id=loan.id,
        product=loan.product,
        principal=loan.principal,
        outstanding=loan.outstanding,
        term_months=loan.term_months,
        annual_rate=loan.annual_rate,
        next_due_date=loan.next_due_date,
        next_due_amount=loan.next_due_amount,
        status=loan.status,
    )


def _application_view(app: LoanApplication) -> LoanApplicationView:
    return LoanApplicationView(
        number=app.number,
        amount=app.amount,
        term_months=app.term_months,
        purpose=app.purpose,
        status=app.status,
        created_at=app.created_at,
    )


def loans(session: Session, customer_id: int) -> tuple[LoanView, ...]:
    lookup.customer(session, customer_id)
    rows = session.scalars(select(Loan).where(Loan.customer_id == customer_id).order_by(Loan.id))
    return tuple(_loan_view(loan) for loan in rows)


def loan_applications(session: Session, customer_id: int) -> tuple[LoanApplicationView, ...]:
    """The customer's applications, newest first."""
    lookup.customer(session, customer_id)
    rows = session.scalars(
        select(LoanApplication)
        .where(LoanApplication.customer_id == customer_id)
        .order_by(LoanApplication.created_at.desc(), LoanApplication.id.desc())
    )
    return tuple(_application_view(app) for app in rows)


def _validate_application(amount, term_months, purpose) -> tuple[Decimal, int]:
    value = parse_amount(amount)
    if not MIN_LOAN <= value <= MAX_LOAN:
        raise InvalidAmount("loan_amount_out_of_range", amount=value, least=MIN_LOAN, most=MAX_LOAN)
    try:
        term = int(term_months)
    except (TypeError, ValueError):
        term = None
    if term not in LOAN_TERMS:
        raise InvalidInput("invalid_term", terms=list(LOAN_TERMS))
    if purpose not in LOAN_PURPOSES:
        raise InvalidInput("invalid_purpose", purposes=list(LOAN_PURPOSES))
    return value, term


def apply_loan(
    session: Session,
    customer_id: int,
    amount,
    term_months,
    purpose: str,
    sender_id: str,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> LoanApplicationView:
    """Submit a 金条 application (¥1,000–¥200,000; 3/6/12/24/36 months); status 审核中.

    With an ``idempotency_key``, a repeat of the key returns the first application (movements.once)."""
    moment = now or bank_now()

    def submit() -> LoanApplicationView:
        return _apply_loan(session, customer_id, amount, term_months, purpose, sender_id, moment, idempotency_key)

    return movements.once(session, idempotency_key, "apply_loan", customer_id, LoanApplicationView, submit, now=moment)


def _apply_loan(
    session: Session,
    customer_id: int,
    amount,
    term_months,
    purpose: str,
    sender_id: str,
    moment: datetime,
    idempotency_key: str | None,
) -> LoanApplicationView:
    value, term = _validate_application(amount, term_months, purpose)
    lookup.customer(session, customer_id)
    pending = session.scalar(
        select(LoanApplication)
        .where(LoanApplication.customer_id == customer_id, LoanApplication.status == PENDING)
        .limit(1)
    )
    if pending is not None:
        raise NotAllowed("application_pending", number=pending.number)
    app = LoanApplication(
        customer_id=customer_id, amount=value, term_months=term, purpose=purpose, status=PENDING, created_at=moment
    )
    session.add(app)
    session.flush()
    app.number = f"LA{app.id:06d}"
    audit.record(
        session,
        "apply_loan",
        sender_id,
        customer_id,
        at=moment,
        number=app.number,
        amount=value,
        term_months=term,
        purpose=purpose,
        **movements.key_detail(idempotency_key),
    )
    session.flush()
    return _application_view(app)


def _open_loan(session: Session, customer_id: int) -> Loan:
    lookup.customer(session, customer_id)
    loan = session.scalar(
        select(Loan)
        .where(Loan.customer_id == customer_id, Loan.status != "closed")
        .order_by(Loan.next_due_date, Loan.id)
        .limit(1)
        .with_for_update()
    )
    if loan is None:
        raise ProductNotFound("no_open_loan")
    return loan


def _loan_debt(loan: Loan) -> Debt:
    due_now = min(loan.next_due_amount or Decimal("0.00"), loan.outstanding)
    return Debt(name="金条借款", owed=loan.outstanding, due_now=due_now)


def repay_loan(
    session: Session,
    customer_id: int,
    amount=None,
    mode: str | None = None,
    source_card_tail: str | None = None,
    sender_id: str | None = None,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> RepaymentView:
    """Repay the open 金条 loan from a debit card; ``mode`` full = everything, minimum = this period.

    With an ``idempotency_key``, a repeat of the key returns the first repayment's receipt (movements.once)."""
    moment = now or bank_now()

    def move() -> RepaymentView:
        return _repay_loan(session, customer_id, amount, mode, source_card_tail, sender_id, moment, idempotency_key)

    return movements.once(session, idempotency_key, "repay", customer_id, RepaymentView, move, now=moment)


def _repay_loan(
    session: Session,
    customer_id: int,
    amount,
    mode: str | None,
    source_card_tail: str | None,
    sender_id: str | None,
    moment: datetime,
    idempotency_key: str | None,
) -> RepaymentView:
    loan = _open_loan(session, customer_id)
    value = amount_to_repay(_loan_debt(loan), amount, mode)
    account = lookup.source_account(session, customer_id, source_card_tail)
    lookup.check_can_pay(account, value)

    account.balance -= value
    loan.outstanding -= value
    if loan.outstanding == 0:
        loan.status, loan.next_due_date, loan.next_due_amount = "closed", None, None
    else:
        loan.next_due_amount = min(max(loan.next_due_amount - value, Decimal("0.00")), loan.outstanding)
    tail = card_tail(account.card_number)
    session.add(
        Transaction(account_id=account.id, posted_at=moment, amount=-value, description="金条还款", counterparty="金条")
    )
    audit.record(
        session,
        "repay",
        sender_id,
        customer_id,
        at=moment,
        product="jintiao",
        loan_id=loan.id,
        amount=value,
        source_card_tail=tail,
        remaining=loan.outstanding,
        **movements.key_detail(idempotency_key),
    )
    session.flush()
    return RepaymentView(
        product="jintiao",
        amount=value,
        source_card_tail=tail,
        source_balance_after=account.balance,
        remaining=loan.outstanding,
        status=loan.status,
    )
