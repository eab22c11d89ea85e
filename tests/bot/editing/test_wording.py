"""Editing the bot's wording from the console: texts changed in place, placeholders kept,
what calls say checked for speakability, and the domain still loads."""

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain

from bot.editing import audit, wording
from bot.editing.problems import Rejected
from bot.editing.workspace import REPO_ROOT, EditConflict
from voice.speakable import speakable

DOMAIN_FILES = sorted((REPO_ROOT / "bot" / "domain").glob("*.yml"))
CALLBACK = "utter_handoff_offer_callback"  # chat only, with buttons and {hours}
SEVERAL = "utter_bank_several_debit_cards"  # chat and voice


def save(workspace, name, texts=None, new_voice=None, etag=None, titles=None):
    _, _, current = wording.get(workspace, name)
    return wording.save(
        workspace, name, texts or {}, etag or current, "zhao", speakable, new_voice=new_voice, titles=titles
    )


def responses(workspace):
    return Domain.load(str(workspace.domain_dir)).responses


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.stem)
def test_every_text_is_found_where_it_is_and_rewriting_it_unchanged_gives_the_identical_file(path):
    import yaml

    text = path.read_text(encoding="utf-8")
    found = wording.responses_of(text, path.relative_to(REPO_ROOT))
    written = (yaml.safe_load(text) or {}).get("responses") or {}
    assert {r.name: [v.text for v in r.variants] for r in found} == {
        name: [v["text"] for v in variants] for name, variants in written.items()
    }
    assert {r.name: [[(b.title, b.payload) for b in v.buttons] for v in r.variants] for r in found} == {
        name: [[(b["title"], b["payload"]) for b in v.get("buttons") or []] for v in variants]
        for name, variants in written.items()
    }
    scalars = [(v.start, v.end, v.text, v.style) for r in found for v in r.variants]
    scalars += [(b.start, b.end, b.title, b.style) for r in found for v in r.variants for b in v.buttons]
    same = text
    for start, end, scalar, style in sorted(scalars, reverse=True):
        same = same[:start] + wording.render(scalar, style) + same[end:]
    assert same == text


def test_saving_the_titles_unchanged_keeps_the_file_identical(workspace):
    path = workspace.domain_dir / "handoff.yml"
    before = path.read_text(encoding="utf-8")
    response, _, etag = wording.get(workspace, CALLBACK)
    titles = {(0, n): button.title for n, button in enumerate(response.variants[0].buttons)}
    assert save(workspace, CALLBACK, {0: response.variants[0].text}, titles=titles) == etag
    assert path.read_text(encoding="utf-8") == before and audit.entries(workspace) == []


def test_a_button_title_is_changed_in_place_its_payload_kept_and_the_domain_still_loads(workspace):
    path = workspace.domain_dir / "handoff.yml"
    before = path.read_text(encoding="utf-8")
    save(workspace, CALLBACK, titles={(0, 0): "好的，登记回电"})
    after = path.read_text(encoding="utf-8")
    changed = [(old, new) for old, new in zip(before.splitlines(), after.splitlines(), strict=True) if old != new]
    assert changed == [('        - title: "登记回电"', '        - title: "好的，登记回电"')]
    [variant] = responses(workspace)[CALLBACK]
    assert variant["buttons"] == [
        {"title": "好的，登记回电", "payload": "/affirm"}, {"title": "不用了", "payload": "/deny"},
    ]  # fmt: skip
    [entry] = audit.entries(workspace)
    assert entry.detail["buttons"] == [
        {"channel": "chat", "payload": "/affirm", "old": "登记回电", "new": "好的，登记回电"}
    ]
    assert entry.detail["changed"] == []


@pytest.mark.parametrize(
    "name, titles, wanted",
    [
        (CALLBACK, {(0, 0): " "}, "按钮文字不能为空"),
        (CALLBACK, {(0, 0): "登记回电，越快越好，谢谢您啦"}, "按钮文字太长"),
        (CALLBACK, {(0, 0): "不用了"}, "已有按钮叫“不用了”"),
        (CALLBACK, {(0, 0): "费率0.6%%"}, "念不出来"),  # calls read the chat buttons: no voice variant
        ("utter_offer_resume", {(0, 0): "继续"}, "缺少占位符 {task}"),
        ("utter_offer_resume", {(0, 0): "继续{task}{name}"}, "不能新增占位符 {name}"),
    ],
)
def test_a_bad_title_is_refused_naming_the_button_and_nothing_is_written(workspace, name, titles, wanted):
    before = {path: path.read_text(encoding="utf-8") for path in workspace.domain_dir.glob("*.yml")}
    with pytest.raises(Rejected) as refused:
        save(workspace, name, titles=titles)
    [(where, _)] = titles.items()
    assert refused.value.problems[0].field == f"buttons.{where[0]}.{where[1]}"
    assert wanted in refused.value.problems[0].message
    assert {path: path.read_text(encoding="utf-8") for path in workspace.domain_dir.glob("*.yml")} == before


def test_a_title_of_no_button_is_an_index_error(workspace):
    with pytest.raises(IndexError):
        save(workspace, CALLBACK, titles={(0, 2): "第三个"})
    with pytest.raises(IndexError):
        save(workspace, "utter_greet", titles={(0, 0): "你好"})


def test_a_chat_text_is_changed_in_place_and_the_domain_still_loads(workspace):
    before = (workspace.domain_dir / "handoff.yml").read_text(encoding="utf-8")
    new = "这里暂时无法接通人工客服。需要为您登记回电吗？客服会在每天{hours}内回电。"
    save(workspace, CALLBACK, {0: new})
    after = (workspace.domain_dir / "handoff.yml").read_text(encoding="utf-8")
    assert [line for line in after.splitlines() if line not in before.splitlines()] == [f'    - text: "{new}"']
    [variant] = responses(workspace)[CALLBACK]
    assert variant["text"] == new
    assert [b["title"] for b in variant["buttons"]] == ["登记回电", "不用了"]
    [entry] = audit.entries(workspace)
    assert (entry.staff, entry.action, entry.target) == ("zhao", "wording.save", CALLBACK)
    assert entry.detail["changed"][0]["new"] == new


def test_a_voice_variant_can_be_added_where_there_is_none(workspace):
    spoken = "现在无法直接接通人工客服。需要为您登记回电吗？服务时间是每天{hours}。"
    save(workspace, CALLBACK, new_voice=spoken)
    variants = responses(workspace)[CALLBACK]
    assert [(v.get("channel"), v["text"]) for v in variants][1] == ("voice", spoken)
    assert "buttons" in variants[0]
    response, _, _ = wording.get(workspace, CALLBACK)
    assert response.has_voice
    with pytest.raises(Rejected) as refused:
        save(workspace, CALLBACK, new_voice="再加一个。")
    assert refused.value.problems[0].field == "voice"


@pytest.mark.parametrize(
    "name, index, text, wanted",
    [
        (CALLBACK, 0, "需要为您登记回电吗？", "缺少占位符 {hours}"),
        (CALLBACK, 0, "需要为您登记回电吗？客服会在每天{hours}内给{name}回电话。", "不能新增占位符 {name}"),
        (CALLBACK, 0, "  ", "话术不能为空"),
        (CALLBACK, 0, "每天{hours}内回电 {", "花括号"),
        (CALLBACK, 0, "需要回电吗？每天{hours}内回电，手续费0.6%%", "念不出来"),
        (SEVERAL, 1, "请告诉我卡号后四位" + "，好吗" * 40, "语音话术太长"),
        (SEVERAL, 1, "请在www.bank.cn上告诉我卡号后四位", "网址或符号"),
    ],
)
def test_a_bad_edit_is_refused_with_the_reason_and_nothing_is_written(workspace, name, index, text, wanted):
    response, before, _ = wording.get(workspace, name)
    with pytest.raises(Rejected) as refused:
        save(workspace, name, {index: text})
    assert any(wanted in p.message for p in refused.value.problems), refused.value.problems
    assert {p.field for p in refused.value.problems} == {f"variants.{index}"}
    assert wording.get(workspace, name)[1] == before
    assert audit.entries(workspace) == []


def test_a_chat_text_is_only_checked_for_speech_when_calls_say_it(workspace):
    with_symbols = "您名下有多张储蓄卡，请输入要付款的卡【后四位】。"
    save(workspace, SEVERAL, {0: with_symbols})  # calls say the voice variant
    assert responses(workspace)[SEVERAL][0]["text"] == with_symbols


def test_a_stale_edit_and_an_unknown_response_are_refused(workspace):
    _, _, tag = wording.get(workspace, CALLBACK)
    save(workspace, CALLBACK, {0: "需要为您登记回电吗？客服会在每天{hours}内回电。"})
    with pytest.raises(EditConflict):
        save(workspace, CALLBACK, {0: "需要登记回电吗？每天{hours}内回电。"}, etag=tag)
    with pytest.raises(KeyError):
        save(workspace, "utter_no_such_thing", {0: "你好"})
    with pytest.raises(IndexError):
        save(workspace, CALLBACK, {3: "你好"})


def test_every_response_is_listed_by_file(workspace):
    listed = {name: etag for name, etag, _ in wording.list_responses(workspace)}
    assert "bot/domain/core.yml" not in listed  # slots and forms, no responses
    names = [r.name for _, _, found in wording.list_responses(workspace) for r in found]
    assert len(names) == len(set(names)) == len(responses(workspace))
    assert Path("bot/domain/handoff.yml").as_posix() in listed


def test_a_block_text_is_replaced_without_eating_the_lines_after_it(workspace):
    path = workspace.domain_dir / "extra.yml"
    path.write_text(
        'version: "3.1"\n\nresponses:\n  utter_block:\n    - text: |\n        第一行\n        第二行\n\n'
        '  utter_after:\n    - text: "之后"\n',
        encoding="utf-8",
    )
    save(workspace, "utter_block", {0: "只有一行"}, new_voice="电话里说一行。")
    assert path.read_text(encoding="utf-8") == (
        'version: "3.1"\n\nresponses:\n  utter_block:\n    - text: "只有一行"\n    - text: "电话里说一行。"\n'
        '      channel: voice\n\n  utter_after:\n    - text: "之后"\n'
    )
