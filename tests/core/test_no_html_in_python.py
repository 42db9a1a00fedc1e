"""HTML only in templates: no HTML tag in a string in portal/**/*.py, no ``Markup(...)`` call.

Walks every module with ``ast`` (so comments and docstrings, which often name a tag such as
``<input type=date>``, do not count) and looks at each string constant, f-string parts included.
Route rules (``"/c/<code>"``) are arguments of ``route``/``get``/``post``... and are skipped.

Allowed on purpose:
- ``portal/mailer.py``: assembles the MIME parts of an e-mail (the HTML body itself comes from
  a template; the mailer only wraps it).
- ``portal/services/inbox/parsing.py``: strips HTML from incoming mail (its patterns name tags).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parents[2] / "portal"
ALLOWED = {"mailer.py", "services/inbox/parsing.py"}

# Element names a page would contain; a "<" then one of them then ">" , "/>" or attributes.
_ELEMENTS = (
    "a|abbr|article|aside|b|blockquote|body|br|button|caption|code|col|colgroup|datalist|dd|"
    "details|div|dl|dt|em|fieldset|figure|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|"
    "input|label|legend|li|link|main|mark|meta|nav|ol|optgroup|option|p|pre|script|section|"
    "select|small|span|strong|style|sub|summary|sup|svg|table|tbody|td|template|textarea|tfoot|"
    "th|thead|time|title|tr|u|ul"
)
HTML_TAG = re.compile(rf"</?(?:{_ELEMENTS})(?:\s[^<>]*)?/?>", re.IGNORECASE)
_ROUTE_METHODS = {"route", "get", "post", "put", "patch", "delete", "add_url_rule"}


def _modules() -> list[Path]:
    return sorted(
        p for p in PORTAL.rglob("*.py") if p.relative_to(PORTAL).as_posix() not in ALLOWED
    )


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
        ):
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _route_rules(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _ROUTE_METHODS
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            ids.add(id(node.args[0]))
    return ids


def html_findings(source: str, name: str = "<string>") -> list[str]:
    """Every HTML-looking string constant and ``Markup(...)`` call in ``source``."""
    tree = ast.parse(source, filename=name)
    skip = _docstrings(tree) | _route_rules(tree)
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and HTML_TAG.search(node.value)
        ):
            found.append(f"{name}:{node.lineno}: HTML in a string: {node.value[:60]!r}")
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called == "Markup":
                found.append(f"{name}:{node.lineno}: Markup(...) built in Python")
    return found


def test_the_check_sees_html_and_markup():
    """The walker itself: it must catch the shapes it is meant to forbid, and only those."""
    hostile = '''
from markupsafe import Markup
ROW = "<tr><td>%s</td></tr>"
def badge(x):
    """Return a <span> badge."""  # a docstring may name a tag
    return Markup(f'<span class="badge">{x}</span>')
@bp.get("/c/<code>")
def view(code): return "less < more > done"
'''
    found = html_findings(hostile)
    assert any(":3: HTML in a string" in f for f in found), found
    assert any(":6: Markup(...)" in f for f in found), found
    assert any(":6: HTML in a string" in f for f in found), found  # the f-string's parts
    assert not any(":5:" in f or ":7:" in f or ":8:" in f for f in found), found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PORTAL).as_posix())
def test_no_html_in_python(path: Path):
    found = html_findings(path.read_text(encoding="utf-8"), path.relative_to(PORTAL).as_posix())
    assert not found, "HTML belongs in a Jinja template:\n" + "\n".join(found)
