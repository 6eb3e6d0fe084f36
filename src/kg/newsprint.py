"""Conventions of printed Chinese news that more than one stage relies on.

Why a module of its own: the reader splits a page into articles at their credit lines and dates a page from its
file name, and the extractor turns the same credit lines into authors and people; both need the same rules, and the
reader must not depend on the extractor (data flows one way: read → extract).  Here: common surnames, credit lines
(记者/李逸峰 通讯员/文石金, 谷月英 摄, a bracketed list of names closing a brief) and dates in file names.
"""

from __future__ import annotations

import re

# Common Chinese surnames (single and double): a person name starts with one of them.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢"
    "安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路"
    "游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全"
    "佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
) | frozenset({"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯"})

# Byline credits: role words before names (记者/李逸峰), names before 摄, bracketed names closing a brief.
_ROLE_WORDS = r"摄影记者|特约记者|见习记者|实习生|记者|通讯员|摄影|撰稿|责任编辑|编辑"
_NAME = rf"(?!{_ROLE_WORDS})[\u4e00-\u9fff]{{2,4}}"
_CREDIT_ROLE = re.compile(
    rf"({_ROLE_WORDS})\s*[/／:：]\s*"
    rf"({_NAME}(?:[ \u3000、，,]+{_NAME})*)")
_CREDIT_PHOTO = re.compile(rf"(?:(记者|通讯员)\s*)?[（(]\s*({_NAME})\s*[）)]\s*摄"
                           rf"|((?:{_NAME}[ \u3000]+)*{_NAME})[ \u3000]+摄\b")
# 南都讯　记者刘凡　周昌和　任笑一: a dateline byline without a slash, names apart by spaces
_CREDIT_NEWS = re.compile(rf"讯\s*[（(]?\s*({_ROLE_WORDS})\s*[/／:：]?\s*({_NAME}(?:[ \u3000、，,]+{_NAME})*)")
_CREDIT_BRACKET = re.compile(rf"[（(]\s*({_NAME}(?:[ \u3000、，,]+{_NAME})*)\s*[）)]\s*$", re.M)

ROLE_NAMES = {"记者": "记者", "通讯员": "通讯员", "摄影": "摄影", "摄影记者": "摄影", "特约记者": "记者",
              "见习记者": "记者", "实习生": "实习生", "撰稿": "作者", "编辑": "编辑", "责任编辑": "编辑"}


def credits(text: str) -> list[tuple[int, int, str, str]]:
    """Names credited in bylines and captions: ``(start, end, name, role)`` for every person credited.

    记者/李逸峰 通讯员/文石金 李波 (role before names), 谷月英 摄 or 通讯员(谷月英)摄 (photographer), and a bracketed
    list of names closing a brief (（甘敏 叶金涛）).
    """
    out: list[tuple[int, int, str, str]] = []

    def names(group_start: int, group: str, role: str) -> None:
        for nm in re.finditer(_NAME, group):
            name = nm.group(0)
            if len(name) > 3 or not (name[0] in SURNAMES or name[:2] in SURNAMES):
                continue
            out.append((group_start + nm.start(), group_start + nm.end(), name, role))

    for m in _CREDIT_ROLE.finditer(text):
        names(m.start(2), m.group(2), ROLE_NAMES.get(m.group(1), m.group(1)))
    for m in _CREDIT_NEWS.finditer(text, 0, 200):
        names(m.start(2), m.group(2), ROLE_NAMES.get(m.group(1), m.group(1)))
    for m in _CREDIT_PHOTO.finditer(text):
        if m.group(2):
            names(m.start(2), m.group(2), "摄影")
        elif m.group(3):
            line_start = text.rfind("\n", 0, m.start()) + 1
            if m.start() - line_start <= 2:  # a caption credit line, not a sentence ending in 摄
                names(m.start(3), m.group(3), "摄影")
    for m in _CREDIT_BRACKET.finditer(text):
        if text[max(0, m.start() - 1): m.start()] in {"", "。", "！", "？", "”", "\n"}:
            names(m.start(1), m.group(1), "作者")
    seen = set()
    unique = []
    for item in sorted(out):
        if (item[0], item[3]) not in seen:
            seen.add((item[0], item[3]))
            unique.append(item)
    return unique


def date_from_name(name: str) -> str:
    """A publication date in a file name (``zhuzhou-daily-2021-12.txt`` → ``2021-12``), or ``""``."""
    m = re.search(r"(?<!\d)((?:19|20)\d{2})[-_.]?(0[1-9]|1[0-2])(?:[-_.]?(0[1-9]|[12]\d|3[01]))?(?!\d)", name)
    if not m:
        return ""
    return "-".join(g for g in m.groups() if g)
