"""Safe CV intake: checks made before a byte is stored, and sandboxed text extraction.

``check_upload`` runs in the web process and only does bounded work: it never decompresses more
than a capped number of bytes and never hands the file to a parser.  It refuses, with a reason a
person can read, anything whose extension and content disagree, archives that are too big or
too many-entried (judged from the zip directory, before decompressing), zip-slip names, XML with
DOCTYPE/ENTITY declarations, truncated or encrypted PDFs and PDF streams that inflate beyond the
limit.  ``extract_text`` runs the parser in a child process with memory, CPU and wall-clock limits.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import json
import logging
import os
import re
import selectors
import shlex
import subprocess
import sys
import threading
import time
import unicodedata
import uuid
import zipfile
import zlib
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.errors import ValidationError

log = logging.getLogger(__name__)

EXTENSIONS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain; charset=utf-8",
}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_TOTAL = 50 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_PDF_INFLATED = 50 * 1024 * 1024
MAX_NAME = 150
_BIDI = (
    {"\u200e", "\u200f", "\u061c"}
    | {chr(c) for c in range(0x202A, 0x202F)}
    | {chr(c) for c in range(0x2066, 0x206A)}
)
_RISKY_RELS = ("attachedTemplate", "oleObject", "frame", "subDocument", "image", "package")

REASONS = {
    "empty": _l("The file is empty."),
    "too_big": _l("The file is larger than %(limit)s MB."),
    "name": _l("The file name is not acceptable (path, control or direction characters)."),
    "name_long": _l("The file name is too long."),
    "extension": _l("Only PDF, DOCX and TXT files are accepted."),
    "magic_pdf": _l("The file is named .pdf but is not a PDF document."),
    "magic_docx": _l("The file is named .docx but is not a Word document."),
    "truncated": _l("The PDF file is incomplete or damaged."),
    "encrypted": _l("The PDF file is password-protected; send an unprotected copy."),
    "active": _l("The PDF file contains scripts or embedded files, which are not accepted."),
    "pdf_bomb": _l("The PDF file expands to an unreasonable size and was refused."),
    "zip_bad": _l("The DOCX file is damaged (not a valid archive)."),
    "zip_entries": _l("The DOCX file has too many parts."),
    "zip_bomb": _l("The DOCX file expands to an unreasonable size and was refused."),
    "zip_names": _l("The DOCX file contains unsafe part names."),
    "macro": _l("Macro-enabled documents are not accepted."),
    "xml_entities": _l("The DOCX file declares XML entities, which are not accepted."),
    "external": _l("The DOCX file links to external content, which is not accepted."),
    "txt_binary": _l("The text file contains binary data."),
    "txt_encoding": _l("The text file is not valid UTF-8 text."),
    "corrupt": _l("The file could not be read; it may be damaged."),
    "timeout": _l("Reading the file took too long; it was refused."),
    "memory": _l("Reading the file needed too much memory; it was refused."),
    "limit": _l("The file expands to an unreasonable size and was refused."),
    "infected": _l("The virus scanner found a threat in the file (%(detail)s); it was refused."),
    "av_error": _l(
        "The virus scanner could not check the file, so it was not accepted; please try again "
        "later or tell the administrator."
    ),
}


def reason(code: str, detail: str = "") -> str:
    """The readable reason for a refusal code (in the current language)."""
    text = REASONS.get(code, REASONS["corrupt"])
    if code == "too_big":
        return str(text) % {"limit": max_bytes() // (1024 * 1024)}
    if code == "infected":
        return str(text) % {"detail": detail or "?"}
    return str(text)


def max_bytes() -> int:
    return int(current_app.config.get("CV_MAX_BYTES", DEFAULT_MAX_BYTES))


class Refused(ValidationError):
    """An upload refused before storing; ``code`` names the rule."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(reason(code, detail), field="files")
        self.code = code


@dataclass(frozen=True)
class CheckedFile:
    name: str  # sanitised display name
    kind: str  # pdf | docx | txt
    content_type: str
    data: bytes
    sha256: str


# --- names -----------------------------------------------------------------------------------


def sanitise_name(raw: str | None) -> str:
    """Return a display name, or raise Refused for names that try to be something else."""
    name = unicodedata.normalize("NFC", raw or "")
    if not name.strip():
        raise Refused("name")
    if any(ch in _BIDI or unicodedata.category(ch) in {"Cc", "Cf"} for ch in name):
        raise Refused("name")
    if "/" in name or "\\" in name or name.startswith(".") or ".." in name:
        raise Refused("name")
    if len(name) > MAX_NAME:
        raise Refused("name_long")
    return name.strip()


def sanitise_display(raw: str | None) -> str:
    """A harmless version of any name, to quote it back in an error message."""
    text = "".join(
        ch
        for ch in unicodedata.normalize("NFC", raw or "")
        if ch not in _BIDI and unicodedata.category(ch) not in {"Cc", "Cf"}
    )
    text = text.replace("/", "_").replace("\\", "_")
    return (text[:60] + "…") if len(text) > 60 else (text or "?")


def extension_of(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in EXTENSIONS:
        raise Refused("extension")
    return ext


# --- content ---------------------------------------------------------------------------------


def check_upload(raw_name: str | None, data: bytes) -> CheckedFile:
    """Validate one uploaded file completely; return it ready to store or raise Refused."""
    name = sanitise_name(raw_name)
    kind = extension_of(name)
    if not data:
        raise Refused("empty")
    if len(data) > max_bytes():
        raise Refused("too_big")
    {"pdf": _check_pdf, "docx": _check_docx, "txt": _check_txt}[kind](data)
    return CheckedFile(name, kind, EXTENSIONS[kind], data, hashlib.sha256(data).hexdigest())


_STREAM_RE = re.compile(rb"(?<!end)stream\r?\n")


def _check_pdf(data: bytes) -> None:
    if not data.startswith(b"%PDF-"):
        raise Refused("magic_pdf")
    tail = data[-2048:]
    if b"%%EOF" not in tail or b"startxref" not in data[-4096:]:
        raise Refused("truncated")
    if b"/Encrypt" in data:
        raise Refused("encrypted")
    if re.search(rb"/(JavaScript|JS|Launch|EmbeddedFile|OpenAction\s*<<[^>]*?/JS)\b", data):
        raise Refused("active")
    # Inflate every Flate stream with a running cap: a bomb is caught after MAX_PDF_INFLATED
    # bytes of output, never more.  (Nested filters are caught by the sandbox later.)
    budget = MAX_PDF_INFLATED
    for m in _STREAM_RE.finditer(data):
        start = m.end()
        end = data.find(b"endstream", start)
        if end < 0:
            raise Refused("truncated")
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
            continue  # pypdf in the sandbox decides whether the stream is usable
        if budget <= 0:
            raise Refused("pdf_bomb")


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


def _check_docx(data: bytes) -> None:
    if not data.startswith(b"PK\x03\x04"):
        raise Refused("magic_docx")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Refused("zip_bad") from None
    # Everything below reads the central directory only: nothing is decompressed yet.
    if len(infos) > MAX_ZIP_ENTRIES:
        raise Refused("zip_entries")
    total = 0
    names = set()
    for info in infos:
        n = info.filename
        if _unsafe_entry(info):
            raise Refused("zip_names")
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > MAX_ZIP_RATIO * max(
            1, info.compress_size
        ):
            raise Refused("zip_bomb")
        names.add(n)
    if total > MAX_ZIP_TOTAL:
        raise Refused("zip_bomb")
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise Refused("magic_docx")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise Refused("macro")
    _check_docx_parts(zf, infos)


def _check_docx_parts(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Read the XML parts (sizes already bounded): no DTDs, no macros, no risky external links."""
    try:
        for info in infos:
            if not info.filename.endswith((".xml", ".rels")):
                continue
            with zf.open(info) as fh:  # sizes already bounded above
                part = fh.read(MAX_ZIP_TOTAL + 1)
            upper = part[:8192].upper()
            if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
                raise Refused("xml_entities")
            if info.filename == "[Content_Types].xml" and b"macroEnabled" in part:
                raise Refused("macro")
            if info.filename.endswith(".rels") and b'TargetMode="External"' in part:
                for rel in re.findall(rb"<Relationship\b[^>]*>", part):
                    if b'TargetMode="External"' in rel and any(
                        t.encode() in rel for t in _RISKY_RELS
                    ):
                        raise Refused("external")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError):
        raise Refused("zip_bad") from None


def _check_txt(data: bytes) -> None:
    if b"\x00" in data:
        raise Refused("txt_binary")
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused("txt_encoding") from None


# --- antivirus -------------------------------------------------------------------------------


def setting(name: str, env: str, default: str = "") -> str:
    """A recruiting setting: the app config first (tests, create_app), then the environment."""
    value = current_app.config.get(name)
    if value is None or value == "":
        value = os.environ.get(env, default)
    return str(value)


def av_command() -> list[str] | None:
    """The configured scanner (``PORTAL_AV_COMMAND``, e.g. ``clamdscan --no-summary -``)."""
    raw = setting("CV_AV_COMMAND", "PORTAL_AV_COMMAND").strip()
    return shlex.split(raw) if raw else None


def _scanner_detail(output: bytes) -> str:
    """The scanner's verdict line, cleaned to show a person ("Eicar-Test-Signature FOUND")."""
    for line in output.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line:
            if line.lower().startswith("stream:"):  # clamdscan/clamscan read stdin as "stream"
                line = line[7:].strip()
            return sanitise_display(line)[:60]
    return ""


def scan(data: bytes) -> None:
    """Run the configured virus scanner on the bytes (on its stdin) before they are stored.

    Exit 0: clean.  Exit 1 (clamdscan's "virus found"): refused as infected, with the scanner's
    verdict.  Anything else — the scanner missing, not executable, crashing, exiting 2 or more,
    or exceeding ``CV_AV_TIMEOUT`` seconds — refuses the file too: nothing unchecked is stored.
    Without a configured scanner, nothing happens.
    """
    command = av_command()
    if command is None:
        return
    timeout = float(setting("CV_AV_TIMEOUT", "PORTAL_AV_TIMEOUT", "60"))
    try:
        done = subprocess.run(
            command,
            input=data,
            capture_output=True,
            timeout=timeout,
            env=_CHILD_ENV,
            cwd="/",
            check=False,
        )
    except FileNotFoundError:
        log.error("virus scanner %r not found; uploads are refused", command[0])
        raise Refused("av_error") from None
    except subprocess.TimeoutExpired:
        log.error("virus scanner %r took longer than %ss; upload refused", command[0], timeout)
        raise Refused("av_error") from None
    except OSError as error:
        log.error("virus scanner %r could not run (%s); upload refused", command[0], error)
        raise Refused("av_error") from None
    if done.returncode == 0:
        return
    if done.returncode == 1:
        detail = _scanner_detail(done.stdout) or _scanner_detail(done.stderr)
        log.warning("virus scanner refused an upload: %s", detail)
        raise Refused("infected", detail)
    log.error(
        "virus scanner %r failed (exit %s): %s",
        command[0],
        done.returncode,
        done.stderr.decode("utf-8", "replace")[:300],
    )
    raise Refused("av_error")


# --- storage ---------------------------------------------------------------------------------


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "cvs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(file: CheckedFile) -> str:
    """Write the file under a random server-chosen name; return that name."""
    stored = f"{uuid.uuid4().hex}.{file.kind}"
    target = upload_dir() / stored
    with open(target, "xb") as fh:
        fh.write(file.data)
    os.chmod(target, 0o600)
    return stored


def path_of(stored_name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}\.(pdf|docx|txt)", stored_name):
        raise ValueError("bad stored name")
    return upload_dir() / stored_name


def delete_stored(stored_name: str) -> None:
    try:
        path_of(stored_name).unlink(missing_ok=True)
    except (OSError, ValueError):
        log.warning("could not delete stored CV %s", stored_name)


# --- extraction in a child process -----------------------------------------------------------

CHILD = Path(__file__).with_name("recruiting_extract.py")
_CHILD_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}


class Sandbox:
    """A long-lived parser child with memory and CPU limits, and a wall clock in the parent.

    Starting Python and importing pypdf costs ~0.3 s, far more than parsing a CV, so the child
    serves many files.  Any sign of trouble (timeout, death, a memory or size refusal) kills it;
    the next file gets a fresh one.  It is also recycled every ``RECYCLE`` files.
    """

    RECYCLE = 200
    DEPTH = 3  # files sent ahead of the one being scored

    def __init__(self, memory: int, cpu: int) -> None:
        self.memory, self.cpu = memory, cpu
        self.proc: subprocess.Popen[bytes] | None = None
        self.served = 0
        self.lock = threading.Lock()
        # Requests already sent (prefetch), oldest first: the child parses them while the worker
        # scores and commits earlier CVs, and never waits for the worker to hand it the next
        # file.  Answers come back in order; ``extract`` reads them or throws them away.
        self.pending: deque[str] = deque()
        self.buffer = b""  # answer bytes read from the child but not consumed yet

    def _start(self) -> subprocess.Popen[bytes]:
        self.served = 0
        return subprocess.Popen(
            [sys.executable, "-I", str(CHILD), "--serve", str(self.memory), str(self.cpu)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_CHILD_ENV,
            cwd="/",
        )

    def stop(self) -> None:
        self.pending.clear()
        self.buffer = b""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(Exception):
            proc.wait(timeout=5)
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(Exception):
                stream.close()  # type: ignore[union-attr]

    def _ensure(self) -> subprocess.Popen[bytes]:
        recycle = self.served >= self.RECYCLE and not self.pending  # never drop queued answers
        if self.proc is None or self.proc.poll() is not None or recycle:
            self.stop()
            self.proc = self._start()
        return self.proc

    def _send(self, kind: str, path: Path) -> bool:
        proc = self._ensure()
        assert proc.stdin is not None
        self.served += 1
        try:
            proc.stdin.write(json.dumps({"kind": kind, "path": str(path)}).encode() + b"\n")
            proc.stdin.flush()
        except OSError:
            self.stop()
            return False
        return True

    def prefetch(self, kind: str, path: Path) -> None:
        """Queue ``path`` now (up to ``DEPTH`` ahead); a later ``extract`` collects the answer."""
        with self.lock:
            key = str(path)
            if (
                key not in self.pending
                and len(self.pending) < self.DEPTH
                and self._send(kind, path)
            ):
                self.pending.append(key)

    def extract(self, kind: str, path: Path, wall: float) -> tuple[str | None, str | None]:
        with self.lock:
            key = str(path)
            # Answers for files ahead of this one (someone else's, or skipped): read and drop.
            while self.pending and self.pending[0] != key:
                self.pending.popleft()
                self._receive(wall)
            if self.pending:  # ours is next in line
                self.pending.popleft()
                return self._receive(wall)
            if not self._send(kind, path):
                return None, "corrupt"
            return self._receive(wall)

    def _receive(self, wall: float) -> tuple[str | None, str | None]:
        proc = self.proc
        if proc is None:
            return None, "corrupt"
        started = time.monotonic()
        line = self._read_line(proc, wall)
        if line is None:  # wall clock exceeded, or the child died (SIGXCPU, OOM)
            timed_out = time.monotonic() - started >= wall
            died = proc.poll()
            self.stop()
            return None, "timeout" if timed_out or died in (None, -24) else "memory"
        try:
            result = json.loads(line)
        except ValueError:
            self.stop()
            return None, "corrupt"
        if not result.get("ok"):
            if result.get("error") in ("memory", "limit"):
                self.stop()  # the heap may be in a bad state: start clean
            return None, str(result.get("error") or "corrupt")
        return str(result["text"]), None

    def _read_line(self, proc: subprocess.Popen[bytes], wall: float) -> bytes | None:
        """The next answer line; bytes read past it (the following answers) stay buffered."""
        assert proc.stdout is not None
        newline = self.buffer.find(b"\n")
        if newline >= 0:
            line, self.buffer = self.buffer[: newline + 1], self.buffer[newline + 1 :]
            return line
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + wall
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return None
                newline = chunk.find(b"\n")
                if newline < 0:
                    self.buffer += chunk
                    continue
                line = self.buffer + chunk[: newline + 1]
                self.buffer = chunk[newline + 1 :]
                return line


_SANDBOXES: dict[tuple[int, int], Sandbox] = {}


def sandbox() -> Sandbox:
    """This process's sandbox for the configured limits."""
    cfg = current_app.config
    key = (
        int(cfg.get("CV_PARSE_MEMORY_BYTES", 512 * 1024 * 1024)),
        int(cfg.get("CV_PARSE_CPU_SECONDS", 10)),
    )
    box = _SANDBOXES.get(key)
    if box is None:
        box = _SANDBOXES.setdefault(key, Sandbox(*key))
    return box


@atexit.register
def _stop_sandboxes() -> None:
    for box in _SANDBOXES.values():
        box.stop()


def extract_text(kind: str, path: Path) -> tuple[str | None, str | None]:
    """Parse the file in the sandboxed child; return (text, None) or (None, refusal code)."""
    wall = float(current_app.config.get("CV_PARSE_TIMEOUT", 15))
    return sandbox().extract(kind, path, wall)


def prefetch(upcoming: list[tuple[str, str]]) -> None:
    """Let the sandbox start on the next CVs ((kind, stored name), in the order they will be
    processed) while this one is scored and committed."""
    box = sandbox()
    for kind, stored_name in upcoming[: box.DEPTH]:
        try:
            box.prefetch(kind, path_of(stored_name))
        except (OSError, ValueError):
            log.warning("could not prefetch a CV")


# --- contacts ----------------------------------------------------------------------------------

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_NOT_NAMES = re.compile(
    r"curr[ií]cul|resum[eé]|\bcv\b|vitae|e-?mail|telefone|phone|endere[cç]o|address|linkedin|"
    r"@|\d",
    re.IGNORECASE,
)


def extract_contacts(text: str, region: str) -> dict[str, str | None]:
    """Find an e-mail, a phone number (E.164) and a name in the CV text."""
    email = None
    m = EMAIL_RE.search(text)
    if m:
        email = m.group(0).lower()
    phone = None
    for match in phonenumbers.PhoneNumberMatcher(text[:20000], region):
        if phonenumbers.is_valid_number(match.number):
            phone = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            break
    name = None
    for line in text.splitlines()[:15]:
        line = " ".join(line.split())
        if not line or _NOT_NAMES.search(line):
            continue
        words = line.split()
        if 2 <= len(words) <= 6 and all(w[0].isalpha() for w in words) and len(line) <= 80:
            name = line.title() if line.isupper() else line
            break
    return {"email": email, "phone": phone, "name": name}


def normalise_phone(raw: str | None, region: str) -> str | None:
    """Return ``raw`` in E.164, or None when it is not a valid number."""
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
