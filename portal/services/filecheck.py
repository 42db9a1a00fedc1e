"""Is an uploaded PDF or DOCX safe to keep?  One inspection for CVs and scanned faxes.

``inspect(kind, data)`` runs before a byte is stored and raises ``Unsafe(code)``; each area turns
the code into its own refusal (``reason(code)`` is the readable text).  Two steps:

1. Bounded byte checks here, in the web process: the header, a complete PDF trailer, no
   encryption, Flate streams inflated under a running cap (bombs), and for DOCX the zip directory
   alone (entry count, sizes, ratios, unsafe names) — nothing is parsed or fully decompressed.
   A plain-text script marker is refused here too, cheaply, even in objects no parser reaches.
2. The parsers' verdict (``filecheck_rules``: pikepdf, defusedxml and the OPC relationships) in
   the sandbox child, with its memory, CPU and wall-clock limits: a hostile file can make the
   parser slow or greedy, never the web process.  What the parser cannot open is refused.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
import zlib

from flask_babel import lazy_gettext as _l

from portal.services import sandbox

log = logging.getLogger(__name__)

MAX_ZIP_ENTRIES = 1000
MAX_ZIP_TOTAL = 50 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_PDF_INFLATED = 50 * 1024 * 1024

REASONS = {
    "magic_pdf": _l("The file is named .pdf but is not a PDF document."),
    "magic_docx": _l("The file is named .docx but is not a Word document."),
    "truncated": _l("The PDF file is incomplete or damaged."),
    "encrypted": _l("The PDF file is password-protected; send an unprotected copy."),
    "active": _l("The PDF file contains scripts or embedded files, which are not accepted."),
    "pdf_actions": _l(
        "The PDF file contains actions that start programs, open other files or send data, "
        "which are not accepted."
    ),
    "pdf_bomb": _l("The PDF file expands to an unreasonable size and was refused."),
    "zip_bad": _l("The DOCX file is damaged (not a valid archive)."),
    "zip_entries": _l("The DOCX file has too many parts."),
    "zip_bomb": _l("The DOCX file expands to an unreasonable size and was refused."),
    "zip_names": _l("The DOCX file contains unsafe part names."),
    "macro": _l("Macro-enabled documents are not accepted."),
    "xml_entities": _l("The DOCX file declares XML entities, which are not accepted."),
    "external": _l("The DOCX file links to external content, which is not accepted."),
    "embedded": _l(
        "The DOCX file contains embedded objects, controls or imported content (OLE, ActiveX, "
        "altChunk), which are not accepted."
    ),
    "fields": _l(
        "The DOCX file contains fields that run commands or include other files (DDE, "
        "INCLUDETEXT), which are not accepted."
    ),
    "unreadable": _l(
        "The file could not be opened to check it; it may be damaged. Save it again (or print "
        "it to PDF) and send the new copy."
    ),
    "corrupt": _l("The file could not be read; it may be damaged."),
    "timeout": _l("Reading the file took too long; it was refused."),
    "memory": _l("Reading the file needed too much memory; it was refused."),
    "limit": _l("The file expands to an unreasonable size and was refused."),
}


class Unsafe(Exception):
    """The file is refused; ``code`` names the rule (a key of ``REASONS``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def reason(code: str) -> str:
    """The readable reason for a refusal code, in the current language."""
    return str(REASONS.get(code, REASONS["corrupt"]))


def inspect(kind: str, data: bytes) -> None:
    """Refuse (raise Unsafe) a PDF or DOCX with active content, or one the parsers cannot open."""
    {"pdf": screen_pdf, "docx": screen_docx}[kind](data)
    *_limits, wall = sandbox.limits()
    code = sandbox.get("inspect").inspect(kind, data, wall)
    if code is not None:
        log.info("upload refused by the %s inspection: %s", kind, code)
        raise Unsafe(code)


# --- byte checks (web process, bounded) ------------------------------------------------------

_STREAM_RE = re.compile(rb"(?<!end)stream\r?\n")
_SCRIPT_RE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|OpenAction\s*<<[^>]*?/JS)\b")


def screen_pdf(data: bytes) -> None:
    if not data.startswith(b"%PDF-"):
        raise Unsafe("magic_pdf")
    if b"%%EOF" not in data[-2048:] or b"startxref" not in data[-4096:]:
        raise Unsafe("truncated")
    if b"/Encrypt" in data:
        raise Unsafe("encrypted")
    if _SCRIPT_RE.search(data):
        raise Unsafe("active")
    # Inflate every Flate stream with a running cap: a bomb is caught after MAX_PDF_INFLATED
    # bytes of output, never more.  (Nested filters are caught by the sandbox later.)
    budget = MAX_PDF_INFLATED
    for m in _STREAM_RE.finditer(data):
        start = m.end()
        end = data.find(b"endstream", start)
        if end < 0:
            raise Unsafe("truncated")
        chunk = data[start:end]
        if not chunk.startswith((b"x", b"\x78")):
            continue  # not zlib (images with other filters, uncompressed streams)
        inflater = zlib.decompressobj()
        try:
            buf = chunk
            while buf and budget > 0:
                out = inflater.decompress(buf, min(budget, 1 << 20) + 1)
                budget -= len(out)
                buf = inflater.unconsumed_tail
        except zlib.error:
            continue  # the parser in the sandbox decides whether the stream is usable
        if budget <= 0:
            raise Unsafe("pdf_bomb")


def _unsafe_entry(info: zipfile.ZipInfo) -> bool:
    """Zip-slip, absolute, drive-letter, NUL and symlink entries."""
    n = info.filename
    return bool(
        n.startswith(("/", "\\"))
        or "\\" in n
        or ".." in n.split("/")
        or re.match(r"^[A-Za-z]:", n)
        or "\x00" in n
        or (info.external_attr >> 16) & 0o170000 == 0o120000
    )


def screen_docx(data: bytes) -> None:
    """The zip directory only: nothing is decompressed here."""
    if not data.startswith(b"PK\x03\x04"):
        raise Unsafe("magic_docx")
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Unsafe("zip_bad") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise Unsafe("zip_entries")
    total = 0
    names = set()
    for info in infos:
        if _unsafe_entry(info):
            raise Unsafe("zip_names")
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > MAX_ZIP_RATIO * max(
            1, info.compress_size
        ):
            raise Unsafe("zip_bomb")
        names.add(info.filename)
    if total > MAX_ZIP_TOTAL:
        raise Unsafe("zip_bomb")
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise Unsafe("magic_docx")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise Unsafe("macro")
