from parsers import read

from extract.report.metadata import extract_metadata


def meta(text: str):
    return extract_metadata(read(text.encode(), "t.txt"))


def test_agency_and_year_from_title():
    m = meta("石家庄市桥西区中山街道办事处2021年政府信息公开工作年度报告\n发布时间:2022年01月30日\n一、总体情况\n")
    assert (m.agency, m.year) == ("石家庄市桥西区中山街道办事处", 2021)
    assert (m.province, m.city, m.county, m.adcode) == ("河北省", "石家庄市", "桥西区", "130104")


def test_title_broken_over_two_lines_with_spaces():
    m = meta("正文\n2024 年上海市科委政府信息公开工作\n年度报告\n根据条例编制。\n")
    assert (m.title, m.agency, m.year) == ("2024年上海市科委政府信息公开工作年度报告", "上海市科委", 2024)


def test_agency_from_signature_and_year_from_body():
    m = meta("一、总体情况\n2020年,我局在市委、市政府的领导下开展工作。\n六、其他需要报告的事项\n无。\n漳平市教育局\n2021年1月20日\n")
    assert (m.agency, m.year, m.adcode) == ("漳平市教育局", 2020, "350881")


def test_year_from_statistics_period_not_publication_date():
    m = meta("发布日期:2025-01-10\n本报告所列数据的统计期限为2024年1月1日至2024年12月31日。\n2025年工作打算如下。\n")
    assert m.year == 2024


def test_agency_named_in_the_body_matching_its_self_reference():
    m = meta("一、总体情况\n2020年,我局依托代县政府网站和代县卫生健康局微信公众号公开信息。我局共公开信息20条。\n")
    assert m.agency == "代县卫生健康局"
    assert m.province == "山西省" and m.adcode == "140923"


def test_no_agency_no_region():
    m = meta("一、总体情况\n本年度无申请。\n")
    assert (m.agency, m.province, m.adcode) == ("", "", "")


def test_breadcrumb_is_not_the_title():
    m = meta("当前位置:首页 > 政府信息公开 > 政府信息公开年报\n漳平市教育局2020年政府信息公开工作年度报告\n一、总体情况\n")
    assert (m.title, m.agency) == ("漳平市教育局2020年政府信息公开工作年度报告", "漳平市教育局")
