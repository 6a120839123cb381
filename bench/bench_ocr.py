"""OCR accuracy and speed on image-only versions of the corpus's PDFs, by OCR resolution.

    .venv/bin/python bench/bench_ocr.py [--dpi 100,150,200] [--scan-dpi 200] [--threads 1] [PDF...]

Each PDF that has an expected file (../shared/corpus/*.pdf, corpus/docs/pdf-*.pdf) is made
image-only (tests/scanned.py: pages rendered at --scan-dpi, as a scanner would), then parsed with
OCR at each --dpi on --threads ONNX Runtime threads. For every expected cell: right, wrong (value
differs or the cell is missing), and whether each wrong cell is flagged ocr_suspect or
ocr_low_confidence (a null cell, not read, is wrong but no number to trust). Also the confidences of right and wrong cells (to calibrate
LOW_CONFIDENCE) and seconds of OCR per page.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def expected_pdfs() -> list[tuple[Path, Path]]:
    out = []
    for truth in sorted((ROOT.parent / "shared" / "corpus").glob("*.expected.json")) + \
            sorted((ROOT / "corpus" / "expected").glob("pdf-*.expected.json")):
        src = json.loads(truth.read_text("utf-8"))["source"].split("/")[-1]
        for folder in (truth.parent, ROOT / "corpus" / "docs"):
            if src.endswith(".pdf") and (folder / src).exists():
                out.append((folder / src, truth))
                break
    return out


def score(report, truth: dict) -> dict:
    got = {(c.table, c.row, c.col): c for c in report.cells}
    res = {"cells": 0, "right": 0, "null": 0, "wrong": [], "unflagged": [], "conf_right": [], "conf_wrong": []}
    for want in truth["cells"]:
        key = (want["table"], want["row"], want["col"])
        res["cells"] += 1
        c = got.get(key)
        value = None if c is None else c.value
        ok = c is not None and ((value is None and want["value"] is None) or
                                (value is not None and want["value"] is not None and abs(value - want["value"]) < 1e-6))
        conf = c.confidence if c is not None else None
        if ok:
            res["right"] += 1
            if conf is not None:
                res["conf_right"].append(conf)
            continue
        res["wrong"].append((".".join(key), want["value"], value, c.raw if c else None, c.flags if c else None, conf))
        if conf is not None:
            res["conf_wrong"].append(conf)
        if value is None:
            res["null"] += 1  # not read (missing, unplaced, blank): no number to trust
        elif not ({"ocr_suspect", "ocr_low_confidence"} & set(c.flags)):
            res["unflagged"].append(".".join(key))
    return res


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("pdfs", nargs="*")
    p.add_argument("--dpi", default="100,150,200")
    p.add_argument("--scan-dpi", type=int, default=200)
    p.add_argument("--threads", default="1")
    args = p.parse_args()
    os.environ["GIOAR_OCR_THREADS"] = args.threads
    os.environ["GIOAR_OCR_DOC_SECONDS"] = "100000"
    os.environ["GIOAR_OCR_PAGE_SECONDS"] = "100000"
    from scanned import image_only_pdf

    from extract.report import parse_bytes

    pairs = expected_pdfs()
    if args.pdfs:
        pairs = [pr for pr in pairs if any(pr[0].name == Path(x).name for x in args.pdfs)]
    print(f"load: {os.getloadavg()}")
    for dpi in [int(x) for x in args.dpi.split(",")]:
        os.environ["GIOAR_OCR_DPI"] = str(dpi)
        total = {"cells": 0, "right": 0, "null": 0, "wrong": 0, "unflagged": 0, "pages": 0, "seconds": 0.0}
        conf_r, conf_w = [], []
        for pdf, truth_path in pairs:
            truth = json.loads(truth_path.read_text("utf-8"))
            scan = image_only_pdf(pdf.read_bytes(), dpi=args.scan_dpi)
            start = time.perf_counter()
            report = parse_bytes(scan, source=pdf.name)
            secs = time.perf_counter() - start
            r = score(report, truth)
            total["cells"] += r["cells"]
            total["right"] += r["right"]
            total["wrong"] += len(r["wrong"])
            total["unflagged"] += len(r["unflagged"])
            total["pages"] += report.ocr_pages
            total["seconds"] += report.ocr_seconds
            conf_r += r["conf_right"]
            conf_w += r["conf_wrong"]
            total["null"] += r["null"]
            print(f"dpi {dpi} {pdf.name}: {r['right']}/{r['cells']} right, {len(r['wrong'])} wrong "
                  f"({r['null']} of them null), {len(r['unflagged'])} wrong numbers unflagged; {report.ocr_pages} pages OCR {report.ocr_seconds:.1f}s "
                  f"(parse {secs:.1f}s) status {report.status}: {report.error[:150]}")
            for w in r["wrong"]:
                print("   wrong:", w)
        acc = total["right"] / max(1, total["cells"])
        per_page = total["seconds"] / max(1, total["pages"])
        low = sorted(conf_r)[: max(1, len(conf_r) // 20)]
        print(f"== dpi {dpi}: cells {total['right']}/{total['cells']} ({100 * acc:.1f}%), wrong {total['wrong']}, "
              f"({total['null']} null), wrong numbers unflagged {total['unflagged']}; {per_page:.1f} s/page OCR over {total['pages']} pages; "
              f"confidence right: min {min(conf_r, default=0):.3f} 5% {low[-1] if low else 0:.3f}; "
              f"wrong: {sorted(round(c, 3) for c in conf_w)}")
        shares = ", ".join(f"<{t}: {sum(c < t for c in conf_r) / max(1, len(conf_r)):.0%}" for t in (0.5, 0.6, 0.7, 0.8, 0.9))
        print(f"   right cells by confidence: {shares} (of {len(conf_r)})")
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
