"""Chat replies → text that reads well aloud in Mandarin.

The bot writes for a screen: "¥1,234.50", "尾号1234", "138****5678", "9:00–21:00", "0.60%",
markdown, bullets and line breaks. ``speakable`` rewrites those the way a person on the phone
would say them, so that the TTS never has to guess:

- money → 一千二百三十四元五角 (1,200.05 → 一千二百元零五分, negative → 负…);
- card tails, codes, phone and ID numbers → digit by digit with 幺 for 1 (尾号幺二三四);
  a masked phone 138****5678 → 尾号五六七八的手机 (the hidden middle is not worth reading);
- dates → 二零二六年十一月三十日, times 9:00 → 九点, percentages → 百分之零点零五,
  other numbers and counts → 十二期, 两个月, 第二个;
- URLs → 官网 (a caller cannot click; the surrounding sentence stays grammatical);
- markdown, emoji and quotes are dropped; brackets, bullets and line breaks become pauses.

Latin words (App, QDII) are left as they are: the TTS spells them letter by letter.
"""

import re
import unicodedata

from nlu.value_wording import cardinal, digits_one_by_one, said_money

NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
PAUSE = "，"
STOP = "。"
PUNCTUATION = "，。！？；：、,.!?;:"
URL_READING = "官网"

# Measure words after which 2 is said 两 (两个月, 两万元) rather than 二 (二月, 二号, 二类).
LIANG_BEFORE = "个期次天年位张笔种档周倍条项万千百亿点元块人份台家岁小分"
# Words after which a number is an identifier, read digit by digit.
ID_PREFIXES = "尾号|卡号|账号|编号|单号|验证码|密码|号码|手机号|电话|热线|拨打|致电"
# Units after which a long digit run is still an amount, not an identifier.
AMOUNT_UNITS = "元块份个笔次人天年月日期万亿千百位名"

FULL_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
        "＊": "*",
        "％": "%",
        "＋": "+",
        "￥": "¥",
        "～": "~",
    }
)


def _masked_phone(m: re.Match) -> str:
    tail = f"尾号{digits_one_by_one(m.group('tail'))}"
    return f"{m.group('prefix')}{tail}" if m.group("prefix") else f"{tail}的手机"


def _date(m: re.Match) -> str:
    year, month, day = m.group(1), int(m.group(2)), int(m.group(3))
    return f"{digits_one_by_one(year, one='一')}年{cardinal(str(month))}月{cardinal(str(day))}日"


def _time(m: re.Match) -> str:
    hour, minute = int(m.group(1)), int(m.group(2))
    spoken = f"{cardinal(str(hour), liang=True)}点"
    if minute:
        spoken += f"{'零' if minute < 10 else ''}{cardinal(str(minute))}分"
    return spoken


def _line_list_marker(m: re.Match) -> str:
    return f"第{cardinal(m.group(1))}{PAUSE}"


# Applied in order; each rule's output holds no ASCII digits, so later rules cannot misread it.
NUMBER_RULES = [
    (re.compile(r"(?P<prefix>手机号码?|号码|手机)?(?:为|是)?1\d{2}\*{4}(?P<tail>\d{4})"), _masked_phone),
    (re.compile(r"\d*\*{2,}[\s*]*(\d{3,4})(?!\d)"), lambda m: f"尾号{digits_one_by_one(m.group(1))}"),
    (re.compile(r"(?<!\d)(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?!\d)"), _date),
    (
        re.compile(r"(?<![\d-])(?:\d{3,4}-\d{3,4}-\d{4}|0\d{2,3}-\d{7,8})(?![\d-])"),
        lambda m: digits_one_by_one(m.group(0).replace("-", "")),
    ),
    (re.compile(r"(?<=[\d%])\s*[-–—~]\s*(?=[-¥]?\d)"), lambda m: "到"),
    (re.compile(r"(?<!\d)(\d{4})(?=年)"), lambda m: digits_one_by_one(m.group(1), one="一")),
    (re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?!\d)"), _time),
    (re.compile(r"(尾号)(为|是)?(\d+)"), lambda m: m.group(1) + (m.group(2) or "") + digits_one_by_one(m.group(3))),
    (
        re.compile(rf"({ID_PREFIXES})(为|是|：|:)?\s*([A-Za-z]*)(\d{{3,}})"),
        lambda m: "".join(g or "" for g in m.groups()[:3]) + digits_one_by_one(m.group(4)),
    ),
    (re.compile(r"([A-Za-z]+)(\d{3,})"), lambda m: m.group(1) + digits_one_by_one(m.group(2))),
    (
        re.compile(rf"(-)?¥\s*({NUMBER})元?(?!\d|[.,]\d|[万亿千百])"),
        lambda m: said_money(m.group(2), negative=bool(m.group(1))),
    ),
    (re.compile(rf"(?<!\d)(?<!\d[.,])({NUMBER})元"), lambda m: said_money(m.group(1))),
    (re.compile(rf"({NUMBER})%"), lambda m: f"百分之{cardinal(m.group(1))}"),
    (re.compile(rf"({NUMBER})‰"), lambda m: f"千分之{cardinal(m.group(1))}"),
    (re.compile(r"第(\d+)"), lambda m: f"第{cardinal(m.group(1))}"),
    (
        re.compile(rf"(?<!\d)(?<!\d[.,])(0\d+|\d{{5,}})(?![\d.,]|[{AMOUNT_UNITS}])"),
        lambda m: digits_one_by_one(m.group(1)),
    ),
    (re.compile(rf"(?<!\d)({NUMBER})(?=[{LIANG_BEFORE}])"), lambda m: cardinal(m.group(1), liang=True)),
    (re.compile(rf"(?<!\d)({NUMBER})"), lambda m: cardinal(m.group(1))),
]

SYMBOL_RULES = [
    (re.compile(r"[”’」』》]\s*[“‘「『《]"), "、"),  # “退款理赔”“注销校园贷” is a list
    (re.compile(r"(?<=[A-Za-z0-9\u4e00-\u9fff])\+(?=[A-Za-z0-9\u4e00-\u9fff])"), "加"),
    (re.compile(r"(?<=[\u4e00-\u9fff])\s*/\s*(?=[\u4e00-\u9fff])"), "或"),
    (re.compile(r"(?<=[\u4e00-\u9fffA-Za-z])\s*[-–—]\s*(?=[\u4e00-\u9fffA-Za-z])"), "、"),
    (re.compile(r"[“”‘’\"'「」『』《》〈〉*#_`~^|\\<>=@$&/+\-–—¥]"), ""),
    (re.compile(r"[（()）【】\[\]{}]"), PAUSE),
    (re.compile(r"[•·●▪■◆◇○□►▶✓✔]"), PAUSE),
    (re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])"), PAUSE),
    (re.compile(r"\s+"), " "),
]


def speakable(text: str) -> str:
    """The text of a chat reply as it should be said on the phone (pure, idempotent)."""
    text = _drop_links_and_markup(text.translate(FULL_WIDTH))
    text = _join_lines(text)
    text = _drop_pictographs(text)
    for pattern, replace in NUMBER_RULES:
        text = pattern.sub(replace, text)
    for pattern, substitute in SYMBOL_RULES:
        text = pattern.sub(substitute, text)
    return _tidy_punctuation(text)


def _drop_links_and_markup(text: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url) → text
    text = re.sub(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", URL_READING, text)
    text = re.sub(
        r"(?<![*\d])\*\*([^*\n]+)\*\*(?![*\d])|__([^_\n]+)__|`([^`\n]+)`",
        lambda m: next(g for g in m.groups() if g),
        text,
    )
    text = re.sub(r"(?m)^\s*(?:#{1,6}|>+)\s*", "", text)
    text = re.sub(r"(?m)^\s*[-*•·●▪]\s+", "", text)
    return re.sub(r"(?m)^\s*(\d{1,2})[.、)）]\s*(?!\d)", _line_list_marker, text)


def _join_lines(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "".join(
        line if line[-1] in PUNCTUATION or i == len(lines) - 1 else line + STOP for i, line in enumerate(lines)
    )


def _drop_pictographs(text: str) -> str:
    """Emoji and other pictographs (So), joiners and variation selectors."""
    return "".join(c for c in text if unicodedata.category(c) not in ("So", "Sk", "Cf", "Co", "Cs") and c != "\ufe0f")


def _tidy_punctuation(text: str) -> str:
    text = text.strip(" " + PAUSE + "、")
    text = re.sub(r"\s*([，、])[\s，、]*", r"\1", text)
    text = re.sub(r"[\s，、]*([。！？；：])", r"\1", text)
    return re.sub(r"([。！？；：])\1+", r"\1", text)
