"""The recognizer stage of one call: each utterance the endpointer cut out becomes one transcript.

It keeps the phrases the recognizer already ended within the current utterance and its running
partial text (the endpointer asks whether those words make a whole turn), and the grammar the
bot's last question wants, applied between utterances. An utterance a grammar heard nothing in
is decoded again without it.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional, Sequence

from voice.asr_text import UNKNOWN, clean_transcript
from voice.stages import GrammarRecognizer, PooledStage, SpeechRecognizer
from voice.stt import Transcript

log = logging.getLogger(__name__)


class CallRecognizer:
    def __init__(self, recognizer: SpeechRecognizer, call_id: str) -> None:
        self.recognizer, self.call_id = recognizer, call_id
        # The call's own decoding thread: its speech never waits behind other calls' work (TTS,
        # records) in the shared pool, and the recognizer is fed from one thread only.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"asr-{call_id}")
        self._heard: List[Transcript] = []  # phrases the recognizer ended within the current utterance
        self._partial = ""  # its latest partial text after those phrases
        self._grammar: Optional[tuple] = None  # phrases the recognizer is restricted to
        self._wanted_grammar: Optional[tuple] = None

    def words_so_far(self) -> str:
        """What the recognizer has of the current utterance; it may lag the audio a little."""
        return " ".join([phrase.text for phrase in self._heard] + [self._partial])

    async def accept(self, pcm: bytes) -> None:
        result = await self._run(self.recognizer.accept, pcm)
        if result is not None and result.final and result.text:  # Vosk ended a phrase on its own
            self._heard.append(result)
            self._partial = ""
        elif result is not None and not result.final:
            self._partial = result.text

    async def finish(self, audio: bytes) -> Transcript:
        """The utterance's transcript (``audio``: all of it, for decoding again without a grammar)."""
        result = joined(self._heard + [await self._run(self.recognizer.finish)])
        self._heard, self._partial = [], ""
        if clean_transcript(result.text) in ("", UNKNOWN) and self._grammar is not None:  # 尾号幺二三四: [unk]
            result = await self._run(self._decode_freely, audio)
        await self._run(self._apply_grammar)
        return result

    async def discard(self) -> None:
        """The endpointer dropped a noise burst: forget what the recognizer heard of it."""
        await self._run(self.recognizer.finish)
        self._heard, self._partial = [], ""

    async def use_grammar(self, phrases: Optional[Sequence[str]]) -> None:
        """For the caller's next answer; None: free recognition."""
        self._wanted_grammar = tuple(phrases) if phrases else None
        await self._run(self._apply_grammar)

    async def close(self) -> None:
        if isinstance(self.recognizer, PooledStage):
            await self._run(self.recognizer.close)
        self._thread.shutdown(wait=False)

    async def _run(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    def _decode_freely(self, audio: bytes) -> Transcript:
        """A grammar found nothing: the caller said something else, so listen again without it."""
        assert isinstance(self.recognizer, GrammarRecognizer)  # only those have a grammar
        self.recognizer.set_grammar(None)
        self._grammar = None
        first = self.recognizer.accept(audio)
        earlier = [first] if first is not None and first.final else []
        return joined(earlier + [self.recognizer.finish()])

    def _apply_grammar(self) -> None:
        """Runs between utterances, in the recognizer's thread."""
        wanted = self._wanted_grammar
        if wanted == self._grammar or not isinstance(self.recognizer, GrammarRecognizer):
            return
        try:
            self.recognizer.set_grammar(list(wanted) if wanted else None)
        except RuntimeError:  # the caller is already speaking again: apply after this utterance
            return
        except ValueError as exc:  # the model does not know these words
            log.warning("call %s: grammar not used: %s", self.call_id, exc)
            self._wanted_grammar = None
            return
        self._grammar = wanted


def joined(parts: List[Transcript]) -> Transcript:
    """One utterance's transcript from the phrases the recognizer returned for it."""
    return Transcript(" ".join(p.text for p in parts if p.text), [w for p in parts for w in p.words], final=True)
