"""Replies → audio, a sentence at a time, so the first sentence plays while the rest is
being synthesised (time to first audio does not grow with the length of an answer), and
while later sentences are still on their way from the assistant."""

import asyncio
import re
from typing import AsyncIterable, AsyncIterator, List, Optional

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

    async def audio(self, texts: AsyncIterable[str]) -> AsyncIterator[bytes]:
        """Audio of each text in turn (empty audio included, so callers can count sentences).
        The next text is awaited and synthesised while the caller plays this one."""
        source = texts.__aiter__()
        upcoming = asyncio.create_task(self._next(source))
        try:
            while (pcm := await upcoming) is not None:
                upcoming = asyncio.create_task(self._next(source))
                yield pcm
        finally:
            upcoming.cancel()

    async def _next(self, source: AsyncIterator[str]) -> Optional[bytes]:
        try:
            text = await source.__anext__()
        except StopAsyncIteration:
            return None
        return await asyncio.to_thread(self.synthesizer.synthesize, text, self.rate)
