"""The bot's wording as the console edits it: every domain response (bot/domain/*.yml, utter_*),
its chat and voice variants side by side, edited in place.

Only the text of a variant and the titles of its buttons change, each spliced into the file at the
characters the YAML parser says it occupies: comments, layout, the buttons' payloads (what a button
sends: intents the dialogue is trained on) and the other variants stay byte for byte. A voice
variant can be added where a response has none. The checks (Chinese, per field ``text``):

- not empty, and braces only as placeholders;
- the same ``{slot}`` placeholders as before (the actions fill them; a dropped one loses a value,
  a new one is never filled); a new voice variant has the chat wording's;
- what is said on the phone can be spoken: the voice variant, or the chat wording when there is
  no voice variant (calls then speak it). The rule is tests/voice/test_speakable.py's: after
  ``speakable()`` no digits, symbols or links are left. ``speakable`` lives in voice/, which bot/
  doesn't import, so the caller passes it in (voice/console/content_routes.py does);
- a voice variant is at most ``MAX_VOICE_CHARS`` and, like the FAQ's spoken answers, has no links
  or symbols (bot/faq/checks.py VOICE_UNREADABLE): it is written for the phone.

A button title (field ``buttons.<variant>.<button>``) is checked as a text is (placeholders, braces,
speakable when calls say it: voice/menu.py reads the titles as a menu and matches what the caller
says against them), and is one short line, unlike the response's other titles."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.editing import audit
from bot.editing.problems import FieldProblem, Rejected
from bot.editing.workspace import EditConflict, Workspace
from bot.faq import checks
from nlu.faq_source import VOICE_CHANNEL

log = logging.getLogger(__name__)

Speak = Callable[[str], str]  # voice.speakable.speakable: chat text → what the phone says

PLACEHOLDER = re.compile(r"\{(\w+)\}")
# tests/voice/test_speakable.py: what must not be left once a line is made speakable.
UNSPOKEN = re.compile(r"[0-9¥%*•#“”\[\]()（）]|https?:")
# A caller can't scroll back: a spoken reply must be heard in one go. The longest voice variant
# today is 92 characters (utter_ask_confirm_installment, which quotes every value to confirm);
# the FAQ's spoken answers stop at 80.
MAX_VOICE_CHARS = 100
# The longest button title today is 5 characters (转人工客服; placeholders aside): a button is tapped
# on a phone screen and read as a menu on a call, where each title is heard with its key.
MAX_BUTTON_CHARS = 12
DOUBLE_QUOTED = '"'


@dataclass(frozen=True)
class Button:
    title: str
    payload: str  # shown, never changed
    start: int = 0  # character offsets of the title's YAML scalar in the file
    end: int = 0
    style: str = '"'

    def as_dict(self) -> dict:
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class Variant:
    text: str
    channel: str  # "" for chat (every channel without its own variant), "voice" for calls
    buttons: tuple[Button, ...] = ()
    start: int = 0  # character offsets of the text's YAML scalar in the file
    end: int = 0
    style: str = '"'  # the scalar's quoting: '"', "'", "" (plain), "|" or ">"

    @property
    def has_buttons(self) -> bool:
        return bool(self.buttons)

    def as_dict(self) -> dict:
        return {"text": self.text, "channel": self.channel, "buttons": [button.as_dict() for button in self.buttons]}


@dataclass(frozen=True)
class Response:
    name: str
    file: str  # relative to the workspace root
    variants: list[Variant] = field(default_factory=list)
    insert_after: int = 0  # character offset after which a new variant goes
    item_column: int = 4  # column of a variant's first key

    @property
    def has_voice(self) -> bool:
        return any(variant.channel == VOICE_CHANNEL for variant in self.variants)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "file": self.file,
            "variants": [variant.as_dict() for variant in self.variants],
            "has_voice": self.has_voice,
        }


def _end_of(node: yaml.Node) -> int:
    """Offset just after the last scalar inside ``node`` (a mapping's end mark is the next token)."""
    if isinstance(node, yaml.ScalarNode):
        return node.end_mark.index
    children = [child for pair in node.value for child in pair] if isinstance(node, yaml.MappingNode) else node.value
    return max((_end_of(child) for child in children), default=node.start_mark.index)


def _content_end(text: str, index: int) -> int:
    """Back over the line breaks a block scalar (``text: |``) counts as its own: they stay in the file."""
    while index > 0 and text[index - 1] in " \n":
        index -= 1
    return index


def responses_of(text: str, relative: Path) -> list[Response]:
    """The responses of one domain file with where their texts are."""
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        return []
    found = []
    for key, value in root.value:
        if key.value != "responses" or not isinstance(value, yaml.MappingNode):
            continue
        for name, items in value.value:
            if not isinstance(items, yaml.SequenceNode):
                continue
            variants = []
            for item in items.value:
                if not isinstance(item, yaml.MappingNode):
                    continue
                fields = {k.value: v for k, v in item.value}
                node = fields.get("text")
                if not isinstance(node, yaml.ScalarNode):
                    continue
                channel = fields.get("channel")
                variants.append(
                    Variant(
                        str(node.value),
                        str(channel.value) if isinstance(channel, yaml.ScalarNode) else "",
                        _buttons(text, fields.get("buttons")),
                        node.start_mark.index,
                        _content_end(text, node.end_mark.index),
                        node.style or "",
                    )
                )
            last = items.value[-1] if items.value else items
            column = items.value[0].start_mark.column if items.value else name.start_mark.column + 4
            end = _content_end(text, _end_of(last))
            found.append(Response(str(name.value), relative.as_posix(), variants, end, column))
    return found


def _buttons(text: str, node: yaml.Node | None) -> tuple[Button, ...]:
    if not isinstance(node, yaml.SequenceNode):
        return ()
    found = []
    for item in node.value:
        fields = {k.value: v for k, v in item.value} if isinstance(item, yaml.MappingNode) else {}
        title, payload = fields.get("title"), fields.get("payload")
        if isinstance(title, yaml.ScalarNode):
            found.append(
                Button(
                    str(title.value),
                    str(payload.value) if isinstance(payload, yaml.ScalarNode) else "",
                    title.start_mark.index,
                    _content_end(text, title.end_mark.index),
                    title.style or "",
                )
            )
    return tuple(found)


def _domain_files(workspace: Workspace) -> list[Path]:
    return [path.relative_to(workspace.root) for path in sorted(workspace.domain_dir.glob("*.yml"))]


def list_responses(workspace: Workspace) -> list[tuple[str, str, list[Response]]]:
    """(file, etag, responses) for every domain file that has responses, in file order."""
    found = []
    for relative in _domain_files(workspace):
        snapshot = workspace.read(relative)
        responses = responses_of(snapshot.text, relative)
        if responses:
            found.append((relative.as_posix(), snapshot.etag, responses))
    return found


def get(workspace: Workspace, name: str) -> tuple[Response, str, str]:
    """A response, the text and the etag of its file (KeyError: no such response)."""
    for relative in _domain_files(workspace):
        snapshot = workspace.read(relative)
        for response in responses_of(snapshot.text, relative):
            if response.name == name:
                return response, snapshot.text, snapshot.etag
    raise KeyError(name)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def unspoken(text: str, speak: Speak) -> list[str]:
    """What would be left unsaid (digits, symbols, links) after ``speak``; placeholders aside,
    they are filled with values the call's speech makes speakable at the time."""
    return sorted(set(UNSPOKEN.findall(speak(PLACEHOLDER.sub("", text)))))


def problems(text: str, channel: str, expected: set[str], spoken: bool, speak: Speak | None) -> list[FieldProblem]:
    """What is wrong with ``text`` as a variant (``expected``: its placeholders; ``spoken``: calls say it)."""
    if not text.strip():
        return [FieldProblem("text", "话术不能为空")]
    found = []
    if "{" in PLACEHOLDER.sub("", text) or "}" in PLACEHOLDER.sub("", text):
        found.append(FieldProblem("text", "花括号 { } 只用于占位符，例如 {card_tail}；请去掉多余的花括号"))
    have = placeholders(text)
    if have - expected:
        found.append(
            FieldProblem(
                "text",
                f"不能新增占位符 {'、'.join('{' + p + '}' for p in sorted(have - expected))}：占位符由系统填入，"
                "原话术没有的占位符不会被填写",
            )
        )
    if expected - have:
        found.append(
            FieldProblem(
                "text",
                f"缺少占位符 {'、'.join('{' + p + '}' for p in sorted(expected - have))}：它由系统填入客户的具体信息，"
                "请原样保留",
            )
        )
    if channel == VOICE_CHANNEL and len(text) > MAX_VOICE_CHARS:
        found.append(
            FieldProblem(
                "text",
                f"语音话术太长：{len(text)} 个字，电话里最多 {MAX_VOICE_CHARS} 个字（客户无法回看，需要一次听清）",
            )
        )
    if channel == VOICE_CHANNEL:
        unreadable = checks.VOICE_UNREADABLE.search(PLACEHOLDER.sub("", text))
        if unreadable:
            found.append(
                FieldProblem(
                    "text",
                    f"语音话术里有念不出来的内容“{unreadable.group()}”：请不要使用网址或符号（与常见问题的语音回答同一规则）",
                )
            )
    if spoken and speak is not None:
        left = unspoken(text, speak)
        if left:
            where = "语音话术" if channel == VOICE_CHANNEL else "电话里会念这句文字话术（没有单独的语音话术），它"
            found.append(
                FieldProblem(
                    "text",
                    f"{where}有念不出来的内容：{' '.join(left)}。请改写或去掉这些数字、符号或网址",
                )
            )
    return found


def title_problems(title: str, expected: set[str], spoken: bool, speak: Speak | None) -> list[FieldProblem]:
    """What is wrong with ``title`` as a button's title (``expected``: its placeholders; ``spoken``:
    calls read the buttons as a menu)."""
    if not title:
        return [FieldProblem("text", "按钮文字不能为空")]
    found = problems(title, "", expected, False, None)
    if "\n" in title:
        found.append(FieldProblem("text", "按钮文字只能是一行"))
    shown = PLACEHOLDER.sub("", title)
    if len(shown) > MAX_BUTTON_CHARS:
        found.append(
            FieldProblem(
                "text",
                f"按钮文字太长：{len(shown)} 个字，最多 {MAX_BUTTON_CHARS} 个字"
                "（手机上点的按钮、电话里逐项念的菜单都要简短）",
            )
        )
    if spoken and speak is not None:
        left = unspoken(title, speak)
        if left:
            found.append(
                FieldProblem("text", f"电话里会把按钮文字当作菜单念出来，它有念不出来的内容：{' '.join(left)}。请改写")
            )
    return found


def render(text: str, style: str) -> str:
    """``text`` as a YAML scalar on one line, quoted as the original was (double quotes otherwise)."""
    if style == "'" and "\n" not in text:
        return "'" + text.replace("'", "''") + "'"
    dumped = yaml.safe_dump(text, default_style='"', allow_unicode=True, width=1_000_000)
    return dumped.rstrip("\n")


def save(
    workspace: Workspace,
    name: str,
    texts: dict[int, str],
    etag: str,
    staff: str,
    speak: Speak | None = None,
    new_voice: str | None = None,
    titles: dict[tuple[int, int], str] | None = None,
) -> str:
    """Change the texts of ``name``'s variants (index → new text) and the titles of their buttons
    ((variant index, button index) → new title), and optionally add a voice variant; the file's new
    etag. Rejected (nothing written) on any problem; KeyError: no such response; IndexError: no such
    variant or button."""
    response, text, current_etag = get(workspace, name)
    if etag != current_etag:
        raise EditConflict(response.file)
    titles = titles or {}
    for index in texts:
        if not 0 <= index < len(response.variants):
            raise IndexError(index)
    for index, number in titles:
        if not 0 <= index < len(response.variants) or not 0 <= number < len(response.variants[index].buttons):
            raise IndexError((index, number))
    chat = next((v for v in response.variants if v.channel != VOICE_CHANNEL), None)
    adding_voice = new_voice is not None and not response.has_voice
    if new_voice is not None and response.has_voice:
        raise Rejected([FieldProblem("voice", "这条话术已有语音版本，请直接修改它")])
    voice_after = response.has_voice or adding_voice
    found = []
    changed = {}
    for index, new in texts.items():
        variant = response.variants[index]
        new = new.strip()
        if new == variant.text:
            continue
        spoken = variant.channel == VOICE_CHANNEL or (not voice_after and variant.channel == "")
        found += [
            FieldProblem(f"variants.{index}", p.message, p.item)
            for p in problems(new, variant.channel, placeholders(variant.text), spoken, speak)
        ]
        changed[index] = new
    retitled = {}
    for (index, number), new in titles.items():
        variant = response.variants[index]
        button = variant.buttons[number]
        new = new.strip()
        if new == button.title:
            continue
        # a call reads the buttons of the variant it says: a chat variant's only while there is no voice one
        spoken = variant.channel == VOICE_CHANNEL or (not voice_after and variant.channel == "")
        found += [
            FieldProblem(f"buttons.{index}.{number}", p.message, p.item)
            for p in title_problems(new, placeholders(button.title), spoken, speak)
        ]
        retitled[(index, number)] = new
    found += _repeated_titles(response, retitled)
    if adding_voice:
        assert new_voice is not None
        expected = placeholders(changed.get(response.variants.index(chat), chat.text)) if chat else set()
        found += [
            FieldProblem("voice", p.message, p.item)
            for p in problems(new_voice.strip(), VOICE_CHANNEL, expected, True, speak)
        ]
    if found:
        raise Rejected(found)
    if not changed and not retitled and not adding_voice:
        return current_etag
    new_text = text
    if adding_voice:
        assert new_voice is not None
        dash = " " * max(response.item_column - 2, 0)
        keys = " " * response.item_column
        scalar = render(new_voice.strip(), DOUBLE_QUOTED)
        item = f"\n{dash}- text: {scalar}\n{keys}channel: {VOICE_CHANNEL}"
        new_text = new_text[: response.insert_after] + item + new_text[response.insert_after :]
    splices = [(response.variants[i].start, response.variants[i].end, response.variants[i].style, new)
               for i, new in changed.items()]  # fmt: skip
    for (index, number), new in retitled.items():
        button = response.variants[index].buttons[number]
        splices.append((button.start, button.end, button.style, new))
    for start, end, style, new in sorted(splices, reverse=True):  # from the end, so earlier offsets still hold
        new_text = new_text[:start] + render(new, style) + new_text[end:]
    new_etag = workspace.write(Path(response.file), new_text, based_on=current_etag)
    detail: dict = {
        "file": response.file,
        "changed": [
            {"channel": response.variants[i].channel or "chat", "old": response.variants[i].text, "new": changed[i]}
            for i in sorted(changed)
        ],
    }
    if retitled:
        detail["buttons"] = [
            {
                "channel": response.variants[i].channel or "chat",
                "payload": response.variants[i].buttons[n].payload,
                "old": response.variants[i].buttons[n].title,
                "new": new,
            }
            for (i, n), new in sorted(retitled.items())
        ]
    if adding_voice:
        detail["added_voice"] = new_voice.strip() if new_voice else ""
    audit.record(workspace, staff, "wording.save", name, detail)
    log.info("%s saved the wording of %s", staff, name)
    return new_etag


def _repeated_titles(response: Response, retitled: dict[tuple[int, int], str]) -> list[FieldProblem]:
    """A changed title that another button of its variant has too: the customer couldn't tell them apart."""
    found = []
    for (index, number), new in sorted(retitled.items()):
        others = [
            retitled.get((index, other), button.title)
            for other, button in enumerate(response.variants[index].buttons)
            if other != number
        ]
        if new in others:
            found.append(
                FieldProblem(
                    f"buttons.{index}.{number}", f"已有按钮叫“{new}”，同一句话的按钮文字不能相同，客户无法区分", new
                )
            )
    return found


def history(workspace: Workspace, name: str, limit: int = 50) -> list[audit.AuditEntry]:
    entries = audit.entries(workspace, limit=100_000, action_prefix="wording.")
    return [entry for entry in entries if entry.target == name][:limit]
