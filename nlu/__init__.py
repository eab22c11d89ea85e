"""Custom Chinese NLU components for the assistant (see docs/architecture.md).

The package import stays light, for callers that need one plain module (the bank and
`nlu.clock`, the voice layer and the FAQ tools): importing spaCy pulls in TensorFlow and
takes seconds. The finance tokenizer is registered in
spaCy's registry by `nlu.spacy_zh`, which both Rasa components import, so any Rasa
pipeline listing them can `spacy.load("var/spacy_zh")`. Other callers use
`nlu.spacy_zh.load(path)`.
"""
