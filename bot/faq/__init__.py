"""Staff-owned FAQ: the source of truth (bot/faq/faqs.yml), spreadsheet import/export,
validation, reload into the running server, and evaluation. The NLU's intent classifier
(nlu/intent_classifier.py) reads the source when the model is trained.

    python -m bot.faq validate|import FILE|export FILE|snapshot|reload|eval FAQ QUERIES
"""
