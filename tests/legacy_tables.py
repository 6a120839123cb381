"""Legacy statistics tables as reports print them (formats.md §7b), for tests and the bench.

Variant B is the 2014–2018 national 《政府信息公开情况统计表》 (`统计指标 | 单位 | 统计数`), with
its group headings (一、主动公开情况 …) that carry no figure; variant C a local simplification
(`指标名称 | 计量单位 | 数量`, Lu'an style: 主动公开 by category, 依申请 by 当面 / 网上填表及电子邮件 /
信函及传真). Each is printed as a crawler's text (one cell per line), as a page's text flattened
with pipes (one row per line), and as HTML. Each row: (label as printed, unit, value, key or None
for a heading, "extra" for a row the schema does not know).
"""
from __future__ import annotations

import html

VARIANT_B = [
    ("一、主动公开情况", "", None, None),
    ("（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）", "条", "1864", "proactive_items"),
    ("其中：主动公开规范性文件数", "条", "23", "proactive_normative_documents"),
    ("制发规范性文件总数", "件", "25", "normative_documents_issued"),
    ("（二）通过不同渠道和方式公开政府信息的情况", "", None, None),
    ("1.政府公报公开政府信息数", "条", "12", "proactive_via_gazette"),
    ("2.政府网站公开政府信息数", "条", "1702", "proactive_via_website"),
    ("3.政务微博公开政府信息数", "条", "655", "proactive_via_weibo"),
    ("4.政务微信公开政府信息数", "条", "431", "proactive_via_wechat"),
    ("5.其他方式公开政府信息数", "条", "97", "proactive_via_other"),
    ("二、回应解读情况", "", None, None),
    ("（一）回应公众关注热点或重大舆情数（不同方式回应同一热点或舆情计1次）", "次", "36", "hot_topics_responded"),
    ("（二）通过不同渠道和方式回应解读的情况", "", None, None),
    ("1.参加或举办新闻发布会总次数", "次", "5", "press_conferences"),
    ("其中：主要负责同志参加新闻发布会次数", "次", "2", "extra"),
    ("2.政府网站在线访谈次数", "次", "4", "online_interviews"),
    ("3.政策解读稿件发布数", "篇", "41", "interpretation_articles"),
    ("4.微博微信回应事件数", "次", "18", "extra"),
    ("三、依申请公开情况", "", None, None),
    ("（一）收到申请数", "件", "47", "requests_received"),
    ("1.当面申请数", "件", "20", "requests_in_person"),
    ("2.传真申请数", "件", "1", "requests_fax"),
    ("3.网络申请数", "件", "19", "requests_online"),
    ("4.信函申请数", "件", "7", "requests_letter"),
    ("（二）申请办结数", "件", "45", "requests_closed"),
    ("1.按时办结数", "件", "44", "requests_closed_on_time"),
    ("2.延期办结数", "件", "1", "requests_closed_extended"),
    ("（三）申请答复数", "件", "45", "replies_total"),
    ("1.属于已主动公开范围数", "件", "9", "reply_already_public"),
    ("2.同意公开答复数", "件", "21", "reply_granted"),
    ("3.同意部分公开答复数", "件", "3", "reply_partially_granted"),
    ("4.不同意公开答复数", "件", "2", "reply_denied"),
    ("其中：涉及国家秘密", "件", "0", "denied_state_secret"),
    ("涉及商业秘密", "件", "0", "denied_trade_secret"),
    ("涉及个人隐私", "件", "1", "denied_privacy"),
    ("危及国家安全、公共安全、经济安全和社会稳定", "件", "0", "denied_security_stability"),
    ("不是《条例》所指政府信息", "件", "1", "denied_not_government_information"),
    ("法律法规规定的其他情形", "件", "0", "denied_other_law"),
    ("5.不属于本行政机关公开数", "件", "6", "reply_not_held"),
    ("6.申请信息不存在数", "件", "2", "reply_not_exist"),
    ("7.告知作出更改补充数", "件", "1", "reply_ask_correction"),
    ("8.告知通过其他途径办理数", "件", "1", "reply_other_channel"),
    ("四、行政复议数量", "件", "3", "admin_reviews"),
    ("（一）维持具体行政行为数", "件", "2", "review_upheld"),
    ("（二）被依法纠错数", "件", "1", "review_corrected"),
    ("（三）其他情形数", "件", "0", "review_other"),
    ("五、行政诉讼数量", "件", "2", "admin_lawsuits"),
    ("（一）维持具体行政行为或者驳回原告诉讼请求数", "件", "1", "lawsuit_upheld"),
    ("（二）被依法纠错数", "件", "0", "lawsuit_corrected"),
    ("（三）其他情形数", "件", "1", "lawsuit_other"),
    ("六、举报投诉数量", "件", "0", "appeals_or_complaints"),
    ("七、依申请公开信息收取的费用", "万元", "0", "fees_collected"),
    ("八、机构建设和保障经费情况", "", None, None),
    ("（一）政府信息公开工作专门机构数", "个", "1", "dedicated_units"),
    ("（二）设置政府信息公开查阅点数", "个", "3", "reading_points"),
    ("（三）从事政府信息公开工作人员数", "人", "6", "staff_total"),
    ("1.专职人员数", "人", "2", "staff_fulltime"),
    ("2.兼职人员数", "人", "4", "staff_parttime"),
    ("（四）政府信息公开专项经费", "万元", "3.5", "special_budget"),
    ("九、政府信息公开会议和培训情况", "", None, None),
    ("（一）召开政府信息公开工作会议或专题会议数", "次", "4", "meetings"),
    ("（二）举办各类培训班数", "次", "2", "trainings"),
    ("（三）接受培训人员数", "人次", "130", "trainees"),
]
HEADER_B = ("统计指标", "单位", "统计数")

VARIANT_C = [
    ("主动公开信息数", "条", "412", "proactive_items"),
    ("其中：统计信息", "条", "236", "extra"),
    ("统计政策法规", "条", "41", "extra"),
    ("机构职能", "条", "12", "extra"),
    ("依申请公开信息数", "条", "3", "requests_received"),
    ("其中：当面申请", "条", "1", "requests_in_person"),
    ("网上填表及电子邮件", "条", "2", "extra"),
    ("信函及传真", "条", "0", "requests_letter_fax"),
    ("同意公开答复数", "条", "3", "reply_granted"),
    ("行政复议数", "件", "0", "admin_reviews"),
    ("行政诉讼数", "件", "0", "admin_lawsuits"),
]
HEADER_C = ("指标名称", "计量单位", "数量")

INTRO = ("某县统计局2016年政府信息公开工作年度报告\n"
         "一、概述\n2016年，我局认真贯彻落实《条例》，政府信息公开工作有序推进。\n"
         "二、政府信息公开情况统计表\n")


def crawler_text(header: tuple[str, ...], rows: list[tuple]) -> str:
    """Crawler text: one cell per line, blank cells dropped."""
    lines = [INTRO.rstrip("\n"), *header]
    for label, unit, value, _ in rows:
        lines += [label] + ([unit] if unit else []) + ([value] if value is not None else [])
    return "\n".join(lines) + "\n"


def piped_text(header: tuple[str, ...], rows: list[tuple]) -> str:
    """A page's text flattened with pipes, one table row per line."""
    lines = [INTRO.rstrip("\n"), " | ".join(header) + " |"]
    for label, unit, value, _ in rows:
        lines.append(f"{label} | {unit} | {value if value is not None else ''} |")
    return "\n".join(lines) + "\n"


def html_page(header: tuple[str, ...], rows: list[tuple]) -> str:
    """A published page with the table in it; a heading row spans the whole width."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in INTRO.strip().split("\n"))
    trs = ["<tr>" + "".join(f"<td>{html.escape(h)}</td>" for h in header) + "</tr>"]
    for label, unit, value, _ in rows:
        if value is None:
            trs.append(f'<tr><td colspan="3">{html.escape(label)}</td></tr>')
        else:
            trs.append(f"<tr><td>{html.escape(label)}</td><td>{unit}</td><td>{value}</td></tr>")
    return (f"<html><head><meta charset='utf-8'><title>某县统计局2016年政府信息公开工作年度报告</title></head>"
            f"<body>{body}<table border='1'>{''.join(trs)}</table></body></html>")


def expected_cells(rows: list[tuple]) -> list[tuple[str, str, float, str]]:
    """(row key, col, value, row label) for every row with a figure; extra rows numbered in order."""
    out, extra = [], 0
    for label, _, value, key in rows:
        if value is None:
            continue
        if key == "extra":
            extra += 1
            key = f"extra_{extra}"
        out.append((key, "reported", float(value), label))
    return out
