"""Typed errors of the readers. Each carries the document and, where known, the position."""
from __future__ import annotations


class ParseError(Exception):
    """A document could not be read. `source` names the document, `position` where it failed."""

    reason = "unreadable document"

    def __init__(self, message: str = "", *, source: str = "", position: str = "") -> None:
        self.message = message or self.reason
        self.source = source
        self.position = position
        where = f" at {position}" if position else ""
        super().__init__(f"{source}{where}: {self.message}" if source else f"{self.message}{where}")


class EmptyDocument(ParseError):
    reason = "empty document (0 bytes or only whitespace)"


class BinaryDocument(ParseError):
    reason = "binary data, not a text document"


class UnsupportedFormat(ParseError):
    reason = "unsupported document format"


class DecodeError(ParseError):
    reason = "text could not be decoded"


class EncryptedDocument(ParseError):
    reason = "encrypted document: a password is needed to open it"


class CorruptDocument(ParseError):
    reason = "damaged document: its structure could not be read"


class DocumentTimeout(ParseError):
    reason = "document took too long to read (time limit reached)"


class ConversionError(ParseError):
    reason = "document could not be converted"


class MissingTool(ParseError):
    reason = "a tool needed to read this format is not installed"


class DocumentTooLarge(ParseError):
    reason = "document too large to read"
