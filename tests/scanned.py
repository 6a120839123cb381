"""Make image-only ("scanned") versions of PDFs: each page rendered to a greyscale image and
wrapped in a PDF that holds nothing else, as a scanner's output does.

    python tests/scanned.py corpus/docs/real-hzq-2023.pdf out.pdf [--dpi 200] [--pages 2,3] [--turn 90]

Used by the OCR tests (generated at test time, cached for the session) and by bench/bench_ocr.py.
"""
from __future__ import annotations

import argparse
import io
from pathlib import Path


def image_only_pdf(pdf: bytes, dpi: int = 200, pages: list[int] | None = None, turn: int = 0,
                   blank: bool = False) -> bytes:
    """The PDF's pages (1-based `pages`, default all) as page images at `dpi`, turned by `turn`
    degrees counter-clockwise; `blank` gives one empty white page (a blank scanned sheet)."""
    import pypdfium2 as pdfium
    from PIL import Image

    doc = pdfium.PdfDocument(pdf)
    try:
        numbers = pages or list(range(1, len(doc) + 1))
        images = []
        for no in numbers:
            page = doc[no - 1]
            img = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            page.close()
            if blank:
                img = Image.new("L", img.size, 255)
            if turn:
                img = img.rotate(turn, expand=True)
            images.append(img)
    finally:
        doc.close()
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi))
    return out.getvalue()


def bands_png(pdf: bytes, bands: list[tuple[int, float, float]], dpi: int = 150) -> bytes:
    """Bands of pages (1-based page, top and bottom as fractions of its height) stacked into one
    PNG: a table that runs over two pages pasted as one picture, as web editors publish it."""
    import pypdfium2 as pdfium
    from PIL import Image

    doc = pdfium.PdfDocument(pdf)
    try:
        pieces = []
        for no, top, bottom in bands:
            img = doc[no - 1].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            pieces.append(img.crop((0, int(top * img.height), img.width, int(bottom * img.height))))
    finally:
        doc.close()
    out_img = Image.new("L", (max(p.width for p in pieces), sum(p.height for p in pieces)), 255)
    y = 0
    for piece in pieces:
        out_img.paste(piece, (0, y))
        y += piece.height
    out = io.BytesIO()
    out_img.save(out, "PNG")
    return out.getvalue()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("pdf")
    p.add_argument("out")
    p.add_argument("--dpi", type=int, default=200)
    p.add_argument("--pages", help="1-based page numbers, comma-separated (default: all)")
    p.add_argument("--turn", type=int, default=0, help="degrees counter-clockwise")
    args = p.parse_args()
    pages = [int(x) for x in args.pages.split(",")] if args.pages else None
    Path(args.out).write_bytes(image_only_pdf(Path(args.pdf).read_bytes(), args.dpi, pages, args.turn))


if __name__ == "__main__":
    main()
