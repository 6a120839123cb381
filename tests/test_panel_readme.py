"""The README's tour of the archive runs on the bundled corpus and shows what it says."""
from __future__ import annotations

import re

import duckdb
import pandas as pd

from conftest import ROOT

FUJIAN_2022 = {("厦门市思明区市场监督管理局", "county", "reported"), ("厦门市湖里区人民政府", "county", "missing"),
               ("漳平市教育局", "county", "missing"), ("福州市晋安区人民政府", "county", "missing"),
               ("龙岩市新罗区财政局", "county", "reported")}


def _blocks(lang: str) -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text[text.index("## The archive"):]
    section = section[: section.index("\n## ", 1)]
    return re.findall(rf"```{lang}\n(.*?)```", section, flags=re.S)


def test_summary_line(corpus_dataset):
    out = corpus_dataset[0] / "output"
    agencies, panel = pd.read_parquet(out / "agencies.parquet"), pd.read_parquet(out / "panel.parquet")
    missing = (pd.read_parquet(out / "coverage.parquet").state == "missing").sum()
    assert f"; archive: {len(agencies)} agencies, {len(panel)} agency-years, {missing} missing, " in corpus_dataset[1]
    assert len(agencies) >= 16 and len(panel) >= 16


def test_pandas_tour(corpus_dataset, monkeypatch):
    (code,) = _blocks("python")[-1:]
    monkeypatch.chdir(corpus_dataset[0])
    ns: dict = {}
    exec(code, ns)
    # (the corpus may grow: these agencies of 福建省 are in it, with these states for 2022)
    assert FUJIAN_2022 <= {tuple(r) for r in ns["fujian"].itertuples(index=False)}
    series = ns["series"]
    assert series[["year", "requests_received", "template"]].to_dict("records") == [
        {"year": 2020, "requests_received": 0.0, "template": "gioar-2019"}]
    assert len(series.copies[0].split(";")) == 2  # the seed text, its TRS page, the page printed to PDF: one row
    assert ns["failing"].empty


def test_duckdb_tour(corpus_dataset, monkeypatch):
    coverage, series, failing = _blocks("sql")[0].strip().split(";\n\n")
    monkeypatch.chdir(corpus_dataset[0])
    assert FUJIAN_2022 <= set(duckdb.sql(coverage).fetchall())
    rows = duckdb.sql(series).fetchall()
    assert [(y, n, t) for y, n, t, _, _ in rows] == [(2020, 0.0, "gioar-2019")]
    assert duckdb.sql(failing.rstrip(";\n")).fetchall() == []
