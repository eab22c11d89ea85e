"""Staff-owned FAQ: the source of truth (bot/faq/faqs.yml), spreadsheet import/export,
validation, reload into the running server, and evaluation. The FAQ components of the NLU
(nlu/faq_selector.py, nlu/intent_blender.py) read the source when the model is trained.

    python -m bot.faq validate|import FILE|export FILE|snapshot|reload|eval FAQ QUERIES
"""
