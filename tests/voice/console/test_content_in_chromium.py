"""常见问题 in headless Chromium, served by the gateway as `make serve` runs it, over a workspace that is
a copy of the sources (CONSOLE_ROOT), so the repository's files are never changed: an editor opens an
FAQ, saves a voice answer with a link and an empty chat answer and sees each problem next to its field
with nothing written, then saves a good answer, which is in the copy's faqs.yml and waits for 发布; on
话术 an editor renames a button, and the button's payload stays as it was."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from bot.editing.workspace import FAQ_FILE
from nlu import faq_source
from tests.voice.console.in_chromium import console_gateway, fits, ready, sign_in, wait
from tests.voice.web.browser import PHONE, Gateway, set_viewport
from tests.voice.web.conftest import browsers  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300, func_only=True)]

NEW_ANSWER = "白条是先消费、后付款的个人信用支付服务，开通免费。"
NEW_VOICE = "白条是先消费后付款的信用支付服务，开通免费。"


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[tuple[Gateway, Path]]:
    with console_gateway(tmp_path_factory.mktemp("content_servers"), "content-gateway", sources=True) as served:
        yield served


def problems(driver, field: str) -> list[str]:
    return [li.text for li in driver.find_elements(By.CSS_SELECTOR, f"#problems-{field} li")]


def replace(driver, element_id: str, text: str) -> None:
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def intro(root: Path) -> faq_source.Faq:
    return next(faq for faq in faq_source.load(root / FAQ_FILE) if faq.id == "baitiao_intro")


def test_an_editor_sees_each_problem_next_to_its_field_then_saves_an_answer(console, browsers):  # noqa: F811
    gateway, root = console
    before = (root / FAQ_FILE).read_text(encoding="utf-8")
    driver = browsers()
    base = gateway.url.rstrip("/")
    sign_in(driver, f"{base}/staff/console/faqs?id=baitiao_intro")
    wait(driver, lambda: ready(driver), "the FAQ page")
    assert driver.find_element(By.ID, "editor").is_displayed()
    assert driver.find_element(By.ID, "f-answer").get_attribute("value") == intro(root).answer
    assert "常见问题" in driver.find_element(By.CSS_SELECTOR, 'nav a[aria-current="page"]').text

    replace(driver, "f-answer_voice", "详情请访问 www.bank.cn")
    driver.find_element(By.ID, "f-answer").clear()
    driver.find_element(By.ID, "save-faq").click()
    wait(driver, lambda: problems(driver, "answer_voice") and problems(driver, "answer"), "the problems")
    assert "网址或符号" in problems(driver, "answer_voice")[0]
    assert problems(driver, "answer") == ["请填写文字回答"]
    assert driver.find_element(By.ID, "f-answer").get_attribute("aria-invalid") == "true"
    assert problems(driver, "questions") == [] and driver.find_element(By.ID, "save-message").text == ""
    assert (root / FAQ_FILE).read_text(encoding="utf-8") == before

    replace(driver, "f-answer", NEW_ANSWER)
    replace(driver, "f-answer_voice", NEW_VOICE)
    driver.find_element(By.ID, "save-faq").click()
    wait(driver, lambda: "发布" in driver.find_element(By.ID, "save-message").text, "the saved notice")
    link = driver.find_element(By.CSS_SELECTOR, "#save-message a").get_attribute("href")
    assert link == f"{base}/staff/console/publish"
    assert problems(driver, "answer") == [] and problems(driver, "answer_voice") == []
    assert (intro(root).answer, intro(root).answer_voice) == (NEW_ANSWER, NEW_VOICE)
    wait(driver, lambda: "修改" in driver.find_element(By.ID, "history").text, "the history")
    assert "zhou" in driver.find_element(By.ID, "history").text

    driver.find_element(By.ID, "q").send_keys("先消费、后付款的个人信用")
    driver.find_element(By.CSS_SELECTOR, '#search-form button[type="submit"]').click()
    wait(driver, lambda: driver.find_element(By.ID, "faq-rows").text.startswith("baitiao_intro"), "the search")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#faq-rows tr")) == 1

    set_viewport(driver, PHONE, mobile=True)
    assert fits(driver)


def test_an_editor_renames_a_button_and_what_it_sends_stays(console, browsers):  # noqa: F811
    gateway, root = console
    handoff = root / "bot" / "domain" / "handoff.yml"
    before = handoff.read_text(encoding="utf-8")
    driver = browsers()
    base = gateway.url.rstrip("/")
    sign_in(driver, f"{base}/staff/console/wording")
    wait(driver, lambda: ready(driver), "the wording page")
    title = "utter_offer_human-0-button-0"
    assert driver.find_element(By.ID, title).get_attribute("value") == "转人工客服"
    label = driver.find_element(By.CSS_SELECTOR, f'label[for="{title}"]')
    assert "/request_human" in label.get_attribute("textContent")
    save = driver.find_element(By.CSS_SELECTOR, 'button[aria-label="保存 utter_offer_human"]')

    driver.find_element(By.ID, title).clear()
    save.click()
    shown = f"#{title}-problems li"
    wait(driver, lambda: driver.find_elements(By.CSS_SELECTOR, shown), "the problem under the button's title")
    assert driver.find_element(By.CSS_SELECTOR, shown).text == "按钮文字不能为空"
    assert handoff.read_text(encoding="utf-8") == before

    replace(driver, title, "接通人工客服")
    save.click()
    card = "#response-utter_offer_human .message.ok"
    wait(driver, lambda: "发布" in driver.find_element(By.CSS_SELECTOR, card).text, "the saved notice")
    assert driver.find_element(By.ID, title).get_attribute("value") == "接通人工客服"
    after = handoff.read_text(encoding="utf-8")
    assert '- title: "接通人工客服"\n          payload: "/request_human"' in after
    assert after.replace('"接通人工客服"', '"转人工客服"', 1) == before
