import pytest

from voice.dtmf import DtmfCollector


def test_entry_ends_with_hash_and_star_starts_over():
    keys = DtmfCollector(timeout_s=2)
    assert [keys.press(k, t) for t, k in enumerate("12*3456")] == [None] * 7
    assert keys.press("#", 8) == "3456"
    assert keys.press("#", 9) is None, "a lone # is no entry"


def test_entry_ends_after_a_pause():
    keys = DtmfCollector(timeout_s=2)
    keys.press("7", 10.0)
    assert keys.due(11.5) is None and keys.due(12.0) == "7" and keys.due(20.0) is None


def test_one_key_picks_a_menu_option_at_once():
    keys = DtmfCollector(timeout_s=2)
    assert keys.press("2", 0, menu_size=3) == "2"
    assert keys.press("5", 1, menu_size=3) is None, "not an option: wait for more digits"


def test_unknown_keys_are_refused():
    with pytest.raises(ValueError, match="DTMF"):
        DtmfCollector(2).press("x", 0)
