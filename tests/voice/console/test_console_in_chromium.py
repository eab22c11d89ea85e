"""The console in headless Chromium, served by the gateway as `make serve` runs it (`python -m voice
serve`) over a tracker store this test filled: an editor signs in, reads the analytics page's figures
per day and per week and finds them equal to the test's own count of the same conversations, then
reviews the calls, narrows them to one intent and reads a transcript with what the bot understood
and the phone number masked. No Rasa: the console reads only the tracker store."""

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.voice.console import seed
from tests.voice.console.in_chromium import EDITOR, console_gateway, fits, sign_in, wait
from tests.voice.web.browser import PHONE, Gateway, set_viewport
from tests.voice.web.conftest import browsers  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300, func_only=True)]
NAV = [
    ("/staff/console/review", "会话回顾"), ("/staff/console/analytics", "服务分析"),
    ("/staff/console/failures", "待改进"), ("/staff/console/faqs", "常见问题"),
    ("/staff/console/intents", "意图例句"), ("/staff/console/wording", "话术"), ("/staff/console/publish", "发布"),
]  # fmt: skip

READ_FIGURES = """
return Array.from(document.querySelectorAll('#figures tr[data-period][data-channel]')).map((tr) => [
  tr.dataset.period, tr.dataset.channel,
  Object.fromEntries(Array.from(tr.querySelectorAll('td[data-figure]')).map((td) => [
    td.dataset.figure, [td.dataset.value, td.textContent],
  ])),
]);
"""
READ_NAV = """
return Array.from(document.querySelectorAll('#console-nav a:not([hidden])')).map((a) => [
  new URL(a.href).pathname, a.textContent, a.getAttribute('aria-current'),
]);
"""
READ_ROWS = "return Array.from(document.querySelectorAll('#result-rows tr')).map((tr) => tr.dataset.id);"
READ_ENTRIES = """
return Array.from(document.querySelectorAll('#transcript li.entry')).map((li) => ({
  from: li.dataset.from,
  text: li.querySelector('.entry-text').textContent,
  nlu: li.querySelector('.entry-nlu') ? li.querySelector('.entry-nlu').textContent : '',
  confidence: li.querySelector('.nlu-confidence') ? li.querySelector('.nlu-confidence').dataset.value : null,
  asr: li.querySelector('.nlu-asr') ? li.querySelector('.nlu-asr').dataset.value : null,
}));
"""


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[Gateway]:
    with console_gateway(tmp_path_factory.mktemp("console_servers"), "console-gateway") as (gateway, _sources):
        yield gateway


def figures_shown(driver, period: str) -> dict:
    wait(
        driver,
        lambda: driver.execute_script(
            "return document.body.dataset.state === 'ready' && document.getElementById('figures').dataset.period"
        ) == period,
        f"the figures per {period}",
    )  # fmt: skip
    return {(p, c): cells for p, c, cells in driver.execute_script(READ_FIGURES)}


def test_an_editor_reads_the_figures_of_the_conversations_and_reviews_a_call(console, browsers):  # noqa: F811
    driver = browsers()
    base = console.url.rstrip("/")
    dates = {"since": seed.FIRST_DAY, "until": seed.LAST_DAY}
    sign_in(driver, f"{base}/staff/console/analytics?{urlencode({'period': 'day', **dates})}")
    _username, name, _password = EDITOR

    for period in ("day", "week"):
        if period == "week":
            driver.find_element(By.CSS_SELECTOR, 'label[for="period-week"]').click()
        shown = figures_shown(driver, period)
        expected = seed.expected_figures(period)
        assert set(shown) == set(expected), period
        for key, figures in expected.items():
            assert {figure: float(shown[key][figure][0]) for figure in figures} == figures, (period, key)
    assert name in driver.find_element(By.ID, "who").text
    assert driver.execute_script(READ_NAV) == [
        [page, title, "page" if page == "/staff/console/analytics" else None] for page, title in NAV
    ]  # the accounts page is an admin's
    week_of_calls = shown[("2026-03-02", "call")]
    assert week_of_calls["containment"][1] == "50.0%" and week_of_calls["fallback_rate"][1] == "20.0%"
    assert driver.find_elements(By.CSS_SELECTOR, '.channel-card[data-channel="call"] svg rect.bar')
    csv = driver.find_element(By.ID, "csv").get_attribute("href")
    assert csv.endswith(f"/staff/console/analytics.csv?{urlencode({'period': 'week', **dates})}")

    driver.get(f"{base}/staff/console/review?{urlencode(dates)}")
    wait(driver, lambda: driver.execute_script(READ_ROWS) == seed.senders(), "every conversation listed")
    assert driver.find_element(By.CSS_SELECTOR, '#console-nav a[aria-current="page"]').text == "会话回顾"
    Select(driver.find_element(By.ID, "channel")).select_by_value("call")
    driver.find_element(By.ID, "search").click()
    wait(driver, lambda: driver.execute_script(READ_ROWS) == seed.senders(channel="call"), "the calls only")
    driver.find_element(By.ID, "intent").send_keys("query_bill")
    driver.find_element(By.ID, "search").click()
    wait(driver, lambda: driver.execute_script(READ_ROWS) == ["voice-bill"], "the call about the bill")

    driver.find_element(By.CSS_SELECTOR, '#result-rows tr[data-id="voice-bill"] button').click()
    wait(
        driver,
        lambda: driver.execute_script("return document.getElementById('transcript-panel').dataset.state") == "ready",
        "the transcript",
    )  # fmt: skip
    customer = [entry for entry in driver.execute_script(READ_ENTRIES) if entry["from"] == "customer"]
    assert [(e["text"], e["confidence"], e["asr"]) for e in customer] == [
        ("查一下账单", "0.9", "0.82"),
        ("*******8000", "0.97", "0.64"),
        ("嗯", "0.2", "0.41"),
    ]
    assert "意图 补充信息（inform）" in customer[1]["nlu"] and "置信度 0.97" in customer[1]["nlu"]
    assert "查询账单" in driver.find_element(By.CSS_SELECTOR, '#result-rows tr[data-id="voice-bill"]').text
    assert "低置信度" in customer[2]["nlu"] and "语音识别置信度 0.41" in customer[2]["nlu"]
    assert seed.PHONE not in driver.find_element(By.TAG_NAME, "body").text
    assert "channel=call" in driver.current_url and "intent=query_bill" in driver.current_url

    set_viewport(driver, PHONE, mobile=True)
    assert fits(driver), "the review page is wider than a phone"
    driver.get(f"{base}/staff/console/analytics?{urlencode({'period': 'day', **dates})}")
    figures_shown(driver, "day")
    assert fits(driver), "the analytics page is wider than a phone"
