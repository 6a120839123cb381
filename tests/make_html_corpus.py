"""Write the HTML test pages corpus/docs/html-*.html and their expected files.

Each page is written the way a government CMS publishes a report (TRS WCM pages in GBK, Word
exports with MsoNormal markup, tables split per block, a table as an image, an attachment-only
page). The expected values come from the same numbers the page prints, never from the parser.

    .venv/bin/python tests/make_html_corpus.py        # rewrites the files; commit them
"""
from __future__ import annotations

import codecs
import json
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "corpus" / "docs"
EXPECTED = ROOT / "corpus" / "expected"

FW = str.maketrans("0123456789", "０１２３４５６７８９")

# -- the format's tables ------------------------------------------------------------------------

T3_COLS = ["natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
           "legal_service_org", "other_org", "total"]
T4_ROWS = ["administrative_review", "litigation_direct", "litigation_after_review"]
T4_COLS = ["upheld", "corrected", "other_result", "pending", "total"]

# (row key, label, group label, group rowspan, subgroup label, subgroup rowspan)
T3_ROWS_2021 = [
    ("new_requests", "一、本年新收政府信息公开申请数量"),
    ("carried_from_last_year", "二、上年结转政府信息公开申请数量"),
    ("granted", "（一）予以公开"),
    ("partially_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("denied_state_secret", "1.属于国家秘密"),
    ("denied_prohibited_by_law", "2.其他法律行政法规禁止公开"),
    ("denied_security_stability", "3.危及“三安全一稳定”"),
    ("denied_third_party_rights", "4.保护第三方合法权益"),
    ("denied_internal_affairs", "5.属于三类内部事务信息"),
    ("denied_process_information", "6.属于四类过程性信息"),
    ("denied_enforcement_files", "7.属于行政执法案卷"),
    ("denied_administrative_query", "8.属于行政查询事项"),
    ("unavailable_not_held", "1.本机关不掌握相关政府信息"),
    ("unavailable_needs_creation", "2.没有现成信息需要另行制作"),
    ("unavailable_unclear", "3.补正后申请内容仍不明确"),
    ("not_processed_petition", "1.信访举报投诉类申请"),
    ("not_processed_duplicate", "2.重复申请"),
    ("not_processed_publication", "3.要求提供公开出版物"),
    ("not_processed_mass_repeated", "4.无正当理由大量反复申请"),
    ("not_processed_confirm_or_reissue", "5.要求行政机关确认或重新出具已获取信息"),
    ("other_overdue_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("other_unpaid_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("other_other", "3.其他"),
    ("results_total", "（七）总计"),
    ("carried_to_next_year", "四、结转下年度继续办理"),
]
T3_ROWS_2019 = T3_ROWS_2021[:20] + [("other_handling", "（六）其他处理")] + T3_ROWS_2021[23:]
SUBGROUPS = {  # first row key of a subgroup → (label, rowspan)
    "denied_state_secret": ("（三）不予公开", 8),
    "unavailable_not_held": ("（四）无法提供", 3),
    "not_processed_petition": ("（五）不予处理", 5),
    "other_overdue_correction": ("（六）其他处理", 3),
}
SUBGROUP_ROWS = {k for rows in ([r for r, _ in T3_ROWS_2021[4:12]], [r for r, _ in T3_ROWS_2021[12:15]],
                                [r for r, _ in T3_ROWS_2021[15:20]], [r for r, _ in T3_ROWS_2021[20:23]])
                 for k in rows}

T2_2021 = [  # (block caption, header, [(row key, label)], col keys)
    ("第二十条第（一）项", ["本年制发件数", "本年废止件数", "现行有效件数"],
     [("rules", "规章"), ("normative_documents", "行政规范性文件")], ["issued", "repealed", "in_force"]),
    ("第二十条第（五）项", ["本年处理决定数量"], [("administrative_licensing", "行政许可")], ["decisions"]),
    ("第二十条第（六）项", ["本年处理决定数量"],
     [("administrative_penalty", "行政处罚"), ("administrative_coercion", "行政强制")], ["decisions"]),
    ("第二十条第（八）项", ["本年收费金额（单位：万元）"], [("administrative_fees", "行政事业性收费")], ["fee_amount"]),
]
T2_2019 = [
    ("第二十条第（一）项", ["本年新制作数量", "本年新公开数量", "对外公开总数量"],
     [("rules", "规章"), ("normative_documents", "规范性文件")], ["new_made", "new_published", "total_published"]),
    ("第二十条第（五）项", ["上一年项目数量", "本年增/减", "处理决定数量"],
     [("administrative_licensing", "行政许可"), ("other_external_services", "其他对外管理服务事项")],
     ["items_prev_year", "items_change", "decisions"]),
    ("第二十条第（六）项", ["上一年项目数量", "本年增/减", "处理决定数量"],
     [("administrative_penalty", "行政处罚"), ("administrative_coercion", "行政强制")],
     ["items_prev_year", "items_change", "decisions"]),
    ("第二十条第（八）项", ["上一年项目数量", "本年增/减"], [("administrative_fees", "行政事业性收费")],
     ["items_prev_year", "items_change"]),
    ("第二十条第（九）项", ["采购项目数量", "采购总金额"], [("government_procurement", "政府集中采购")],
     ["procurement_items", "procurement_amount"]),
]
SECTIONS = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况", "五、政府信息公开工作存在的主要问题及改进情况",
            "六、其他需要报告的事项"]


def value_of(printed: str):
    """What a printed cell means: a number, or None for blank / dash."""
    s = unicodedata.normalize("NFKC", printed).strip()
    if not s or s in ("-", "—", "/", "无"):
        return None
    for unit in ("万元", "元", "件"):
        s = s.removesuffix(unit)
    f = float(s)
    return int(f) if f.is_integer() else f


class Report:
    """The numbers one report prints, as strings exactly as printed."""

    def __init__(self, template: str, t2: dict, t3: dict, t4: dict, labels=None) -> None:
        self.template = template
        self.t2, self.t3, self.t4 = t2, t3, t4
        self.labels = labels or (lambda s: s)

    def t3_rows(self):
        return T3_ROWS_2021 if self.template == "gioar-2021" else T3_ROWS_2019

    def t2_spec(self):
        return T2_2021 if self.template == "gioar-2021" else T2_2019

    def cells(self, tables=("active_disclosure", "applications", "review_litigation")) -> list[dict]:
        out = []
        if "active_disclosure" in tables:
            for _, _, rows, cols in self.t2_spec():
                for key, _ in rows:
                    for col, printed in zip(cols, self.t2[key]):
                        out.append({"table": "active_disclosure", "row": key, "col": col, "value": value_of(printed)})
        if "applications" in tables:
            for key, _ in self.t3_rows():
                for col, printed in zip(T3_COLS, self.t3[key]):
                    out.append({"table": "applications", "row": key, "col": col, "value": value_of(printed)})
        if "review_litigation" in tables:
            for key in T4_ROWS:
                for col, printed in zip(T4_COLS, self.t4[key]):
                    out.append({"table": "review_litigation", "row": key, "col": col, "value": value_of(printed)})
        return out


def t3_values(nonzero: dict, zero: str = "0") -> dict:
    """Rows of 7 printed values: listed rows as given, the rest all `zero`."""
    rows = {k: [zero] * 7 for k, _ in T3_ROWS_2021 + [("other_handling", "")]}
    for k, v in nonzero.items():
        rows[k] = [str(x) for x in v]
    return rows


# -- HTML pieces ----------------------------------------------------------------------------------


def td(text, rowspan=1, colspan=1, tag="td", wrap=lambda s: s, attrs=""):
    span = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    body = wrap(text) if text != "" else wrap("&nbsp;")
    return f"<{tag}{span}{attrs}>{body}</{tag}>"


def t2_tables(rep: Report, wrap=lambda s: s, split=False, header_tag="td", br_labels=False) -> list[str]:
    """Table 二 in the 4-column official layout; one <table> per block when `split`."""
    L = rep.labels
    blocks = []
    for caption, header, rows, cols in rep.t2_spec():
        trs = [f"<tr>{td(L(caption), colspan=4, wrap=wrap)}</tr>"]
        heads = [L(h) for h in header]
        if br_labels:
            heads = [h[:4] + "<br />" + h[4:] if len(h) >= 6 and "（" not in h else h for h in heads]
        if len(heads) == 3:
            cells = "".join(td(h, tag=header_tag, wrap=wrap) for h in heads)
        elif len(heads) == 2:
            cells = td(heads[0], tag=header_tag, wrap=wrap) + td(heads[1], colspan=2, tag=header_tag, wrap=wrap)
        else:
            cells = td(heads[0], colspan=3, tag=header_tag, wrap=wrap)
        trs.append(f"<tr>{td(L('信息内容'), tag=header_tag, wrap=wrap)}{cells}</tr>")
        for key, label in rows:
            vals = rep.t2[key]
            if len(vals) == 3:
                cells = "".join(td(v, wrap=wrap) for v in vals)
            elif len(vals) == 2:
                cells = td(vals[0], wrap=wrap) + td(vals[1], colspan=2, wrap=wrap)
            else:
                cells = td(vals[0], colspan=3, wrap=wrap)
            trs.append(f"<tr>{td(L(label), wrap=wrap)}{cells}</tr>")
        blocks.append(trs)
    if split:
        return ['<table border="1" cellspacing="0" cellpadding="0" width="600">\n' + "\n".join(b) + "\n</table>"
                for b in blocks]
    return ['<table border="1" cellspacing="0" cellpadding="0" width="600"><tbody>\n'
            + "\n".join(r for b in blocks for r in b) + "\n</tbody></table>"]


def t3_rows_html(rep: Report, wrap=lambda s: s, header_tag="td", natural="自然人") -> tuple[list[str], list[str]]:
    """(header rows, data rows) of table 三 in the official layout."""
    L = rep.labels
    header = [
        "<tr>" + td(L("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"), rowspan=3, colspan=3,
                    tag=header_tag, wrap=wrap) + td(L("申请人情况"), colspan=7, tag=header_tag, wrap=wrap) + "</tr>",
        "<tr>" + td(natural, rowspan=2, tag=header_tag, wrap=wrap) + td(L("法人或其他组织"), colspan=5, tag=header_tag, wrap=wrap)
        + td(L("总计"), rowspan=2, tag=header_tag, wrap=wrap) + "</tr>",
        "<tr>" + "".join(td(L(h), tag=header_tag, wrap=wrap) for h in ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"])
        + "</tr>",
    ]
    body = []
    group = 22 if rep.template == "gioar-2021" else 20
    for key, label in rep.t3_rows():
        vals = "".join(td(v, wrap=wrap) for v in rep.t3[key])
        if key in ("new_requests", "carried_from_last_year", "carried_to_next_year"):
            body.append(f"<tr>{td(L(label), colspan=3, wrap=wrap)}{vals}</tr>")
            continue
        lead = ""
        if key == "granted":
            lead += td(L("三、本年度办理结果"), rowspan=group, wrap=wrap)
        if key in SUBGROUPS:
            sub, n = SUBGROUPS[key]
            lead += td(L(sub), rowspan=n, wrap=wrap)
        if key in SUBGROUP_ROWS:
            body.append(f"<tr>{lead}{td(L(label), wrap=wrap)}{vals}</tr>")
        else:
            body.append(f"<tr>{lead}{td(L(label), colspan=2, wrap=wrap)}{vals}</tr>")
    return header, body


def t4_rows_html(rep: Report, wrap=lambda s: s, header_tag="td") -> tuple[list[str], list[str]]:
    L = rep.labels
    heads = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    header = [
        "<tr>" + td(L("行政复议"), colspan=5, tag=header_tag, wrap=wrap) + td(L("行政诉讼"), colspan=10, tag=header_tag, wrap=wrap) + "</tr>",
        "<tr>" + "".join(td(L(h), rowspan=2, tag=header_tag, wrap=wrap) for h in heads)
        + td(L("未经复议直接起诉"), colspan=5, tag=header_tag, wrap=wrap) + td(L("复议后起诉"), colspan=5, tag=header_tag, wrap=wrap) + "</tr>",
        "<tr>" + "".join(td(L(h), tag=header_tag, wrap=wrap) for h in heads * 2) + "</tr>",
    ]
    vals = [v for k in T4_ROWS for v in rep.t4[k]]
    body = ["<tr>" + "".join(td(v, wrap=wrap) for v in vals) + "</tr>"]
    return header, body


def table(rows: list[str], attrs='border="1" cellspacing="0" cellpadding="0"', tbody=True) -> str:
    inner = "\n".join(rows)
    return f"<table {attrs}>" + (f"<tbody>\n{inner}\n</tbody>" if tbody else f"\n{inner}\n") + "</table>"


def paras(lines: list[str], cls="") -> str:
    c = f' class="{cls}"' if cls else ""
    return "\n".join(f"<p{c}>{s}</p>" for s in lines)


def trs_page(title: str, body: str, *, charset: str, agency: str, date: str, site: str,
             index_no: str = "", category: str = "政府信息公开年报", meta_tags: bool = True) -> str:
    """A TRS WCM article page: header, nav, breadcrumbs, metadata grid, body, print links, footer."""
    metas = (f'<meta name="ArticleTitle" content="{title}">\n<meta name="PubDate" content="{date} 09:30">\n'
             f'<meta name="ContentSource" content="{agency}">\n<meta name="ColumnName" content="政府信息公开年报">\n'
             if meta_tags else "")
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}" />
<title>{title}_{site}</title>
<meta name="SiteName" content="{site}">
{metas}<link href="/images/style.css" rel="stylesheet" type="text/css" />
<script type="text/javascript" src="/js/jquery.min.js"></script>
<script>var _hmt = _hmt || []; document.write("<div>统计代码</div>");</script>
</head>
<body>
<div class="header"><div class="logo"><img src="/images/logo.png" width="420" height="90" /></div>
<div class="search"><input type="text" value="请输入关键字" /><a href="/search/">搜索</a></div></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/bsfw/">办事服务</a></li>
<li><a href="/hdjl/">互动交流</a></li><li><a href="/zjzp/">走进{site[:2]}</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政府信息公开</a> &gt; <a href="./">政府信息公开年报</a></div>
<div class="xxgk_table">
<table width="100%" border="0" cellspacing="0" cellpadding="0" class="xxgk_tb">
<tr><td width="12%">索引号：</td><td width="38%">{index_no}</td><td width="12%">发布机构：</td><td width="38%">{agency}</td></tr>
<tr><td>分类：</td><td>{category}</td><td>发文日期：</td><td>{date}</td></tr>
<tr><td>名称：</td><td colspan="3">{title}</td></tr>
</table></div>
<div class="article">
<h1 class="title">{title}</h1>
<div class="info">发布时间：{date}　来源：{agency}　浏览次数：<span id="count">1024</span>　【字体：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】</div>
<div id="zoom" class="zoom">
<div class="TRS_Editor">
{body}
</div>
</div>
<div class="print"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
<div class="share">分享到：<a class="weixin" href="#"></a><a class="weibo" href="#"></a></div>
</div>
<div class="footer"><p>主办单位：{site}　承办单位：{agency}</p><p>网站标识码：3508810001　闽ICP备05012345号</p>
<p><a href="/sitemap/">网站地图</a> | <a href="/contact/">联系我们</a></p><img src="/images/jiucuo.png" /></div>
</body>
</html>
"""


# -- the pages ----------------------------------------------------------------------------------


def seed_page() -> tuple[str, bytes, dict]:
    """The seed report (corpus/docs/000_….txt) as its agency's TRS page, in GB2312/GBK."""
    half = str.maketrans("（）：，", "():,")
    rep = Report(
        "gioar-2019",
        t2={"rules": ["0", "0", "0"], "normative_documents": ["0", "0", "6"],
            "administrative_licensing": ["7", "8", "8"], "other_external_services": ["21", "0", "416"],
            "administrative_penalty": ["0", "0", "0"], "administrative_coercion": ["0", "0", "0"],
            "administrative_fees": ["0", "0"], "government_procurement": ["0", "0"]},
        t3=t3_values({}, zero=""), t4={k: ["0"] * 5 for k in T4_ROWS},
        labels=lambda s: s.translate(half),
    )
    for k in rep.t3:
        rep.t3[k][-1] = "0"
    text = (DOCS / "000_3c2b94a00d1a4e64.txt").read_text(encoding="utf-8").splitlines()
    prose = [s.strip() for s in text if s.strip() and "|" not in s]
    h2, h3, h4 = (prose.index(s) for s in (SECTIONS[1], SECTIONS[2], SECTIONS[3]))
    t3h, t3b = t3_rows_html(rep, natural="自 然 人", wrap=lambda s: f'<p align="center">{s}</p>')
    t4h, t4b = t4_rows_html(rep, wrap=lambda s: f'<p align="center">{s}</p>')
    body = "\n".join([
        paras(prose[:h2], cls="") ,
        paras([prose[h2]]),
        *t2_tables(rep, wrap=lambda s: f'<p align="center">{s}</p>'),
        paras([prose[h3]]),
        table(t3h + t3b, attrs='border="1" cellspacing="0" cellpadding="0" align="center" width="620"'),
        paras([prose[h4]]),
        table(t4h + t4b, attrs='border="1" cellspacing="0" cellpadding="0" align="center"'),
        paras(prose[h4 + 1: -1]),
        f'<p style="text-align: right;">{prose[-1]}</p>',
        '<p style="text-align: right;">2021年1月20日</p>',
    ])
    title = "漳平市教育局2020年政府信息公开工作年度报告"
    page = trs_page(title, body, charset="gb2312", agency="漳平市教育局", date="2021-01-20",
                    site="漳平市人民政府", index_no="zp05101-0200-2021-00003")
    expected = {
        "report": {"title": title, "agency": "漳平市教育局", "year": 2020, "template": "gioar-2019",
                   "province": "福建省", "city": "龙岩市", "county": "漳平市", "adcode": "350881",
                   "format": "html", "encoding": "gb18030", "status": "ok", "error": ""},
        "cells": rep.cells(),
        "notes": ["The seed report (000_3c2b94a00d1a4e64.txt) as a TRS WCM page labelled gb2312, bytes in GBK.",
                  "Labels printed exactly as the seed text prints them (half-width brackets, '自 然 人'), so the "
                  "text and the HTML give identical cells and checks.",
                  "Page chrome: nav, breadcrumbs, a 索引号/发布机构/发文日期 grid, 打印本页/关闭窗口, footer."],
    }
    return "html-seed-gbk-trs.html", page.encode("gbk"), expected


def word_page() -> tuple[str, bytes, dict]:
    """A Word export (MsoNormal, <o:p>, <span>, <font>) wrapped in a layout table; UTF-8 with a BOM,
    no charset declaration; full-width digits; <br> inside header labels."""
    rep = Report(
        "gioar-2021",
        t2={"rules": ["1", "0", "5"], "normative_documents": ["3", "1", "１２"],
            "administrative_licensing": ["126"], "administrative_penalty": ["8"],
            "administrative_coercion": ["0"], "administrative_fees": ["0"]},
        t3=t3_values({
            "new_requests": ["１２", "3", "0", "0", "1", "0", "１６"],
            "carried_from_last_year": ["1", "0", "0", "0", "0", "0", "1"],
            "granted": ["5", "1", "0", "0", "1", "0", "7"],
            "partially_granted": ["1", "0", "0", "0", "0", "0", "1"],
            "denied_third_party_rights": ["1", "0", "0", "0", "0", "0", "1"],
            "unavailable_not_held": ["3", "1", "0", "0", "0", "0", "4"],
            "not_processed_duplicate": ["1", "0", "0", "0", "0", "0", "1"],
            "other_overdue_correction": ["1", "0", "0", "0", "0", "0", "1"],
            "results_total": ["１２", "2", "0", "0", "1", "0", "１５"],
            "carried_to_next_year": ["1", "1", "0", "0", "0", "0", "2"],
        }),
        t4={"administrative_review": ["1", "0", "0", "0", "1"], "litigation_direct": ["0", "0", "0", "1", "1"],
            "litigation_after_review": ["0", "0", "0", "0", "0"]},
    )

    def mso(s: str) -> str:
        if s == "&nbsp;":
            return '<p class="MsoNormal" align="center" style="text-align:center"><span lang="EN-US"><o:p>&nbsp;</o:p></span></p>'
        return ('<p class="MsoNormal" align="center" style="text-align:center;line-height:15.0pt">'
                f'<span style="font-size:10.5pt;font-family:宋体;mso-ascii-font-family:Calibri">'
                f'<font face="宋体">{s}</font></span><span lang="EN-US"><o:p></o:p></span></p>')

    t3h, t3b = t3_rows_html(rep, wrap=mso, header_tag="th")
    t4h, t4b = t4_rows_html(rep, wrap=mso, header_tag="th")
    mso_table = 'class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse;mso-yfti-tbllook:1184"'

    def mp(s: str, indent=True) -> str:
        style = ' style="text-indent:32.0pt;mso-char-indent-count:2.0"' if indent else ""
        return (f'<p class="MsoNormal"{style}><span style="font-size:16.0pt;font-family:仿宋_GB2312">{s}'
                '</span><span lang="EN-US" style="font-size:16.0pt"><o:p></o:p></span></p>')

    def mh(s: str) -> str:
        return (f'<p class="MsoNormal" style="text-indent:32.0pt"><b><span style="font-size:16.0pt;font-family:黑体">'
                f'{s}</span></b><span lang="EN-US"><o:p></o:p></span></p>')

    agency = "杭州市西湖区民政局"
    title = f"{agency}2022年政府信息公开工作年度报告"
    body = "\n".join([
        f'<p class="MsoNormal" align="center" style="text-align:center"><b><span style="font-size:22.0pt;font-family:方正小标宋简体">{agency}<br />\n2022年政府信息公开工作年度报告</span></b></p>',
        mp("本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《中华人民共和国政府信息公开工作年度报告格式》编制。"
           "本报告所列数据的统计期限自2022年1月1日起至2022年12月31日止。"),
        mh(SECTIONS[0]),
        mp("2022年，区民政局坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《条例》，围绕民政中心工作，"
           "持续深化政务公开，不断提升政府工作透明度。"),
        mp("（一）主动公开。全年通过区政府门户网站主动公开政府信息136条，其中社会救助类信息42条。"),
        mp("（二）依申请公开。全年收到政府信息公开申请16件，上年结转1件，均按时答复。"),
        mh(SECTIONS[1]),
        *t2_tables(rep, wrap=mso, header_tag="th", br_labels=True),
        mh(SECTIONS[2]),
        '<div align="center">' + table(t3h + t3b, attrs=mso_table, tbody=False) + "</div>",
        mh(SECTIONS[3]),
        '<div align="center">' + table(t4h + t4b, attrs=mso_table, tbody=False) + "</div>",
        mh(SECTIONS[4]),
        mp("一是政策解读形式较为单一；二是依申请公开答复规范化水平有待提高。下一步，我局将丰富解读形式，加强业务培训。"),
        mh(SECTIONS[5]),
        mp("本年度未收取信息处理费。"),
        '<p class="MsoNormal" align="right" style="text-align:right"><span style="font-size:16.0pt">杭州市西湖区民政局</span></p>',
        '<p class="MsoNormal" align="right" style="text-align:right"><span lang="EN-US" style="font-size:16.0pt">2023</span><span style="font-size:16.0pt">年<span lang="EN-US">1</span>月<span lang="EN-US">18</span>日</span></p>',
    ])
    page = f"""<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word">
<head>
<title>{title}</title>
<!--[if gte mso 9]><xml><w:WordDocument><w:View>Print</w:View></w:WordDocument></xml><![endif]-->
<style><!-- p.MsoNormal {{margin:0cm;font-size:10.5pt;font-family:"Calibri"}} --></style>
</head>
<body lang="ZH-CN" style="tab-interval:21.0pt">
<table width="100%" border="0" cellspacing="0" cellpadding="0">
<tr><td height="30" class="crumbs"><a href="/">首页</a> &gt; <a href="/xxgk/">信息公开</a> &gt; 年度报告</td></tr>
<tr><td>
<div class="WordSection1" style="layout-grid:15.6pt">
{body}
</div>
</td></tr>
<tr><td align="center"><a href="javascript:window.print()">打印本页</a>　<a href="javascript:window.close()">关闭窗口</a></td></tr>
</table>
</body>
</html>
"""
    expected = {
        "report": {"title": title, "agency": agency, "year": 2022, "template": "gioar-2021",
                   "province": "浙江省", "city": "杭州市", "county": "西湖区", "adcode": "330106",
                   "format": "html", "encoding": "utf-8", "status": "ok", "error": ""},
        "cells": rep.cells(),
        "notes": ["Word export: MsoNormal paragraphs, <span>/<font>/<o:p> inside every cell, <th> header cells, "
                  "no <tbody>, header labels broken with <br>, inside a layout table (nested tables).",
                  "UTF-8 with a BOM and no charset declaration. Some values in full-width digits (１２, １６, １５)."],
    }
    return "html-word-mso.html", codecs.BOM_UTF8 + page.encode("utf-8"), expected


def split_page() -> tuple[str, bytes, dict]:
    """GB18030 bytes and no charset anywhere; table 二 one <table> per block; table 三 split in two
    tables with a stray </table>; table 四 with unclosed <td>/<tr>; `.article-content` container."""
    rep = Report(
        "gioar-2021",
        t2={"rules": ["0", "0", "0"], "normative_documents": ["2", "0", "9"],
            "administrative_licensing": ["2315"], "administrative_penalty": ["47"],
            "administrative_coercion": ["3"], "administrative_fees": ["1.25"]},
        t3=t3_values({
            "new_requests": ["25", "4", "0", "1", "0", "0", "30"],
            "carried_from_last_year": ["2", "0", "0", "0", "0", "0", "2"],
            "granted": ["10", "2", "0", "1", "0", "0", "13"],
            "partially_granted": ["2", "0", "0", "0", "0", "0", "2"],
            "denied_process_information": ["1", "0", "0", "0", "0", "0", "1"],
            "unavailable_not_held": ["8", "1", "0", "0", "0", "0", "9"],
            "unavailable_needs_creation": ["1", "0", "0", "0", "0", "0", "1"],
            "not_processed_petition": ["2", "0", "0", "0", "0", "0", "2"],
            "other_other": ["1", "0", "0", "0", "0", "0", "1"],
            "results_total": ["25", "3", "0", "1", "0", "0", "29"],
            "carried_to_next_year": ["2", "1", "0", "0", "0", "0", "3"],
        }, zero="0"),
        t4={"administrative_review": ["2", "0", "0", "0", "2"], "litigation_direct": ["1", "0", "0", "0", "1"],
            "litigation_after_review": ["0", "0", "0", "0", "0"]},
    )
    t3h, t3b = t3_rows_html(rep)
    cut = next(i for i, r in enumerate(t3b) if "（五）不予处理" in r)
    # A stray </table> in the middle of table 三: the rows after it are left outside any table.
    t3_html = (table(t3h, attrs='border="1" width="100%"') + "\n"
               + '<table border="1" width="100%"><tbody>\n' + "\n".join(t3b[:cut]) + "\n</table>\n"
               + "\n".join(t3b[cut:]) + "\n</tbody></table>")
    t4h, t4b = t4_rows_html(rep)
    t4_html = table(t4h + t4b, attrs='border=1 width="100%"', tbody=False)
    t4_html = t4_html.replace("</td>", "").replace("</tr>", "")  # unclosed cells and rows
    agency = "成都市武侯区住房和城乡建设局"
    title = f"{agency}2021年政府信息公开工作年度报告"
    body = "\n".join([
        f"<p style=\"text-align:center\"><strong>{title}</strong></p>",
        "<p>　　根据《中华人民共和国政府信息公开条例》规定，现公布本局2021年政府信息公开工作年度报告。</p>",
        f"<p><strong>{SECTIONS[0]}</strong></p>",
        "<p>　　2021年，区住建局认真贯彻落实《条例》，围绕城乡建设重点工作，深化政务公开。全年主动公开政府信息325条。</p>",
        f"<p><strong>{SECTIONS[1]}</strong></p>",
        *t2_tables(rep, split=True),
        f"<p><strong>{SECTIONS[2]}</strong></p>",
        t3_html,
        f"<p><strong>{SECTIONS[3]}</strong></p>",
        t4_html,
        f"<p><strong>{SECTIONS[4]}</strong></p>",
        "<p>　　一是公开内容的及时性有待加强；二是解读质量有待提升。2022年，我局将加强审核，提升公开质量。</p>",
        f"<p><strong>{SECTIONS[5]}</strong></p>",
        "<p>　　本年度无其他需要报告的事项。</p>",
    ])
    page = f"""<!DOCTYPE html>
<html>
<head>
<title>{title}-成都市武侯区人民政府门户网站</title>
<meta name="keywords" content="政府信息公开年报">
</head>
<body>
<div class="top-bar"><a href="/">武侯区人民政府</a> <a href="/wza/">无障碍</a></div>
<div class="breadcrumb"><span>您的位置：</span><a href="/">首页</a> &gt; <a href="/xxgk/">信息公开</a></div>
<div class="main">
<div class="article-title"><h2>{title}</h2><div class="meta"><span>发布日期：2022-01-26</span><span>来源：武侯区住建局</span></div></div>
<div class="article-content">
{body}
</div>
<div class="article-tools"><a href="javascript:window.print();">[打印]</a> <a href="javascript:window.close();">[关闭]</a></div>
</div>
<div class="footer">版权所有：成都市武侯区人民政府　备案号：蜀ICP备05000000号</div>
</body>
</html>
"""
    expected = {
        "report": {"title": title, "agency": agency, "year": 2021, "template": "gioar-2021",
                   "province": "四川省", "city": "成都市", "county": "武侯区", "adcode": "510107",
                   "format": "html", "encoding": "gb18030", "status": "ok", "error": ""},
        "cells": rep.cells(),
        "notes": ["GB18030 bytes with no charset declaration at all.",
                  "Table 二 printed as one <table> per block; table 三 as a header table plus a body table "
                  "broken by a stray </table> before （五）不予处理; table 四 with unclosed <td> and <tr>."],
    }
    return "html-split-gb18030.html", page.encode("gb18030"), expected


def lying_meta_page() -> tuple[str, bytes, dict]:
    """A page that says gb2312 but is UTF-8; 2019 template; <th>, <thead>; div.view; signature."""
    rep = Report(
        "gioar-2019",
        t2={"rules": ["0", "0", "0"], "normative_documents": ["4", "4", "37"],
            "administrative_licensing": ["18", "-2", "356"], "other_external_services": ["5", "0", "1204"],
            "administrative_penalty": ["6", "+1", "29"], "administrative_coercion": ["2", "0", "1"],
            "administrative_fees": ["3", "0"], "government_procurement": ["12", "86.5万元"]},
        t3=t3_values({
            "new_requests": ["40", "6", "0", "0", "2", "1", "49"],
            "carried_from_last_year": ["3", "0", "0", "0", "0", "0", "3"],
            "granted": ["18", "3", "0", "0", "1", "1", "23"],
            "partially_granted": ["4", "1", "0", "0", "0", "0", "5"],
            "denied_state_secret": ["1", "0", "0", "0", "0", "0", "1"],
            "unavailable_not_held": ["12", "2", "0", "0", "1", "0", "15"],
            "not_processed_petition": ["3", "0", "0", "0", "0", "0", "3"],
            "other_handling": ["2", "0", "0", "0", "0", "0", "2"],
            "results_total": ["40", "6", "0", "0", "2", "1", "49"],
            "carried_to_next_year": ["3", "0", "0", "0", "0", "0", "3"],
        }),
        t4={"administrative_review": ["1", "1", "0", "0", "2"], "litigation_direct": ["0", "0", "0", "0", "0"],
            "litigation_after_review": ["1", "0", "0", "0", "1"]},
    )
    t3h, t3b = t3_rows_html(rep, header_tag="th")
    t4h, t4b = t4_rows_html(rep, header_tag="th")
    t3_html = '<table class="table" border="1"><thead>\n' + "\n".join(t3h) + "\n</thead><tbody>\n" + "\n".join(t3b) + "\n</tbody></table>"
    t4_html = '<table class="table" border="1"><thead>\n' + "\n".join(t4h) + "\n</thead><tbody>\n" + "\n".join(t4b) + "\n</tbody></table>"
    agency = "南京市江宁区教育局"
    title = f"{agency}2020年政府信息公开工作年度报告"
    body = "\n".join([
        "<div>本报告依据《中华人民共和国政府信息公开条例》编制，统计期限为2020年1月1日至12月31日。</div>",
        f"<div><b>{SECTIONS[0]}</b></div>",
        "<div>2020年，区教育局坚持公开为常态、不公开为例外，全面推进决策、执行、管理、服务、结果公开。<br>"
        "全年主动公开政府信息512条，回应社会关切36次。</div>",
        f"<div><b>{SECTIONS[1]}</b></div>",
        *t2_tables(rep, header_tag="th"),
        f"<div><b>{SECTIONS[2]}</b></div>",
        t3_html,
        f"<div><b>{SECTIONS[3]}</b></div>",
        t4_html,
        f"<div><b>{SECTIONS[4]}</b></div>",
        "<div>主要问题是公开内容不够全面。改进措施：进一步梳理公开目录，加强培训。</div>",
        f"<div><b>{SECTIONS[5]}</b></div>",
        "<div>无。</div>",
        f'<div style="text-align:right">{agency}<br>2021年1月25日</div>',
    ])
    page = f"""<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{title} - 江宁区人民政府</title>
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="2021-01-25 16:20">
<meta name="ContentSource" content="南京市江宁区教育局">
</head>
<body>
<div id="header"><ul class="menu"><li>首页</li><li>新闻中心</li><li>政务公开</li></ul></div>
<ul class="location"><li>当前位置：首页 &gt; 信息公开 &gt; 年度报告</li></ul>
<div class="view">
<div class="xxgk-meta"><ul><li><span>索引号：</span>11320115MB1234567X/2021-00012</li>
<li><span>发布机构：</span>南京市江宁区教育局</li><li><span>发布日期：</span>2021-01-25</li>
<li><span>主题分类：</span>教育</li></ul></div>
<h3>{title}</h3>
{body}
</div>
<div id="footer">江宁区人民政府办公室主办 <a href="/">网站地图</a></div>
</body>
</html>
"""
    expected = {
        "report": {"title": title, "agency": agency, "year": 2020, "template": "gioar-2019",
                   "province": "江苏省", "city": "南京市", "county": "江宁区", "adcode": "320115",
                   "format": "html", "encoding": "utf-8", "status": "ok", "error": ""},
        "cells": rep.cells(),
        "notes": ["Declares charset=gb2312, but the bytes are UTF-8 (the declaration lies).",
                  "2019 template; <thead>/<tbody>, <th> header cells; text in <div> with <br>; div.view container "
                  "with the 索引号/发布机构 grid inside it as <li><span>.",
                  "Signed values '-2', '+1' in 本年增/减; '86.5万元' with its unit in the cell."],
    }
    return "html-lying-meta.html", page.encode("utf-8"), expected


def image_page() -> tuple[str, bytes, dict]:
    """Table 三 published as an image; tables 二 and 四 as HTML."""
    rep = Report(
        "gioar-2021",
        t2={"rules": ["0", "0", "0"], "normative_documents": ["1", "0", "4"],
            "administrative_licensing": ["0"], "administrative_penalty": ["15"],
            "administrative_coercion": ["0"], "administrative_fees": ["0"]},
        t3={}, t4={"administrative_review": ["0", "0", "0", "0", "0"], "litigation_direct": ["0", "0", "0", "0", "0"],
                   "litigation_after_review": ["0", "0", "0", "0", "0"]},
    )
    t4h, t4b = t4_rows_html(rep)
    src = "/uploadfiles/202301/W020230130562018374512.png"
    agency = "厦门市思明区市场监督管理局"
    title = f"{agency}2022年政府信息公开工作年度报告"
    body = "\n".join([
        f"<p>　　根据《中华人民共和国政府信息公开条例》要求，编制{agency}2022年政府信息公开工作年度报告。</p>",
        f"<p>{SECTIONS[0]}</p>",
        "<p>　　2022年，我局认真落实政务公开各项要求，主动公开政府信息218条。</p>",
        f"<p>{SECTIONS[1]}</p>",
        *t2_tables(rep),
        f"<p>{SECTIONS[2]}</p>",
        f'<p style="text-align:center"><img src="{src}" width="640" height="860" border="0" alt="" /></p>',
        f"<p>{SECTIONS[3]}</p>",
        table(t4h + t4b),
        f"<p>{SECTIONS[4]}</p>",
        "<p>　　存在问题：公开栏目更新不够及时。改进措施：落实专人负责，定期检查。</p>",
        f"<p>{SECTIONS[5]}</p>",
        "<p>　　无。</p>",
    ])
    page = trs_page(title, body, charset="utf-8", agency=agency, date="2023-01-30", site="厦门市思明区人民政府",
                    index_no="XM00101-0300-2023-00007")
    expected = {
        "report": {"title": title, "agency": agency, "year": 2022, "template": "gioar-2021",
                   "province": "福建省", "city": "厦门市", "county": "思明区", "adcode": "350203",
                   "format": "html", "encoding": "utf-8", "status": "partial",
                   "error": f"table printed as an image: {src} near '三、收到和处理政府信息公开申请情况'; "
                            "tables not found: applications"},
        "cells": rep.cells(tables=("active_disclosure", "review_litigation")),
        "notes": ["Table 三 is an <img> in the body; the report is partial and the error names the image."],
    }
    return "html-image-table.html", page.encode("utf-8"), expected


def attachment_page() -> tuple[str, bytes, dict]:
    """A TRS page in GBK whose body only links to the report as a PDF attachment."""
    agency = "龙岩市新罗区财政局"
    title = f"{agency}2022年政府信息公开工作年度报告"
    href = "./P020230128593465021781.pdf"
    body = "\n".join([
        f"<p>{agency}2022年政府信息公开工作年度报告详见附件。</p>",
        f'<p>附件：<a href="{href}" oldsrc="W020230128593465021781.pdf">{title}.pdf</a></p>',
    ])
    page = trs_page(title, body, charset="gbk", agency=agency, date="2023-01-28", site="龙岩市新罗区人民政府",
                    index_no="350802-05-2023-00002")
    expected = {
        "report": {"title": title, "agency": agency, "year": 2022, "template": "unknown",
                   "province": "福建省", "city": "龙岩市", "county": "新罗区", "adcode": "350802",
                   "format": "html", "encoding": "gb18030", "status": "partial",
                   "error": f"report published as an attachment: {href}; "
                            "tables not found: active_disclosure, applications, review_litigation"},
        "cells": [],
        "notes": ["The report itself is the linked PDF; the page only names it. The error gives the URL as "
                  "printed (relative: the page's own URL is not known from a file)."],
    }
    return "html-attachment-gbk.html", page.encode("gbk"), expected


PAGES = [seed_page, word_page, split_page, lying_meta_page, image_page, attachment_page]


def main() -> None:
    for make in PAGES:
        name, data, expected = make()
        (DOCS / name).write_bytes(data)
        stem = name.rsplit(".", 1)[0]
        record = {"id": stem, "source": name, "format": "html", **expected}
        record = {k: record[k] for k in ("id", "source", "format", "report", "cells", "notes")}
        (EXPECTED / f"{stem}.expected.json").write_text(
            json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{name}: {len(data)} bytes, {len(record['cells'])} cells")


if __name__ == "__main__":
    main()
