"""Splitting the seed newspaper page into articles by headline and byline structure."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.document import Source
from kg.read.articles import page_date, page_offset, reflow, split_articles

SEED = Path(__file__).resolve().parents[1] / "seeds" / "zhuzhou-daily-2021-12.txt"


@pytest.fixture(scope="module")
def articles() -> list[Source]:
    text = SEED.read_text(encoding="utf-8")
    return split_articles(Source("seeds/zhuzhou-daily-2021-12.txt", text, path="seeds/zhuzhou-daily-2021-12.txt"))


def test_seed_page_has_six_articles_with_titles(articles: list[Source]) -> None:
    assert [a.title for a in articles] == [
        "株洲经开区全力开展“学党史、当先锋——我为群众办实事”实践活动",
        "株洲万达广场将于23日开业",
        "47项“民生100”指标提前完成任务",
        "农村生活垃圾分类学习交流",
        "云田镇集中整治环境卫生",
        "鼓足干劲向前进——湖南省炎帝陵基金会办公室2021年工作见闻",
    ]
    assert [a.doc_id for a in articles] == [f"seeds/zhuzhou-daily-2021-12.txt#a{n}" for n in range(1, 7)]


def test_article_metadata_from_bylines_and_layout(articles: list[Source]) -> None:
    first, wanda, brief1, brief2, brief3, special = articles
    assert first.metadata["subtitle"] == "学史力行,切实解决群众“急难愁盼”"
    assert first.metadata["publisher"] == "株洲日报·掌上株洲"
    assert first.metadata["authors"] == "记者:李逸峰;通讯员:文石金,李波,雷莹,甘敏;摄影:谷月英"
    assert wanda.metadata["authors"] == "记者:李逸峰;通讯员:李琼璞,明越"
    assert brief1.metadata["column"] == brief2.metadata["column"] == brief3.metadata["column"] == "新闻集装箱"
    assert brief1.metadata["authors"] == "作者:甘敏,叶金涛"
    assert brief3.metadata["authors"] == "作者:董财,汤帅"
    assert special.metadata["column"] == "专版" and special.metadata["authors"] == "通讯员:葛炎"
    assert all(a.date == "2021-12" for a in articles)  # from the file name when no --date is given


def test_articles_map_back_to_the_page(articles: list[Source]) -> None:
    text = SEED.read_text(encoding="utf-8")
    for a in articles:
        assert all(text[page_offset(a, i)] == ch for i, ch in enumerate(a.text))
        offset = int(a.metadata["offset"])
        assert sorted(text[offset: offset + len(a.text)]) == sorted(a.text)  # same characters, reflowed


def test_sentences_broken_by_the_layout_are_rejoined(articles: list[Source]) -> None:
    wanda, special = articles[1], articles[5]
    assert "取得施工许可。\n\n项目于10月26日启动验收工作" in wanda.text
    assert "该项目位于炎帝陵核心景区西南侧" in special.text
    assert "省炎基办相关负责人介绍" in special.text and "3500万元。”\n\n省炎基办" in special.text
    text, moves = reflow("标题\n\n第一句话。第二句话被版面断\n\n开了。\n\n张三 摄\n\n图片说明。")
    assert "第二句话被版面断开了。" in text and "张三 摄\n\n图片说明" in text and len(moves) == 1
    # section headings inside the feature stay in it
    assert "三级联动 实地走访“有速度”" in articles[0].text and "回应期盼 解决问题“有温度”" in articles[0].text
    assert articles[1].text.rstrip().endswith("政务服务保障。")


def test_single_article_and_plain_text_are_unchanged() -> None:
    one = Source("x.txt", "株洲万达广场将于23日开业\n\n"
                          "株洲日报·掌上株洲讯(记者/李逸峰) 12月15日,工人师傅正在施划车位线。")
    assert split_articles(one) == [one]
    plain = Source("y.txt", "这是一段没有标题的文字。第二句。")
    assert split_articles(plain) == [plain]


def test_page_date_from_the_masthead() -> None:
    assert page_date("株洲日报\n2021年12月16日 星期四\n\n标题") == "2021-12-16"
    assert page_date("标题\n\n2021年12月16日,株洲经开区召开会议。") == ""
    page = SEED.read_text(encoding="utf-8")
    arts = split_articles(Source("p.txt", "2021年12月16日 星期四\n" + page))
    assert {a.date for a in arts} == {"2021-12-16"}
    assert arts[0].title == "株洲经开区全力开展“学党史、当先锋——我为群众办实事”实践活动"
