"""Transfer recipients: a person's name after 转给/转账给/收款人是 or in 给…转."""

from __future__ import annotations

import re
from typing import List, Optional

import cn2an

from nlu.values.numerals import CN_DIGITS, CN_UNITS
from nlu.values.span import Span

_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "司徒", "夏侯", "尉迟", "长孙")
_NICKNAME_PREFIXES = ("小", "老", "阿")
# Characters that end a name: particles, verbs and money words that follow it in requests.
_STOP = set("转账打汇付钱块元的了吧呢啊吗呀哦嘛给和跟与还借在说我你他她它们是要把从到用过去来这那就再请帮先卡号")
_NOT_NAMES = ("白条", "金条", "小金库", "对方", "自己", "别人", "家人", "朋友", "老婆", "老公", "老板", "老师", "阿姨")

_CUE_BEFORE = re.compile(
    r"(?:转账给|转钱给|转给|汇给|打给|付给|汇款给|转款给|付款给|打款给|收款人(?:是|为|叫|:)?|收款方(?:是|为|:)?)"
)
_CUE_AROUND = re.compile(r"(?:给|向)(?=\S{2,4}?(?:转|汇|打))")
_CUE_AFTER_TRANSFER = re.compile(r"(?:转|汇|打)[^,.!?;:]{0,12}?给")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _starts_amount(rest: str) -> bool:
    """The remaining text begins with a spoken amount (五百块, 三千), so the name ends here."""
    run = re.match(rf"[{CN_DIGITS}{CN_UNITS}]+", rest)
    if not run:
        return False
    if run.group()[0] in CN_UNITS.replace("十", ""):
        return False
    try:
        cn2an.cn2an(run.group(), "normal")
        return True
    except (ValueError, KeyError, IndexError):
        return False


def _surname_length(text: str) -> int:
    if text[:2] in _COMPOUND_SURNAMES:
        return 2
    if text[:1] in _SURNAMES or text[:1] in _NICKNAME_PREFIXES:
        return 1
    return 0


def _name_at(text: str, start: int) -> Optional[str]:
    rest = text[start:]
    if any(rest.startswith(word) for word in _NOT_NAMES):
        return None
    surname = _surname_length(rest)
    if not surname:
        return None
    given = 0
    while given < 2 and surname + given < len(rest):
        char = rest[surname + given]
        if not _CJK.match(char) or char in _STOP:
            break
        given += 1
    for length in range(surname + given, surname, -1):
        tail = rest[length:]
        if not tail or not _CJK.match(tail[0]) or tail[0] in _STOP or _starts_amount(tail):
            return rest[:length]
        if length == surname + 1:
            return rest[:length]
    return None


def find_recipient(text: str) -> List[Span]:
    spans = []
    for cue in (
        list(_CUE_BEFORE.finditer(text)) + list(_CUE_AROUND.finditer(text)) + list(_CUE_AFTER_TRANSFER.finditer(text))
    ):
        name = _name_at(text, cue.end())
        if name and 2 <= len(name) <= 4:
            spans.append(Span("recipient", name, cue.end(), cue.end() + len(name)))
    return spans
