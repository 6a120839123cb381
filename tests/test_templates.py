"""Template matching: versions, hybrids, rows that do not fit, unknown rows, misprints."""
from __future__ import annotations

import extract

T3_ROWS_2021 = [
    "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "(一)予以公开",
    "(二)部分公开(区分处理的,只计这一情形,不计其他情形)", "1.属于国家秘密", "2.其他法律行政法规禁止公开",
    "3.危及“三安全一稳定”", "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息",
    "7.属于行政执法案卷", "8.属于行政查询事项", "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作",
    "3.补正后申请内容仍不明确", "1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物",
    "4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息",
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他", "(七)总计",
    "四、结转下年度继续办理",
]
T2_2021 = """二、主动公开政府信息情况
第二十条第(一)项 | |||
信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |
规章 | 0 | 0 | 0 |
行政规范性文件 | 5 | 1 | 25 |
第二十条第(五)项 | |||
信息内容 | 本年处理决定数量 | ||
行政许可 | 12 | ||
第二十条第(六)项 | |||
信息内容 | 本年处理决定数量 | ||
行政处罚 | 3 | ||
行政强制 | 0 | ||
第二十条第(八)项 | |||
信息内容 | 本年收费金额(单位:万元) | ||
行政事业性收费 | 0.5 | ||
"""
T3_HEAD = """三、收到和处理政府信息公开申请情况
(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和) | 申请人情况 |
自然人 | 法人或其他组织 | 总计 |
商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 |
"""
T4 = """四、政府信息公开行政复议、行政诉讼情况
行政复议 | 行政诉讼 |
结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 未经复议直接起诉 | 复议后起诉 |
结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |
1 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
五、存在的主要问题及改进情况
无。
"""


def t3_rows(values: dict[str, str], labels=T3_ROWS_2021) -> str:
    """Table 三 rows, all zero except those given ("3 | 0 | …")."""
    return "".join(f"{label} | {values.get(label, ' | '.join(['0'] * 7))} |\n" for label in labels)


def parse(text: str):
    return extract.parse_bytes(("一、总体情况\n某某市某某局2021年政府信息公开工作年度报告正文。\n" + text).encode(), "t.txt")


def cells(report):
    return {(c.table, c.row, c.col): c for c in report.cells}


def test_full_2021_report():
    r = parse(T2_2021 + T3_HEAD + t3_rows({"一、本年新收政府信息公开申请数量": "2 | 1 | 0 | 0 | 0 | 0 | 3",
                                           "(一)予以公开": "2 | 1 | 0 | 0 | 0 | 0 | 3",
                                           "(七)总计": "2 | 1 | 0 | 0 | 0 | 0 | 3"}) + T4)
    assert (r.template, r.status, r.error) == ("gioar-2021", "ok", "")
    c = cells(r)
    assert len(r.cells) == 10 + 25 * 7 + 15
    assert c[("active_disclosure", "administrative_fees", "fee_amount")].value == 0.5
    assert c[("active_disclosure", "administrative_fees", "fee_amount")].unit == "万元"
    assert c[("applications", "other_unpaid_fee", "total")].value == 0
    assert c[("applications", "other_other", "natural_person")].row_label == "3.其他"
    assert c[("review_litigation", "administrative_review", "total")].value == 1
    assert all(ch.status == "pass" for ch in r.checks)


def test_2021_report_keeping_the_single_other_handling_row():
    labels = [x for x in T3_ROWS_2021 if not x.startswith(("1.申请人", "2.申请人", "3.其他"))]
    labels.insert(labels.index("(七)总计"), "(六)其他处理")
    r = parse(T2_2021 + T3_HEAD + t3_rows({}, labels) + T4)
    assert r.template == "gioar-2021"
    assert ("applications", "other_handling", "total") in cells(r)
    assert ("applications", "other_other", "total") not in cells(r)
    assert all(ch.status == "pass" for ch in r.checks)


def test_hybrid_table_two():
    hybrid = T2_2021.replace("信息内容 | 本年处理决定数量 | ||\n行政许可 | 12 | ||",
                             "信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量 |\n行政许可 | 7 | -1 | 12 |")
    r = parse(hybrid)
    assert r.template == "hybrid"
    c = cells(r)
    assert c[("active_disclosure", "administrative_licensing", "items_change")].value == -1
    assert c[("active_disclosure", "rules", "issued")].value == 0


def test_row_with_fewer_values_is_left_null_and_partial():
    """Only the non-zero cells printed (formats.md D4): positions are unknown, nothing is guessed."""
    r = parse(T2_2021 + T3_HEAD + t3_rows({"(一)予以公开": "3 | 3"}) + T4)
    assert r.status == "partial"
    assert "(一)予以公开" in r.error and "does not fit 7 columns" in r.error
    granted = [c for c in r.cells if c.row == "granted"]
    assert len(granted) == 7 and all(c.value is None and "unplaced" in c.flags for c in granted)
    assert any(ch.status == "not_assessable" for ch in r.checks)


def test_unknown_row_is_kept_as_extra():
    text = T2_2021.replace("行政规范性文件 | 5 | 1 | 25 |", "行政规范性文件 | 5 | 1 | 25 |\n其他主动公开文件 | 4 | 0 | 9 |")
    r = parse(text)
    extra = [c for c in r.cells if c.row == "extra_1"]
    assert [(c.col, c.value, c.row_label) for c in extra] == [
        ("issued", 4, "其他主动公开文件"), ("repealed", 0, "其他主动公开文件"), ("in_force", 9, "其他主动公开文件")]
    assert all("unmatched_row" in c.flags for c in extra)


def test_misprinted_label_is_matched():
    rows = t3_rows({}).replace("2.其他法律行政法规禁止公开", "2.其他法律行政止公开")
    r = parse(T2_2021 + T3_HEAD + rows + T4)
    c = cells(r)[("applications", "denied_prohibited_by_law", "total")]
    assert c.row_label == "2.其他法律行政止公开"


def test_arithmetic_errors_are_reported_not_fixed():
    r = parse(T2_2021 + T3_HEAD + t3_rows({"一、本年新收政府信息公开申请数量": "2 | 1 | 0 | 0 | 0 | 0 | 4"}) + T4)
    c = cells(r)
    assert c[("applications", "new_requests", "total")].value == 4
    failed = {ch.check: (ch.lhs, ch.rhs) for ch in r.checks if ch.status == "fail"}
    assert failed["applications.row_total[new_requests]"] == (4, 3)
    assert failed["applications.balance[natural_person]"] == (2, 0)
    assert r.n_checks_failed == len(failed) and r.status == "ok"


def test_traditional_mirror_with_pinyin():
    text = T2_2021.replace("规章", "規章").replace("行政规范性文件", "行政規範性文(wén)件").replace("现行有效", "現行有效")
    r = parse(text)
    assert cells(r)[("active_disclosure", "normative_documents", "in_force")].value == 25


# ---- the failures measured on published reports (issue 12), one test per class -------------

def _corpus_text(name: str) -> str:
    from conftest import DOCS

    return (DOCS / name).read_text("utf-8")


def _row(report, table: str, row: str) -> list:
    return [c.value for c in report.cells if (c.table, c.row) == (table, row)]


def test_label_broken_into_pieces_on_lines_of_their_own():
    """real-sanming-city-2022 prints '(' '二' ')' '部分公开' '(' '区分处理的' ',' … ')' on lines of
    their own: the row was lost with its 7 values (they went to an unmatched row)."""
    from conftest import DOCS

    r = extract.parse_file(DOCS / "real-sanming-city-2022.txt")
    assert _row(r, "applications", "partially_granted") == [11, 0, 0, 0, 0, 0, 11]
    label = cells(r)[("applications", "partially_granted", "total")].row_label
    assert label == "部分公开(区分处理的,只计这一情形,不计其他情形)"
    assert not [c for c in r.cells if c.row.startswith("extra_")]
    assert (r.status, r.error) == ("ok", "") and all(ch.status == "pass" for ch in r.checks)


def test_wrapped_label_whose_second_line_is_a_cell_of_its_own():
    """A PDF→Markdown conversion: the label's second line came out as a row of its own, which
    took the values (an extra_N row holding the right numbers)."""
    rows = t3_rows({}).replace("(二)部分公开(区分处理的,只计这一情形,不计其他情形) | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
                               "| (二)部分公开(区分处理的,只 |\n| 计这一情形,不计其他情形) | 4 | 0 | 0 | 0 | 0 | 0 | 4 |")
    assert rows != t3_rows({})
    r = parse(T2_2021 + T3_HEAD + rows + T4)
    assert _row(r, "applications", "partially_granted") == [4, 0, 0, 0, 0, 0, 4]
    assert not [c for c in r.cells if c.row.startswith("extra_")]


def test_wrapped_label_that_swallowed_the_first_value_of_its_row():
    rows = t3_rows({}).replace("1.本机关不掌握相关政府信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
                               "| 1.本机关不掌握相关政府信息 3 | 0 | 0 | 0 | 0 | 0 | 3 |")
    r = parse(T2_2021 + T3_HEAD + rows + T4)
    assert _row(r, "applications", "unavailable_not_held") == [3, 0, 0, 0, 0, 0, 3]


def test_label_less_row_appended_to_the_row_before_is_left_out():
    """real-shkewei-2024 (PDF→Markdown): '| 三、 | （一）予以公开 | 9 | … | 9 |' is followed by a row
    of 7 values without a label (another row's): 14 values in a 7-column row. The row's own 7
    are placed; values whose label cannot be known stay null and flagged, never guessed."""
    from conftest import DOCS

    r = extract.parse_file(DOCS / "real-shkewei-2024.md")
    assert _row(r, "applications", "granted") == [9, 0, 0, 0, 0, 0, 9]
    assert _row(r, "applications", "denied_state_secret") == [0] * 7
    assert "values printed after it without a label are left out" in r.error
    # '1.本机关不掌握相关政府信息' is printed alone before a label-less row, but that row is
    # 5.属于三类内部事务信息's (the narrative: 不予公开 2 = 内部事务 1 + 过程性 1): not placed.
    not_held = [c for c in r.cells if c.row == "unavailable_not_held"]
    assert len(not_held) == 7 and all(c.value is None and "unplaced" in c.flags for c in not_held)


def _t3_page(rows: list[list[str]]) -> bytes:
    """An HTML page holding table 三 as a grid: a header row, then the rows given."""
    head = ["(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)", "自然人", "商业企业", "科研机构",
            "社会公益组织", "法律服务机构", "其他", "总计"]
    trs = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in [head, *rows])
    return ("<html><head><meta charset='utf-8'><title>某某市某某局2021年政府信息公开工作年度报告</title></head><body>"
            "<h1>某某市某某局2021年政府信息公开工作年度报告</h1><p>一、总体情况</p><p>本年度依法公开。</p>"
            f"<p>三、收到和处理政府信息公开申请情况</p><table>{trs}</table>"
            "<p>五、存在的主要问题及改进情况</p><p>无。</p></body></html>").encode()


def test_label_less_row_of_the_right_width_after_a_label_only_row():
    """A label on two printed lines with its values beside the second (a PDF table): the label's
    grid row holds no value, the next grid row holds the values and no label. They belong
    together even in a table where some label is detached from its values (上年结转 printed
    without any), as long as the rows around it were printed with their own values, in order."""
    zeros = ["0"] * 7
    rows = [["一、本年新收政府信息公开申请数量", "3", "0", "0", "0", "0", "0", "3"],
            ["二、上年结转政府信息公开申请数量"],
            ["(一)予以公开", "1", "0", "0", "0", "0", "0", "1"],
            ["(二)部分公开(区分处理的,只计这一情形,不计其他情形)"],
            ["2", "0", "0", "0", "0", "0", "2"],
            ["1.属于国家秘密", *zeros]]
    r = extract.parse_bytes(_t3_page(rows), "t.html")
    assert "row labels are detached" in r.error
    assert _row(r, "applications", "partially_granted") == [2, 0, 0, 0, 0, 0, 2]
    assert _row(r, "applications", "granted") == [1, 0, 0, 0, 0, 0, 1]
    assert _row(r, "applications", "denied_state_secret") == [0] * 7
    # Out of the schema's order (a row before it that comes after it), it is not trusted.
    swapped = rows[:2] + [["1.属于国家秘密", *zeros], rows[3], rows[4], rows[2]]
    r = extract.parse_bytes(_t3_page(swapped), "t.html")
    assert all(v is None for v in _row(r, "applications", "partially_granted"))
    assert "values printed away from their label" in r.error


def test_mirror_rendering_of_a_label_in_taiwan_usage():
    """A mirror printed 规范性文件 as 規範性檔案: the row was not recognised and its values went
    elsewhere. Made from real-025 (a traditional-character mirror page)."""
    text = _corpus_text("real-025.txt")
    assert "行政規范性文件 |" in text
    r = extract.parse_bytes(text.replace("行政規范性文件 |", "行政規範性檔案 |", 1).encode(), "real-025-mirror.txt")
    assert _row(r, "active_disclosure", "normative_documents") == [3, 0, 12]
    assert not [c for c in r.cells if c.row.startswith("extra_")]


def test_single_value_rows_of_a_one_column_grid():
    """'行政許可 |' '694 |' one cell per line (a one-column grid) were refused ("'694' does not fit
    1 columns") once any row of the table was printed without values. Made from real-025 with
    规章's values dropped: only the row that follows the label-only row is in doubt."""
    text = _corpus_text("real-025.txt")
    assert "規章 |\n0 |\n0 |\n0 |\n" in text
    r = extract.parse_bytes(text.replace("規章 |\n0 |\n0 |\n0 |\n", "規章 |\n", 1).encode(), "real-025-cut.txt")
    assert _row(r, "active_disclosure", "administrative_licensing") == [694]
    assert _row(r, "active_disclosure", "administrative_penalty") == [1]
    assert _row(r, "active_disclosure", "normative_documents") == [None, None, None]
    assert "'694' does not fit" not in r.error
