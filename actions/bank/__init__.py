"""The bank's data layer: models, sessions, demo data and banking services.

Nothing in this package imports Rasa; the Rasa actions in ``actions/*.py`` call
``actions.bank.services`` inside ``actions.bank.db.session_scope()``.
"""
