"""待改进 in headless Chromium, served by the gateway as `make serve` runs it, over a tracker store this
test filled and a workspace that is a copy of the sources (CONSOLE_ROOT): an editor finds two customers'
fallen-back questions about 白条 in one group with the FAQ suggested, assigns the group, and the
phrasings are in the copy's faqs.yml, waiting for 发布; a message that is already an intent's example
is refused next to it; a message dismissed by mistake is opened again. No Rasa: the page reads the
tracker store and writes the workspace."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from bot.editing.workspace import FAQ_FILE
from tests.voice.console import seed
from tests.voice.console.in_chromium import console_gateway, fits, ready, sign_in, wait
from tests.voice.console.seed import Conversation, Said
from tests.voice.web.browser import PHONE, Gateway, set_viewport
from tests.voice.web.conftest import browsers  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300, func_only=True)]

BAITIAO = ["白条这东西到底咋回事呢", "白条这东西到底是咋回事"]
MORE = [
    Conversation("web-baitiao-1", "2026-03-12 10:00", "chat", [Said(BAITIAO[0], "nlu_fallback", 0.4)]),
    Conversation("web-baitiao-2", "2026-03-12 11:00", "chat", [Said(BAITIAO[1], "nlu_fallback", 0.4)]),
    Conversation("web-taken", "2026-03-12 13:00", "chat", [Said("查余额", "nlu_fallback", 0.4)]),
]
READ_GROUPS = """
return Array.from(document.querySelectorAll('#groups li.failure-group')).map((li) => ({
  id: li.dataset.id,
  texts: Array.from(li.querySelectorAll('li.failed-message .failed-text')).map((p) => p.textContent),
  picked: li.querySelector('select.target-picker').value,
  suggested: (li.querySelector('.suggestion').dataset.target || ''),
}));
"""


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[tuple[Gateway, Path]]:
    directory = tmp_path_factory.mktemp("failures_servers")
    with console_gateway(directory, "failures-gateway", seed.CONVERSATIONS + MORE, sources=True) as served:
        yield served


def texts_shown(driver) -> set[str]:
    return {text for group in driver.execute_script(READ_GROUPS) for text in group["texts"]}


def show(driver, status: str) -> None:
    Select(driver.find_element(By.ID, "status")).select_by_value(status)
    driver.find_element(By.ID, "search").click()
    wait(driver, lambda: ready(driver) and f"status={status}" in driver.current_url, f"the {status} messages")


def questions(root: Path, faq_id: str) -> list[str]:
    faqs = yaml.safe_load((root / FAQ_FILE).read_text("utf-8"))
    return next(faq["questions"] for faq in faqs if faq["id"] == faq_id)


def test_an_editor_assigns_a_group_of_fallen_back_messages_to_an_faq(console, browsers):  # noqa: F811
    gateway, root = console
    driver = browsers()
    base = gateway.url.rstrip("/")
    sign_in(driver, f"{base}/staff/console/failures?since=2026-03-01")
    wait(driver, lambda: driver.current_url.startswith(f"{base}/staff/console/failures") and ready(driver), "groups")

    groups = driver.execute_script(READ_GROUPS)
    [baitiao] = [g for g in groups if set(g["texts"]) & set(BAITIAO)]
    assert sorted(baitiao["texts"]) == sorted(BAITIAO)  # the two customers' words, one group
    assert baitiao["suggested"] == baitiao["picked"] == "faq:baitiao_intro"  # the suggestion preselected
    assert "待改进" in driver.find_element(By.CSS_SELECTOR, 'nav a[aria-current="page"]').text
    note = driver.find_element(By.ID, "publish-note")
    assert "发布" in note.text and note.find_element(By.TAG_NAME, "a").get_attribute("href").endswith(
        "/staff/console/publish"
    )
    item = driver.find_element(By.CSS_SELECTOR, f'li.failure-group[data-id="{baitiao["id"]}"]')
    assert "未理解 2" in item.find_element(By.CSS_SELECTOR, ".group-head .reason-tags").text
    link = item.find_element(By.CSS_SELECTOR, "li.failed-message a").get_attribute("href")
    assert "/staff/console/review?since=2026-03-12&until=2026-03-12&channel=chat" in link

    item.find_element(By.CSS_SELECTOR, "button.assign-group").click()
    wait(driver, lambda: "已把 2 条消息归入" in driver.find_element(By.ID, "action-status").text, "the assignment")
    wait(driver, lambda: ready(driver) and not set(BAITIAO) & texts_shown(driver), "the group gone from the open list")
    assert set(BAITIAO) <= set(questions(root, "baitiao_intro"))
    assert "发布第 1 版后生效" in driver.find_element(By.ID, "action-status").text

    # a message whose words are already an example of check_balance: refused next to it
    taken = driver.find_element(By.XPATH, "//li[contains(@class,'failed-message')][p[.='查余额']]")
    group = taken.find_element(By.XPATH, "ancestor::li[contains(@class,'failure-group')]")
    Select(group.find_element(By.CSS_SELECTOR, "select.target-picker")).select_by_value("faq:baitiao_intro")
    taken.find_element(By.CSS_SELECTOR, "button.assign-one").click()
    wait(driver, lambda: "check_balance" in taken.find_element(By.CSS_SELECTOR, ".problems").text, "the refusal")
    assert "查余额" not in questions(root, "baitiao_intro")

    show(driver, "assigned")
    assigned = driver.find_elements(By.CSS_SELECTOR, "li.failed-message[data-status='assigned']")
    assert sorted(m.find_element(By.CSS_SELECTOR, ".failed-text").text for m in assigned) == sorted(BAITIAO)
    assert all("待发布" in m.find_element(By.CSS_SELECTOR, ".decision").text for m in assigned)

    # dismissed by mistake, and opened again
    show(driver, "open")
    taken = driver.find_element(By.XPATH, "//li[contains(@class,'failed-message')][p[.='查余额']]")
    taken.find_element(By.CSS_SELECTOR, "button.dismiss-one").click()
    wait(driver, lambda: "已忽略 1 条消息" in driver.find_element(By.ID, "action-status").text, "the dismissal")
    wait(driver, lambda: ready(driver) and "查余额" not in texts_shown(driver), "查余额 gone from the open list")
    show(driver, "dismissed")
    dismissed = driver.find_element(By.XPATH, "//li[contains(@class,'failed-message')][p[.='查余额']]")
    assert "已忽略（zhou" in dismissed.find_element(By.CSS_SELECTOR, ".decision").text
    dismissed.find_element(By.CSS_SELECTOR, "button.reopen-one").click()
    wait(driver, lambda: "已重新打开 1 条消息" in driver.find_element(By.ID, "action-status").text, "the reopening")
    wait(driver, lambda: ready(driver) and "查余额" not in texts_shown(driver), "查余额 gone from the dismissed list")
    show(driver, "open")
    assert "查余额" in texts_shown(driver)

    set_viewport(driver, PHONE, mobile=True)
    assert fits(driver)
