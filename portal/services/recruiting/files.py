"""Safe CV intake: checks made before a byte is stored, and sandboxed text extraction.

``check_upload`` refuses, with a reason a person can read, names that try to be something else,
extensions that disagree with the content, and text that is not UTF-8; PDFs and DOCX files go
through the shared inspection (``filecheck``: bounded byte checks here, then the parsers'
verdict in the sandbox child).  ``scan`` runs the configured virus scanner.  ``extract_text``
gets the text of a stored CV from the sandbox (``sandbox``), with memory, CPU and wall-clock
limits.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shlex
import subprocess
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.errors import ValidationError
from portal.services import filecheck
from portal.services import sandbox as sandboxes

log = logging.getLogger(__name__)

EXTENSIONS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain; charset=utf-8",
}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_NAME = 150
_BIDI = (
    {"\u200e", "\u200f", "\u061c"}
    | {chr(c) for c in range(0x202A, 0x202F)}
    | {chr(c) for c in range(0x2066, 0x206A)}
)

# The inspection's reasons (filecheck.REASONS) plus those of CV intake alone.
REASONS = {
    "empty": _l("The file is empty."),
    "too_big": _l("The file is larger than %(limit)s MB."),
    "name": _l("The file name is not acceptable (path, control or direction characters)."),
    "name_long": _l("The file name is too long."),
    "extension": _l("Only PDF, DOCX and TXT files are accepted."),
    "txt_binary": _l("The text file contains binary data."),
    "txt_encoding": _l("The text file is not valid UTF-8 text."),
    "infected": _l("The virus scanner found a threat in the file (%(detail)s); it was refused."),
    "av_error": _l(
        "The virus scanner could not check the file, so it was not accepted; please try again "
        "later or tell the administrator."
    ),
    **filecheck.REASONS,
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
    if kind == "txt":
        _check_txt(data)
    else:
        try:
            filecheck.inspect(kind, data)
        except filecheck.Unsafe as unsafe:
            raise Refused(unsafe.code) from None
    return CheckedFile(name, kind, EXTENSIONS[kind], data, hashlib.sha256(data).hexdigest())


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
            env=sandboxes.CHILD_ENV,
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


# --- extraction in the sandbox ---------------------------------------------------------------

# Kept under their old names for the tests and the benchmark.
Sandbox = sandboxes.Sandbox
_stop_sandboxes = sandboxes.stop_all


def sandbox() -> sandboxes.Sandbox:
    """This process's extraction sandbox for the configured limits."""
    return sandboxes.get("extract")


def extract_text(kind: str, path: Path) -> tuple[str | None, str | None]:
    """Parse the file in the sandboxed child; return (text, None) or (None, refusal code)."""
    *_limits, wall = sandboxes.limits()
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
