"""Old binary Word (.doc) and WPS documents: converted to DOCX with LibreOffice, then read.

`soffice --headless --convert-to docx` runs in a temporary folder with its own user profile
(so that conversions do not share, or wait on, one profile lock), in its own process group,
and is killed when it takes longer than `CONVERT_TIME_LIMIT` seconds (env
`GIOAR_CONVERT_TIME_LIMIT`). Without LibreOffice the error says what to install.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .docx import read_docx
from .errors import ConversionError, MissingTool
from .model import Document

CONVERT_TIME_LIMIT = float(os.environ.get("GIOAR_CONVERT_TIME_LIMIT", "120"))
INSTALL_HINT = ("reading .doc and .wps files needs LibreOffice: install it "
                "(Debian/Ubuntu: apt-get install libreoffice-writer-nogui; macOS: brew install --cask libreoffice) "
                "so that `soffice` is on PATH")


def find_soffice() -> str | None:
    for exe in ("soffice", "libreoffice"):
        path = shutil.which(exe)
        if path:
            return path
    for path in ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice",
                 "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
            if os.path.exists(path):
                return path
    return None


def convert_to_docx(data: bytes, name: str = "", time_limit: float | None = None) -> bytes:
    """The DOCX that LibreOffice makes of a DOC/WPS document's bytes."""
    soffice = find_soffice()
    if soffice is None:
        raise MissingTool(INSTALL_HINT, source=name)
    limit = CONVERT_TIME_LIMIT if time_limit is None else time_limit
    suffix = Path(name).suffix.lower() if name else ""
    if suffix not in (".doc", ".wps", ".dot", ".wpt", ".rtf"):
        suffix = ".doc"
    with tempfile.TemporaryDirectory(prefix="gioar-convert-") as tmp:
        src = Path(tmp) / f"input{suffix}"
        src.write_bytes(data)
        profile = Path(tmp) / "profile"
        cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--nolockcheck", "--nodefault", "--convert-to", "docx:MS Word 2007 XML", "--outdir", tmp, str(src)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                start_new_session=True, env={**os.environ, "HOME": tmp})
        try:
            out, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.communicate()
            raise ConversionError(f"LibreOffice did not convert the document within {limit:g} s", source=name) from None
        target = Path(tmp) / "input.docx"
        if proc.returncode != 0 or not target.exists():
            detail = (err or out or b"").decode("utf-8", "replace").strip().splitlines()
            why = detail[-1] if detail else f"exit status {proc.returncode}"
            raise ConversionError(f"LibreOffice could not convert the document ({why})", source=name)
        return target.read_bytes()


def read_doc(data: bytes, name: str = "") -> Document:
    """Read a .doc or .wps document (via LibreOffice)."""
    doc = read_docx(convert_to_docx(data, name), name=name)
    doc.format = "doc"
    return doc
