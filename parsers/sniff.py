"""Tell a document's format from its first bytes (the name is only a hint)."""
from __future__ import annotations

import re

_HTML = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|table|div|p)\b", re.I | re.S)


def sniff_format(data: bytes, name: str = "") -> str:
    """Return one of: pdf, docx, doc, html, text."""
    head = data[:2048]
    if head.lstrip().startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in data[:65536] or name.lower().endswith(".docx") else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "doc"
    stripped = head.lstrip(b"\xef\xbb\xbf")
    if _HTML.match(stripped):
        return "html"
    return "text"
