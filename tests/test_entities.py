"""Entity recognition on real sentences: each recogniser, and the careful reader's lists for whole pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.document import Source
from kg.extract import Extractor
from kg.extract.evaluate import load_list, score_entities
from kg.extract.gazetteer import find_divisions, parent_chain
from kg.extract.sentences import to_halfwidth

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SHARED_DATA = Path(__import__("os").environ.get("KG_SHARED", ROOT.parent / "shared")) / "data"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def labels(extractor: Extractor, text: str) -> dict[str, str]:
    doc = extractor(Source("t.txt", text))
    for m in doc.mentions:
        assert text[m.start:m.end] == m.text
    return {e.label: e.type for e in doc.entities}


def test_halfwidth_keeps_length() -> None:
    text = "２０１２年ＶＩＰ车厢，　ＢＴＶ"
    assert to_halfwidth(text) == "2012年VIP车厢,　BTV".replace("　", " ")
    assert len(to_halfwidth(text)) == len(text)


def test_gazetteer_knows_divisions_and_their_parents() -> None:
    assert parent_chain("浏阳市") == ["长沙市", "湖南省"]
    assert [name for _, _, name in find_divisions("他从长沙市雨花区到北京")] == ["长沙市", "雨花区", "北京"]


def test_compound_agency_with_function_words(extractor: Extractor) -> None:
    found = labels(extractor, "在该区行政审批服务局与市场监管局的积极协调下，启动个体户登记程序。")
    assert found.get("行政审批服务局") == "Agency"
    assert found.get("市场监管局") == "Agency"


def test_verb_phrase_and_person_do_not_make_a_name(extractor: Extractor) -> None:
    found = labels(extractor, "湖南省教育厅厅长李明出席会议并讲话。")
    assert found.get("湖南省教育厅") == "Agency" and found.get("李明") == "Person"
    assert not any("出席" in label for label in found)


def test_generic_words_are_not_names(extractor: Extractor) -> None:
    found = labels(extractor, "组织党员干部和青年干部深入基层，为群众办实事，推动经济社会发展大局。")
    assert found == {}


def test_list_of_roads(extractor: Extractor) -> None:
    found = labels(extractor, "该线路经枫林大道、望月湖路、金星北路，至岳麓山站。")
    for road in ("枫林大道", "望月湖路", "金星北路"):
        assert found.get(road) == "Place", found


def test_quoted_event_and_project(extractor: Extractor) -> None:
    found = labels(extractor, "市文联举办“我心中的家乡”摄影大赛，并启动“书香社区”工程。")
    assert found.get("“我心中的家乡”摄影大赛") == "Event"
    assert found.get("“书香社区”工程") == "Project"


def test_bracketed_part_stays_inside_the_name(extractor: Extractor) -> None:
    found = labels(extractor, "岳麓山茶文化（体验）园项目正式开工。")
    assert found.get("岳麓山茶文化（体验）园项目") == "Project", found


def test_bus_line(extractor: Extractor) -> None:
    found = labels(extractor, "9月1日，X12路湘江城际公交线路开通，另有3号线延伸段。")
    assert found.get("X12路湘江城际公交线路") == "Project"
    assert found.get("3号线") == "Project"


def test_bylines_and_credits_are_people(extractor: Extractor) -> None:
    found = labels(extractor, "本报讯（记者/王小明 通讯员/赵大海 钱多多）近日，长沙市召开座谈会。（孙悦 周正）")
    for name in ("王小明", "赵大海", "钱多多", "孙悦", "周正"):
        assert found.get(name) == "Person", found


def test_ordinary_words_jieba_files_as_names_are_not_people(extractor: Extractor) -> None:
    """jieba's dictionary tags 白开水, 连衣裙 and 屈光度 nr (SogouCS sentences); the tagger does not confirm them.
    Names the same dictionary lists, and the tagger confirms, stay people."""
    for text, word in (("若要解渴，最好饮用白开水，它不仅容易吸收，而且可以帮助消化。", "白开水"),
                       ("配图是一名身着黑色丝纱连衣裙妙龄女子的背面，由于面料薄透。", "连衣裙"),
                       ("代谢物滞留于血液中，导致眼睛屈光度改变，最终造成近视。", "屈光度")):
        assert word not in labels(extractor, text), text
    for text, name in (("央视主持人崔永元昨日表示，将继续调查此事。", "崔永元"),
                       ("全国政协副主席许嘉璐出席会议并讲话。", "许嘉璐")):
        assert labels(extractor, text).get(name) == "Person", text


def test_an_item_listed_among_ordinary_words_is_not_a_person(extractor: Extractor) -> None:
    """jieba's HMM reads 卫健 (an abbreviation) and 张力 (tension) as names; their list neighbours are ordinary words.
    People listed with people, or with their posts, stay people."""
    for text, word in (("首批事项涵盖教育、医保、卫健和市场监管等领域。", "卫健"),
                       ("所有的这种张力、摩擦甚至冲突，他们都感受到了。", "张力")):
        assert word not in labels(extractor, text), text
    found = labels(extractor, "获奖者为刘晓东、陈志远和赵文涛，董事长王建华、总经理李明远为他们颁奖。")
    for name in ("刘晓东", "陈志远", "赵文涛", "王建华", "李明远"):
        assert found.get(name) == "Person", (name, found)


def test_a_closing_bracket_of_words_is_not_a_credit(extractor: Extractor) -> None:
    """A SogouCS headline ends 现身说法（全文）: 全 and 关 are surnames, but 全文 and 关于 are words, not people."""
    for text in ("益论坛：聚焦饮水安全　一线水司现身说法（全文）", "市政府发布通知（关于）"):
        found = labels(extractor, text)
        assert "全文" not in found and "关于" not in found, found


def test_honorifics_are_not_names(extractor: Extractor) -> None:
    found = labels(extractor, "市民林先生表示，黄小姐也这么认为。")
    assert "林先生" not in found and "黄小姐" not in found


def test_full_width_text(extractor: Extractor) -> None:
    found = labels(extractor, "２０１２年深港地铁圈高峰论坛上，深圳市政府副秘书长张三透露，１１号线将增加车厢。")
    assert found.get("２０１２年深港地铁圈高峰论坛") == "Event"
    assert found.get("１１号线") == "Project"
    assert found.get("深圳市政府") == "Agency"


def test_seed_page_against_the_readers_list(extractor: Extractor) -> None:
    reader = load_list(FIXTURES / "seed_entities.json")
    doc = extractor(Source("seed", (ROOT / reader["source"]).read_text(encoding="utf-8")))
    score = score_entities(doc.entities, reader)
    # The targets: ≥ 90 % of the reader's list found, < 5 % of the output not names.
    assert score.recall >= 0.9, score.report()
    assert score.junk_rate < 0.05, score.report()


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="shared data not present")
def test_sogou_articles_against_the_readers_list(extractor: Extractor) -> None:
    fixture = load_list(FIXTURES / "sogou_entities.json")
    for item in fixture["documents"]:
        raw = (SHARED_DATA / item["file"]).read_text(encoding="utf-8")
        pattern = rf"<docno>{item['docno']}</docno>\s*<contenttitle>(.*?)</contenttitle>\s*<content>(.*?)</content>"
        m = re.search(pattern, raw, re.S)
        assert m, item["docno"]
        doc = extractor(Source(item["docno"], m.group(1) + "\n" + m.group(2)))
        score = score_entities(doc.entities, item)
        assert score.recall >= 0.7, score.report()
        assert score.junk_rate <= 0.1, score.report()


def test_traditional_input_keeps_the_written_form_as_alias(extractor: Extractor, tmp_path: Path) -> None:
    from kg.read import read_sources

    page = tmp_path / "tw.txt"
    page.write_text("臺北市政府發言人林小明表示，臺灣大學將舉辦國際研討會。", encoding="utf-8")
    [source] = [s for s in read_sources([page]) if isinstance(s, Source)]
    doc = extractor(source)
    by_label = {e.label: e for e in doc.entities}
    assert "台北市政府" in by_label, by_label
    assert "臺北市政府" in by_label["台北市政府"].aliases


def test_list_closed_by_a_class_word(extractor: Extractor) -> None:
    found = labels(extractor, "他走访了湘江钢铁、金叶烟草、蓝天制药等知名企业，又到过高等院校和中小学校等进行宣讲。")
    for company in ("湘江钢铁", "金叶烟草", "蓝天制药"):
        assert found.get(company) == "Agency", found
    assert "院校" not in found and "中小学校" not in found


def test_dictionary_words_jieba_tags_as_names_are_not_people(extractor: Extractor) -> None:
    found = labels(extractor, "企业须取得许可证后方可经营，情节严重者将被处罚，张维迎教授和许嘉璐先生表示赞同。")
    assert found.get("张维迎") == "Person" and found.get("许嘉璐") == "Person", found
    for word in ("许可证", "严重者"):
        assert word not in found, found


# Sentences from the SogouCS GBK dump (raw-news-sogou/news_tensite_xml.smarty.dat), as the reader decodes them.
def test_surname_before_ordinary_words_is_not_a_person(extractor: Extractor) -> None:
    found = labels(extractor, "庞飒说，目前，价值股和成长股基本上均衡配置。庞认为，当前社会是一个快餐式的文化。")
    assert found.get("庞飒") == "Person" and "庞认为" not in found, found
    found = labels(extractor, "英国《太阳报》报道说，古迪拒绝在婚礼上戴面纱，她希望来宾看到她的秃头。")
    assert "戴面纱" not in found, found
    found = labels(extractor, "核心的人物就是范佩西和亨特拉尔这两名主力前锋的竞争者。")
    assert "和亨特" not in found and "和亨特拉尔" not in found, found


def test_mis_decoded_stretches_give_no_names(extractor: Extractor) -> None:
    text = "共同治理食品安全问题。?Ｆ殉こ乔康鳎?我们深信，在党中央、国务院的坚强领导下，问题会解决。"
    found = labels(extractor, text)
    assert not any("鳎" in label or "殉" in label for label in found), found
    assert found.get("国务院") == "Agency", found


def test_agency_name_jieba_cut_inside_a_word(extractor: Extractor) -> None:
    found = labels(extractor, "重庆上邦高尔夫球场的开发商——重庆腾翔实业有限公司（以下简称腾翔实业）付出了代价。")
    assert found.get("重庆腾翔实业有限公司") == "Agency", found
    assert "业有限公司" not in found


def test_company_brand_between_place_and_trade(extractor: Extractor) -> None:
    found = labels(extractor, "珠海可口可乐饮料有限公司市场部公共事务及传讯主任钟星亲自前往中山，拍下该瓶可乐照片。")
    assert any(label.startswith("珠海可口可乐饮料有限公司") for label in found), found
    assert "饮料有限公司" not in found
    found = labels(extractor, "数据显示，中国平安人寿保险股份有限公司一季度持股数量由期初的１９．９９８亿股增加。")
    assert found.get("中国平安人寿保险股份有限公司") == "Agency", found
