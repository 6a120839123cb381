"""Tell a document's format from its first bytes (the name is only a hint)."""
from __future__ import annotations

import re

_HTML = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|table|div|p)\b", re.I | re.S)


def _is_docx(data: bytes, name: str) -> bool:
    """A zip whose directory lists word/document.xml (the entry may lie past the first 64 KiB)."""
    if b"word/" in data[:65536]:
        return True
    import io
    import zipfile

    try:
        return "word/document.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return name.lower().endswith(".docx")


def sniff_format(data: bytes, name: str = "") -> str:
    """Return one of: pdf, docx, doc, html, text."""
    head = data[:2048]
    if head.lstrip().startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if _is_docx(data, name) else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "doc"
    stripped = head.lstrip(b"\xef\xbb\xbf")
    if _HTML.match(stripped):
        return "html"
    return "text"
