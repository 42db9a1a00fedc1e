"""Every page, as every role, in Portuguese: no raw role key, no status code, no English leak.

The demo company is seeded; each role's demo user (locale pt_BR) opens every GET page of the URL
map that takes no argument, then follows the links those pages show (one page per URL pattern:
``/supplies/orders/12`` stands for every order), so detail pages are seen with real data.  The
visible text of each HTML answer (tags, scripts and attribute values dropped) must not contain:

- a role key (``back_office``) — role labels only;
- a snake_case code (``partly_received``, ``in_progress``) — labels only;
- an English word from ``ENGLISH`` (words a Portuguese page never needs);
- a time with seconds or an ISO date (``10:00:00``, ``2026-12-03``), a decimal point before a
  unit (``199.8 MB``).

``KNOWN`` lists the leaks found in pages other areas own when this test was written, as
(URL pattern, leak) pairs: the test tolerates exactly those and fails on any new one, and on a
known one that no longer happens (so the list only shrinks).
"""

from __future__ import annotations

import html as html_lib
import re
from collections import defaultdict

import pytest

from portal.permissions import ROLES

# English words that have no business on a Portuguese page (whole words, case-sensitive).
ENGLISH = (
    "Open",
    "Pending",
    "Draft",
    "Approved",
    "Rejected",
    "Submitted",
    "Received",
    "Cancelled",
    "Save",
    "Cancel",
    "Dashboard",
    "Search",
    "Next",
    "Previous",
    "None",
    "True",
    "False",
    "Submit",
    "Edit",
    "Delete",
    "Yes",
    "Settings",
    "Loading",
    "Sign out",
    "Done",
    "Overdue",
    "Notifications",
    "Unread",
    "Requests",
    "Messages",
    "Supplies",
    "Candidates",
    "Interview",
    "Orders",
    "Order",
    "Items",
    "Suppliers",
    "Budget",
    "Approve",
    "Reject",
    "Close",
    "Date",
    "Name",
    "Status",
    "Today",
    "Yesterday",
    "minutes",
    "hours",
    "days",
)
_ENGLISH = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w-])")
_ROLE = re.compile(r"(?<![\w.@-])(" + "|".join(r for r in ROLES if "_" in r) + r")(?![\w.@-])")
_CODE = re.compile(r"(?<![\w.@/:-])([a-z]+_[a-z_]+)(?![\w.@/(-])")
_SECONDS = re.compile(r"(?<!\d)\d{1,2}:\d{2}:\d{2}(?!\d)")
_ISO_DATE = re.compile(r"(?<![\d-])20\d{2}-\d{2}-\d{2}(?![\d-])")
_DOT_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d+\s?(?:MB|KB|GB|%)")

_SKIP_TAGS = re.compile(
    r"<(script|style|textarea|pre|code|title)\b.*?</\1>|<!--.*?-->", re.S | re.I
)
_TAG = re.compile(r"<[^>]+>")
_HREF = re.compile(r'href="(/[^"#]*)"')
_NUMBER = re.compile(r"/\d+(?=/|$|\?)")

# Where a page ends up after the crawl: never follow these.
_DONT_FOLLOW = re.compile(
    r"^/(static|logout|auth/logout)|\.(csv|xlsx|pdf|ics|png|jpg|docx)(\?|$)|/file(\?|$)|/download"
)

# Empty since issue 17's last round (import columns in <code>, outbox kinds in words).
KNOWN: set[tuple[str, str]] = set()

MAX_PAGES_PER_ROLE = 160


def _visible(page: str) -> str:
    page = _SKIP_TAGS.sub(" ", page)
    # The footer's language switch names the languages in their own tongue ("English").
    page = re.sub(r'<select id="footer-locale".*?</select>', " ", page, flags=re.S)
    text = _TAG.sub(" ", page)
    return html_lib.unescape(" ".join(text.split()))


def leaks_in(text: str) -> set[str]:
    found: set[str] = set()
    found |= {f"role:{m}" for m in _ROLE.findall(text)}
    found |= {f"code:{m}" for m in _CODE.findall(text)}
    found |= {f"english:{m}" for m in _ENGLISH.findall(text)}
    found |= {f"seconds:{m}" for m in _SECONDS.findall(text)}
    found |= {f"iso-date:{m}" for m in _ISO_DATE.findall(text)}
    found |= {f"decimal-point:{m}" for m in _DOT_DECIMAL.findall(text)}
    return found


def _pattern(path: str) -> str:
    return _NUMBER.sub("/N", path.split("?")[0])


def _start_urls(app) -> list[str]:
    urls = ["/"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.arguments or "GET" not in rule.methods:
            continue
        if _DONT_FOLLOW.search(rule.rule):
            continue
        urls.append(rule.rule)
    return sorted(set(urls))


def crawl(client, start: list[str], limit: int = MAX_PAGES_PER_ROLE) -> dict[str, set[str]]:
    """{URL pattern: leaks} for every HTML page reached from ``start``."""
    seen_patterns: set[str] = set()
    queue = list(start)
    leaks: dict[str, set[str]] = {}
    while queue and len(seen_patterns) < limit:
        url = queue.pop(0)
        pattern = _pattern(url)
        if pattern in seen_patterns or _DONT_FOLLOW.search(url):
            continue
        seen_patterns.add(pattern)
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        leaks[pattern] = leaks_in(_visible(page))
        for href in _HREF.findall(html_lib.unescape(page)):
            if _pattern(href) not in seen_patterns:
                queue.append(href)
    return leaks


@pytest.fixture
def demo(app):
    from portal.extensions import db
    from portal.seed import seed_demo

    ctx = seed_demo("Quarto-Azul-Mesa-77", force=True)
    for user in ctx.users.values():
        user.locale = "pt_BR"
    db.session.commit()
    return ctx


def test_leak_detector_sees_what_it_should():
    text = _visible(
        "<p>Papéis: back_office · partly_received · Open → · 10:00:00 · 2026-12-03 · 199.8 MB</p>"
        '<a href="/x" title="Open">Abrir</a><script>var Open = 1;</script>'
    )
    assert leaks_in(text) == {
        "role:back_office",
        "code:back_office",
        "code:partly_received",
        "english:Open",
        "seconds:10:00:00",
        "iso-date:2026-12-03",
        "decimal-point:199.8 MB",
    }
    clean = _visible("<p>Papéis: Back office · 03/12/2026 10:00 · 199,8 MB · ana_silva@x.com</p>")
    assert leaks_in(clean) == set()


def test_every_page_reads_in_portuguese_for_every_role(app, client, login_as, demo):
    found: dict[str, set[str]] = defaultdict(set)
    start = _start_urls(app)
    for user in demo.users.values():
        login_as(user)
        for pattern, leaks in crawl(client, start).items():
            for leak in leaks:
                found[pattern].add(leak)
    report = {(pattern, leak) for pattern, leaks in found.items() for leak in leaks}
    new = sorted(report - KNOWN)
    fixed = sorted(KNOWN - report)
    assert not new, "pt_BR leaks (page, leak):\n" + "\n".join(f"  {p}  {leak}" for p, leak in new)
    assert not fixed, "fixed, remove from KNOWN:\n" + "\n".join(f"  {p}  {x}" for p, x in fixed)
