"""Format readers: bytes in, one `Document` out, whatever the format.

    >>> from parsers import read
    >>> doc = read(open("report.txt", "rb").read(), name="report.txt")
"""
from __future__ import annotations

import logging
from typing import Callable

from .encoding import decode
from .errors import BinaryDocument, DecodeError, EmptyDocument, ParseError, UnsupportedFormat
from .model import Block, Cell, Document, Heading, Paragraph, Table
from .sniff import sniff_format
from .text import read_text

__all__ = [
    "read", "sniff_format", "Document", "Block", "Heading", "Paragraph", "Table", "Cell",
    "ParseError", "EmptyDocument", "BinaryDocument", "UnsupportedFormat", "DecodeError",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())


def read(data: bytes, name: str = "", images: Callable[[str], bytes | None] | None = None) -> Document:
    """Read a document's bytes into the document model. Raises a `ParseError` subclass.

    `images(src)` gives the bytes of an image an HTML page shows (its src as written), where the
    caller holds them (a fetched page's images in the fetch store), or None: a table printed as
    an image is then read by OCR. Readers never fetch anything themselves."""
    if not data or not data.strip():
        raise EmptyDocument(source=name)
    fmt = sniff_format(data, name)
    if fmt == "text":
        text, encoding = decode(data, source=name)
        return Document(blocks=read_text(text), format="text", encoding=encoding)
    if fmt == "pdf":
        from .pdf import read_pdf

        return read_pdf(data, name=name)
    if fmt == "docx":
        from .docx import read_docx

        return read_docx(data, name=name)
    if fmt == "doc":
        from .convert import read_doc

        return read_doc(data, name=name)
    if fmt == "html":
        from .html import read_html

        return read_html(data, name=name, images=images)
    raise UnsupportedFormat(
        f"{fmt} documents are not supported: the readers take HTML, PDF, DOCX, DOC/WPS and plain text",
        source=name,
    )
