"""The console's FAQs, intents and wording over HTTP, as create_app serves them: who may see and
change them, saves written to the workspace's copy of the sources, and each refusal (400 naming
the field, 404, 409 on a stale etag, 422 with the problems, 423 while publishing)."""

from html.parser import HTMLParser

import pytest
from aiohttp.test_utils import TestClient

from bot.editing import audit
from bot.editing.workspace import FAQ_FILE
from nlu import faq_source
from tests.voice.console import seed
from tests.voice.console.served import serve
from tests.voice.desk.test_auth import csrf_of

HTML = {"Accept": "text/html,application/xhtml+xml"}
API = "/staff/console/api"
PAGES = ["/staff/console/faqs", "/staff/console/intents", "/staff/console/wording"]
READS = [
    f"{API}/faqs",
    f"{API}/faqs?q=白条",
    f"{API}/faqs/diff",
    f"{API}/faqs/baitiao_intro",
    f"{API}/intents",
    f"{API}/intents/check_balance/examples",
    f"{API}/wording",
    f"{API}/wording/utter_greet",
]
CHANGES = [
    ("POST", f"{API}/faqs"),
    ("PUT", f"{API}/faqs/baitiao_intro"),
    ("PUT", f"{API}/faqs/baitiao_intro/enabled"),
    ("POST", f"{API}/intents/check_balance/examples"),
    ("PUT", f"{API}/intents/check_balance/examples"),
    ("DELETE", f"{API}/intents/check_balance/examples"),
    ("PUT", f"{API}/wording/utter_greet"),
]
NEW_FAQ = {
    "id": "card_mail_time",
    "category": "银行卡与支付",
    "questions": ["新卡寄出来要多久", "补的卡几天能收到", "新卡什么时候寄到", "邮寄的银行卡多久到", "卡寄出后多久到手"],
    "answer": "新卡一般在5–7个工作日内寄达。",
    "answer_voice": "新卡一般五到七个工作日寄到。",
    "enabled": True,
}


@pytest.fixture(scope="module")
def tracker_url(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("content") / "tracker.db"
    seed.save(str(path))
    return f"sqlite:///{path}"


def run(staff, tracker_url, workspace, test, user="zhou"):
    serve(staff, tracker_url, test, workspace=workspace, user=user)


class Client:
    """Requests as the page sends them: JSON, with the session's CSRF token."""

    def __init__(self, client: TestClient, csrf: str) -> None:
        self.client, self.csrf = client, csrf

    async def get(self, path):
        answer = await self.client.get(path)
        return answer.status, await answer.json()

    async def send(self, method, path, body=None, data=None):
        headers = {"X-CSRF-Token": self.csrf}
        if data is not None:
            answer = await self.client.request(method, path, data=data, headers=headers)
        else:
            answer = await self.client.request(method, path, json=body or {}, headers=headers)
        return answer.status, await answer.json()


async def signed(client) -> Client:
    return Client(client, await csrf_of(client))


# ----------------------------------------------------------------------------- who may see it


def test_an_agent_gets_403_and_changes_nothing(staff, tracker_url, workspace):
    before = workspace.read(FAQ_FILE).text

    async def test(client):
        for path in PAGES:
            answer = await client.get(path, headers=HTML)
            assert answer.status == 403 and "无权访问" in await answer.text(), path
        for path in READS:
            assert (await client.get(path)).status == 403, path
        csrf = await csrf_of(client)
        for method, path in CHANGES:
            answer = await client.request(method, path, json={}, headers={"X-CSRF-Token": csrf})
            assert answer.status == 403, (method, path)

    run(staff, tracker_url, workspace, test, user="wang")
    assert workspace.read(FAQ_FILE).text == before


def test_without_signing_in_pages_go_to_the_login_and_the_api_answers_401(staff, tracker_url, workspace):
    async def test(client):
        answer = await client.get("/staff/console/faqs", headers=HTML, allow_redirects=False)
        assert answer.status == 302 and answer.headers["Location"].startswith("/staff/login?next=")
        for path in READS:
            assert (await client.get(path)).status == 401, path
        for method, path in CHANGES:
            assert (await client.request(method, path, json={})).status == 401, (method, path)

    run(staff, tracker_url, workspace, test, user=None)


class Labelled(HTMLParser):
    """Controls without a label, and links to the page's own script and styles."""

    def __init__(self):
        super().__init__()
        self.labels, self.controls, self.assets, self.nav = set(), [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        if tag in ("input", "textarea", "select") and attrs.get("type") not in ("hidden", "submit"):
            self.controls.append(attrs.get("id"))
        if tag == "script":
            self.assets.append(attrs.get("src"))
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.assets.append(attrs.get("href"))
        if tag == "nav" and attrs.get("id") == "console-nav":
            self.nav = True  # console.js fills it, the page's own link marked current


@pytest.mark.parametrize("user", ["zhou", "boss"])
def test_editors_and_admins_open_the_pages_every_control_labelled(staff, tracker_url, workspace, user):
    async def test(client):
        for path in PAGES:
            answer = await client.get(path, headers=HTML)
            assert answer.status == 200 and answer.headers["Cache-Control"] == "no-store", path
            assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
            page = Labelled()
            page.feed(await answer.text())
            assert page.nav, path
            assert [c for c in page.controls if c not in page.labels] == [], path
            for asset in page.assets:
                assert (await client.get(asset)).status == 200, asset
        for path in READS:
            answer = await client.get(path)
            assert answer.status == 200 and answer.headers["Cache-Control"] == "no-store", path

    run(staff, tracker_url, workspace, test, user=user)


def test_a_change_without_the_csrf_token_is_refused(staff, tracker_url, workspace):
    async def test(client):
        answer = await client.put(f"{API}/faqs/baitiao_intro/enabled", json={"etag": "x", "enabled": False})
        assert answer.status == 403

    run(staff, tracker_url, workspace, test)
    assert faq_source.load(workspace.faq_file)[0].enabled is True


# ----------------------------------------------------------------------------- FAQs


def test_faqs_are_listed_searched_edited_switched_off_and_shown_unpublished(staff, tracker_url, workspace):
    async def test(client):
        api = await signed(client)
        status, listing = await api.get(f"{API}/faqs?q=我妈问我白条")
        assert status == 200 and [f["id"] for f in listing["faqs"]] == ["baitiao_intro"]
        assert listing["limits"] == {"min_questions": 5, "max_voice_chars": 80}
        status, one = await api.get(f"{API}/faqs/baitiao_intro")
        faq = {**one["faq"], "answer": "白条是先消费、后付款的信用支付服务。", "etag": one["etag"]}
        status, saved = await api.send("PUT", f"{API}/faqs/baitiao_intro", faq)
        assert status == 200 and saved["faq"]["answer"] == faq["answer"]
        assert "发布" in saved["notice"] and saved["etag"] != one["etag"]
        status, off = await api.send(
            "PUT", f"{API}/faqs/baitiao_intro/enabled", {"etag": saved["etag"], "enabled": False}
        )
        assert status == 200 and off["faq"]["enabled"] is False
        status, added = await api.send("POST", f"{API}/faqs", {**NEW_FAQ, "etag": off["etag"]})
        assert status == 201 and added["faq"]["id"] == "card_mail_time"
        status, one = await api.get(f"{API}/faqs/baitiao_intro")
        assert [(h["staff"], h["action"]) for h in one["history"]] == [("zhou", "faq.disable"), ("zhou", "faq.save")]
        status, diff = await api.get(f"{API}/faqs/diff")
        assert status == 200 and diff == {"published": False, "changes": []}

    run(staff, tracker_url, workspace, test)
    saved = {f.id: f for f in faq_source.load(workspace.faq_file)}
    assert saved["baitiao_intro"].answer == "白条是先消费、后付款的信用支付服务。"
    assert saved["baitiao_intro"].enabled is False and "card_mail_time" in saved
    assert [e.action for e in audit.entries(workspace)] == ["faq.add", "faq.disable", "faq.save"]


def test_faq_refusals(staff, tracker_url, workspace):
    before = workspace.read(FAQ_FILE)

    async def test(client):
        api = await signed(client)
        _, one = await api.get(f"{API}/faqs/baitiao_intro")
        good = {**one["faq"], "etag": one["etag"]}
        # 422: each problem with its field, in Chinese; nothing written
        status, refused = await api.send(
            "PUT",
            f"{API}/faqs/baitiao_intro",
            {**good, "questions": good["questions"][:2], "answer_voice": "详见www.x.cn"},
        )
        assert status == 422 and refused["error"] == "rejected"
        assert {p["field"] for p in refused["problems"]} == {"questions", "answer_voice"}
        assert any("至少需要 5 个" in p["message"] for p in refused["problems"])
        # 400 naming the field
        for body, field in [
            ({**good, "questions": "白条是啥"}, "questions"),
            ({**good, "enabled": "yes"}, "enabled"),
            ({k: v for k, v in good.items() if k != "etag"}, "etag"),
            ({k: v for k, v in good.items() if k != "answer"}, "answer"),
            ({**good, "id": "another_id"}, "id"),
        ]:
            status, bad = await api.send("PUT", f"{API}/faqs/baitiao_intro", body)
            assert (status, bad["error"], bad["parameter"]) == (400, "bad_parameter", field), body
        status, bad = await api.send("PUT", f"{API}/faqs/baitiao_intro", data="{not json")
        assert status == 400 and bad["parameter"] is None
        # 404
        status, missing = await api.send("PUT", f"{API}/faqs/no_such_faq", {**good, "id": "no_such_faq"})
        assert status == 404 and "no_such_faq" in missing["problem"]
        assert (await api.get(f"{API}/faqs/no_such_faq"))[0] == 404
        # 409: based on an older file
        status, conflict = await api.send("PUT", f"{API}/faqs/baitiao_intro", {**good, "etag": "0" * 16})
        assert status == 409 and "重新加载" in conflict["problem"]
        # 423 while a publish is training
        with workspace.publish_lock("boss"):
            status, locked = await api.send("PUT", f"{API}/faqs/baitiao_intro", {**good, "answer": "新回答。"})
        assert status == 423 and "正在发布" in locked["problem"]

    run(staff, tracker_url, workspace, test)
    assert workspace.read(FAQ_FILE) == before
    assert audit.entries(workspace) == []


# ----------------------------------------------------------------------------- intents


def test_examples_are_added_edited_removed_and_refused(staff, tracker_url, workspace):
    async def test(client):
        api = await signed(client)
        status, listing = await api.get(f"{API}/intents")
        names = {i["name"]: i for i in listing["intents"]}
        assert names["check_balance"]["title"] == "查询余额" and "faq" not in names
        _, intent = await api.get(f"{API}/intents/check_balance/examples")
        url = f"{API}/intents/check_balance/examples"
        status, added = await api.send("POST", url, {"etag": intent["etag"], "text": "帮我瞅瞅卡里还剩几个钱"})
        assert status == 201 and added["intent"]["examples"][-1] == "帮我瞅瞅卡里还剩几个钱"
        status, edited = await api.send(
            "PUT", url, {"etag": added["etag"], "old": "帮我瞅瞅卡里还剩几个钱", "text": "帮我瞅瞅卡里还剩多少钱"}
        )
        assert status == 200 and "帮我瞅瞅卡里还剩多少钱" in edited["intent"]["examples"]
        status, refused = await api.send("POST", url, {"etag": edited["etag"], "text": "我卡丢了"})
        assert status == 422 and refused["problems"][0]["field"] == "text"
        assert "report_card_loss" in refused["problems"][0]["message"]
        status, removed = await api.send("DELETE", url, {"etag": edited["etag"], "text": "帮我瞅瞅卡里还剩多少钱"})
        assert status == 200 and "帮我瞅瞅卡里还剩多少钱" not in removed["intent"]["examples"]
        status, stale = await api.send("POST", url, {"etag": edited["etag"], "text": "余额给我报一下"})
        assert status == 409
        status, bad = await api.send("POST", url, {"etag": removed["etag"]})
        assert (status, bad["parameter"]) == (400, "text")
        status, missing = await api.send("DELETE", url, {"etag": removed["etag"], "text": "没有这句"})
        assert status == 404
        assert (await api.get(f"{API}/intents/faq/examples"))[0] == 404
        with workspace.publish_lock("boss"):
            status, _ = await api.send("POST", url, {"etag": removed["etag"], "text": "余额给我报一下"})
        assert status == 423
        _, intent = await api.get(f"{API}/intents/check_balance/examples")
        assert [h["action"] for h in intent["history"]] == [
            "intent.remove_example",
            "intent.edit_example",
            "intent.add_example",
        ]

    run(staff, tracker_url, workspace, test)


# ----------------------------------------------------------------------------- wording


def test_wording_is_listed_and_edited_in_place_with_speakability_checked(staff, tracker_url, workspace):
    name = "utter_handoff_offer_callback"

    async def test(client):
        api = await signed(client)
        status, listing = await api.get(f"{API}/wording")
        files = {f["file"]: f for f in listing["files"]}
        [response] = [r for r in files["bot/domain/handoff.yml"]["responses"] if r["name"] == name]
        assert response["has_voice"] is False
        assert response["variants"][0]["buttons"] == [
            {"title": "登记回电", "payload": "/affirm"}, {"title": "不用了", "payload": "/deny"},
        ]  # fmt: skip
        etag = files["bot/domain/handoff.yml"]["etag"]
        status, refused = await api.send(
            "PUT", f"{API}/wording/{name}", {"etag": etag, "variants": [{"index": 0, "text": "需要登记回电吗？"}]}
        )
        assert status == 422 and refused["problems"][0]["field"] == "variants.0"
        assert "{hours}" in refused["problems"][0]["message"]
        status, refused = await api.send(
            "PUT", f"{API}/wording/{name}", {"etag": etag, "new_voice": "需要登记回电吗？每天{hours}，费率0.6%%"}
        )
        assert status == 422 and refused["problems"][0]["field"] == "voice"
        assert "念不出来" in refused["problems"][0]["message"]
        spoken = "现在无法直接接通人工客服。需要为您登记回电吗？服务时间是每天{hours}。"
        status, saved = await api.send("PUT", f"{API}/wording/{name}", {"etag": etag, "new_voice": spoken})
        assert status == 200 and saved["response"]["has_voice"] is True
        assert saved["response"]["variants"][1] == {"text": spoken, "channel": "voice", "buttons": []}
        retitle = {"etag": saved["etag"], "buttons": [{"variant": 0, "index": 1, "title": "暂时不用"}]}
        status, retitled = await api.send("PUT", f"{API}/wording/{name}", retitle)
        assert status == 200
        assert retitled["response"]["variants"][0]["buttons"][1] == {"title": "暂时不用", "payload": "/deny"}
        saved = retitled
        status, refused = await api.send(
            "PUT",
            f"{API}/wording/{name}",
            {"etag": saved["etag"], "buttons": [{"variant": 0, "index": 0, "title": ""}]},
        )
        assert status == 422 and refused["problems"][0]["field"] == "buttons.0.0"
        for buttons in ([{"variant": 0, "index": 5, "title": "x"}], [{"variant": "0", "index": 0, "title": "x"}], {}):
            status, bad = await api.send("PUT", f"{API}/wording/{name}", {"etag": saved["etag"], "buttons": buttons})
            assert (status, bad["parameter"]) == (400, "buttons")
        status, stale = await api.send(
            "PUT", f"{API}/wording/{name}", {"etag": etag, "variants": [{"index": 0, "text": "需要{hours}"}]}
        )
        assert status == 409
        for body, field in [({"etag": etag, "variants": [{"index": "0", "text": "x"}]}, "variants"), ({}, "etag")]:
            status, bad = await api.send("PUT", f"{API}/wording/{name}", body)
            assert (status, bad["parameter"]) == (400, field)
        status, bad = await api.send(
            "PUT", f"{API}/wording/{name}", {"etag": saved["etag"], "variants": [{"index": 9, "text": "x"}]}
        )
        assert (status, bad["parameter"]) == (400, "variants")
        assert (await api.get(f"{API}/wording/utter_nothing"))[0] == 404
        status, one = await api.get(f"{API}/wording/{name}")
        assert [h["action"] for h in one["history"]] == ["wording.save", "wording.save"]

    run(staff, tracker_url, workspace, test)
    handoff = (workspace.domain_dir / "handoff.yml").read_text(encoding="utf-8")
    assert "channel: voice" in handoff and '- title: "暂时不用"\n          payload: "/deny"' in handoff
