"""Staff-owned FAQ: the source of truth (bot/faq/faqs.yml), spreadsheet import/export,
validation, and the Rasa training data generated from it.

    python -m bot.faq validate|import FILE|export FILE|generate|reload|eval FAQ QUERIES
"""
