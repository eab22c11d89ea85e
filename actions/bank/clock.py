"""Bank time is the assistant's one clock, `nlu.clock`, which NLU reads for 今天 and 明天 too."""

from nlu.clock import OFFSET_VARIABLE, now, offset_to, today

__all__ = ["OFFSET_VARIABLE", "now", "offset_to", "today"]
