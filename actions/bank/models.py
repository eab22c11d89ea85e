"""ORM models of the demo bank.

Sign convention for ``Transaction.amount``: from the customer's point of view,
negative is money out or spending, positive is money in or a repayment.
Only card tails ever leave this layer; full numbers stay in the database.
"""

from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import declarative_base, relationship

from actions.bank.clock import now
from actions.bank.coltypes import Money, Rate

Base: Any = declarative_base()  # untyped (SQLAlchemy 1.4 has no type hints); mypy takes Any as a base class

ACTIVE = "active"
FROZEN = "frozen"


class Customer(Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    phone = Column(String(20), nullable=False, unique=True)
    id_number_masked = Column(String(32), nullable=False)
    created_at = Column(DateTime, nullable=False, default=now)

    accounts = relationship("Account", back_populates="customer", order_by="Account.id")
    credit_lines = relationship("CreditLine", back_populates="customer", order_by="CreditLine.id")
    loans = relationship("Loan", back_populates="customer", order_by="Loan.id")
    payees = relationship("Payee", back_populates="customer", order_by="Payee.id")


class Account(Base):
    """A savings account with its debit card."""

    __tablename__ = "accounts"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    kind = Column(String(20), nullable=False, default="savings")
    card_number = Column(String(19), nullable=False, unique=True)
    balance = Column(Money(), nullable=False)
    daily_transfer_limit = Column(Money(), nullable=False)
    status = Column(String(10), nullable=False, default=ACTIVE)
    frozen_reason = Column(String(200))
    frozen_at = Column(DateTime)

    customer = relationship("Customer", back_populates="accounts")
    __table_args__ = (CheckConstraint("status in ('active', 'frozen')", name="ck_account_status"),)


class CreditLine(Base):
    """白条 (``baitiao``) or a credit card (``credit_card``, with a card number)."""

    __tablename__ = "credit_lines"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    product = Column(String(20), nullable=False)
    credit_limit = Column(Money(), nullable=False)
    available = Column(Money(), nullable=False)
    card_number = Column(String(19), unique=True)
    status = Column(String(10), nullable=False, default=ACTIVE)
    frozen_reason = Column(String(200))
    frozen_at = Column(DateTime)
    opened_on = Column(Date, nullable=False)

    customer = relationship("Customer", back_populates="credit_lines")
    bills = relationship("Bill", back_populates="credit_line", order_by="Bill.statement_date")
    __table_args__ = (
        CheckConstraint("product in ('baitiao', 'credit_card')", name="ck_credit_product"),
        CheckConstraint("status in ('active', 'frozen')", name="ck_credit_status"),
    )


class Bill(Base):
    """A statement. ``status``: unpaid, partially_paid, paid, overdue, installment."""

    __tablename__ = "bills"
    id = Column(Integer, primary_key=True)
    credit_line_id = Column(ForeignKey("credit_lines.id"), nullable=False, index=True)
    statement_date = Column(Date, nullable=False)
    due_date = Column(Date, nullable=False)
    amount_due = Column(Money(), nullable=False)
    minimum_due = Column(Money(), nullable=False)
    paid_amount = Column(Money(), nullable=False, default=0)
    status = Column(String(20), nullable=False, default="unpaid")

    credit_line = relationship("CreditLine", back_populates="bills")
    installment_plan = relationship("InstallmentPlan", back_populates="bill", uselist=False)


class InstallmentPlan(Base):
    """A bill turned into ``count`` equal periods; the last period absorbs rounding."""

    __tablename__ = "installment_plans"
    id = Column(Integer, primary_key=True)
    bill_id = Column(ForeignKey("bills.id"), nullable=False, unique=True)
    count = Column(Integer, nullable=False)
    principal = Column(Money(), nullable=False)
    fee_rate = Column(Rate(), nullable=False)
    per_period_amount = Column(Money(), nullable=False)
    total_fee = Column(Money(), nullable=False)
    created_at = Column(DateTime, nullable=False, default=now)

    bill = relationship("Bill", back_populates="installment_plan")


class Loan(Base):
    """A 金条 (``jintiao``) cash loan. ``status``: active, overdue, closed."""

    __tablename__ = "loans"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    product = Column(String(20), nullable=False, default="jintiao")
    principal = Column(Money(), nullable=False)
    outstanding = Column(Money(), nullable=False)
    term_months = Column(Integer, nullable=False)
    annual_rate = Column(Rate(), nullable=False)
    started_on = Column(Date, nullable=False)
    next_due_date = Column(Date)
    next_due_amount = Column(Money())
    status = Column(String(10), nullable=False, default=ACTIVE)

    customer = relationship("Customer", back_populates="loans")


class LoanApplication(Base):
    """``status``: 审核中, 已批准, 已拒绝."""

    __tablename__ = "loan_applications"
    id = Column(Integer, primary_key=True)
    number = Column(String(20), unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    amount = Column(Money(), nullable=False)
    term_months = Column(Integer, nullable=False)
    purpose = Column(String(20), nullable=False)
    status = Column(String(10), nullable=False, default="审核中")
    created_at = Column(DateTime, nullable=False, default=now)


class Transaction(Base):
    __tablename__ = "transactions"
    id = Column(Integer, primary_key=True)
    account_id = Column(ForeignKey("accounts.id"), index=True)
    credit_line_id = Column(ForeignKey("credit_lines.id"), index=True)
    posted_at = Column(DateTime, nullable=False, index=True)
    amount = Column(Money(), nullable=False)
    description = Column(String(100), nullable=False)
    counterparty = Column(String(100))

    account = relationship("Account")
    credit_line = relationship("CreditLine")
    __table_args__ = (CheckConstraint("(account_id IS NULL) <> (credit_line_id IS NULL)", name="ck_transaction_owner"),)


class Payee(Base):
    """A saved recipient; only the tail of their account number is kept."""

    __tablename__ = "payees"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    name = Column(String(50), nullable=False)
    bank = Column(String(50), nullable=False)
    account_tail = Column(String(4), nullable=False)

    customer = relationship("Customer", back_populates="payees")


class Transfer(Base):
    __tablename__ = "transfers"
    id = Column(Integer, primary_key=True)
    number = Column(String(20), unique=True)
    account_id = Column(ForeignKey("accounts.id"), nullable=False, index=True)
    payee_id = Column(ForeignKey("payees.id"), nullable=False)
    amount = Column(Money(), nullable=False)
    created_at = Column(DateTime, nullable=False, index=True)
    status = Column(String(10), nullable=False, default="completed")

    account = relationship("Account")
    payee = relationship("Payee")


class HandoffTicket(Base):
    """A request to hand the conversation to a human agent. ``status``: open, closed."""

    __tablename__ = "handoff_tickets"
    id = Column(Integer, primary_key=True)
    number = Column(String(20), unique=True)
    sender_id = Column(String(100), nullable=False)
    customer_id = Column(ForeignKey("customers.id"))
    priority = Column(String(10), nullable=False, default="normal")
    summary = Column(Text, nullable=False)
    status = Column(String(10), nullable=False, default="open")
    created_at = Column(DateTime, nullable=False, default=now)
    __table_args__ = (CheckConstraint("priority in ('normal', 'urgent')", name="ck_ticket_priority"),)


class CallbackRequest(Base):
    """A customer to be called back by an agent (nobody could take the conversation live)."""

    __tablename__ = "callback_requests"
    id = Column(Integer, primary_key=True)
    ticket_id = Column(ForeignKey("handoff_tickets.id"), nullable=False, unique=True)
    phone = Column(String(20), nullable=False)
    status = Column(String(10), nullable=False, default="pending")
    created_at = Column(DateTime, nullable=False, default=now)


class TicketResolution(Base):
    """How a hand-off ended: given back to the bot or closed by the agent, with the agent's note."""

    __tablename__ = "ticket_resolutions"
    id = Column(Integer, primary_key=True)
    ticket_id = Column(ForeignKey("handoff_tickets.id"), nullable=False, index=True)
    agent = Column(String(64), nullable=False)
    how = Column(String(12), nullable=False)
    note = Column(Text, nullable=False, default="")
    at = Column(DateTime, nullable=False, default=now)
    __table_args__ = (CheckConstraint("how in ('given_back', 'closed')", name="ck_resolution_how"),)


class OtpCode(Base):
    """A one-time code, kept only as a salted hash: the code itself exists only in the message sent."""

    __tablename__ = "otp_codes"
    id = Column(Integer, primary_key=True)
    phone = Column(String(20), nullable=False, index=True)
    sender_id = Column(String(100), nullable=False)
    salt = Column(String(32), nullable=False)
    code_hash = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=now, index=True)
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime)


class OtpFailure(Base):
    """A wrong code entered for a phone, in any conversation: the phone's budget of guesses."""

    __tablename__ = "otp_failures"
    id = Column(Integer, primary_key=True)
    phone = Column(String(20), nullable=False, index=True)
    sender_id = Column(String(100), nullable=False)
    at = Column(DateTime, nullable=False, default=now, index=True)


class VerificationRequest(Base):
    """One verification step (a phone given, a code entered) of one customer message, by ``key``: a
    replay of the message finds it and does what the first call did, no more (services.identity).

    ``key`` is a hash, so the table holds no phone number. A phone step points at the code it issued
    and says when the SMS gateway took it; a code step keeps whether the code was right."""

    __tablename__ = "verification_requests"
    id = Column(Integer, primary_key=True)
    key = Column(String(64), nullable=False, unique=True)
    code_id = Column(ForeignKey("otp_codes.id"))
    sent_at = Column(DateTime)
    verified = Column(Boolean)
    created_at = Column(DateTime, nullable=False, default=now)


class SmsOutboxMessage(Base):
    """The demo's phone: text messages the demo SMS sender would have delivered (``make outbox``)."""

    __tablename__ = "sms_outbox"
    id = Column(Integer, primary_key=True)
    phone = Column(String(20), nullable=False, index=True)
    text = Column(Text, nullable=False)
    conversation = Column(String(100))
    created_at = Column(DateTime, nullable=False, default=now)


class MoneyMovement(Base):
    """One confirmed change per idempotency key; a repeat of the key gets ``receipt`` back instead.

    The unique key decides between concurrent duplicates: the second insert fails and its whole
    transaction (debit included) is rolled back."""

    __tablename__ = "money_movements"
    id = Column(Integer, primary_key=True)
    key = Column(String(100), nullable=False, unique=True)
    kind = Column(String(20), nullable=False)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=now)
    receipt = Column(Text)


class AuditLog(Base):
    """One row per state change; ``detail`` is JSON with amounts as strings and cards as tails."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=now, index=True)
    sender_id = Column(String(100))
    customer_id = Column(ForeignKey("customers.id"))
    action = Column(String(50), nullable=False)
    detail = Column(Text, nullable=False, default="{}")
