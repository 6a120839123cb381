from parsers import read

from extract.report.schema import load_schema
from extract.report.sections import find_sections


def sections(text: str):
    return [(s.number, s.key, s.heading) for s in find_sections(read(text.encode(), "t.txt"), load_schema())]


def test_table_row_labels_are_never_sections():
    text = ("三、收到和处理政府信息公开申请情况\n三、本年度办理结果\n(一)予以公开\n"
            "四、结转下年度继续办理\n四、政府信息公开行政复议、行政诉讼情况\n五、存在的主要问题及改进情况\n")
    assert sections(text) == [("三", "applications", "三、收到和处理政府信息公开申请情况"),
                              ("四", "review_litigation", "四、政府信息公开行政复议、行政诉讼情况"),
                              ("五", "problems", "五、存在的主要问题及改进情况")]


def test_intro_sentence_listing_all_parts_is_not_a_heading():
    text = ("本报告由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议、"
            "行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项组成。\n一、总体情况\n正文。\n")
    assert sections(text) == [("一", "overview", "一、总体情况")]


def test_heading_variants_and_subheadings():
    text = ("一、总体情况\n(一)主动公开政府信息情况\n正文。\n"
            "四、因政府信息公开工作被申请行政复议提起行政诉讼情况\n"
            "五、政府信息公开工作存在的主要问题及改进情况\n六、其他需要报告的事项\n")
    assert [k for _, k, _ in sections(text)] == ["overview", "review_litigation", "problems", "other_matters"]


def test_unknown_numbered_parts_follow_the_run():
    text = "一、总体情况\n二、工作机制保障\n这一段有很多字。\n三、主动公开政府信息情况\n"
    assert sections(text) == [("一", "overview", "一、总体情况"), ("二", "unknown", "二、工作机制保障"),
                              ("三", "active_disclosure", "三、主动公开政府信息情况")]


def test_traditional_characters():
    assert sections("一、總體情況\n二、主動公開政府信息情況\n")[1][1] == "active_disclosure"


def test_legacy_headings():
    text = "一、概述\n二、主动公开政府信息的情况\n三、政府信息依申请公开办理情况\n"
    assert [k for _, k, _ in sections(text)] == ["overview", "active_disclosure", "applications"]
