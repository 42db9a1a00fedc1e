"""The parser sandbox's child: extracts the text of CVs and inspects uploads, under limits.

Two modes, both started by ``sandbox`` with ``python -I`` (no user site, no PYTHONPATH):

- ``sandbox_child.py KIND PATH MAX_BYTES CPU_SECONDS``: one file's text, one JSON object on stdout;
- ``sandbox_child.py --serve MAX_BYTES CPU_SECONDS``: a long-lived child reading one JSON request
  per line and answering one JSON line each, so the cost of starting Python and importing the
  parsers is paid once per process, not once per file.  ``{"kind": ..., "path": ...}`` asks for
  the text of a stored file; ``{"op": "inspect", "kind": ..., "size": N}`` is followed by N raw
  bytes (an upload not stored yet) and asks for ``filecheck_rules``' verdict on them.

The first thing the child does is lower its own limits: address space (RLIMIT_AS), core dumps,
file writes (RLIMIT_FSIZE = 0); in serve mode the CPU limit (RLIMIT_CPU, soft) is re-armed before
every file at "CPU used so far + CPU_SECONDS", so one hostile file gets the same budget as in
one-shot mode.  The parent adds a wall-clock timeout and kills the child when it is exceeded.
Answers: ``{"ok": true, "text": ...}`` or ``{"ok": false, "error": code}``.  This file imports
nothing from the portal so that the child holds no secrets; ``filecheck_rules`` (which imports
nothing from the portal either) is loaded from its path.
"""

from __future__ import annotations

import importlib.util
import json
import re
import resource
import sys
from pathlib import Path
from types import ModuleType

MAX_TEXT = 200_000
MAX_XML_PART = 20 * 1024 * 1024


def _limit(memory_bytes: int, cpu_seconds: int | None) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    if cpu_seconds is not None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # the child writes no files


def _arm_cpu(cpu_seconds: int) -> None:
    """Allow ``cpu_seconds`` more CPU from now on (SIGXCPU ends the child past it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + cpu_seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


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
                with zf.open(info) as part:  # the head only: no need to inflate it all
                    head = part.read(4096).upper()
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


def extract(kind: str, path: str) -> dict[str, object]:
    """Parse one file; never raise."""
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
    return result


def _load_rules() -> ModuleType:
    path = Path(__file__).with_name("filecheck_rules.py")
    spec = importlib.util.spec_from_file_location("filecheck_rules", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["filecheck_rules"] = module
    spec.loader.exec_module(module)
    return module


def inspect(rules: ModuleType, kind: str, data: bytes) -> dict[str, object]:
    """The rules' verdict on an upload; never raise."""
    try:
        code = rules.verdict(kind, data)
    except MemoryError:
        return {"ok": False, "error": "memory"}
    except Exception as exc:  # a parser failure the rules did not expect: refuse
        return {"ok": False, "error": "unreadable", "detail": type(exc).__name__}
    if code:
        return {"ok": False, "error": code}
    return {"ok": True, "text": ""}


def serve(memory: int, cpu: int) -> int:
    _limit(memory, None)
    import defusedxml.ElementTree  # noqa: F401  (pay the imports once)
    import docx  # noqa: F401
    import pikepdf  # noqa: F401
    import pypdf  # noqa: F401

    rules = _load_rules()
    stdin, out = sys.stdin.buffer, sys.stdout
    while line := stdin.readline():
        try:
            request = json.loads(line)
        except ValueError:
            return 2
        _arm_cpu(cpu)
        if request.get("op") == "inspect":
            size = int(request["size"])
            data = stdin.read(size)
            if len(data) != size:
                return 2
            result = inspect(rules, str(request["kind"]), data)
        else:
            result = extract(str(request["kind"]), str(request["path"]))
        out.write(json.dumps(result) + "\n")
        out.flush()
    return 0


def main(argv: list[str]) -> int:
    if argv[1] == "--serve":
        return serve(int(argv[2]), int(argv[3]))
    kind, path, memory, cpu = argv[1], argv[2], int(argv[3]), int(argv[4])
    _limit(memory, cpu)
    sys.stdout.write(json.dumps(extract(kind, path)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
