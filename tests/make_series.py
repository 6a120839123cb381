"""A ten-year series of one agency's reports, made from corpus documents, for the archive tests.

杭州市西湖区民政局, 2015–2024:
- 2015, 2016, 2018: legacy reports (the corpus's real-021.txt, a 2016 legacy report, retitled;
  its figures other than the year removed, so no era's parser finds a statistic in them);
- 2017: missing;
- 2019, 2020: gioar-2019 TRS pages spelled 杭州西湖区民政局 (the city without 市);
- 2021, 2023, 2024: gioar-2021 TRS pages;
- 2022: the corpus's own report, published twice: html-word-mso.html and its PDF pdf-lo-word-mso.pdf.
Carry-overs and documents in force agree from year to year, except 2023 → 2024, where the 2024
report carries over 2 requests (natural persons) where 2023 left 3: the deliberate break. In
2024 requests jump from 20 to 200 (an outlier to review).

Also: two townships both called 城关镇人民政府 (固始县, 商城县), and a department renamed in a
reorganisation (莆田市文化广电新闻出版局 → 莆田市文化和旅游局).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from make_html_corpus import (DOCS, SECTIONS, T3_COLS, T4_ROWS, Report, paras, t2_tables, t3_rows_html, t3_values,
                              t4_rows_html, table, trs_page)

AGENCY = "杭州市西湖区民政局"
SHORT = "杭州西湖区民政局"
YEARS = range(2015, 2025)
MISSING = 2017
LEGACY = (2015, 2016, 2018)
# Table 三, natural persons (all other applicant columns 0): new, carried from last year,
# granted (= results), carried to next year. 2022 is the corpus report's.
T3 = {2019: (5, 0, 4, 1), 2020: (6, 1, 6, 1), 2021: (10, 1, 10, 1), 2023: (20, 2, 19, 3), 2024: (200, 2, 200, 2)}
# Table 二, 2021 template: (issued, repealed, in force) of 规章 and 行政规范性文件.
T2_2021 = {2021: ((2, 0, 4), (4, 2, 10)), 2023: ((0, 1, 4), (2, 0, 14)), 2024: ((1, 0, 5), (1, 1, 14))}
CORPUS_2022 = ("html-word-mso.html", "pdf-lo-word-mso.pdf")
# The corpus report of 2022 prints 上年结转 [1,0,0,0,0,0,1] and 结转下年度 [1,1,0,0,0,0,2]; 2023
# carries its 2 (1 natural person, 1 enterprise) on, which the tuple above gives as 2 natural
# persons: so 2023's enterprise column is set apart below.


def _t3(year: int) -> dict:
    new, carried_in, granted, carried_out = T3[year]
    row = lambda n: [n, 0, 0, 0, 0, 0, n]  # noqa: E731
    values = {"new_requests": row(new), "carried_from_last_year": row(carried_in), "granted": row(granted),
              "results_total": row(granted), "carried_to_next_year": row(carried_out)}
    if year == 2023:  # carried in from 2022: 1 natural person, 1 enterprise
        values["carried_from_last_year"] = [1, 1, 0, 0, 0, 0, 2]
        values["new_requests"] = [19, 0, 0, 0, 0, 0, 19]
        values["granted"] = values["results_total"] = [17, 1, 0, 0, 0, 0, 18]
    return t3_values(values)


def _t2(year: int, template: str) -> dict:
    if template == "gioar-2021":
        rules, normative = T2_2021[year]
        return {"rules": [str(v) for v in rules], "normative_documents": [str(v) for v in normative],
                "administrative_licensing": ["12"], "administrative_penalty": ["3"], "administrative_coercion": ["0"],
                "administrative_fees": ["0"]}
    return {"rules": ["0", "0", "0"], "normative_documents": ["1", "1", "4"], "administrative_licensing": ["7", "1", "8"],
            "other_external_services": ["2", "0", "16"], "administrative_penalty": ["0", "0", "0"],
            "administrative_coercion": ["0", "0", "0"], "administrative_fees": ["0", "0"],
            "government_procurement": ["0", "0"]}


def modern_page(agency: str, year: int, template: str, t3: dict | None = None, t2: dict | None = None,
                overview: str = "") -> bytes:
    """A TRS page of the national format with the given tables (UTF-8)."""
    rep = Report(template, t2=t2 or _t2(year, template), t3=t3 or _t3(year), t4={k: ["0"] * 5 for k in T4_ROWS})
    t3h, t3b = t3_rows_html(rep)
    t4h, t4b = t4_rows_html(rep)
    body = "\n".join([
        paras([f"本报告根据《中华人民共和国政府信息公开条例》编制。统计期限自{year}年1月1日起至{year}年12月31日止。"]),
        paras([SECTIONS[0], overview or f"{year}年，我局认真贯彻落实《条例》，持续深化政务公开。"]),
        paras([SECTIONS[1]]), *t2_tables(rep),
        paras([SECTIONS[2]]), table(t3h + t3b),
        paras([SECTIONS[3]]), table(t4h + t4b),
        paras([SECTIONS[4], "政策解读形式较为单一。下一步，我局将丰富解读形式。"]),
        paras([SECTIONS[5], "无。"]),
    ])
    title = f"{agency}{year}年政府信息公开工作年度报告"
    return trs_page(title, body, charset="utf-8", agency=agency, date=f"{year + 1}-01-20",
                    site="杭州市西湖区人民政府").encode("utf-8")


def legacy_text(agency: str, year: int) -> bytes:
    """real-021.txt (a 2016 legacy report) retitled for `agency` and `year`, its other figures removed."""
    text = (DOCS / "real-021.txt").read_text("utf-8")
    text = text.replace("福州市晋安区2016年", f"{agency}{year}年").replace("2017-01-12", f"{year + 1}-01-12")
    text = re.sub(r"\d+", lambda m: m.group(0) if m.group(0) in ("2016", str(year), str(year + 1)) else "", text)
    return text.replace("2016", str(year)).encode("utf-8")


def make_series(out: Path) -> dict[int, list[Path]]:
    """Write the series into `out`; returns the files of each year."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[int, list[Path]] = {}
    for year in YEARS:
        if year == MISSING:
            continue
        if year == 2022:
            files[year] = []
            for name in CORPUS_2022:
                shutil.copy(DOCS / name, out / name)
                files[year].append(out / name)
            continue
        if year in LEGACY:
            path, data = out / f"xihu-{year}.txt", legacy_text(AGENCY, year)
        else:
            template = "gioar-2019" if year < 2021 else "gioar-2021"
            path, data = out / f"xihu-{year}.html", modern_page(SHORT if year < 2021 else AGENCY, year, template)
        path.write_bytes(data)
        files[year] = [path]
    return files


def make_townships(out: Path) -> dict[str, Path]:
    """Two 城关镇人民政府 whose reports name their county only in the text, and a later report of
    one of them whose title names its county."""
    out.mkdir(parents=True, exist_ok=True)
    made = {}
    for key, county, year, agency in (("gushi-2020", "固始县", 2020, "城关镇人民政府"),
                                      ("shangcheng-2020", "商城县", 2020, "城关镇人民政府"),
                                      ("gushi-2021", "固始县", 2021, "固始县城关镇人民政府")):
        template = "gioar-2019" if year < 2021 else "gioar-2021"
        t2 = _t2(2021, template) if template == "gioar-2021" else None
        overview = f"{year}年，{county}城关镇人民政府认真贯彻落实《条例》，持续深化政务公开。"
        page = modern_page(agency, year, template, t3=_t3(2019), t2=t2, overview=overview)
        made[key] = out / f"{key}.html"
        made[key].write_bytes(page)
    return made


def make_renamed(out: Path) -> dict[int, Path]:
    """A department renamed in 2019: 莆田市文化广电新闻出版局 (2018) → 莆田市文化和旅游局 (2019, 2020)."""
    out.mkdir(parents=True, exist_ok=True)
    made = {2018: out / "putian-2018.txt"}
    made[2018].write_bytes(legacy_text("莆田市文化广电新闻出版局", 2018))
    for year in (2019, 2020):
        made[year] = out / f"putian-{year}.html"
        made[year].write_bytes(modern_page("莆田市文化和旅游局", year, "gioar-2019"))
    return made


__all__ = ["AGENCY", "SHORT", "T3_COLS", "make_series", "make_townships", "make_renamed"]
