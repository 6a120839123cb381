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
