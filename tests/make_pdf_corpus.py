"""Write the PDF and Word test documents corpus/docs/pdf-*.pdf, docx-*.docx and their expected
files, made the way agencies make them: an HTML report page printed to PDF by LibreOffice
Writer and by Chromium (headless, with its header and footer lines), and saved as DOCX and
DOC by LibreOffice. Plus the documents that must fail or be partial: a scanned PDF (page
images only), a PDF whose fonts lost their ToUnicode maps ((cid:) glyphs), a password-
protected PDF, an owner-locked PDF (opens without a password), a damaged PDF and an HTML
error page saved as .pdf.

The sources are the HTML test pages corpus/docs/html-word-mso.html and
html-seed-gbk-trs.html (tests/make_html_corpus.py). The expected values are those pages'
expected values: the same numbers, printed. The page of every cell is read from the PDF with
poppler's pdftotext (not with this project's reader): the page on which its row label is
printed (table 四: the page that prints its header).

Needs LibreOffice (soffice), chromium, qpdf, poppler-utils and the fonts-wqy-zenhei font
(Debian: apt-get install libreoffice-writer-nogui chromium qpdf poppler-utils fonts-wqy-zenhei).
CI does not: the files are committed.

    .venv/bin/python tests/make_pdf_corpus.py        # rewrites the files; commit them
    .venv/bin/python tests/make_pdf_corpus.py clipped   # only pdf-chrome-clipped.pdf (chromium)
"""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "corpus" / "docs"
EXPECTED = ROOT / "corpus" / "expected"
DATA = ROOT / "tests" / "data"


# -- a PDF that takes pdfplumber minutes (also used by the tests and the bench) -----------------

def slow_pdf(segments: int = 200_000, pages: int = 1) -> bytes:
    """A valid PDF whose pages each draw `segments` tiny stroked lines (thousands of vector
    objects, as a map or a chart exported badly does) and one line of text."""
    objects: list[bytes] = []
    content = io.StringIO()
    content.write("BT /F1 12 Tf 72 800 Td (slow) Tj ET\n0.1 w\n")
    for i in range(segments):
        x, y = 50 + (i * 7) % 500, 50 + (i * 13) % 700
        content.write(f"{x} {y} m {x + 1} {y + 1} l S\n")
    stream = zlib.compress(content.getvalue().encode("ascii"), 9)
    kids = " ".join(f"{4 + 2 * k} 0 R" for k in range(pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for k in range(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {5 + 2 * k} 0 R >>".encode())
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


# -- helpers ------------------------------------------------------------------------------------

def run(cmd: list[str], **kw) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300, **kw)


def soffice(src: Path, fmt: str, out: Path) -> Path:
    run(["soffice", "--headless", "--norestore", "--convert-to", fmt, "--outdir", str(out), str(src)])
    made = out / (src.stem + "." + fmt.split(":")[0])
    assert made.exists(), made
    return made


def chromium_pdf(src: Path, out: Path) -> Path:
    """Print a page with Chromium as a reader does (Ctrl+P → Save as PDF): header and footer
    lines on, A4. A TrueType CJK font keeps the file small (a CFF font is embedded as Type 3)."""
    raw = src.read_bytes()
    style = b'<style>*{font-family:"WenQuanYi Zen Hei" !important}@page{size:A4}</style>'
    raw = re.sub(rb"(<head[^>]*>)", lambda m: m.group(1) + style, raw, count=1, flags=re.I)
    page = out / ("wqy-" + src.name)
    page.write_bytes(raw)
    target = out / (src.stem + ".chromium.pdf")
    run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={target}", page.as_uri()])
    small = out / (src.stem + ".chromium.small.pdf")
    run(["qpdf", "--recompress-flate", "--compression-level=9", "--object-streams=generate", str(target), str(small)])
    return small


def page_texts(pdf: Path) -> list[str]:
    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout).group(1))
    out = []
    for i in range(1, n + 1):
        text = subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), "-layout", str(pdf), "-"],
                              capture_output=True, text=True).stdout
        out.append(re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)))
    return out


def _labels() -> dict[tuple[str, str], list[str]]:
    sys.path.insert(0, str(ROOT))
    from extract.report.schema import load_schema

    out = {}
    for key, spec in load_schema().tables.items():
        for f in spec.rows:
            names = [f.label, *f.aliases]
            out[(key, f.key)] = [re.sub(r"\s+", "", unicodedata.normalize("NFKC", n)) for n in names]
    return out


def add_pages(cells: list[dict], pdf: Path) -> list[dict]:
    """The page each cell's row is printed on, found by its label in pdftotext's output."""
    texts = page_texts(pdf)
    labels = _labels()
    strip = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十\d]+\)|\d+\.)")
    out, pointer, offset, seen, last_table = [], 0, 0, {}, ""
    for c in cells:
        key = (c["table"], c["row"])
        heading = {"active_disclosure": "主动公开政府信息情况", "applications": "收到和处理政府信息公开申请情况"}.get(c["table"])
        if heading and c["table"] != last_table:
            last_table = c["table"]
            for i in range(pointer, len(texts)):
                k = texts[i].find(heading, offset if i == pointer else 0)
                if k >= 0:
                    pointer, offset = i, k
                    break
        if key not in seen:
            if c["table"] == "review_litigation":
                page = next(i for i, t in enumerate(texts) if "复议后起诉" in t)
            else:
                names = [strip.sub("", n)[:6] for n in labels[key]]
                page = None
                for i in range(pointer, len(texts)):
                    start = offset if i == pointer else 0
                    hits = [texts[i].find(n, start) for n in names if n and texts[i].find(n, start) >= 0]
                    if hits:
                        page, offset = i, min(hits) + 1
                        break
                assert page is not None, (key, names)
            seen[key] = page
            if c["table"] != "review_litigation":
                pointer = page
        out.append({**c, "page": seen[key] + 1})
    return out


def expected_from(html_name: str, doc: Path, fmt: str, notes: list[str], pages: bool = True) -> None:
    src = json.loads((EXPECTED / f"{html_name}.expected.json").read_text("utf-8"))
    cells = add_pages(src["cells"], doc) if pages else src["cells"]
    report = {k: src["report"][k] for k in ("agency", "year", "template") if k in src["report"]}
    truth = {"id": doc.stem, "source": doc.name, "format": fmt, "report": report, "cells": cells,
             "notes": [f"Made by tests/make_pdf_corpus.py from corpus/docs/{html_name}.html; values are that "
                       f"page's printed values (corpus/expected/{html_name}.expected.json)."] + notes}
    (EXPECTED / f"{doc.stem}.expected.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", "utf-8")


def scanned_pdf(src: Path, target: Path, pages: int = 2) -> None:
    """Page images only, as a scanner's PDF: no text layer."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(src))
    images = [doc[i].render(scale=60 / 72, grayscale=True).to_pil().convert("L") for i in range(min(pages, len(doc)))]
    images[0].save(target, "PDF", save_all=True, append_images=images[1:], resolution=60.0, quality=40)


def unmapped_fonts(src: Path, target: Path, tmp: Path) -> None:
    """The same PDF with every font's ToUnicode map removed: (cid:NNN) glyphs in pdfminer."""
    qdf = tmp / "qdf.pdf"
    run(["qpdf", "--qdf", "--object-streams=disable", str(src), str(qdf)])
    data = qdf.read_bytes().replace(b"/ToUnicode", b"/ToUnicodX")  # same length: offsets stay valid
    raw = tmp / "raw.pdf"
    raw.write_bytes(data)
    run(["qpdf", "--recompress-flate", "--object-streams=generate", str(raw), str(target)])


CUT_OFF = ("legal_service_org", "other_org", "total")  # the columns of table 三 past the page edge


def clipped_pdf() -> None:
    """corpus/docs/pdf-chrome-clipped.pdf: the Word-exported page printed with table 三 wider than
    the page (its last three columns fall off, slivers of the fourth show), as a print of a table
    wider than the paper comes out. Needs chromium only; the expected values are the page's, with
    the cut-off columns null."""
    raw = (DOCS / "html-word-mso.html").read_bytes()
    style = (b'<style>*{font-family:"WenQuanYi Zen Hei" !important}@page{size:A4;margin:15mm}'
             b'.page-edge{width:180mm;overflow:hidden}.page-edge table{width:240mm !important;table-layout:fixed}</style>')
    raw = re.sub(rb"(<head[^>]*>)", lambda m: m.group(1) + style, raw, count=1, flags=re.I)
    parts = re.split(rb"(?i)(<table)", raw)
    out = parts[0]
    for i in range(1, len(parts), 2):
        body = parts[i] + parts[i + 1]
        if "申请人情况".encode() in body.split(b"</table>")[0]:
            body = re.sub(rb"(?i)^<table", b'<div class="page-edge"><table', body)
            body = re.sub(rb"(?i)</table>", b"</table></div>", body, count=1)
        out += body
    with tempfile.TemporaryDirectory() as t:
        page = Path(t) / "wide.html"
        page.write_bytes(out)
        target = DOCS / "pdf-chrome-clipped.pdf"
        run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
             f"--print-to-pdf={target}", page.as_uri()])
    truth = json.loads((EXPECTED / "html-word-mso.expected.json").read_text("utf-8"))
    cells = [{**c, "value": None} if c["table"] == "applications" and c["col"] in CUT_OFF else c
             for c in truth["cells"]]
    expected = {"id": "pdf-chrome-clipped", "source": target.name, "format": "pdf",
                "report": {k: truth["report"][k] for k in ("agency", "year", "template")},
                "cells": cells,
                "notes": ["Chromium headless print of html-word-mso.html with table 三 240 mm wide in a 180 mm "
                          "box: its columns 法律服务机构, 其他, 总计 are not printed (slivers of 法律服务机构 show); "
                          "they are null here (flag not_printed)."]}
    (EXPECTED / "pdf-chrome-clipped.expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    if sys.argv[1:] == ["clipped"]:
        return clipped_pdf()
    for tool in ("soffice", "chromium", "qpdf", "pdftotext"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed (see the docstring)")
    DATA.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        mso = tmp / "html-word-mso.html"
        shutil.copy(DOCS / "html-word-mso.html", mso)
        seed = tmp / "html-seed-gbk-trs.html"
        shutil.copy(DOCS / "html-seed-gbk-trs.html", seed)

        # 1. LibreOffice Writer prints the Word-exported page: table 三 runs over pages 2-3,
        #    a row split by the page break (its label block continues on page 3).
        made = soffice(mso, "pdf:writer_web_pdf_Export", tmp)
        lo_pdf = DOCS / "pdf-lo-word-mso.pdf"
        shutil.copy(made, lo_pdf)
        expected_from("html-word-mso", lo_pdf, "pdf", [
            "LibreOffice 7.4 Writer/Web PDF export of the page; table 三 is split between pages 2 and 3 inside "
            "group （四）无法提供 (the row '1.本机关不掌握相关政府信息' is cut by the page break, both pieces ruled)."])

        # 2. Chromium prints the TRS page: running header (date, title) and footer (URL, n/6).
        made = chromium_pdf(seed, tmp)
        ch_pdf = DOCS / "pdf-chrome-seed-trs.pdf"
        shutil.copy(made, ch_pdf)
        expected_from("html-seed-gbk-trs", ch_pdf, "pdf", [
            "Chromium headless 'print to PDF' with header and footer lines; table 二 continues on page 3 and "
            "table 三 runs over pages 3-5; the table frame runs to the page end where a row moved to the next page."])

        # 3. LibreOffice saves the page as DOCX (layout table holding the report, gridSpan and vMerge).
        made = soffice(mso, "docx:MS Word 2007 XML", tmp)
        docx = DOCS / "docx-lo-word-mso.docx"
        shutil.copy(made, docx)
        expected_from("html-word-mso", docx, "docx", [
            "LibreOffice 7.4 'Save as Word 2007-365'; the page frame is a layout table whose cell holds the "
            "report; merged cells are w:gridSpan and w:vMerge. A DOCX has no pages: no page numbers."], pages=False)

        # 4. The old binary format (read through LibreOffice: tested only where soffice exists).
        made = soffice(docx, "doc:MS Word 97", tmp)
        shutil.copy(made, DATA / "doc-lo-word-mso.doc")

        # 5. Documents that must end failed or partial, with a reason.
        scanned_pdf(lo_pdf, DOCS / "pdf-scanned.pdf")
        unmapped_fonts(lo_pdf, DOCS / "pdf-cid-unmapped.pdf", tmp)
        run(["qpdf", "--encrypt", "user-secret", "owner-secret", "256", "--", str(lo_pdf), str(DOCS.parent / "bad" / "pdf-encrypted.pdf")])
        locked = DATA / "pdf-owner-locked.pdf"
        run(["qpdf", "--encrypt", "", "owner-secret", "256", "--print=none", "--modify=none", "--extract=n", "--",
             str(lo_pdf), str(locked)])
        data = lo_pdf.read_bytes()
        (DOCS.parent / "bad" / "pdf-corrupt.pdf").write_bytes(data[:1024] + bytes((i * 37 + 11) % 256 for i in range(4096)))
        (DOCS.parent / "bad" / "pdf-html-error.pdf").write_bytes(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>404 Not Found</title></head>\n"
            "<body><h1>404 Not Found</h1><p>您访问的页面不存在或已被删除。</p><hr><center>nginx</center></body></html>\n"
            .encode("utf-8"))
    for p in sorted(list(DOCS.glob("pdf-*")) + list(DOCS.glob("docx-*")) + list(DATA.glob("*"))):
        print(f"{p.stat().st_size:>8}  {p.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
