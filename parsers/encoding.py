"""Decode document bytes to text: BOMs, UTF-8, the GB family, then a detector."""
from __future__ import annotations

import codecs

from .errors import BinaryDocument, DecodeError, EmptyDocument

_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))  # control bytes text does not hold


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters in the first 8 KiB mean this is not text."""
    head = data[:8192]
    if not head:
        return False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    control = len(head) - len(head.translate(None, _CONTROL))
    return control / len(head) > 0.02


def decode(data: bytes, source: str = "") -> tuple[str, str]:
    """Return (text, encoding name). GB2312/GBK are read as GB18030, their superset."""
    if not data.strip():
        raise EmptyDocument(source=source)
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name.replace("-sig", "")
    if looks_binary(data):
        raise BinaryDocument(source=source, position="first 8 KiB")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        # A web-archive excerpt is often cut in the middle of a multi-byte character.
        if exc.start >= len(data) - 3 and exc.reason.startswith("unexpected end"):
            return data[: exc.start].decode("utf-8"), "utf-8"
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 2:
            return data[: exc.start].decode("gb18030"), "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DecodeError(source=source, position="whole document")
    enc = best.encoding
    if enc.replace("_", "").lower() in ("gb2312", "gbk", "cp936", "hz"):
        enc = "gb18030"
    return data.decode(enc, errors="replace"), enc
