"""Finders for the entity values of docs/architecture.md, one module per value type.

Every finder takes the normalized text (see `nlu.textnorm`) and returns `Span`s; the
extractor resolves overlaps between them.
"""
