"""Staff-owned FAQ: the source of truth (bot/faq/faqs.yml), spreadsheet import/export,
validation, reload into the running server, and evaluation. The entries' schema and the
YAML loader are nlu/faq_source.py: the intent classifier reads the source when the model is
trained, and the NLU imports nothing from bot/.

    python -m bot.faq validate|import FILE|export FILE|snapshot|reload|eval FAQ QUERIES
"""
