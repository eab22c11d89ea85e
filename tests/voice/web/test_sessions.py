from voice.web.sessions import SessionCookies, load_key


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_server_issues_long_random_ids_and_recognises_its_own_cookies():
    cookies = SessionCookies(b"k" * 32)
    ids = set()
    for _ in range(50):
        session_id, value = cookies.issue()
        assert cookies.verify(value) == session_id
        ids.add(session_id)
    assert len(ids) == 50
    assert all(len(i) >= 32 for i in ids)  # 24 random bytes, base64: 192 bits


def test_a_client_cannot_choose_or_forge_a_session():
    cookies = SessionCookies(b"k" * 32)
    session_id, value = cookies.issue()
    _, issued, signature = value.rsplit(".", 2)
    assert cookies.verify(session_id) is None  # the id alone, as the tracker store holds it
    assert cookies.verify(f"someone-else.{issued}.{signature}") is None
    assert cookies.verify(f"{session_id}.{int(issued) + 1}.{signature}") is None
    assert cookies.verify(value[:-2] + ("AA" if not value.endswith("AA") else "BB")) is None
    assert cookies.verify(SessionCookies(b"x" * 32).issue(session_id)[1]) is None  # another server's key
    for junk in (None, "", "...", "a.b", "a.b.c.d", "é.1.x"):
        assert cookies.verify(junk) is None


def test_a_session_expires_and_a_visit_renews_it():
    clock = Clock()
    cookies = SessionCookies(b"k" * 32, clock=clock, max_age_s=3600)
    session_id, value = cookies.issue()
    clock.now += 3000
    renewed = cookies.issue(cookies.verify(value))[1]
    clock.now += 3000
    assert cookies.verify(value) is None
    assert cookies.verify(renewed) == session_id


def test_the_key_is_made_once_and_kept_private(tmp_path):
    path = tmp_path / "var" / "web-session.key"
    key = load_key(path)
    assert load_key(path) == key and len(key) == 32
    assert path.stat().st_mode & 0o077 == 0
