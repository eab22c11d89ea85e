"""Keypad input: digits pressed on a call become one piece of text for the assistant."""

from typing import Optional

KEYS = set("0123456789*#ABCD")


class DtmfCollector:
    """Collects digits until ``#`` or a pause; ``*`` erases what was typed so far.

    A single digit while the bot offers numbered options is complete at once.
    """

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.digits = ""
        self.last_press: Optional[float] = None

    def press(self, key: str, now: float, menu_size: int = 0) -> Optional[str]:
        """Returns the finished entry, if this key finishes one."""
        if key not in KEYS:
            raise ValueError(f"not a DTMF key: {key!r}")
        self.last_press = now
        if key == "#":
            return self._take()
        if key == "*":
            self.digits = ""
            return None
        if key.isdigit():
            self.digits += key
            if menu_size and len(self.digits) == 1 and 1 <= int(key) <= menu_size:
                return self._take()
        return None

    def due(self, now: float) -> Optional[str]:
        """The entry if the caller stopped pressing keys ``timeout_s`` ago."""
        if self.digits and self.last_press is not None and now - self.last_press >= self.timeout_s:
            return self._take()
        return None

    def _take(self) -> Optional[str]:
        entry, self.digits, self.last_press = self.digits, "", None
        return entry or None
