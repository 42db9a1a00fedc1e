"""Hostile numbers and strings in URLs, query strings and forms never answer 5xx.

What users get instead: an id no row can have (beyond 32 bits, non-ASCII digits) is a 404 from
the router; a filter that is not a usable number or date is ignored; a page past the end of a
list shows the last page; a form number out of range is a 422 next to its field; a NUL anywhere
is a 400.

One app, the demo company and one user per role (plus one holding every role) serve the whole
module.  Fixed hostile values go into every parameter of every route; then, for every route of
``app.url_map``, Hypothesis draws a caller (each role, all roles, anonymous), path values (0,
2**31, 2**63, 2**64 + 1, 10**30, negative-looking text, unicode, NUL, ``%00``, very long
strings), a query string and, for POST routes, a form.  Parameter names come from the code
itself (``args.get("...")``, ``form.get``, the WTForms fields), so a new filter is fuzzed
without touching this file.  A failure names the request, the caller and the logged traceback.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.security import ROLES
from tests.conftest import FreshGlobalsClient, _empty_tables

PORTAL = Path(__file__).resolve().parents[2] / "portal"
CALLERS = (*ROLES, "all_roles", "anonymous")
MAX_EXAMPLES = 12  # per route (~140 routes): the whole module stays near a minute

# --- what the routes are and which parameters they read -------------------------------------


def _rules() -> list[Any]:
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.rule
    )


RULES = _rules()

_PARAM_RE = re.compile(r"""\b(?:args|form|values)\.get(?:list)?\(\s*["']([\w\-]+)["']""")


def _names_read_by_code() -> list[str]:
    names: set[str] = set()
    for path in (PORTAL / "blueprints").rglob("*.py"):
        names.update(_PARAM_RE.findall(path.read_text()))
    for path in (PORTAL / "services").rglob("*.py"):
        names.update(_PARAM_RE.findall(path.read_text()))
    return sorted(names)


def _form_field_names() -> list[str]:
    from flask_wtf import FlaskForm
    from wtforms.fields.core import UnboundField

    names: set[str] = set()
    pending = list(FlaskForm.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        names.update(n for n in dir(cls) if isinstance(getattr(cls, n, None), UnboundField))
    return sorted(names)


COMMON = ["page", "per_page", "q", "status", "from", "to", "id", "ids", "next", "version"]
QUERY_NAMES = sorted({*COMMON, *_names_read_by_code()})
FORM_NAMES = sorted(
    {*COMMON, *_names_read_by_code(), *_form_field_names(), "qty-1", "qty-2", "start1", "end1"}
)

# --- values -----------------------------------------------------------------------------------

INT_EDGES = [0, 1, 2, 3, 7, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64 + 1, 10**30]
numbers = st.one_of(
    st.sampled_from(INT_EDGES).map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["-1", "-0", "+5", " 7 ", "1e9", "1.5", "0x1F", "NaN", "inf", "١٢", "²", ""]),
)
dates = st.one_of(
    st.dates().map(date.isoformat),
    st.sampled_from(
        [
            "2024-02-30",
            "0001-01-01",
            "9999-12-31",
            "10000-01-01",
            "2024-13-01",
            "-2024-01-01",
            "2024-1-1",
            "20240101",
            "2024-06-01T10:00",
            "2024-06-01T25:61",
            "31/12/2024",
        ]
    ),
)
texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "%00",
            "\x00",
            "a\x00b",
            "x" * 5000,
            "9" * 400,
            "ação ✓ 𝔘 ﷽",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "../../etc/passwd",
        ]
    ),
)
values = st.one_of(numbers, dates, texts)


_PLACEHOLDER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>")


def _segment(converter: str | None) -> st.SearchStrategy[str]:
    """A path value: mostly numbers for ``int`` parts (small ones hit the demo's rows)."""
    if converter == "int":
        return st.one_of(st.integers(min_value=0, max_value=40).map(str), numbers, numbers, texts)
    return st.one_of(texts, numbers)


def _path(rule: Any, data: st.DataObject) -> str:
    def fill(match: re.Match) -> str:
        raw = data.draw(_segment(match.group(1)), label=match.group(0))
        # keep "%" so that a literal "%00" reaches the router as an encoded NUL
        return quote(raw, safe="%") or "0"

    return _PLACEHOLDER.sub(fill, rule.rule)


# --- the app, the demo company and one user per caller ----------------------------------------


class Identity:
    def __init__(self, user_id: int | None, token: str | None, roles: list[str]) -> None:
        self.user_id, self.token, self.roles = user_id, token, roles


@pytest.fixture(scope="module")
def world(_schema, base_config, tmp_path_factory):
    """The app with the demo company and one client per caller, for the whole module."""
    from portal.enqueue import get_redis
    from portal.models import User
    from portal.seed import seed_demo

    # its own upload folder: the demo's CVs and faxes stay out of other modules' listings
    uploads = str(tmp_path_factory.mktemp("hostile-uploads"))
    app = create_app({**base_config, "PROPAGATE_EXCEPTIONS": False, "UPLOAD_FOLDER": uploads})
    app.test_client_class = FreshGlobalsClient
    app.jinja_env.undefined = __import__("jinja2").StrictUndefined
    with app.app_context():
        get_redis().flushdb()
        with app.test_request_context():
            seed_demo("demo passphrase")
        identities: dict[str, Identity] = {"anonymous": Identity(None, None, [])}
        for caller in CALLERS[:-1]:
            roles = list(ROLES) if caller == "all_roles" else [caller]
            user = User(email=f"hostile-{caller}@example.com", name=f"Hostile {caller}")
            user.set_password("correct horse battery")
            user.roles = roles
            db.session.add(user)
            db.session.commit()
            identities[caller] = Identity(user.id, user.session_token, roles)
        clients = {caller: app.test_client() for caller in CALLERS}
        errors = _ErrorLog()
        logging.getLogger().addHandler(errors)
        try:
            yield {"app": app, "identities": identities, "clients": clients, "errors": errors}
        finally:
            logging.getLogger().removeHandler(errors)
            db.session.rollback()
            _empty_tables()
            get_redis().flushdb()
            db.session.remove()
            db.engine.dispose()


class _ErrorLog(logging.Handler):
    """Keep the errors logged during one request (the traceback of a 500 lands here)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        formatter = logging.Formatter("%(name)s: %(message)s")
        return "\n".join(formatter.format(r) for r in self.records)[-6000:]


def _sign_in(client: Any, identity: Identity) -> None:
    with client.session_transaction() as session:
        session.clear()
        if identity.token:
            session["_user_id"] = identity.token
            session["_fresh"] = True


def _restore(identities: dict[str, Identity]) -> None:
    """Undo what a fuzzed POST may have done to the callers (sign-out, roles, deactivation)."""
    from portal.models import User

    db.session.rollback()
    wanted = {i.user_id: i for i in identities.values() if i.user_id}
    changed = False
    for user in db.session.scalars(select(User).where(User.id.in_(wanted))):
        identity = wanted[user.id]
        if (
            user.session_token != identity.token
            or not user.active
            or user.must_change_password
            or sorted(user.roles) != sorted(identity.roles)
        ):
            user.session_token, user.active, user.must_change_password = identity.token, True, False
            user.roles = identity.roles
            changed = True
    if changed:
        db.session.commit()


def _describe(method: str, url: str, caller: str, form: dict[str, Any], headers: dict) -> str:
    shown = {
        k: (v if len(str(v)) < 80 else f"{str(v)[:60]}...({len(str(v))} chars)")
        for k, v in form.items()
    }
    return (
        f"{method} {url[:300]} as {caller}"
        + (f" form={shown}" if shown else "")
        + (" (htmx)" if headers else "")
    )


def _call(
    world: dict[str, Any],
    caller: str,
    method: str,
    url: str,
    form: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    """Send one request as ``caller``: (status, body, what to say if it failed)."""
    client = world["clients"][caller]
    _sign_in(client, world["identities"][caller])
    errors = world["errors"]
    errors.records.clear()
    response = client.open(url, method=method, data=form or None, headers=headers or {})
    status, body = response.status_code, response.get_data().decode("utf-8", "replace")
    response.close()
    if method == "POST":
        _restore(world["identities"])
    else:
        db.session.rollback()
    said = f"{_describe(method, url, caller, form or {}, headers or {})} answered {status}"
    return status, body, f"{said}\n{errors.text()}"


def _methods(rule: Any) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _rule_id(rule: Any) -> str:
    return "{} {}".format("|".join(_methods(rule)), rule.rule)


def _fill(rule: Any, **values: str) -> str:
    """The rule's path with ``values`` for the named parts and "1" (a demo row) elsewhere."""
    return _PLACEHOLDER.sub(lambda m: values.get(_part_name(m), "1"), rule.rule)


def _part_name(match: re.Match) -> str:
    return match.group(0)[1:-1].rsplit(":", 1)[-1]


# --- the parsers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7),
        (" 7 ", 7),
        ("+7", 7),
        ("007", 7),
        ("0", 0),
        (str(2**31 - 1), 2**31 - 1),
        (str(2**31), None),  # no INTEGER column holds it
        (str(10**30), None),
        ("9" * 5000, None),  # int() itself refuses more than 4300 digits
        ("-1", None),  # below the default minimum
        ("1e9", None),
        ("1.5", None),
        ("0x1F", None),
        ("1_000", None),
        ("١٢", None),
        ("²", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_int_answers_a_number_in_range_or_none(text, expected):
    from portal.routing import parse_int

    assert parse_int(text) == expected


def test_parse_int_honours_its_bounds():
    from portal.routing import parse_int

    assert parse_int("-3", minimum=None) == -3
    assert parse_int("0", minimum=1) is None
    assert parse_int(str(10**30), minimum=None, maximum=None) == 10**30


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-29", date(2024, 2, 29)),
        ("2024-02-30", None),
        ("9999-12-31", None),  # + one day, or to UTC from a zone west of it: OverflowError
        ("0001-01-01", None),
        ("2024-13-01", None),
        ("31/12/2024", None),
        ("", None),
    ],
)
def test_parse_date_answers_a_plausible_date_or_none(text, expected):
    from portal.routing import parse_date

    assert parse_date(text) == expected


def test_the_int_converter_matches_exactly_the_ids_a_row_can_have():
    from portal.routing import MAX_ID, BoundedIntConverter

    pattern = re.compile(f"(?:{BoundedIntConverter.regex})$")
    for number in (0, 1, 9, 10, 99, 2**31 - 10, MAX_ID - 1, MAX_ID, 1_999_999_999):
        assert pattern.match(str(number)), number
    for number in (MAX_ID + 1, 2**31 + 10, 2_200_000_000, 9_999_999_999, 2**63, 10**30):
        assert not pattern.match(str(number)), number
    assert pattern.match("007") and not pattern.match("١٢") and not pattern.match("-1")


def test_a_nul_anywhere_is_a_bad_request(world):
    for method, url, form in (
        ("GET", "/supplies/items?q=a%00b", None),
        ("GET", "/recruiting/batches/a%00b", None),
        ("POST", "/supplies/items/1/stock", {"kind": "receipt", "quantity": "1", "reason": "\x00"}),
    ):
        status, _body, said = _call(world, "all_roles", method, url, form)
        assert status == 400, said


def test_a_quantity_no_office_counts_is_refused_next_to_its_field(world):
    form = {"kind": "receipt", "quantity": str(10**30), "reason": "delivery"}
    status, body, said = _call(world, "all_roles", "POST", "/supplies/items/1/stock", form)
    assert status == 422, said
    assert "Enter a number of at most 1000000." in body


# --- fixed hostile values, every route --------------------------------------------------------

OUT_OF_RANGE_IDS = [str(2**31), str(2**63), str(2**64 + 1), str(10**30), "9" * 5000]
HOSTILE = [
    str(10**30),
    str(2**63),
    str(2**31),
    "-1",
    "²",
    "١٢",
    "1e9",
    "2024-02-30",
    "9999-12-31",
    "9999-12-31T23:59",
    "0001-01-01",
    "\x00",
    "x" * 5000,
]
INT_RULES = [r for r in RULES if any(m.group(1) == "int" for m in _PLACEHOLDER.finditer(r.rule))]


@pytest.mark.parametrize("rule", INT_RULES, ids=_rule_id)
def test_ids_out_of_range_are_not_found(world, rule):
    """No row has such an id: the router answers 404 before any query."""
    for match in _PLACEHOLDER.finditer(rule.rule):
        if match.group(1) != "int":
            continue
        for value in OUT_OF_RANGE_IDS:
            url = _fill(rule, **{_part_name(match): value})
            for method in _methods(rule):
                status, _body, said = _call(world, "all_roles", method, url)
                assert status == 404, said[:2000]


@pytest.mark.parametrize("rule", RULES, ids=_rule_id)
def test_hostile_values_in_every_parameter(world, rule):
    """Every query parameter (and, for a POST, every form field) the code reads, set at once to
    one hostile value: an answer below 500, as the caller who may open everything."""
    failures = []
    for value in HOSTILE:
        for method in _methods(rule):
            url = f"{_fill(rule)}?{urlencode(dict.fromkeys(QUERY_NAMES, value))}"
            form = dict.fromkeys(FORM_NAMES, value) if method == "POST" else None
            status, _body, said = _call(world, "all_roles", method, url, form)
            if status >= 500:
                failures.append(said)
    assert not failures, f"{len(failures)} of {len(HOSTILE)} values failed; " + "\n\n".join(
        failures[:2]
    )


_PAGE_OF = re.compile(r"Page (\d+) of (\d+)")


def test_a_page_past_the_end_shows_the_last_page(world):
    """Every list: ``?page=`` beyond the last page (or absurdly large) shows the last page."""
    checked = []
    for rule in RULES:
        if "GET" not in rule.methods:
            continue
        status, body, _ = _call(world, "all_roles", "GET", _fill(rule))
        found = _PAGE_OF.search(body) if status == 200 else None
        if not found:
            continue
        last = found.group(2)
        for page in (str(int(last) + 3), str(10**30)):
            status, body, said = _call(world, "all_roles", "GET", f"{_fill(rule)}?page={page}")
            assert status == 200, said
            shown = _PAGE_OF.search(body)
            assert shown and shown.groups() == (last, last), f"{said}: {shown and shown.group(0)}"
        checked.append(rule.rule)
    assert len(checked) >= 3, checked  # the demo company fills several lists past one page


# --- the property: generated values, every route, every caller -------------------------------


def _query(data: st.DataObject) -> list[tuple[str, str]]:
    names = data.draw(st.lists(st.sampled_from(QUERY_NAMES), max_size=4), label="query names")
    return [(n, data.draw(values, label=n)) for n in names]


def _form(data: st.DataObject) -> dict[str, Any]:
    names = data.draw(
        st.lists(st.sampled_from(FORM_NAMES), max_size=6, unique=True), label="form names"
    )
    return {n: data.draw(values, label=f"form {n}") for n in names}


@pytest.mark.parametrize("rule", RULES, ids=_rule_id)
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # no shrinking: the message already names the request, and shrinking a failure through
    # HTTP requests takes minutes
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_no_route_answers_5xx(world, rule, data):
    """Whatever the caller puts in the URL, the query string or the form: never a 5xx."""
    # half the time the caller who may open everything: a 403 tells nothing about the parameters
    caller = data.draw(st.one_of(st.just("all_roles"), st.sampled_from(CALLERS)), label="caller")
    method = data.draw(st.sampled_from(_methods(rule)), label="method")
    path = _path(rule, data)
    query = _query(data)
    form = _form(data) if method == "POST" else {}
    headers = {"HX-Request": "true"} if data.draw(st.booleans(), label="htmx") else {}
    url = path + ("?" + urlencode(query) if query else "")
    status, _body, said = _call(world, caller, method, url, form, headers)
    assert status < 500, said
