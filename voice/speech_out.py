"""Replies → audio, a sentence at a time, so the first sentence plays while the rest is
being synthesised (time to first audio does not grow with the length of an answer)."""

import asyncio
import re
from typing import AsyncIterator, List

from voice.assistant import Reply
from voice.menu import spoken_options
from voice.speakable import speakable

SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


def sentences(replies: List[Reply]) -> List[str]:
    parts: List[str] = []
    for reply in replies:
        text = speakable(reply.text)
        if reply.buttons:
            joiner = "" if not text or text[-1] in "。！？；!?;" else "。"
            text = f"{text}{joiner}{spoken_options(reply.buttons)}"
        parts.extend(s.strip() for s in SENTENCE_END.split(text) if s.strip())
    return parts


class SpeechOut:
    def __init__(self, synthesizer, sample_rate: int) -> None:
        self.synthesizer, self.rate = synthesizer, sample_rate

    async def audio(self, texts: List[str]) -> AsyncIterator[bytes]:
        """Audio of each text in turn (empty audio included, so callers can count sentences)."""
        rest = list(texts)
        pending = [asyncio.create_task(self._synthesize(rest.pop(0)))] if rest else []
        try:
            while pending:
                pcm = await pending.pop(0)
                if rest:  # synthesise the next sentence while this one plays
                    pending.append(asyncio.create_task(self._synthesize(rest.pop(0))))
                yield pcm
        finally:
            for task in pending:
                task.cancel()

    async def _synthesize(self, text: str) -> bytes:
        return await asyncio.to_thread(self.synthesizer.synthesize, text, self.rate)
