"""The archive (extract/panel): agencies, panel, coverage, panel_checks, from parsed datasets."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from make_series import AGENCY, SHORT, T3_COLS, make_renamed, make_series, make_townships

from extract.contract import TABLES
from extract.panel import AgenciesFileError, build_archive
from extract.panel.identity import identify

XIHU = "330106:杭州市西湖区民政局"
INDICATORS = ["requests_received", "requests_answered", "requests_granted", "requests_partially_granted",
              "requests_denied", "admin_reviews", "admin_lawsuits", "reviews_corrected", "lawsuits_corrected"]


def parse(paths: list[Path], out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extract", "parse", *map(str, paths), "--out", str(out),
                           "--workers", "1", "--quiet", *extra], capture_output=True, text=True, cwd=ROOT)


def table(out: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(out / f"{name}.parquet")


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    docs = tmp_path_factory.mktemp("series")
    files = make_series(docs)
    out = tmp_path_factory.mktemp("series-out")
    done = parse([docs], out)
    assert done.returncode == 0, done.stderr
    ids = pd.read_parquet(out / "reports.parquet").set_index("source")["report_id"]
    return out, {year: [ids[str(p)] for p in paths] for year, paths in files.items()}, done.stderr


def chosen_of(out: Path, ids: list[str]) -> tuple[str, str]:
    """(chosen, copies) by output.md's rule: best status, then most cells, then (no fetch order
    here) the lower report_id."""
    reports = pd.read_parquet(out / "reports.parquet").set_index("report_id").loc[ids]
    rank = reports.status.map({"ok": 0, "partial": 1, "failed": 2})
    order = sorted(ids, key=lambda i: (rank[i], -reports.n_cells[i], i))
    return order[0], ";".join(order[1:])


def test_series_agencies(series):
    out, _, _ = series
    assert table(out, "agencies").to_dict("records") == [{
        "agency_id": XIHU, "name": AGENCY, "names": f"{AGENCY}; {SHORT}", "province": "浙江省", "city": "杭州市",
        "county": "西湖区", "adcode": "330106", "level": "county", "kind": "department",
        "first_year": 2015, "last_year": 2024, "n_years": 9}]


def test_series_panel(series):
    out, ids, _ = series
    panel = table(out, "panel")
    assert list(panel.columns[:6]) == ["agency_id", "year", "report_id", "copies", "template", "status"]
    expected_ids = {y: chosen_of(out, v) for y, v in ids.items()}  # 2022: the HTML page and its PDF, one row
    assert len(ids[2022]) == 2 and expected_ids[2022][1] in ids[2022]
    templates = {2015: "legacy", 2016: "legacy", 2018: "legacy", 2019: "gioar-2019", 2020: "gioar-2019",
                 2021: "gioar-2021", 2022: "gioar-2021", 2023: "gioar-2021", 2024: "gioar-2021"}
    status = pd.read_parquet(out / "reports.parquet").set_index("report_id").status
    assert panel[["year", "report_id", "copies", "template", "status"]].to_dict("records") == [
        {"year": y, "report_id": expected_ids[y][0], "copies": expected_ids[y][1], "template": templates[y],
         "status": status[expected_ids[y][0]]} for y in sorted(templates)]
    assert set(panel[panel.template != "legacy"].status) == {"ok"}
    assert set(panel.agency_id) == {XIHU}
    # requests received (table 三 本年新收, 总计), answered (办理结果总计), granted, partially granted,
    # denied, reviews, lawsuits, corrected reviews and lawsuits: the values each report prints
    printed = {2019: [5, 4, 4, 0, 0, 0, 0, 0, 0], 2020: [6, 6, 6, 0, 0, 0, 0, 0, 0],
               2021: [10, 10, 10, 0, 0, 0, 0, 0, 0], 2022: [16, 15, 7, 1, 1, 1, 1, 0, 0],
               2023: [19, 18, 18, 0, 0, 0, 0, 0, 0], 2024: [200, 200, 200, 0, 0, 0, 0, 0, 0]}
    got = panel.set_index("year")[INDICATORS]
    for year in templates:
        values = got.loc[year].tolist()
        if year in printed:
            assert values == printed[year], year
        else:  # legacy reports without a statistics table or stated figures
            assert all(math.isnan(v) for v in values), year


def test_series_coverage(series):
    out, _, _ = series
    coverage = table(out, "coverage")
    assert coverage.to_dict("records") == [
        {"agency_id": XIHU, "year": y, "state": "missing" if y == 2017 else "reported"} for y in range(2015, 2025)]


def test_series_panel_checks(series):
    out, ids, _ = series
    checks = table(out, "panel_checks")
    chosen = {y: chosen_of(out, v)[0] for y, v in ids.items()}
    expected = []
    values = {  # (earlier, later) of the indicators, per later year
        2020: ([5, 4, 4, 0, 0, 0, 0, 0, 0], [6, 6, 6, 0, 0, 0, 0, 0, 0]),
        2021: ([6, 6, 6, 0, 0, 0, 0, 0, 0], [10, 10, 10, 0, 0, 0, 0, 0, 0]),
        2022: ([10, 10, 10, 0, 0, 0, 0, 0, 0], [16, 15, 7, 1, 1, 1, 1, 0, 0]),
        2023: ([16, 15, 7, 1, 1, 1, 1, 0, 0], [19, 18, 18, 0, 0, 0, 0, 0, 0]),
        2024: ([19, 18, 18, 0, 0, 0, 0, 0, 0], [200, 200, 200, 0, 0, 0, 0, 0, 0]),
    }
    carried = {  # 结转下年度 of the earlier year, 上年结转 of the later, per column of table 三
        2020: ([1, 0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0, 1]), 2021: ([1, 0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0, 1]),
        2022: ([1, 0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0, 1]), 2023: ([1, 1, 0, 0, 0, 0, 2], [1, 1, 0, 0, 0, 0, 2]),
        2024: ([3, 0, 0, 0, 0, 0, 3], [2, 0, 0, 0, 0, 0, 2]),  # the deliberate break
    }
    in_force = {  # rules, normative documents: (in force N + issued − repealed N+1, in force N+1)
        2022: {"rules": (4 + 1 - 0, 5), "normative_documents": (10 + 3 - 1, 12)},
        2023: {"rules": (5 + 0 - 1, 4), "normative_documents": (12 + 2 - 0, 14)},
        2024: {"rules": (4 + 1 - 0, 5), "normative_documents": (14 + 1 - 1, 14)},
    }
    for year in range(2020, 2025):
        pair = f"{chosen[year - 1]};{chosen[year]}"
        for col, a, b in zip(T3_COLS, *carried[year]):
            expected.append((year, f"carry_over[{col}]", "pass" if a == b else "fail", a, b, pair))
        for row, (lhs, rhs) in in_force.get(year, {}).items():
            expected.append((year, f"in_force[{row}]", "pass" if lhs == rhs else "fail", lhs, rhs, pair))
        for key, a, b in zip(INDICATORS, *values[year]):
            jump = max(a, b) / max(min(a, b), 1) >= 10
            expected.append((year, f"outlier[{key}]", "review" if jump else "pass", a, b, pair))
    got = [(r.year, r.check, r.status, r.lhs, r.rhs, r.report_ids) for r in checks.itertuples()]
    assert sorted(got) == sorted(expected)
    assert set(checks.agency_id) == {XIHU}
    assert sorted(c for y, c, s, *_ in got if s == "fail") == ["carry_over[natural_person]", "carry_over[total]"]
    assert sorted(c for y, c, s, *_ in got if s == "review") == [
        "outlier[requests_answered]", "outlier[requests_granted]", "outlier[requests_received]"]


def test_series_summary_line_and_datapackage(series):
    out, _, stderr = series
    line = stderr.strip().splitlines()[-1]
    assert line.startswith("9 documents:") or line.startswith("10 documents:")
    assert "; archive: 1 agencies, 9 agency-years, 1 missing, 2 failed cross-year checks, 3 for review; " in line
    package = json.loads((out / "datapackage.json").read_text("utf-8"))
    resources = {r["name"]: r for r in package["resources"]}
    assert {"reports", "cells", "agencies", "panel", "coverage", "panel_checks"} <= set(resources)
    panel_fields = [f["name"] for f in resources["panel"]["schema"]["fields"]]
    assert panel_fields[:6] == ["agency_id", "year", "report_id", "copies", "template", "status"]
    assert set(INDICATORS) <= set(panel_fields)
    assert resources["coverage"]["path"] == "coverage.csv"
    csv = pd.read_csv(out / "coverage.csv", encoding="utf-8-sig")
    assert csv.to_dict("records") == table(out, "coverage").to_dict("records")
    assert (out / "coverage.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_two_chengguan_towns_stay_two(tmp_path):
    made = make_townships(tmp_path / "docs")
    out = tmp_path / "out"
    assert parse([tmp_path / "docs"], out).returncode == 0
    agencies = table(out, "agencies")[["agency_id", "names", "county", "level", "first_year", "last_year"]]
    assert agencies.to_dict("records") == [
        {"agency_id": "411524:商城县城关镇人民政府", "names": "城关镇人民政府", "county": "商城县", "level": "township",
         "first_year": 2020, "last_year": 2020},
        {"agency_id": "411525:固始县城关镇人民政府", "names": "固始县城关镇人民政府; 城关镇人民政府", "county": "固始县",
         "level": "township", "first_year": 2020, "last_year": 2021}]
    ids = pd.read_parquet(out / "reports.parquet").set_index("source")["report_id"]
    panel = table(out, "panel")
    assert panel[["agency_id", "year", "report_id"]].to_dict("records") == [
        {"agency_id": "411524:商城县城关镇人民政府", "year": 2020, "report_id": ids[str(made["shangcheng-2020"])]},
        {"agency_id": "411525:固始县城关镇人民政府", "year": 2020, "report_id": ids[str(made["gushi-2020"])]},
        {"agency_id": "411525:固始县城关镇人民政府", "year": 2021, "report_id": ids[str(made["gushi-2021"])]}]


def test_agencies_toml_merges_a_renamed_department(tmp_path):
    make_renamed(tmp_path / "docs")
    out = tmp_path / "out"
    assert parse([tmp_path / "docs"], out).returncode == 0
    before = table(out, "agencies")
    assert sorted(before.agency_id) == ["350300:莆田市文化和旅游局", "350300:莆田市文化广电新闻出版局"]
    (out / "agencies.toml").write_text(
        '[[agency]]\nname = "莆田市文化和旅游局"\npredecessors = ["莆田市文化广电新闻出版局"]\n', "utf-8")
    done = subprocess.run([sys.executable, "-m", "extract", "panel", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("archive: 1 agencies, 3 agency-years, 0 missing")
    after = table(out, "agencies")
    assert after[["agency_id", "names", "first_year", "last_year", "n_years"]].to_dict("records") == [
        {"agency_id": "350300:莆田市文化和旅游局", "names": "莆田市文化和旅游局; 莆田市文化广电新闻出版局",
         "first_year": 2018, "last_year": 2020, "n_years": 3}]
    assert table(out, "coverage").state.tolist() == ["reported"] * 3


def test_agencies_toml_errors_are_typed(tmp_path):
    bad = tmp_path / "agencies.toml"
    bad.write_text('[[agency]]\nname = "甲局"\nalias = ["乙局"]\n', "utf-8")
    from extract.panel.rules import load_user_agencies

    with pytest.raises(AgenciesFileError, match="unknown key"):
        load_user_agencies(bad)
    bad.write_text('[[agency]]\nname = "甲局"\naliases = ["乙局"]\n[[agency]]\nname = "丙局"\naliases = ["乙局"]\n', "utf-8")
    with pytest.raises(AgenciesFileError, match="already a name of 甲局"):
        load_user_agencies(bad)


@pytest.mark.parametrize("raw, name, agency_id, level, kind", [
    ("平潭综合实验区", "平潭综合实验区管理委员会", ":平潭综合实验区管理委员会", "unknown", "government"),
    ("平潭综合实验区管委会", "平潭综合实验区管理委员会", ":平潭综合实验区管理委员会", "unknown", "government"),
    ("发布机构：平潭综合实验区管理委员会", "平潭综合实验区管理委员会", ":平潭综合实验区管理委员会", "unknown", "government"),
    ("三明市2013年政府信息公开工作年度报告", "三明市人民政府", "350400:三明市人民政府", "city", "government"),
    ("标题:三明市政府", "三明市人民政府", "350400:三明市人民政府", "city", "government"),
    ("沐阳县人民政府", "沭阳县人民政府", "321322:沭阳县人民政府", "county", "government"),  # OCR damage
    ("杭州西湖區民政局", "杭州市西湖区民政局", "330106:杭州市西湖区民政局", "county", "department"),  # mirror
    ("中山街道办事处", "中山街道办事处", ":中山街道办事处", "township", "government"),  # not 中山市's
    ("福建省教育厅", "福建省教育厅", "350000:福建省教育厅", "province", "department"),
    ("国家卫生健康委员会", "国家卫生健康委员会", "100000:国家卫生健康委员会", "national", "department"),
    ("清远市教育局（繁体镜像）", "清远市教育局", "441800:清远市教育局", "city", "department"),
])
def test_identity_rules(raw, name, agency_id, level, kind):
    ident = identify(raw)
    assert (ident.name, ident.agency_id, ident.level, ident.kind) == (name, agency_id, level, kind)


def test_breadcrumb_is_not_an_agency():
    assert identify("中国政府网山西省政府忻州市政府当前位置:首页>") is None


def _write(out: Path, name: str, rows: list[dict], columns: list[tuple[str, str, str]]) -> None:
    types = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}
    schema = pa.schema([(c, types[t]) for c, t, _ in columns])
    folder = out / f"{name}.parquet"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([{c: r.get(c) for c, _, _ in columns} for r in rows], schema=schema),
                   folder / "part-0.parquet")


def _report(rid: str, year: int, template: str = "legacy", status: str = "ok", agency: str = "漳州市人民政府") -> dict:
    return {"report_id": rid, "agency": agency, "year": year, "template": template, "status": status, "n_cells": 4,
            "source": rid, "supersedes": ""}


def test_cumulative_checks_and_indicators_table(tmp_path):
    """Legacy statistics tables with 历年累计; the dataset's own indicators table is used when present;
    a year whose only document failed is `failed` in coverage."""
    out = tmp_path
    _write(out, "reports", [_report("a", 2010), _report("b", 2011), _report("c", 2012),
                            _report("d", 2013, status="failed", template="unknown")], TABLES["reports"])
    cells = []
    for rid, reported, cumulative in (("a", 10, 30), ("b", 5, 35), ("c", 7, 40)):
        for col, v in (("reported", reported), ("cumulative", cumulative)):
            cells.append({"report_id": rid, "table": "legacy_statistics", "row": "requests_received", "col": col,
                          "value": float(v), "raw": str(v), "flags": ""})
    _write(out, "cells", cells, TABLES["cells"])
    indicator_cols = [("report_id", "string", ""), ("indicator", "string", ""), ("value", "number", ""),
                      ("source", "string", ""), ("ref", "string", "")]
    _write(out, "indicators", [{"report_id": rid, "indicator": "requests_received", "value": v, "source": "legacy_table"}
                               for rid, v in (("a", 10.0), ("b", 5.0), ("c", 70.0))], indicator_cols)
    summary = build_archive(out, "parquet")
    assert (summary.agencies, summary.panel_rows, summary.failed_checks, summary.review) == (1, 4, 1, 1)
    checks = table(out, "panel_checks")
    assert checks[["year", "check", "status", "lhs", "rhs", "report_ids"]].to_dict("records") == [
        {"year": 2011, "check": "cumulative[requests_received]", "status": "pass", "lhs": 35.0, "rhs": 35.0, "report_ids": "a;b"},
        {"year": 2011, "check": "outlier[requests_received]", "status": "pass", "lhs": 10.0, "rhs": 5.0, "report_ids": "a;b"},
        {"year": 2012, "check": "cumulative[requests_received]", "status": "fail", "lhs": 42.0, "rhs": 40.0, "report_ids": "b;c"},
        {"year": 2012, "check": "outlier[requests_received]", "status": "review", "lhs": 5.0, "rhs": 70.0, "report_ids": "b;c"}]
    assert table(out, "panel").requests_received.tolist()[:3] == [10.0, 5.0, 70.0]  # from indicators, not cells
    assert table(out, "coverage").state.tolist() == ["reported", "reported", "reported", "failed"]
    assert not (out / "panel.csv").exists()


def test_no_panel_skips_the_archive(tmp_path):
    docs = ROOT / "corpus" / "docs" / "000_3c2b94a00d1a4e64.txt"
    done = parse([docs], tmp_path, "--no-panel")
    assert done.returncode == 0
    assert "archive" not in done.stderr and not (tmp_path / "panel.parquet").exists()


def test_agencies_toml_places_a_name_no_report_places(tmp_path):
    _write(tmp_path, "reports", [_report("a", 2020, "gioar-2019", agency="城关镇人民政府")], TABLES["reports"])
    build_archive(tmp_path, "parquet")
    assert table(tmp_path, "agencies").agency_id.tolist() == [":城关镇人民政府"]
    (tmp_path / "agencies.toml").write_text('[[agency]]\nname = "城关镇人民政府"\nadcode = "411525"\n', "utf-8")
    build_archive(tmp_path, "parquet")
    assert table(tmp_path, "agencies")[["agency_id", "county", "level"]].to_dict("records") == [
        {"agency_id": "411525:固始县城关镇人民政府", "county": "固始县", "level": "township"}]


def test_csv_only_dataset(tmp_path):
    """A --format csv dataset gets its archive as CSV (read from the CSV tables), nothing else."""
    docs = [ROOT / "corpus" / "docs" / n for n in ("000_3c2b94a00d1a4e64.txt", "html-word-mso.html")]
    done = parse(docs, tmp_path, "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert "; archive: 2 agencies, 2 agency-years, 2 missing" in done.stderr
    assert not (tmp_path / "panel.parquet").exists()
    panel = pd.read_csv(tmp_path / "panel.csv", encoding="utf-8-sig")
    assert panel[["agency_id", "year", "template", "requests_received"]].to_dict("records") == [
        {"agency_id": XIHU, "year": 2022, "template": "gioar-2021", "requests_received": 16.0},
        {"agency_id": "350881:漳平市教育局", "year": 2020, "template": "gioar-2019", "requests_received": 0.0}]


def test_nightly_run_no_panel(tmp_path):
    from govsite import Site, SiteServer, config_text

    from extract.cli import main

    with SiteServer(Site(reports=2, per_page=10)) as server:
        cfg = tmp_path / "nightly.toml"
        cfg.write_text(config_text(server, tmp_path), encoding="utf-8")
        main(["run", "--config", str(cfg), "--quiet", "--workers", "1", "--no-panel"])
    assert (tmp_path / "output" / "reports.parquet").is_dir() and not (tmp_path / "output" / "panel.parquet").exists()
