"""A PDF's pages through pdfplumber (pdfminer): the comparison path and the fallback where
pdfium fails on a file (`GIOAR_PDF_BACKEND=pdfplumber`, or `read_pdf(..., backend="pdfplumber")`).

Gives the shared reader (parsers/pdf.py) the same PageContent as parsers/pdf_pdfium.py: the
page's chars, lines, rects and curves as pdfplumber makes them, font names without the subset
tag, whitespace left out.
"""
from __future__ import annotations

import io
import logging

from .errors import CorruptDocument, EncryptedDocument
from .pdf_page import PageContent, font_name

logging.getLogger("pdfminer").setLevel(logging.ERROR)  # font warnings on every glyph otherwise


def plain_chars(chars: list[dict]) -> list[dict]:
    """pdfplumber's chars without whitespace, font names without the subset tag."""
    out = []
    for c in chars:
        if not c["text"].strip():
            continue
        name = font_name(c.get("fontname") or "")
        out.append(c if name == c.get("fontname") else dict(c, fontname=name))
    return out


class PlumberPages:
    """The pages of one PDF as pdfplumber reads them; `page(i)` gives page i's PageContent."""

    backend = "pdfplumber"

    def __init__(self, data: bytes, name: str = "") -> None:
        import pdfplumber
        from pdfminer.pdfdocument import PDFPasswordIncorrect

        try:
            self.pdf = pdfplumber.open(io.BytesIO(data))
            self.pages = self.pdf.pages
        except Exception as exc:  # pdfminer raises many kinds on a damaged file
            cause = exc.__cause__ or exc
            if isinstance(cause, PDFPasswordIncorrect) or "password" in str(exc).lower():
                raise EncryptedDocument("encrypted PDF: a password is needed to open it", source=name) from None
            raise CorruptDocument(f"damaged PDF: {type(cause).__name__}: {cause}", source=name) from None

    def __len__(self) -> int:
        return len(self.pages)

    def page(self, index: int) -> PageContent:
        page = self.pages[index]
        try:
            return PageContent(index, float(page.width), float(page.height), plain_chars(page.chars),
                               page.lines, page.rects, page.curves, len(page.images))
        finally:
            page.close()

    def chars(self, index: int) -> list[dict]:
        page = self.pages[index]
        try:
            return plain_chars(page.chars)
        finally:
            page.close()

    def close(self) -> None:
        self.pdf.close()
