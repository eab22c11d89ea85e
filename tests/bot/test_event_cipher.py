"""bot.event_cipher: conversation events encrypted at rest, with keys that can be rotated."""

import json
import stat
import threading

import pytest
from cryptography.fernet import Fernet

from bot.event_cipher import KEY_ENV, EventCipher, EventCipherError

EVENT = json.dumps({"event": "user", "text": "我的手机号是13800138000，验证码730512"}, ensure_ascii=False)


def test_an_event_is_stored_unreadable_and_read_back_whole():
    cipher = EventCipher([Fernet.generate_key()])
    stored = cipher.encrypt(EVENT)
    assert not EventCipher.is_clear(stored)
    assert "13800138000" not in stored and "730512" not in stored and "user" not in stored
    assert cipher.decrypt(stored) == EVENT
    assert cipher.encrypt(EVENT) != stored  # a fresh IV each time: equal messages are not seen as equal


def test_events_stored_before_encryption_was_on_are_read_as_they_are():
    cipher = EventCipher([Fernet.generate_key()])
    assert EventCipher.is_clear(EVENT)
    assert cipher.decrypt(EVENT) == EVENT


def test_another_key_or_a_changed_row_is_refused_not_misread():
    stored = EventCipher([Fernet.generate_key()]).encrypt(EVENT)
    with pytest.raises(EventCipherError, match=KEY_ENV):
        EventCipher([Fernet.generate_key()]).decrypt(stored)
    cipher = EventCipher([Fernet.generate_key()])
    token = cipher.encrypt(EVENT)
    changed = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    with pytest.raises(EventCipherError):
        cipher.decrypt(changed)


def test_a_key_is_rotated_by_naming_the_new_one_first():
    old, new = Fernet.generate_key(), Fernet.generate_key()
    stored_with_old = EventCipher([old]).encrypt(EVENT)
    rotating = EventCipher([new, old])
    assert rotating.decrypt(stored_with_old) == EVENT
    rewritten = rotating.reencrypt(stored_with_old)
    assert EventCipher([new]).decrypt(rewritten) == EVENT  # the old key can then be dropped
    assert EventCipher([new]).decrypt(rotating.reencrypt(EVENT)) == EVENT  # a clear row gets encrypted
    with pytest.raises(EventCipherError):
        EventCipher([old]).decrypt(rewritten)


def test_keys_come_from_the_environment_comma_separated(tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = EventCipher([old]).encrypt(EVENT)
    cipher = EventCipher.from_env({KEY_ENV: f" {new} , {old} "}, tmp_path / "unused.key")
    assert cipher.decrypt(stored) == EVENT
    assert EventCipher([new]).decrypt(cipher.encrypt(EVENT)) == EVENT
    assert not (tmp_path / "unused.key").exists()


@pytest.mark.parametrize("value", ["not-a-key", "c2hvcnQ=", ","])
def test_a_bad_key_in_the_environment_is_named(value, tmp_path):
    with pytest.raises(EventCipherError, match=KEY_ENV):
        EventCipher.from_env({KEY_ENV: value}, tmp_path / "unused.key")


def test_without_the_variable_a_key_file_is_made_once_readable_by_its_owner_only(tmp_path):
    key_file = tmp_path / "var" / "tracker.key"
    stored = EventCipher.from_env({}, key_file).encrypt(EVENT)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert EventCipher.from_env({}, key_file).decrypt(stored) == EVENT  # the same key the next time
    assert [p.name for p in key_file.parent.iterdir()] == ["tracker.key"]  # no draft left behind


def test_processes_starting_together_end_up_with_one_key(tmp_path):
    key_file = tmp_path / "tracker.key"
    ciphers: list[EventCipher] = []
    start = threading.Barrier(8)

    def load() -> None:
        start.wait()
        ciphers.append(EventCipher.from_env({}, key_file))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = ciphers[0].encrypt(EVENT)
    assert all(cipher.decrypt(stored) == EVENT for cipher in ciphers)
