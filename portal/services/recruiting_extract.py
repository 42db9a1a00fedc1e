"""Extract the text of one CV inside a sandboxed child process.

Run as ``python -I recruiting_extract.py KIND PATH MAX_BYTES CPU_SECONDS``: the first thing it does
is lower its own memory (RLIMIT_AS) and CPU (RLIMIT_CPU) limits, and only then imports a parser.
It prints one JSON object: ``{"ok": true, "text": ...}`` or ``{"ok": false, "error": code}``.
The parent adds a wall-clock timeout (see ``recruiting_files.extract_text``).  This file imports
nothing from the portal so that the child starts fast and holds no secrets.
"""

from __future__ import annotations

import json
import re
import resource
import sys

MAX_TEXT = 200_000
MAX_XML_PART = 20 * 1024 * 1024


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # the child writes no files


def _pdf(path: str) -> str:
    from pypdf import PdfReader

    reader = PdfReader(path, strict=False)
    if reader.is_encrypted:
        raise ValueError("encrypted")
    parts: list[str] = []
    size = 0
    for page in reader.pages[:50]:
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
        if size > MAX_TEXT:
            break
    return "\n".join(parts)


def _docx(path: str) -> str:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.filename.endswith((".xml", ".rels")):
                if info.file_size > MAX_XML_PART:
                    raise ValueError("too_large")
                head = zf.read(info)[:4096].upper()
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise ValueError("xml_entities")
    import docx

    document = docx.Document(path)
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _txt(path: str) -> str:
    with open(path, "rb") as fh:
        data = fh.read()
    return data.decode("utf-8-sig")


def main(argv: list[str]) -> int:
    kind, path, memory, cpu = argv[1], argv[2], int(argv[3]), int(argv[4])
    _limit(memory, cpu)
    try:
        text = {"pdf": _pdf, "docx": _docx, "txt": _txt}[kind](path)
    except MemoryError:
        result = {"ok": False, "error": "memory"}
    except Exception as exc:  # any parser failure is "corrupt" unless we know better
        name = type(exc).__name__
        code = (
            str(exc)
            if isinstance(exc, ValueError)
            and str(exc)
            in {
                "encrypted",
                "xml_entities",
                "too_large",
            }
            else ("limit" if name == "LimitReachedError" else "corrupt")
        )
        result = {"ok": False, "error": code, "detail": name}
    else:
        text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", " ", text)[:MAX_TEXT]
        result = {"ok": True, "text": text}
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
