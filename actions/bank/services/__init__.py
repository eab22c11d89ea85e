"""Banking services: plain functions taking a SQLAlchemy session first.

They never commit (callers use ``actions.bank.db.session_scope``), validate
before changing anything, and raise ``actions.bank.errors.BankError`` for bad
requests. State changes write their AuditLog row in the same transaction.
"""
