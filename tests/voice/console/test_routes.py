"""The console over HTTP, as create_app serves it: who may see it, the review's filters, the
transcript (masked), the figures as JSON and CSV, and parameters it refuses."""

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from aiohttp.test_utils import TestClient

from tests.voice.console import seed
from tests.voice.console.served import serve
from voice.console import routes
from voice.desk.accounts import StaffStore

PAGES = ["/staff/console/review", "/staff/console/analytics"]
HOME = "/staff/console"
APIS = [
    "/staff/console/conversations",
    "/staff/console/conversations/voice-bill",
    "/staff/console/analytics.json",
    "/staff/console/analytics.csv?period=week",
]
HTML = {"Accept": "text/html,application/xhtml+xml"}
FIGURES = ("conversations", "containment", "fallback_rate", "handoff_rate", "median_turns")
WEEK = {"since": seed.FIRST_DAY, "until": seed.LAST_DAY}


@pytest.fixture(scope="module")
def tracker_url(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("console") / "tracker.db"
    seed.save(str(path))
    return f"sqlite:///{path}"


def run(staff: StaffStore, tracker_url: str, test, user: str | None = "zhou", conversations: bool = True):
    serve(staff, tracker_url, test, user=user, conversations=conversations)


async def listed(client: TestClient, **query) -> list[str]:
    answer = await client.get("/staff/console/conversations", params=query)
    assert answer.status == 200, await answer.text()
    return [summary["sender_id"] for summary in (await answer.json())["conversations"]]


# ----------------------------------------------------------------------------- who may see it


def test_an_agent_gets_403_on_every_console_page_and_api(staff, tracker_url):
    async def test(client):
        for path in [HOME, *PAGES]:
            answer = await client.get(path, headers=HTML)
            assert answer.status == 403 and "无权访问" in await answer.text(), path
        for path in APIS:
            answer = await client.get(path)
            assert answer.status == 403 and await answer.json() == {"error": "forbidden"}, path

    run(staff, tracker_url, test, user="wang")


@pytest.mark.parametrize("user", ["zhou", "boss"])
def test_editors_and_admins_open_every_console_page_and_api(staff, tracker_url, user):
    async def test(client):
        for path in PAGES:
            answer = await client.get(path, headers=HTML)
            assert answer.status == 200 and "text/html" in answer.headers["Content-Type"], path
            assert "script-src 'self'" in answer.headers["Content-Security-Policy"], path
            assert answer.headers["Cache-Control"] == "no-store", path
        for path in APIS:
            answer = await client.get(path)
            assert answer.status == 200, path
            assert answer.headers["Cache-Control"] == "no-store", path
        home = await client.get(HOME, headers=HTML, allow_redirects=False)
        assert home.status == 302 and home.headers["Location"] == "/staff/console/review"

    run(staff, tracker_url, test, user=user)


def test_without_signing_in_a_page_goes_to_the_login_and_the_api_answers_401(staff, tracker_url):
    async def test(client):
        answer = await client.get("/staff/console/analytics?period=week", headers=HTML, allow_redirects=False)
        assert answer.status == 302
        assert answer.headers["Location"] == "/staff/login?next=/staff/console/analytics?period%3Dweek"
        for path in APIS:
            assert (await client.get(path)).status == 401, path

    run(staff, tracker_url, test, user=None)


def test_the_console_is_there_only_when_the_server_is_given_the_tracker_store(staff, tracker_url):
    async def test(client):
        assert (await client.get("/staff/console/review", headers=HTML)).status == 404
        assert (await client.get("/staff/console/conversations")).status == 404

    run(staff, tracker_url, test, conversations=False)


def test_the_pages_run_only_their_own_scripts_and_styles(staff, tracker_url):
    class Inline(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list = []
            self.assets: list = []

        def handle_starttag(self, tag, attrs):
            named = dict(attrs)
            if tag == "style" or "style" in named or any(name.startswith("on") for name in named):
                self.found.append((tag, attrs))
            if tag == "script":
                self.found += [] if named.get("src") else [(tag, attrs)]
                self.assets.append(named.get("src"))
            if tag == "link" and named.get("rel") == "stylesheet":
                self.assets.append(named["href"])

    async def test(client):
        for path in PAGES:
            page = Inline()
            page.feed(await (await client.get(path, headers=HTML)).text())
            assert page.found == [], path
            for asset in page.assets:
                answer = await client.get(asset)
                assert answer.status == 200 and answer.headers["X-Frame-Options"] == "DENY", asset
        for module in ("console.js", "review.js", "analytics.js"):
            text = await (await client.get(f"/staff/console/static/{module}")).text()
            for imported in re.findall(r'from "\./([\w.]+)"', text):
                assert (await client.get(f"/staff/console/static/{imported}")).status == 200, imported

    run(staff, tracker_url, test)


# ----------------------------------------------------------------------------- review


def test_conversations_are_listed_newest_first_with_their_summaries(staff, tracker_url):
    async def test(client):
        answer = await (await client.get("/staff/console/conversations")).json()
        assert [s["sender_id"] for s in answer["conversations"]] == seed.senders()
        assert answer["total"] == len(seed.CONVERSATIONS)
        bill = next(s for s in answer["conversations"] if s["sender_id"] == "voice-bill")
        assert bill["channel"] == "call" and bill["customer_turns"] == 3 and bill["fallbacks"] == 1
        assert bill["intents"] == ["query_bill"] and bill["forms"] == {"bill_form": "submitted"}
        assert bill["outcome"] == "contained"
        assert answer["intent_titles"]["query_bill"] == "查询账单"  # the pages show intents in Chinese

    run(staff, tracker_url, test)


def test_the_filters_narrow_the_conversations(staff, tracker_url):
    async def test(client):
        assert await listed(client, channel="call") == seed.senders(channel="call")
        assert await listed(client, channel="chat", **WEEK) == seed.senders(channel="chat")
        assert await listed(client, intent="transfer_money") == ["web-transfer"]
        assert await listed(client, intent="faq", channel="call") == ["voice-faq"]
        assert await listed(client, faq="annual_fee") == ["voice-faq", "web-faq"]
        assert await listed(client, fallback="true") == ["web-next-week", "voice-bill", "web-fallback"]
        assert await listed(client, handoff="true") == ["voice-handoff", "web-handoff"]
        assert await listed(client, outcome="callback") == ["web-callback"]
        assert await listed(client, outcome="contained", fallback="false", channel="chat") == [
            "web-transfer",
            "web-faq",
        ]
        assert await listed(client, since="2026-03-03", until="2026-03-03") == [
            "voice-bill",
            "web-handoff",
            "web-fallback",  # 00:30 in China, the day before in UTC
        ]
        assert await listed(client, since="2026-03-12") == []

    run(staff, tracker_url, test)


def test_at_most_the_newest_conversations_are_listed_with_how_many_matched(staff, tracker_url, monkeypatch):
    monkeypatch.setattr(routes, "MAX_LISTED", 2)

    async def test(client):
        answer = await (await client.get("/staff/console/conversations")).json()
        assert [s["sender_id"] for s in answer["conversations"]] == seed.senders()[:2]
        assert (answer["total"], answer["limit"]) == (len(seed.CONVERSATIONS), 2)

    run(staff, tracker_url, test)


def test_a_transcript_shows_what_the_bot_understood_and_masks_personal_numbers(staff, tracker_url):
    async def test(client):
        answer = await client.get("/staff/console/conversations/voice-bill")
        assert answer.status == 200
        body = await answer.json()
        assert body["sender_id"] == "voice-bill" and body["summary"]["outcome"] == "contained"
        customer = [entry for entry in body["entries"] if entry["from"] == "customer"]
        assert [(e["text"], e["intent"], e["confidence"], e["asr_confidence"], e["via"]) for e in customer] == [
            ("查一下账单", "query_bill", 0.9, 0.82, "call"),
            ("*******8000", "inform", 0.97, 0.64, "call"),
            ("嗯", "nlu_fallback", 0.2, 0.41, "call"),
        ]
        assert seed.PHONE not in await answer.text()

        chat = await (await client.get("/staff/console/conversations/web-transfer")).json()
        texts = [entry["text"] for entry in chat["entries"] if entry["from"] == "customer"]
        assert texts == ["我要转账", "*******5678", "******"]  # the phone number and the one-time code
        assert all("asr_confidence" not in entry for entry in chat["entries"])

        handoff = await (await client.get("/staff/console/conversations/web-handoff")).json()
        assert {"from": "agent", "agent": "王敏", "text": "您好，我是王敏。"}.items() <= next(
            e for e in handoff["entries"] if e["from"] == "agent"
        ).items()
        assert "我的卡号是***************0123" in [e["text"] for e in handoff["entries"]]

    run(staff, tracker_url, test)


def test_an_unknown_conversation_is_404(staff, tracker_url):
    async def test(client):
        for sender in ("nobody", "x" * 300):
            answer = await client.get(f"/staff/console/conversations/{sender}")
            assert answer.status == 404 and await answer.json() == {"error": "not_found"}

    run(staff, tracker_url, test)


# ----------------------------------------------------------------------------- analytics


@pytest.mark.parametrize("period", ["day", "week"])
def test_the_figures_per_period_and_channel_are_those_of_the_conversations(staff, tracker_url, period):
    async def test(client):
        answer = await client.get("/staff/console/analytics.json", params={"period": period, **WEEK})
        body = await answer.json()
        assert (body["period"], body["since"], body["until"]) == (period, seed.FIRST_DAY, seed.LAST_DAY)
        shown = {(row["period"], row["channel"]): {k: row[k] for k in FIGURES} for row in body["figures"]}
        assert shown == seed.expected_figures(period)

    run(staff, tracker_url, test)


def test_the_period_is_a_day_unless_asked_and_the_dates_narrow_it(staff, tracker_url):
    async def test(client):
        body = await (await client.get("/staff/console/analytics.json", params={"until": "2026-03-02"})).json()
        assert body["period"] == "day"
        assert [(row["period"], row["channel"], row["conversations"]) for row in body["figures"]] == [
            ("2026-03-02", "chat", 2)
        ]
        week = await (await client.get("/staff/console/analytics.json", params={"period": "week"})).json()
        forms = {(row["period"], row["channel"]): row["forms"] for row in week["figures"]}
        assert forms[("2026-03-02", "chat")] == {
            "balance_form": {"started": 1, "submitted": 0, "cancelled": 0},
            "transfer_form": {"started": 1, "submitted": 1, "cancelled": 0},
        }
        tops = {(row["period"], row["channel"]): row["top_faqs"] for row in week["figures"]}
        assert tops[("2026-03-09", "chat")] == [["cancel_card", 1]]

    run(staff, tracker_url, test)


def test_the_csv_is_a_download_with_a_row_per_period_and_channel(staff, tracker_url):
    async def test(client):
        answer = await client.get("/staff/console/analytics.csv", params={"period": "week", **WEEK})
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert answer.headers["Content-Disposition"] == 'attachment; filename="analytics-week.csv"'
        rows = list(csv.DictReader(io.StringIO(await answer.text())))
        expected = seed.expected_figures("week")
        assert [(row["period"], row["channel"]) for row in rows] == sorted(
            expected, key=lambda key: (key[0], key[1] != "chat")
        )
        for row in rows:
            wanted = expected[(row["period"], row["channel"])]
            assert {name: float(row[name]) for name in FIGURES} == wanted, row
        assert rows[0]["transfer_form submitted"] == "1"

        day = await client.get("/staff/console/analytics.csv")
        assert day.headers["Content-Disposition"] == 'attachment; filename="analytics-day.csv"'

    run(staff, tracker_url, test)


# ----------------------------------------------------------------------------- refused parameters


@pytest.mark.parametrize(
    ("path", "query", "parameter"),
    [
        ("conversations", "since=2026-13-01", "since"),
        ("conversations", "until=yesterday", "until"),
        ("conversations", "since=2026-03-05&until=2026-03-01", "since"),
        ("conversations", "channel=sms", "channel"),
        ("conversations", "outcome=happy", "outcome"),
        ("conversations", "fallback=maybe", "fallback"),
        ("conversations", "handoff=2", "handoff"),
        ("conversations", "intent=%3Cscript%3E", "intent"),
        ("conversations", "faq=" + "a" * 81, "faq"),
        ("conversations", "chanel=call", "chanel"),
        ("conversations", "channel=chat&channel=call", "channel"),
        ("conversations", "period=day", "period"),
        ("analytics.json", "period=month", "period"),
        ("analytics.json", "since=03/01/2026", "since"),
        ("analytics.json", "channel=chat", "channel"),
        ("analytics.csv", "period=year", "period"),
    ],
)
def test_a_bad_parameter_is_a_400_that_names_it(staff, tracker_url, path, query, parameter):
    async def test(client):
        answer = await client.get(f"/staff/console/{path}?{query}")
        assert answer.status == 400
        body = await answer.json()
        assert body["error"] == "bad_parameter" and body["parameter"] == parameter
        assert parameter in body["problem"]

    run(staff, tracker_url, test)
