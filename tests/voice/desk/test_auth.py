"""Staff sign-in over HTTP: login and logout, the cookie, CSRF, roles, the accounts pages, and what
reaches the logs; plus `python -m voice.desk add-staff`."""

import asyncio
import logging
from html.parser import HTMLParser
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.voice.desk.test_accounts import CountingHasher, VirtualClock
from voice.desk import __main__ as cli
from voice.desk.accounts import StaffSession, StaffStore
from voice.desk.auth import COOKIE, STATIC, StaffAuth, check_ws_hello, require
from voice.web.server import security_headers

ADMIN_PASSWORD = "admin password 1"
AGENT_PASSWORD = "agent password 1"


@pytest.fixture
def store(tmp_path):
    store = StaffStore(f"sqlite:///{tmp_path / 'staff.db'}", clock=VirtualClock(), hasher=CountingHasher())
    store.add("boss", ADMIN_PASSWORD, "admin", name="赵经理")
    store.add("wang", AGENT_PASSWORD, "agent", name="王敏")
    yield store
    store.engine.dispose()


def run(store: StaffStore, test, **options):
    async def desk(_request, session: StaffSession) -> web.StreamResponse:
        return web.json_response({"desk": session.staff.username})

    async def go():
        app = web.Application(middlewares=[security_headers])
        StaffAuth(store, **options).add_routes(app)
        app.router.add_route("*", "/staff/desk", require("agent")(desk))
        async with TestClient(TestServer(app)) as client:
            await test(client)

    asyncio.run(go())


def origin(client: TestClient) -> dict:
    return {"Origin": f"http://{client.host}:{client.port}"}


async def log_in(client: TestClient, username: str, password: str):
    return await client.post("/staff/login", json={"username": username, "password": password}, headers=origin(client))


async def csrf_of(client: TestClient) -> str:
    return (await (await client.get("/staff/me")).json())["csrf"]


def test_the_login_page_is_served_under_the_sites_headers(store):
    async def test(client):
        page = await client.get("/staff/login")
        assert page.status == 200 and "text/html" in page.headers["Content-Type"]
        assert "员工登录" in await page.text()
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["Cache-Control"] == "no-store"
        for asset in ("login.js", "staff.css", "accounts.js"):
            answer = await client.get(f"/staff/static/{asset}")
            assert answer.status == 200 and answer.headers["X-Frame-Options"] == "DENY", asset

    run(store, test)


def test_each_role_lands_on_its_own_page_after_signing_in(store):
    store.add("zhou", "editor password 1", "editor", name="周编辑")

    async def test(client):
        landing = {}
        for username, password in [("wang", AGENT_PASSWORD), ("zhou", "editor password 1"), ("boss", ADMIN_PASSWORD)]:
            landing[username] = (await (await log_in(client, username, password)).json())["next"]
        assert landing == {"wang": "/staff/desk", "zhou": "/staff/console/review", "boss": "/staff/desk"}

    run(store, test)


def test_a_right_password_signs_in_with_a_cookie_scripts_cannot_read(store):
    async def test(client):
        answer = await log_in(client, "wang", AGENT_PASSWORD)
        assert answer.status == 200 and await answer.json() == {"ok": True, "next": "/staff/desk"}
        cookie = answer.cookies[COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/staff"
        assert not cookie["secure"]
        assert store.session(cookie.value).staff.username == "wang"
        me = await client.get("/staff/me")
        assert me.status == 200 and me.headers["Cache-Control"] == "no-store"
        body = await me.json()
        assert {k: body[k] for k in ("username", "name", "role")} == {
            "username": "wang",
            "name": "王敏",
            "role": "agent",
        }
        assert body["csrf"] == store.session(cookie.value).csrf
        assert await (await client.get("/staff/desk")).json() == {"desk": "wang"}

    run(store, test)


def test_the_cookie_is_secure_when_the_server_says_so(store):
    async def test(client):
        assert (await log_in(client, "wang", AGENT_PASSWORD)).cookies[COOKIE]["secure"]

    run(store, test, secure_cookies=True)


def test_a_wrong_password_or_unknown_name_gets_the_same_answer(store):
    async def test(client):
        for username, password in (("wang", "not the password"), ("nobody", AGENT_PASSWORD)):
            answer = await log_in(client, username, password)
            assert answer.status == 401 and COOKIE not in answer.cookies
            assert await answer.json() == {"error": "wrong", "message": "用户名或密码错误"}

    run(store, test)


def test_five_failures_lock_the_account_with_a_retry_time(store):
    async def test(client):
        statuses = [(await log_in(client, "wang", "guess")).status for _ in range(5)]
        assert statuses == [401, 401, 401, 401, 429]
        answer = await log_in(client, "wang", AGENT_PASSWORD)
        assert answer.status == 429 and answer.headers["Retry-After"] == "900"
        assert await answer.json() == {
            "error": "locked",
            "retry_after": 900,
            "message": "登录失败次数过多，请15分钟后再试",
        }
        store.clock.advance(15 * 60)
        assert (await log_in(client, "wang", AGENT_PASSWORD)).status == 200

    run(store, test)


def test_a_login_from_another_sites_page_is_refused(store):
    async def test(client):
        form = {"username": "wang", "password": AGENT_PASSWORD}
        for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {}):
            answer = await client.post("/staff/login", json=form, headers=headers)
            assert answer.status == 403 and COOKIE not in answer.cookies, headers
        answer = await client.post("/staff/login", json=form, headers={"Origin": "https://bank.example"})
        assert answer.status == 200  # a configured origin (the public one, behind a proxy)

    run(store, test, origins=["https://bank.example"])


def test_a_malformed_login_is_a_bad_request(store):
    async def test(client):
        for body in ("not json", "[]", '{"username": "wang"}', '{"username": 1, "password": "x"}'):
            answer = await client.post("/staff/login", data=body, headers=origin(client))
            assert answer.status == 400, body

    run(store, test)


def test_logout_needs_the_csrf_token_and_ends_the_session(store):
    async def test(client):
        token = (await log_in(client, "wang", AGENT_PASSWORD)).cookies[COOKIE].value
        csrf = await csrf_of(client)
        for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": csrf + "x"}):
            answer = await client.post("/staff/logout", headers=headers)
            assert answer.status == 403 and await answer.json() == {"error": "csrf"}, headers
        assert store.session(token) is not None
        answer = await client.post("/staff/logout", headers={"X-CSRF-Token": csrf})
        assert answer.status == 200 and answer.cookies[COOKIE].value == ""
        assert store.session(token) is None
        client.session.cookie_jar.update_cookies({COOKIE: token})  # the old cookie, replayed
        assert (await client.get("/staff/me")).status == 401

    run(store, test)


def test_without_a_session_a_page_goes_to_the_login_and_anything_else_gets_401(store):
    async def test(client):
        page = await client.get("/staff/accounts", headers={"Accept": "text/html"}, allow_redirects=False)
        assert page.status == 302 and page.headers["Location"] == "/staff/login?next=/staff/accounts"
        for method, path in (("GET", "/staff/me"), ("GET", "/staff/accounts.json"), ("POST", "/staff/logout")):
            answer = await client.request(method, path)
            assert answer.status == 401 and await answer.json() == {"error": "login_required"}, path

    run(store, test)


def test_an_expired_session_is_signed_out(store):
    async def test(client):
        await log_in(client, "wang", AGENT_PASSWORD)
        store.clock.advance(8 * 3600 + 1)
        assert (await client.get("/staff/me")).status == 401

    run(store, test)


def test_only_an_admin_sees_the_accounts(store):
    async def test(client):
        await log_in(client, "wang", AGENT_PASSWORD)
        for path in ("/staff/accounts", "/staff/accounts.json"):
            answer = await client.get(path)
            assert answer.status == 403 and await answer.json() == {"error": "forbidden"}, path
        page = await client.get("/staff/accounts", headers={"Accept": "text/html"})
        assert page.status == 403 and "无权访问" in await page.text()
        assert (await client.get("/staff/desk")).status == 200

        agents = client.session.cookie_jar.filter_cookies(client.make_url("/staff/"))[COOKIE].value
        await log_in(client, "boss", ADMIN_PASSWORD)
        assert store.session(agents) is None  # signing in again on a browser ends its earlier session
        page = await client.get("/staff/accounts", headers={"Accept": "text/html"})
        assert page.status == 200 and "添加员工" in await page.text()
        listed = await (await client.get("/staff/accounts.json")).json()
        assert listed == {
            "staff": [
                {"username": "boss", "name": "赵经理", "role": "admin"},
                {"username": "wang", "name": "王敏", "role": "agent"},
            ]
        }
        assert (await client.get("/staff/desk")).status == 200  # admins may everything

    run(store, test)


def test_adding_staff_needs_an_admin_and_the_csrf_token(store):
    new = {"username": "li.na", "name": "李娜", "role": "editor", "password": "a new password"}

    async def test(client):
        await log_in(client, "wang", AGENT_PASSWORD)
        answer = await client.post("/staff/accounts", json=new, headers={"X-CSRF-Token": await csrf_of(client)})
        assert answer.status == 403 and await answer.json() == {"error": "forbidden"}

        await log_in(client, "boss", ADMIN_PASSWORD)
        csrf = await csrf_of(client)
        for headers in ({}, {"X-CSRF-Token": "forged"}):
            answer = await client.post("/staff/accounts", json=new, headers=headers)
            assert answer.status == 403 and await answer.json() == {"error": "csrf"}
        assert [s.username for s in store.list_staff()] == ["boss", "wang"]

        answer = await client.post("/staff/accounts", json=new, headers={"X-CSRF-Token": csrf})
        assert answer.status == 201 and await answer.json() == {"username": "li.na", "name": "李娜", "role": "editor"}
        answer = await client.post("/staff/accounts", json=new, headers={"X-CSRF-Token": csrf})
        assert answer.status == 400 and await answer.json() == {"error": "staff li.na already exists", "code": "exists"}
        short = {**new, "username": "zhao", "password": "short"}
        answer = await client.post("/staff/accounts", json=short, headers={"X-CSRF-Token": csrf})
        assert answer.status == 400 and "at least 10 characters" in (await answer.json())["error"]
        answer = await client.post("/staff/accounts", data="{", headers={"X-CSRF-Token": csrf})
        assert answer.status == 400
        assert store.check_login("li.na", "a new password").role == "editor"

    run(store, test)


def test_nothing_secret_reaches_the_logs(store, caplog):
    caplog.set_level(logging.DEBUG)
    new_password = "another secret 9"

    async def test(client):
        await log_in(client, "boss", "a wrong password 1")
        await log_in(client, "boss", ADMIN_PASSWORD)
        token = client.session.cookie_jar.filter_cookies(client.make_url("/staff/"))[COOKIE].value
        csrf = await csrf_of(client)
        new = {"username": "li.na", "name": "李娜", "role": "agent", "password": new_password}
        assert (await client.post("/staff/accounts", json=new, headers={"X-CSRF-Token": csrf})).status == 201
        assert (await client.post("/staff/logout", headers={"X-CSRF-Token": csrf})).status == 200
        secrets.extend([token, csrf])

    secrets = [ADMIN_PASSWORD, "a wrong password 1", new_password]
    run(store, test)
    logged = "\n".join(f"{record.name} {record.getMessage()} {record.args}" for record in caplog.records)
    assert "aiohttp.access" in logged and "POST /staff/logout" in logged  # the access log was captured
    assert "staff login: boss (admin)" in logged and "staff login refused for boss: wrong" in logged
    assert "staff boss added li.na (agent)" in logged and "staff logout: boss" in logged
    assert len(secrets) == 5 and not [secret for secret in secrets if secret in logged]


def test_a_password_typed_as_the_username_is_not_logged(store, caplog):
    caplog.set_level(logging.DEBUG)

    async def test(client):
        await log_in(client, "My Secret Pass!", "")

    run(store, test)
    assert "My Secret Pass!".lower() not in caplog.text.lower()


def test_the_desk_websocket_hello_must_carry_the_sessions_csrf_token(store):
    wang = store.check_login("wang", AGENT_PASSWORD)
    token, csrf = store.start_session(wang)
    session = store.session(token)

    def hello(message) -> bool:
        return asyncio.run(check_ws_hello(session, message))

    assert hello({"type": "hello", "csrf": csrf})
    assert hello(f'{{"type": "hello", "csrf": "{csrf}"}}')
    refused = [
        {"type": "hello", "csrf": csrf[:-1]},
        {"type": "hello", "csrf": "令牌"},
        {"type": "hello", "csrf": None},
        {"type": "hello"},
        {"type": "take", "csrf": csrf},
        [csrf],
        "not json",
        None,
    ]
    assert not [message for message in refused if hello(message)]


class PageCheck(HTMLParser):
    """Inline scripts and styles (the site's CSP blocks them), and form controls without a label."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list = []
        self.labelled: set = set()
        self.controls: set = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs or tag == "style" or "style" in attrs:
            self.problems.append(tag)
        if any(name.startswith("on") for name in attrs):
            self.problems.append(f"{tag} handler attribute")
        if tag == "label":
            self.labelled.add(attrs.get("for"))
        if tag in ("input", "select", "textarea"):
            self.controls.add(attrs.get("id"))


@pytest.mark.parametrize("page", ["login.html", "accounts.html"])
def test_the_pages_run_under_the_csp_and_label_every_control(page):
    check = PageCheck()
    check.feed((STATIC / page).read_text(encoding="utf-8"))
    assert check.problems == []
    assert check.controls and check.controls <= check.labelled


def answers(monkeypatch, *typed: str) -> list:
    asked: list = []
    replies = iter(typed)

    def fake_getpass(prompt=""):
        asked.append(prompt)
        return next(replies)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    return asked


@pytest.fixture
def staff_db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "cli" / "staff.db"
    monkeypatch.setenv("STAFF_DB_URL", f"sqlite:///{path}")
    return path


def test_add_staff_asks_the_password_twice_and_never_shows_it(staff_db, monkeypatch, capsys):
    asked = answers(monkeypatch, "a good password", "a good password")
    assert cli.main(["add-staff", "wang", "agent", "--name", "王敏"]) == 0
    out, err = capsys.readouterr()
    assert out == "staff wang (agent) added\n" and "a good password" not in out + err + "".join(asked)
    assert len(asked) == 2
    store = StaffStore(hasher=CountingHasher())
    assert store.check_login("wang", "a good password").name == "王敏"


def test_add_staff_refuses_passwords_that_differ_or_break_a_rule(staff_db, monkeypatch, capsys):
    answers(monkeypatch, "a good password", "a good passw0rd")
    assert cli.main(["add-staff", "wang", "agent"]) == 1
    assert "passwords differ" in capsys.readouterr().err
    answers(monkeypatch, "short", "short")
    assert cli.main(["add-staff", "wang", "agent"]) == 1
    assert capsys.readouterr().err == "error: password must be at least 10 characters\n"
    assert StaffStore(hasher=CountingHasher()).list_staff() == []


def test_add_staff_checks_the_name_and_role_before_asking_for_a_password(staff_db, monkeypatch, capsys):
    asked = answers(monkeypatch)
    assert cli.main(["add-staff", "wang", "boss"]) == 1
    assert "unknown role 'boss'" in capsys.readouterr().err
    assert cli.main(["add-staff", "W", "agent"]) == 1
    assert "username must be 3-32 characters" in capsys.readouterr().err
    StaffStore(hasher=CountingHasher()).add("wang", "a good password", "agent")
    assert cli.main(["add-staff", "wang", "admin"]) == 1
    assert capsys.readouterr().err == "error: staff wang already exists\n"
    assert asked == []
