"""The legacy era (2008–2018): statistics tables (variants A, B, C), statements, verdict, indicators."""
from __future__ import annotations

import json

import pytest

import extract
from conftest import DOCS, EXPECTED
from extract.report.normalize import clean
from extract.report.schema import load_schema
from extract.report.sections import FoundSection
from extract.report.statements import find_statements
from legacy_tables import HEADER_B, HEADER_C, VARIANT_B, VARIANT_C, crawler_text, expected_cells, html_page, piped_text

LEGACY_DOCS = ["legacy-putian-city-2011.txt", "legacy-sanming-city-2015.txt", "legacy-pingtan-2018.html"]


def _parse(text: str, name: str):
    return extract.parse_bytes(text.encode("utf-8"), source=name)


def _cells(report) -> list[tuple[str, str, float, str]]:
    return [(c.row, c.col, c.value, c.row_label) for c in report.cells]


# ---------------------------------------------------------------- variant A: the real corpus
@pytest.mark.parametrize("name", LEGACY_DOCS)
def test_variant_a_real_reports_match_expected(name):
    truth = json.loads((EXPECTED / (name.rsplit(".", 1)[0] + ".expected.json")).read_text("utf-8"))
    r = extract.parse_file(DOCS / name)
    assert (r.template, r.status, r.error, r.year) == ("legacy", "ok", "", truth["report"]["year"])
    got = {(c.table, c.row, c.col): c.value for c in r.cells}
    assert {(c["table"], c["row"], c["col"]): float(c["value"]) for c in truth["cells"]}.items() <= got.items()
    stated = {(s.key, s.value) for s in r.statements}
    assert {(s["key"], float(s["value"])) for s in truth["statements"]} <= stated
    # the sections carry legacy keys
    assert [s["section"] for s in r.records()["sections"]][:2] == ["overview", "proactive"]


def test_variant_a_year_header_broken_over_lines_and_unknown_rows():
    """三明 2015 prints its year column as "2015" / "年"; 莆田 2011 prints 年末统计 and two rows the
    schema does not know (kept as extra_N with their labels), and drops its blank cells."""
    sm = extract.parse_file(DOCS / "legacy-sanming-city-2015.txt")
    assert (sm.statistics.columns, sm.statistics.header) == (
        ["label", "unit", "reported", "cumulative"], ["指 标 名 称", "计量单位", "2015年", "历年累计"])
    cells = {(c.row, c.col): c for c in sm.cells}
    assert (cells[("requests_letter_fax", "reported")].value, cells[("requests_letter_fax", "cumulative")].value) == (22, 123)
    assert cells[("proactive_items", "cumulative")].unit == "条"
    pt = extract.parse_file(DOCS / "legacy-putian-city-2011.txt")
    extra = [(c.row, c.col, c.value, c.row_label, c.flags) for c in pt.cells if c.row.startswith("extra_")]
    assert extra == [("extra_1", "reported", 146, "公开查阅点查阅人数", ["unmatched_row"]),
                     ("extra_1", "cumulative", 1506, "公开查阅点查阅人数", ["unmatched_row"]),
                     ("extra_2", "reported", 122, "公开查阅点利用件次", ["unmatched_row"]),
                     ("extra_2", "cumulative", 680, "公开查阅点利用件次", ["unmatched_row"])]
    pcells = {(c.row, c.col): c.value for c in pt.cells}
    # 6.其它形式申请数 prints 0 and a blank cumulative cell, which the crawler dropped
    assert pcells[("requests_other", "reported")] == 0 and ("requests_other", "cumulative") not in pcells
    assert pcells[("admin_lawsuits", "cumulative")] == 1


def test_legacy_checks_recorded_never_fixed():
    r = extract.parse_file(DOCS / "legacy-sanming-city-2015.txt")
    checks = {c.check: (c.status, c.lhs, c.rhs) for c in r.checks}
    assert checks["legacy.request_channels[reported]"] == ("pass", 128, 67 + 39 + 22)
    # the report's own cumulative column does not add up (993 + 253 + 123 = 1369, not 1540)
    assert checks["legacy.request_channels[cumulative]"] == ("fail", 1540, 1369)
    assert checks["legacy.replies_sum[reported]"] == ("fail", 128, 35 + 9 + 1 + 6)  # soft: 77 已主动公开 not printed
    assert checks["legacy.cumulative_at_least_year[proactive_items]"] == ("pass", 295231, 33696)
    # the prose and the table disagree on 网站公开 (35335 stated, 31648 in the table): a finding
    assert checks["narrative.proactive_via_website"] == ("fail", 35335, 31648)
    assert checks["narrative.requests_received"] == ("pass", 128, 128)
    assert {(c.row, c.col): c.value for c in r.cells}[("proactive_via_website", "reported")] == 31648


# ---------------------------------------------------------------- variants B and C (formats.md §7b)
@pytest.mark.parametrize("make", [crawler_text, piped_text, html_page], ids=["crawler", "pipes", "html"])
@pytest.mark.parametrize("header, rows", [(HEADER_B, VARIANT_B), (HEADER_C, VARIANT_C)], ids=["B", "C"])
def test_variants_b_and_c(make, header, rows):
    name = "report.html" if make is html_page else "report.txt"
    r = _parse(make(header, rows), name)
    assert (r.template, r.status, r.error) == ("legacy", "ok", "")
    want = [(k, c, v, clean(label)) for k, c, v, label in expected_cells(rows)]
    assert _cells(r) == want
    assert r.statistics.columns == ["label", "unit", "reported"]
    units = {c.row: c.unit for c in r.cells}
    assert units[want[0][0]] == "条"


def test_variant_b_sub_rows_follow_their_parent():
    """被依法纠错数 and 其他情形数 are printed under 行政复议 and again under 行政诉讼."""
    r = _parse(crawler_text(HEADER_B, VARIANT_B), "b.txt")
    cells = {c.row: c.value for c in r.cells}
    assert (cells["review_corrected"], cells["review_other"]) == (1, 0)
    assert (cells["lawsuit_corrected"], cells["lawsuit_other"]) == (0, 1)
    checks = {c.check: c.status for c in r.checks}
    assert checks["legacy.request_channels[reported]"] == "pass"  # 47 = 20 + 1 + 19 + 7


# ---------------------------------------------------------------- statements from real sentences
def _statements(*paragraphs: str, key: str = "overview"):
    section = FoundSection(1, "一", "一、概述", key, 0, list(paragraphs))
    return [(s.key, s.value, s.unit, s.flags) for s in find_statements([section])]


def test_statement_positive():
    # 莆田 2011 and 平潭 2023 (real sentences)
    assert _statements("全市各级政府及其工作部门共受理政府信息公开申请238件，其中市级工作部门收到139件，"
                       "市县（区）人民政府（管委会）收到99件；") == [("requests_received", 238, "件", [])]
    assert _statements("在238件政府信息公开申请中，已答复238件，其中，“同意公开”的为160件、“同意部分公开”的为13件、"
                       "“其他答复”的为42件，“不予公开”的为23件。") == [
        ("replies_total", 238, "件", []), ("reply_granted", 160, "件", []),
        ("reply_partially_granted", 13, "件", []), ("reply_other", 42, "件", []), ("reply_denied", 23, "件", [])]
    assert _statements("平潭综合实验区切实落实国务院办公厅、省政府办公厅关于政务公开工作有关要求，2023年全区共主动公开政府信息13561条，"
                       "其中：公开规章信息0条。") == [("proactive_items", 13561, "条", [])]
    assert _statements("至12月底，网站专栏访问量339万多人次。") == [("site_visits", 3_390_000, "人次", ["approximate"])]


def test_statement_negated_is_an_implied_zero():
    assert _statements("2018年未收到有关政府信息公开申请。") == [("requests_received", 0, "", ["implied_zero"])]
    # a review and a lawsuit, not a request, although the sentence says 申请
    assert _statements("2018年未收到有关政府信息公开行政复议、提起行政诉讼的申请。") == [
        ("admin_reviews", 0, "", ["implied_zero"]), ("admin_lawsuits", 0, "", ["implied_zero"])]
    assert _statements("2015年，全市未发生因政府信息公开产生的行政复议、行政诉讼和行政申诉案件。") == [
        ("admin_reviews", 0, "", ["implied_zero"]), ("admin_lawsuits", 0, "", ["implied_zero"]),
        ("appeals_or_complaints", 0, "", ["implied_zero"])]
    assert _statements("2020年度我街办未接到提出公开政府信息的申请。") == [("requests_received", 0, "", ["implied_zero"])]
    # forms from general report phrasing: 无 before what it negates, a zero said after its topic
    assert _statements("全年无政府信息公开申请。") == [("requests_received", 0, "", ["implied_zero"])]
    assert _statements("行政复议和行政诉讼均为零。") == [
        ("admin_reviews", 0, "", ["implied_zero"]), ("admin_lawsuits", 0, "", ["implied_zero"])]
    assert _statements("本年度无正当理由大量反复申请的情形未作统计。") == []


def test_statement_for_a_part_has_scope():
    assert _statements("其中，区管委会及区直各部门主动公开政府信息1592条，占76.9%。各乡镇主动公开政府信息477条，占23.1%。") == [
        ("proactive_items", 1592, "条", ["scope"]), ("proactive_items", 477, "条", ["scope"])]
    # the whole named in the subject: not a part
    assert _statements("2015年，各级各部门网站公开政府信息35335条；") == [("proactive_via_website", 35335, "条", [])]


def test_percentages_changes_cumulative_and_combined_figures_are_not_taken():
    assert _statements("当面申请156件，占65.5%，以传真形式申请9件，占3.8%。") == [
        ("requests_in_person", 156, "件", []), ("requests_fax", 9, "件", [])]
    assert _statements("《条例》实施以来，累计主动公开政府信息324672条。") == []
    assert _statements("至目前，已累计出刊148期，共发布政府信息4734条。") == []
    # 予以公开及部分公开 is the two together (上海 2019): neither key
    assert _statements("予以公开及部分公开258件，占33.9%；") == []
    assert _statements("依照《条例》第三十一条规定，本年受理申请数量同比增加12件。") == []
    assert _statements("回复率达78.86%,同比上升15.96%。") == []


def test_statements_of_a_modern_report_and_their_checks():
    r = extract.parse_file(DOCS / "real-032.html")
    assert r.template == "gioar-2019"
    assert ("requests_received", 859.0, "件", [], "overview") in [
        (s.key, s.value, s.unit, s.flags, s.section) for s in r.statements]
    checks = {c.check: c.status for c in r.checks}
    assert checks["narrative.requests_received"] == "pass"


# ---------------------------------------------------------------- the verdict and the status
SEED = (DOCS / "000_3c2b94a00d1a4e64.txt").read_text("utf-8")
OLD_REGULATION = ("根据《中华人民共和国政府信息公开条例》（国务院令第492号）第三十一条、第三十二条的规定，"
                  "本报告包括主动公开政府信息的情况，依申请公开政府信息和不予公开政府信息的情况，政府信息公开的收费及减免情况，"
                  "因政府信息公开申请行政复议、提起行政诉讼的情况，政府信息公开工作存在的主要问题及改进情况。\n")


def test_2019_report_quoting_the_old_regulation_stays_modern():
    lines = SEED.split("\n")
    quoted = "\n".join(lines[:2] + [OLD_REGULATION] + lines[2:])
    r = _parse(quoted, "quoted.txt")
    assert (r.template, r.status) == ("gioar-2019", "ok")
    # cut off before any table value: the 2019 labels it prints still say it is a modern report
    cut = quoted[: quoted.index("本年新收政府信息公开申请数量") + len("本年新收政府信息公开申请数量")]
    cut_report = _parse(cut, "cut.txt")
    assert cut_report.template != "legacy"
    assert cut_report.statistics is None


def test_status_rules():
    with_table = extract.parse_file(DOCS / "legacy-pingtan-2018.html")
    assert (with_table.template, with_table.status, with_table.error) == ("legacy", "ok", "")
    prose_only = extract.parse_file(DOCS / "real-033.txt")
    assert (prose_only.template, prose_only.status, prose_only.error) == (
        "legacy", "partial", "no statistics table; figures from the prose only")
    neither = extract.parse_file(DOCS / "real-021.txt")
    assert (neither.template, neither.status, neither.error) == (
        "legacy", "partial", "no statistics table and no figures in the prose")
    assert [s.key for s in neither.sections] == ["overview"]


# ---------------------------------------------------------------- indicators, one report per template
def _indicators(report):
    return [(i.indicator, i.value, i.source, i.ref) for i in report.indicators]


def test_indicators_gioar_2019(seed_report):
    t = "table"
    assert _indicators(seed_report) == [
        ("proactive_items", 147, "statement", "2020年,我局主动公开政府信息共147条(行政许可类信息8条,科教文体卫生类信息26条,"
                                               "其他类信息113条),不予公开信息数105条。"),
        ("requests_received", 0, t, "applications.new_requests.total"),
        ("requests_answered", 0, t, "applications.results_total.total"),
        ("requests_granted", 0, t, "applications.granted.total"),
        ("requests_partially_granted", 0, t, "applications.partially_granted.total"),
        ("requests_denied", 0, t, "applications.denied_*.total"),
        ("admin_reviews", 0, t, "review_litigation.administrative_review.total"),
        ("admin_lawsuits", 0, t, "review_litigation.litigation_direct.total,review_litigation.litigation_after_review.total"),
        ("reviews_corrected", 0, t, "review_litigation.administrative_review.corrected"),
        ("lawsuits_corrected", 0, t, "review_litigation.litigation_direct.corrected,"
                                     "review_litigation.litigation_after_review.corrected"),
    ]


def test_indicators_gioar_2021():
    r = extract.parse_file(DOCS / "real-hzq-2023.pdf")
    assert r.template == "gioar-2021"
    got = _indicators(r)
    assert got[0] == ("proactive_items", 1136, "statement", "2023年，我区在政府网站平台主动公开政府信息 1136条。")
    assert [(k, v, s) for k, v, s, _ in got[1:]] == [
        ("requests_received", 21, "table"), ("requests_answered", 21, "table"), ("requests_granted", 0, "table"),
        ("requests_partially_granted", 4, "table"), ("requests_denied", 3, "table"), ("admin_reviews", 0, "table"),
        ("admin_lawsuits", 0, "table"), ("reviews_corrected", 1, "table"), ("lawsuits_corrected", 0, "table")]


def test_indicators_legacy_table_first_then_statement():
    r = extract.parse_file(DOCS / "legacy-putian-city-2011.txt")
    lt = "legacy_table"
    assert _indicators(r) == [
        ("proactive_items", 20496, lt, "legacy_statistics.proactive_items.reported"),
        ("requests_received", 238, lt, "legacy_statistics.requests_received.reported"),
        ("requests_answered", 238, lt, "legacy_statistics.replies_total.reported"),
        ("requests_granted", 160, lt, "legacy_statistics.reply_granted.reported"),
        ("requests_partially_granted", 13, lt, "legacy_statistics.reply_partially_granted.reported"),
        ("requests_denied", 23, lt, "legacy_statistics.reply_denied.reported"),
        ("admin_reviews", 0, lt, "legacy_statistics.admin_reviews.reported"),
        ("admin_lawsuits", 0, lt, "legacy_statistics.admin_lawsuits.reported"),
    ]
    prose_only = extract.parse_file(DOCS / "real-033.txt")
    assert [(i.indicator, i.value, i.source) for i in prose_only.indicators] == [("proactive_items", 1027, "statement")]


# ---------------------------------------------------------------- the dataset
def test_dataset_has_statements_indicators_and_legacy_metrics(tmp_path):
    from extract.dataset.writer import write_dataset

    import pandas as pd

    reports = [extract.parse_file(DOCS / n) for n in LEGACY_DOCS]
    write_dataset(tmp_path, reports, fmt="both")
    st = pd.read_parquet(tmp_path / "statements.parquet")
    assert list(st.columns[:8]) == ["report_id", "key", "value", "unit", "flags", "section", "sentence", "start"]
    pingtan = st[st.report_id == reports[2].report_id]
    assert pingtan[pingtan.key == "requests_received"][["value", "flags", "section", "sentence"]].values.tolist() == [
        [0.0, "implied_zero", "on_request", "2018年未收到有关政府信息公开申请。"]]
    # start is the number's offset in the section text
    row = pingtan[pingtan.key == "proactive_items"].iloc[0]
    sections = pd.read_parquet(tmp_path / "sections.parquet")
    text = sections[(sections.report_id == reports[2].report_id) & (sections.section == "proactive")].text.iloc[0]
    assert text[int(row.start):].startswith("2069条")
    ind = pd.read_csv(tmp_path / "indicators.csv", encoding="utf-8-sig")
    assert set(ind.source) == {"legacy_table"}
    metrics = pd.read_parquet(tmp_path / "metrics.parquet")
    assert "legacy_statistics.requests_received.cumulative" in metrics.columns
    assert sorted(metrics["legacy_statistics.requests_received.reported"].tolist()) == [0, 128, 238]
    package = json.loads((tmp_path / "datapackage.json").read_text("utf-8"))
    names = [r["name"] for r in package["resources"]]
    assert {"statements", "indicators"} <= set(names)
    fields = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in package["resources"]}
    assert fields["indicators"] == ["report_id", "indicator", "value", "source", "ref"]


def test_schema_is_the_shared_v2():
    schema = load_schema()
    assert schema.version == "2"
    assert [s.key for s in schema.legacy_sections][:3] == ["overview", "proactive", "response_interpretation"]
    assert len(schema.indicators) == 10
    assert "legacy_statistics" in schema.tables and schema.tables["legacy_statistics"].templates == ("legacy",)


def test_code_column_broken_label_and_one_line_header():
    """A Shanghai-origin table (代码 column, 本期实际), a label broken over two lines, and a header
    printed on one line with its rows as 'label unit n n' (PDF text)."""
    from legacy_tables import INTRO

    coded = (INTRO + "指标名称\n代码\n计量单位\n本期实际\n本年累计\n主动公开政府信息数（不同渠道和方式公开相同信\n息计1条）\n"
             "01\n条\n120\n340\n受理申请总数\n02\n件\n5\n9\n")
    r = _parse(coded, "coded.txt")
    assert [(c.row, c.col, c.value) for c in r.cells] == [("proactive_items", "reported", 120), ("requests_received", "reported", 5)]
    pdf_like = INTRO + "指标名称 计量单位 2013年 历年累计\n主动公开信息数 条 120 340\n受理申请总数 件 5 9\n行政复议数 件 0 1\n"
    r = _parse(pdf_like, "pdf-like.txt")
    assert [(c.row, c.col, c.value, c.unit) for c in r.cells] == [
        ("proactive_items", "reported", 120, "条"), ("proactive_items", "cumulative", 340, "条"),
        ("requests_received", "reported", 5, "件"), ("requests_received", "cumulative", 9, "件"),
        ("admin_reviews", "reported", 0, "件"), ("admin_reviews", "cumulative", 1, "件")]


def test_columns_the_table_adds_are_not_taken_for_the_year():
    """A local table by level (市本级 | 县区 | 合计): only the total is the report's figure."""
    page = ("<html><body><p>一、概述</p><table><tr><td>指标名称</td><td>单位</td><td>市本级</td><td>县区</td>"
            "<td>合计</td></tr><tr><td>主动公开信息数</td><td>条</td><td>5</td><td>7</td><td>12</td></tr>"
            "<tr><td>受理申请总数</td><td>件</td><td>1</td><td>2</td><td>3</td></tr></table></body></html>")
    r = _parse(page, "levels.html")
    assert r.statistics.columns == ["label", "unit", "other", "other", "reported"]
    assert [(c.row, c.col, c.value, c.col_label) for c in r.cells] == [
        ("proactive_items", "reported", 12, "合计"), ("requests_received", "reported", 3, "合计")]


def test_a_table_header_without_figures_does_not_end_the_search():
    from legacy_tables import INTRO

    body = crawler_text(HEADER_C, VARIANT_C)[len(INTRO):]
    r = _parse(INTRO + "项目\n单位\n负责人\n张三\n" + body, "two-tables.txt")
    assert (r.template, r.status) == ("legacy", "ok")
    assert _cells(r) == [(k, c, v, clean(label)) for k, c, v, label in expected_cells(VARIANT_C)]
