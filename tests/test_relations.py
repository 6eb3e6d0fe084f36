"""Relation rules on real sentences (the seed page, SogouCS, DuIE).

Most tests give the entity mentions by hand (``_doc``) so that they check the relation rules alone and keep passing
while the recogniser changes; a few run the whole extractor end to end.
"""

from __future__ import annotations

import re

import pytest

from kg.document import Document, Entity, Mention, Source
from kg.extract import Extractor
from kg.extract.dates import date_from_name, find_dates
from kg.extract.money import chinese_number, find_money, find_quantities
from kg.extract.relations import credits, relations
from kg.extract.sentences import split_sentences


def _doc(text: str, names: list[tuple[str, ...]], *, date: str = "2021-12", doc_id: str = "t.txt",
         title: str = "") -> Document:
    """A Document whose mentions are every occurrence of the given (name, type[, entity label]) tuples, longest
    first; a third element makes the name an alias (该项目 → the project)."""
    mentions: list[Mention] = []
    alias_of: dict[str, str] = {}
    taken = bytearray(len(text))
    for name, type_name, *label in sorted(names, key=lambda nt: -len(nt[0])):
        if label:
            alias_of[name] = label[0]
        for m in re.finditer(re.escape(name), text):
            if not any(taken[m.start():m.end()]):
                mentions.append(Mention(m.start(), m.end(), name, type_name, source="test"))
                taken[m.start():m.end()] = b"\1" * len(name)
    entities: dict[tuple[str, str], Entity] = {}
    for m in sorted(mentions, key=lambda m: m.start):
        key = (m.type, alias_of.get(m.text, m.text))
        if key not in entities:
            entities[key] = Entity(f"e{len(entities) + 1}", m.type, key[1])
        m.entity = entities[key].id
    doc = Document(doc=doc_id, text=text, title=title, date=date, sentences=split_sentences(text),
                   mentions=sorted(mentions, key=lambda m: m.start), entities=list(entities.values()))
    return doc


def _facts(doc: Document, with_role: bool = False) -> set[tuple]:
    label = {e.id: e.label for e in doc.entities}
    out = set()
    for r in relations(doc, co_mention=False):
        other = label[r.object] if r.object is not None else (
            tuple(sorted(r.value.items())) if isinstance(r.value, dict) else r.value)
        fact = (label[r.subject], r.predicate, other)
        out.add((*fact, r.extra.get("role", "")) if with_role else fact)
    return out


# ---------------------------------------------------------------- posts


def test_posts_several_titles_in_one_agency() -> None:
    doc = _doc("省炎基办党组书记、主任黄勇表示,将深入学习贯彻党的十九届六中全会精神。",
               [("省炎基办", "Agency"), ("黄勇", "Person")])
    facts = _facts(doc, with_role=True)
    assert ("黄勇", "holdsPost", "省炎基办", "党组书记") in facts
    assert ("黄勇", "holdsPost", "省炎基办", "主任") in facts


def test_posts_chained_agencies_with_titles() -> None:
    doc = _doc("聘请中国美协副主席、清华大学美术学院院长鲁晓波等一批文化和艺术家为“炎帝神农文化推广大使”。",
               [("中国美协", "Agency"), ("清华大学美术学院", "Agency"), ("鲁晓波", "Person")])
    facts = _facts(doc, with_role=True)
    assert ("鲁晓波", "holdsPost", "清华大学美术学院", "院长") in facts
    assert ("鲁晓波", "holdsPost", "中国美协", "副主席") in facts


def test_posts_from_sogou_sentence() -> None:
    doc = _doc("论坛上，深圳市政府副秘书长、轨道交通建设办公室主任赵鹏林透露，地铁未来的方向将分等级",
               [("深圳市政府", "Agency"), ("轨道交通建设办公室", "Agency"), ("赵鹏林", "Person")])
    facts = _facts(doc, with_role=True)
    assert ("赵鹏林", "holdsPost", "深圳市政府", "副秘书长") in facts
    assert ("赵鹏林", "holdsPost", "轨道交通建设办公室", "主任") in facts
    assert ("赵鹏林", "quotedIn", "t.txt", "透露") in facts


def test_posts_second_office_holder_and_title_after_name() -> None:
    doc = _doc("北京交通大学党委书记黄泰岩、校长王稼琼等领导班子成员参加相关活动",
               [("北京交通大学", "Agency"), ("黄泰岩", "Person"), ("王稼琼", "Person")])
    facts = _facts(doc, with_role=True)
    assert ("王稼琼", "holdsPost", "北京交通大学", "校长") in facts
    assert ("黄泰岩", "holdsPost", "北京交通大学", "党委书记") in facts
    doc = _doc("李天任博士（现任中国文化大学校长）有鉴于科技进步", [("李天任", "Person"), ("中国文化大学", "Agency")])
    assert ("李天任", "holdsPost", "中国文化大学") in _facts(doc)


def test_posts_end_to_end_on_seed_sentence() -> None:
    text = "省炎基办党组书记、主任黄勇表示,将深入学习贯彻党的十九届六中全会精神。"
    doc = Extractor()(Source("t.txt", "湖南省炎帝陵基金会办公室(以下简称省炎基办)紧紧围绕保护、建设。" + text))
    label = {e.id: e.label for e in doc.entities}
    posts = {(label[r.subject], r.extra["role"], label[r.object]) for r in doc.relations if r.predicate == "holdsPost"}
    assert ("黄勇", "主任", "湖南省炎帝陵基金会办公室") in posts
    assert ("黄勇", "党组书记", "湖南省炎帝陵基金会办公室") in posts


# ---------------------------------------------------------------- organisers and partners


def test_organizer_with_date_resolved_against_document_date() -> None:
    doc = _doc("12月7日,株洲经开区召开“民生100”工程工作调度会。",
               [("株洲经开区", "Agency"), ("“民生100”工程工作调度会", "Event")], date="2021-12-16")
    facts = _facts(doc)
    assert ("“民生100”工程工作调度会", "organizer", "株洲经开区") in facts
    assert ("“民生100”工程工作调度会", "date", "2021-12-07") in facts


def test_joint_organisers_are_partners() -> None:
    doc = _doc("今年9月,省炎基办联合市教育局在全市启动炎帝文化传承教育活动,面向小学五年级学生开设了课程。",
               [("省炎基办", "Agency"), ("市教育局", "Agency"), ("炎帝文化传承教育活动", "Event")])
    facts = _facts(doc)
    assert ("炎帝文化传承教育活动", "organizer", "省炎基办") in facts
    assert ("炎帝文化传承教育活动", "organizer", "市教育局") in facts
    assert ("省炎基办", "partner", "市教育局") in facts
    assert ("炎帝文化传承教育活动", "startDate", "2021-09") in facts


def test_partner_list_and_dropped_subject() -> None:
    text = ("株洲经开区全力开展实践活动\n"
            "截至目前,该区已与长沙市雨花区、浏阳市、长沙县等周边县市区“跨市通办”合作事项达到66项。"
            "对接深圳市罗湖区政数局签订政务服务“跨省通办”战略合作协议,梳理公布首批24项通办事项。")
    doc = _doc(text, [("株洲经开区", "Agency"), ("该区", "Agency"), ("长沙市雨花区", "Place"), ("浏阳市", "Place"),
                      ("长沙县", "Place"), ("深圳市罗湖区政数局", "Agency")], title="株洲经开区全力开展实践活动")
    # 该区 is resolved by the entity stage; here it is its own entity, so check the partners of both forms
    facts = _facts(doc)
    for place in ("长沙市雨花区", "浏阳市", "长沙县"):
        assert ("该区", "partner", place) in facts
    assert ("株洲经开区", "partner", "深圳市罗湖区政数局") in facts


def test_names_inside_book_titles_are_not_partners() -> None:
    doc = _doc("支持出版《炎帝和炎帝氏族》《炎帝与炎帝陵史话》专著两部;加强与湖南工业大学合作。",
               [("炎帝陵", "Place"), ("湖南工业大学", "Agency"), ("省炎基办", "Agency")])
    assert not any(f[1] == "partner" and "炎帝陵" in f for f in _facts(doc))


def test_participants_of_an_event() -> None:
    doc = _doc("日前,株洲经开区组织召开全区农村生活垃圾分类现场学习交流会,"
               "区农业局、云田镇、龙头铺街道、学林街道和各社区相关负责人约40人,前往云峰湖社区参观学习。",
               [("株洲经开区", "Agency"), ("农村生活垃圾分类现场学习交流会", "Event"), ("区农业局", "Agency"),
                ("云田镇", "Place"), ("龙头铺街道", "Place"), ("学林街道", "Place"), ("云峰湖社区", "Place")])
    facts = _facts(doc)
    assert ("农村生活垃圾分类现场学习交流会", "organizer", "株洲经开区") in facts
    for who in ("区农业局", "云田镇", "龙头铺街道", "学林街道"):
        assert ("农村生活垃圾分类现场学习交流会", "participant", who) in facts


# ---------------------------------------------------------------- dates, money, quantities


def test_dates_resolved_against_document_date() -> None:
    text = "今年4月,9月,自10月初启动以来,截至11月底,将于23日开业,12月15日"
    values = {d.text: d.value for d in find_dates(text, "2021-12")}
    assert values == {"今年4月": "2021-04", "9月": "2021-09", "10月初": "2021-10", "11月底": "2021-11",
                      "23日": "2021-12-23", "12月15日": "2021-12-15"}
    assert [d.value for d in find_dates("12月15日，9月", "")] == ["--12-15"]
    assert [d.value for d in find_dates("公司成立于2006年，2013年6月19日成立", "")] == ["2006", "2013-06-19"]
    assert date_from_name("seeds/zhuzhou-daily-2021-12.txt") == "2021-12"
    assert date_from_name("a/b.txt") == ""


def test_money_amounts() -> None:
    text = "争取到专项资金3500万元,预计项目一期总投资近1亿元,投资21亿元,三千五百万元"
    found = {a.text: a.value() for a in find_money(text)}
    assert found["3500万元"] == {"amount": 35000000, "currency": "CNY"}
    assert found["近1亿元"] == {"amount": 100000000, "currency": "CNY", "approximate": True}
    assert found["21亿元"]["amount"] == 2100000000
    assert found["三千五百万元"]["amount"] == 35000000
    assert chinese_number("25.9万") == 259000
    quantities = {q.text: q.value() for q in find_quantities("该线路全长52公里,占地面积约40公顷,收到500多个参赛作品")}
    assert quantities["52公里"] == {"amount": 52, "unit": "公里"}
    assert quantities["约40公顷"] == {"amount": 40, "unit": "公顷", "approximate": True}
    assert quantities["500多个"] == {"amount": 500, "unit": "个", "approximate": True}


def test_project_funding_investment_and_anaphora() -> None:
    text = ("“坚持围绕项目筹资,通过炎帝陵扬钱洲农耕文化(体验)园项目,我们积极向上汇报衔接,争取到专项资金3500万元。”"
            "省炎基办相关负责人介绍,该项目位于炎帝陵核心景区西南侧,占地面积约40公顷,预计项目一期总投资近1亿元。")
    project = "炎帝陵扬钱洲农耕文化(体验)园项目"
    doc = _doc(text, [(project, "Project"), ("省炎基办", "Agency"), ("炎帝陵核心景区", "Place")])
    facts = _facts(doc)
    assert (project, "funding", (("amount", 35000000), ("currency", "CNY"))) in facts
    assert (project, "investment", (("amount", 100000000), ("approximate", True), ("currency", "CNY"))) in facts
    assert ("省炎基办", "quotedIn", "t.txt") in facts


def test_line_route_length_price_and_start() -> None:
    text = ("10月8日,CZ1路长株城际公交线路正式运行。该线路全长52公里,从城铁株洲大丰站始发,经云田大道、华强路,"
            "至长沙高铁南站,全程票价2元。")
    line = "CZ1路长株城际公交线路"
    doc = _doc(text, [(line, "Project"), ("城铁株洲大丰站", "Place"), ("云田大道", "Place"), ("华强路", "Place"),
                      ("长沙高铁南站", "Place")], date="2021-12-16")
    facts = _facts(doc)
    assert (line, "startDate", "2021-10-08") in facts
    assert (line, "routeFrom", "城铁株洲大丰站") in facts and (line, "routeTo", "长沙高铁南站") in facts
    assert (line, "price", (("amount", 2), ("currency", "CNY"))) in facts


def test_quantities_of_a_contest() -> None:
    text = "“策划组织的‘童说炎帝’抖音大赛,自10月初启动以来,收到160所学校的500多个参赛作品,抖音阅读量逾50万人次。”"
    doc = _doc(text, [("‘童说炎帝’抖音大赛", "Event")])
    facts = _facts(doc, with_role=True)
    contest = "‘童说炎帝’抖音大赛"
    assert (contest, "startDate", "2021-10", "启动") in facts
    assert any(f[1] == "quantity" and f[2][0] == ("amount", 500) for f in facts)
    assert (contest, "quantity", (("amount", 500000), ("approximate", True), ("unit", "人次")), "阅读量") in facts


# ---------------------------------------------------------------- places and organisations


def test_sub_organisations_and_locations() -> None:
    doc = _doc("在该区行政审批服务局与市场监管局的积极协调下,启动个体户登记容缺受理程序。",
               [("该区", "Agency"), ("行政审批服务局", "Agency"), ("市场监管局", "Agency")])
    facts = _facts(doc)
    assert ("行政审批服务局", "subOrganizationOf", "该区") in facts
    assert ("行政审批服务局", "partner", "市场监管局") in facts
    doc = _doc("润迅通信集团有限公司是一家提供综合通信服务的公司,总部位于广东省深圳市,分支机构遍布中国大陆",
               [("润迅通信集团有限公司", "Agency"), ("广东省深圳市", "Place")])
    assert ("润迅通信集团有限公司", "locatedIn", "广东省深圳市", "总部") in _facts(doc, with_role=True)
    doc = _doc("通过农耕文化园项目争取资金。该项目位于炎帝陵核心景区西南侧,占地面积约40公顷",
               [("农耕文化园项目", "Project"), ("该项目", "Project", "农耕文化园项目"), ("炎帝陵核心景区", "Place")])
    facts = _facts(doc)
    assert ("农耕文化园项目", "projectLocation", "炎帝陵核心景区") in facts
    assert ("农耕文化园项目", "quantity", (("amount", 40), ("approximate", True), ("unit", "公顷"))) in facts


def test_nested_office_of_a_town_end_to_end() -> None:
    doc = Extractor()(Source("t.txt", "连日来,云田镇城管办开展环境卫生集中整治行动。"))
    label = {e.id: e.label for e in doc.entities}
    facts = {(label[r.subject], r.predicate, label.get(r.object)) for r in doc.relations}
    assert ("云田镇城管办", "subOrganizationOf", "云田镇") in facts


def test_event_place_list() -> None:
    doc = _doc("先后多次组织党员干部前往茶陵县睦睦村、石峰区清水塘社区开展“学史力行——我为群众办实事”活动。",
               [("茶陵县睦睦村", "Place"), ("石峰区清水塘社区", "Place"), ("“学史力行——我为群众办实事”活动", "Event")])
    facts = _facts(doc)
    assert ("“学史力行——我为群众办实事”活动", "eventPlace", "茶陵县睦睦村") in facts
    assert ("“学史力行——我为群众办实事”活动", "eventPlace", "石峰区清水塘社区") in facts


# ---------------------------------------------------------------- DuIE-style facts


@pytest.mark.parametrize(("text", "names", "fact"), [
    ("1993年11月16日，俞敏洪创办了北京市新东方学校，担任校长", [("俞敏洪", "Person"), ("北京市新东方学校", "Agency")],
     ("北京市新东方学校", "founder", "俞敏洪")),
    ("高瓴资本集团创始人兼首席执行官张磊研究驱动", [("高瓴资本集团", "Agency"), ("张磊", "Person")],
     ("高瓴资本集团", "founder", "张磊")),
    ("温州华泰警示设备有限公司成立于2006年，公司是一家专业制造企业", [("温州华泰警示设备有限公司", "Agency")],
     ("温州华泰警示设备有限公司", "foundingDate", "2006")),
    ("贵阳金龙房地产开发有限责任公司于2002年11月19日在贵阳市观山湖区市场监督管理局登记成立",
     [("贵阳金龙房地产开发有限责任公司", "Agency"), ("贵阳市观山湖区市场监督管理局", "Agency")],
     ("贵阳金龙房地产开发有限责任公司", "foundingDate", "2002-11-19")),
    ("陈维涵，中国辽宁人，毕业于中央戏剧学院，演员", [("陈维涵", "Person"), ("中央戏剧学院", "Agency")],
     ("陈维涵", "alumniOf", "中央戏剧学院")),
])
def test_duie_style_facts(text: str, names: list[tuple[str, str]], fact: tuple[str, str, str]) -> None:
    assert fact in _facts(_doc(text, names, date=""))


# ---------------------------------------------------------------- bylines


def test_credits_from_bylines_captions_and_briefs() -> None:
    text = ("株洲日报·掌上株洲记者/李逸峰 通讯员/文石金 李波 雷莹 甘敏\n张 谷月英 摄\n"
            "12月15日,株洲经开区颁出首张“跨市通办”证件。株洲日报·掌上株洲通讯员(谷月英)摄\n"
            "截至11月底,47项指标已提前完成任务。(甘敏 叶金涛)\n")
    found = {(name, role) for _s, _e, name, role in credits(text)}
    assert {("李逸峰", "记者"), ("文石金", "通讯员"), ("李波", "通讯员"), ("雷莹", "通讯员"), ("甘敏", "通讯员"),
            ("谷月英", "摄影"), ("甘敏", "作者"), ("叶金涛", "作者")} <= found
    assert not any(name in {"通讯员", "记者"} for name, _ in found)


def test_authors_are_document_level_relations_end_to_end() -> None:
    text = "农村生活垃圾分类学习交流\n\n日前,株洲经开区组织召开全区农村生活垃圾分类现场学习交流会。(张鹏)"
    doc = Extractor()(Source("page.txt#a4", text))
    label = {e.id: e.label for e in doc.entities}
    authors = [(label[r.subject], r.value, r.extra["role"]) for r in doc.relations if r.predicate == "authorOf"]
    assert authors == [("张鹏", "page.txt#a4", "作者")]


def test_relative_days_and_dateline_bylines_from_sogou() -> None:
    assert [d.value for d in find_dates("昨日，深港地铁圈高峰论坛上透露", "2012-07-06")] == ["2012-07-05"]
    assert find_dates("昨日", "2012-07") == []  # a relative day needs the full publication date
    found = {(name, role) for _s, _e, name, role in credits("南都讯　记者刘凡　周昌和　任笑一　继推出日票后，深圳今后")}
    assert found == {("刘凡", "记者"), ("周昌和", "记者"), ("任笑一", "记者")}


def test_title_before_another_name_is_not_taken_by_the_previous_person() -> None:
    doc = _doc("民政部社会救助司助理巡视员周萍，中华社会救助基金会副理事长耿志远，重庆市民政局巡视员谭明政。",
               [("周萍", "Person"), ("中华社会救助基金会", "Agency"), ("重庆市民政局", "Agency"), ("谭明政", "Person")])
    facts = _facts(doc, with_role=True)
    assert ("周萍", "holdsPost", "中华社会救助基金会", "副理事长") not in facts
    assert ("谭明政", "holdsPost", "重庆市民政局", "巡视员") in facts


def test_event_named_by_a_whole_title_keeps_its_date() -> None:
    doc = _doc("６月１９日，《２０１２年度“中国爱心城市”公益活动新闻发布会》在京举行。",
               [("“中国爱心城市”公益活动新闻发布会", "Event")], date="2012-06-20")
    assert ("“中国爱心城市”公益活动新闻发布会", "date", "2012-06-19") in _facts(doc)


def test_places_part_of_the_divisions_the_document_names() -> None:
    doc = _doc("株洲经开区与浏阳市两地政务服务“跨市通办”。长沙市雨花区、长沙县等周边县市区合作。",
               [("株洲经开区", "Agency"), ("浏阳市", "Place"), ("长沙市", "Place"), ("长沙县", "Place")])
    facts = _facts(doc)
    assert ("浏阳市", "partOf", "长沙市") in facts and ("长沙县", "partOf", "长沙市") in facts


def test_places_that_will_take_part_in_an_event_named_before() -> None:
    text = ("６月１９日，“中国爱心城市”公益活动新闻发布会在京举行。"
            "本年度“中国爱心城市”公益活动将以第二届中国爱心城市大会为主要内容，"
            "重庆市、长沙市及晋江市将会积极参加这一公益活动。")
    doc = _doc(text, [("“中国爱心城市”公益活动新闻发布会", "Event"), ("“中国爱心城市”公益活动", "Event"),
                      ("第二届中国爱心城市大会", "Event"), ("重庆市", "Place"), ("长沙市", "Place"),
                      ("晋江市", "Place")])
    facts = _facts(doc)
    for city in ("重庆市", "长沙市", "晋江市"):
        assert ("“中国爱心城市”公益活动", "participant", city) in facts
        assert ("第二届中国爱心城市大会", "participant", city) not in facts
