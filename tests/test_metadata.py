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


def test_crawler_field_labels_are_not_part_of_the_agency():
    """real-sanming-city-2022: crawler text opens with 标题：/发布机构：/栏目： lines (was '标题:三明市')."""
    import extract
    from conftest import DOCS

    r = extract.parse_file(DOCS / "real-sanming-city-2022.txt")
    assert (r.title, r.agency, r.year) == ("三明市2022年政府信息公开工作年度报告", "三明市人民政府", 2022)
    assert (r.province, r.city, r.adcode) == ("福建省", "三明市", "350400")
    m = meta("标题:莆田市统计局2020年政府信息公开工作年度报告\n发布机构：\n栏目：政府信息公开年报\n一、总体情况\n")
    assert (m.title, m.agency) == ("莆田市统计局2020年政府信息公开工作年度报告", "莆田市统计局")


def test_column_field_is_not_the_title_when_the_title_line_is_missing():
    """'栏目：政府信息公开年报' looked like a title and gave the agency '栏目'."""
    m = meta("栏目：政府信息公开年报\n发布机构：莆田市统计局\n来源：政府信息公开办\n一、总体情况\n本年度无申请。\n")
    assert (m.title, m.agency) == ("", "莆田市统计局")


def test_place_only_title_is_the_places_government():
    for title, agency in [("三明市2013年政府信息公开工作年度报告", "三明市人民政府"),
                          ("福州市晋安区2016年政府信息公开工作年度报告", "福州市晋安区人民政府"),
                          ("七里坪镇2020年政府信息公开工作年度报告", "七里坪镇人民政府"),
                          ("中山街道2021年政府信息公开工作年度报告", "中山街道办事处"),
                          # not a place the gazetteer knows: kept as printed
                          ("平潭综合实验区2023年政府信息公开工作年度报告", "平潭综合实验区"),
                          ("三明市教育局2022年政府信息公开工作年度报告", "三明市教育局")]:
        m = meta(title + "\n一、总体情况\n")
        assert (m.title, m.agency) == (title, agency)


def test_pdf_title_split_with_the_agency_on_the_line_above():
    """A PDF whose metadata title lacks the agency, printed '淮安市人民政府' / '2024年…年度报告'."""
    from parsers.model import Document, Paragraph

    from extract.report.metadata import extract_metadata

    doc = Document(blocks=[Paragraph("淮安市人民政府"), Paragraph("2024年政府信息公开工作年度报告"),
                           Paragraph("一、总体情况")], format="pdf", title="2024年政府信息公开工作年度报告")
    m = extract_metadata(doc)
    assert (m.title, m.agency, m.year) == ("淮安市人民政府2024年政府信息公开工作年度报告", "淮安市人民政府", 2024)


def test_agency_from_metadata_grid_when_the_title_names_none():
    from parsers.model import Cell, Document, Paragraph, Table

    from extract.report.metadata import extract_metadata

    grid = Table.from_rows([[Cell("索引号"), Cell("000014348/2024-00012"), Cell("发布机构"), Cell("莆田市统计局")],
                            [Cell("栏目"), Cell("政府信息公开年报"), Cell("发布日期"), Cell("2024-01-15")]])
    doc = Document(blocks=[grid, Paragraph("2023年政府信息公开工作年度报告"), Paragraph("一、总体情况")], format="html")
    m = extract_metadata(doc)
    assert (m.title, m.agency, m.year) == ("2023年政府信息公开工作年度报告", "莆田市统计局", 2023)


def test_agency_named_by_the_opening_sentence_when_there_is_no_title():
    """Web-archive excerpts without their title line: the opening sentence names the report."""
    import extract
    from conftest import DOCS

    assert extract.parse_file(DOCS / "real-025.txt").agency == "清远市教育局"  # 現公布清遠市教育局2024年度…
    assert extract.parse_file(DOCS / "real-015.txt").agency == "穆寨街道办事处"  # 现将穆寨街道办事处2021年度…
    # crawler text breaks the sentence anywhere: "现公布三明市人民政府" / "2022" / "年政府信息公开工作年度报告"
    m = meta("栏目：政府信息公开年报\n正文：\n根据条例要求，现公布三明市人民政府\n2022\n年政府信息公开工作年度报告。\n一、总体情况\n")
    assert m.agency == "三明市人民政府"
    m = meta("根据条例，现将我办2022年度政府信息公开情况报告如下:\n一、总体情况\n")
    assert m.agency == ""  # "我办" names no one


def test_agency_and_date_under_the_title_at_the_top():
    import extract
    from conftest import DOCS

    r = extract.parse_file(DOCS / "real-035.txt")  # 廣州市人民政府 / 2013年3月, then the body
    assert (r.agency, r.year) == ("广州市人民政府", 2012)


def test_breadcrumb_after_a_site_name_is_not_a_title():
    """real-017: '中国政府网 山西省政府 忻州市政府' then '当前位置:首页 > 政府信息公开 > 公开年报'."""
    import extract
    from conftest import DOCS

    r = extract.parse_file(DOCS / "real-017.txt")
    assert (r.title, r.agency) == ("代县卫生健康局2024年政府信息公开工作年度报告", "代县卫生健康局")


def test_agency_in_the_body_whose_place_jieba_cuts_before_its_suffix():
    """real-007: '光明区外事局' is cut '光明' '区' '外事局'; the report calls itself 我局."""
    import extract
    from conftest import DOCS

    assert extract.parse_file(DOCS / "real-007.txt").agency == "光明区外事局"
