"""`make screenshots`: the customer web page mid-conversation, as a desktop browser and a phone show it.

Starts Rasa and the action server on a fresh demo bank, the web gateway in front (with calls when
the Chinese speech model is installed), and in headless Chromium verifies 张伟 (the code read from
the demo SMS outbox), asks for a repayment and stops at the confirmation with its 确认/取消 buttons.
Writes docs/screenshots/chat-desktop.png (1280×800) and chat-phone.png (360×740 CSS pixels, the
same conversation reloaded on a phone-sized viewport); then the customer asks for a person and an
agent takes the chat at the desk: desk.png (1280×800).

    python -m tests.voice.web.screenshots [--out DIR] [--chat-only]
"""

import argparse
import sys
import tempfile
from pathlib import Path

from selenium.webdriver.common.by import By

from actions.bank.clock import today
from bot import build, processes
from tests.database_backends import seeded_template
from tests.voice.desk.desk_browser import DeskPage
from tests.voice.web.browser import (
    DESKTOP,
    PHONE,
    ChatPage,
    Gateway,
    assistant,
    chromium,
    set_viewport,
    speech_model_installed,
)
from voice.desk.accounts import StaffStore

OUT = processes.REPO_ROOT / "docs" / "screenshots"


def conversation_to_confirmation(page: ChatPage, bank_url: str) -> None:
    page.open()
    page.verify(bank_url)
    page.say("我要还款", expect="还多少")
    page.tap("还最低", expect="请确认")
    assert page.quick_replies() == ["确认", "取消"], page.quick_replies()


def settle(page: ChatPage, calls: bool) -> None:
    """The page as a customer looks at it: connected (the status line faded), no focus ring,
    the latest message in view, the call button ready when calls are on."""
    driver = page.driver
    page.wait(
        lambda p: "faded" in (driver.find_element(By.ID, "status").get_attribute("class") or ""), "status to fade", 30
    )
    if calls:
        page.wait(lambda p: driver.find_element(By.ID, "call-button").is_enabled(), "the call button", 60)
    driver.execute_script(
        "document.activeElement && document.activeElement.blur();"
        "const log = document.getElementById('messages'); log.scrollTop = log.scrollHeight;"
    )


def desk_with_the_chat(page: ChatPage, gateway: Gateway, directory: Path, out: Path) -> None:
    """The customer asks for a person; an agent (a new account) takes the chat and answers."""
    StaffStore(f"sqlite:///{directory / 'staff.db'}").add("wangmin", "screenshot-only-1", "agent", name="王敏")
    agent_driver = chromium(DESKTOP)
    try:
        desk = DeskPage(agent_driver, gateway.url)
        desk.log_in("wangmin", "screenshot-only-1")
        page.say("转人工客服", expect="正在为您转接")
        desk.take("人工")
        page.wait(lambda p: any("已接入" in t for t in p.texts("bot")), "the agent's arrival")
        page.type("我想确认一下最低还款会不会影响征信")
        desk.wait(lambda d: any("征信" in text for _, text in d.transcript()), "the customer's question")
        desk.say("您好，我是王敏。按时还最低还款额不会产生逾期记录，不影响征信。")
        agent_driver.execute_script("document.activeElement && document.activeElement.blur();")
        desk.driver.save_screenshot(str(out))
    finally:
        agent_driver.quit()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.voice.web.screenshots", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"directory for the PNGs (default {OUT})")
    parser.add_argument("--chat-only", action="store_true", help="no speech model: the call button shows why")
    args = parser.parse_args(argv)
    calls = not args.chat_only and speech_model_installed()
    if not args.chat_only and not calls:
        print("note: no Chinese speech model (make setup): the page shows calls as unavailable", file=sys.stderr)

    model = build.train()
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        directory = Path(tmp)
        (directory / "bank").mkdir()
        bank_url = f"sqlite:///{seeded_template('sqlite', directory / 'bank', today())}"
        tracker_url = f"sqlite:///{directory / 'tracker.db'}"
        with (
            assistant(model, bank_url, tracker_url, directory) as served,
            Gateway(served, speech=calls) as gateway,
        ):
            driver = chromium(DESKTOP)
            try:
                # No animations: the screenshot shows where things end up, not where they are going.
                driver.execute_cdp_cmd(
                    "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]}
                )
                page = ChatPage(driver, gateway.url)
                conversation_to_confirmation(page, bank_url)
                settle(page, calls)
                page.screenshot(args.out / "chat-desktop.png")

                set_viewport(driver, PHONE, mobile=True)
                driver.refresh()  # the same conversation, from the server's history
                page.wait_until_live()
                assert page.quick_replies() == ["确认", "取消"], page.quick_replies()
                settle(page, calls)
                page.screenshot(args.out / "chat-phone.png")
                desk_with_the_chat(page, gateway, served.directory, args.out / "desk.png")
            finally:
                driver.quit()
    for name in ("chat-desktop.png", "chat-phone.png", "desk.png"):
        print(f"Wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
