"""The soak test's users: a small seed, a cookie-keeping HTTP client, and one thread per person
doing what that person does all day (front desk logs calls, a buyer submits orders, two managers
approve them, HR uploads CVs, staff read their pages)."""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

PASSWORD = "soak-password-123"
DESK = "desk@soak.test"
BUYER = "buyer@soak.test"
MANAGERS = ("manager1@soak.test", "manager2@soak.test")
HR = "hr@soak.test"
STAFF = tuple(f"staff{i}@soak.test" for i in range(1, 7))
CALLER_PREFIX = "Soak caller"


# --- seed --------------------------------------------------------------------------------------


def seed() -> dict[str, int]:
    """Users of each role (known password, English), suppliers with items, an open opening.

    Runs inside an app context on a freshly migrated database; returns the ids the load needs.
    """
    from decimal import Decimal

    from portal.extensions import db
    from portal.models.recruiting import Opening
    from portal.models.supplies import Supplier, SupplyCategory, SupplyItem
    from portal.services import users
    from portal.services.recruiting import scoring

    people = [
        (DESK, "Desk Soak", ["back_office"]),
        (BUYER, "Buyer Soak", ["back_office"]),
        (MANAGERS[0], "Manager One", ["office_manager"]),
        (MANAGERS[1], "Manager Two", ["office_manager"]),
        (HR, "HR Soak", ["hr_manager"]),
    ]
    people += [(email, f"Staff {i}", ["staff"]) for i, email in enumerate(STAFF, 1)]
    made = {}
    for email, name, roles in people:
        made[email] = users.create_user(
            actor=None,
            email=email,
            name=name,
            roles=roles,
            password=PASSWORD,
            must_change_password=False,
            locale="en",
            check_strength=False,
        )
    category = SupplyCategory(name="Escritório")
    db.session.add(category)
    db.session.flush()
    suppliers = []
    for i in range(1, 5):
        supplier = Supplier(name=f"Supplier {i}", order_email=f"orders@supplier{i}.test")
        db.session.add(supplier)
        db.session.flush()
        suppliers.append(supplier.id)
        for k in range(3):
            db.session.add(
                SupplyItem(
                    sku=f"S{i}-{k}",
                    name=f"Item {k} of supplier {i}",
                    category_id=category.id,
                    supplier_id=supplier.id,
                    unit_cost=Decimal("12.50") + k,
                    reorder_point=5,
                    par_level=50,
                    on_hand=1_000_000,
                )
            )
    opening = Opening(
        title="Analista financeiro",
        description="",
        min_years=2,
        status="open",
        requirements=scoring.normalise_requirements(
            [
                {"name": "Excel", "synonyms": ["planilhas"], "kind": "must"},
                {"name": "SAP", "synonyms": [], "kind": "nice", "weight": 2},
            ]
        ),
        hiring_manager=made[HR],
    )
    db.session.add(opening)
    db.session.commit()
    return {"opening": opening.id, "suppliers": suppliers}  # type: ignore[dict-item]


def cv_pdfs(n: int = 12) -> list[bytes]:
    """A few small one-page CVs (the portal's own text→PDF generator)."""
    from portal.seed.recruiting import text_pdf

    rng = random.Random(3)
    out = []
    for i in range(n):
        lines = [
            f"Candidata Soak {i}",
            f"soak{i}@example.com | +55 11 9{rng.randint(1000, 9999)}-{i:04d}",
            "",
            "Experiência",
            "Empresa X Ltda., 01/2015 - atual",
            "Conciliação bancária, Excel, planilhas" + (", SAP" if i % 2 else ""),
            "",
            "Formação",
            "Ciências Contábeis, 2010 - 2014",
        ]
        out.append(text_pdf("\n".join(lines)))
    return out


# --- measurements ------------------------------------------------------------------------------


@dataclass
class Hit:
    at: float  # seconds since the start of the soak
    user: str
    action: str
    status: int  # 0: no answer (connection refused, reset, timeout)
    ms: float
    outcome: str  # ok | race | error
    note: str = ""


@dataclass
class Ledger:
    """What the users were told happened, to compare with the database and the mail sink."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    hits: list[Hit] = field(default_factory=list)
    calls_logged: int = 0
    orders_submitted: list[int] = field(default_factory=list)
    approvals_ok: Counter = field(default_factory=Counter)  # order id -> "approved" answers
    races_lost: int = 0
    cvs_uploaded: int = 0

    def record(self, hit: Hit) -> None:
        with self.lock:
            self.hits.append(hit)


class Client:
    """One person's browser: cookies, the CSRF token, no redirect following."""

    def __init__(self, email: str, ports: list[int], ledger: Ledger, clock) -> None:  # type: ignore[no-untyped-def]
        self.email = email
        self.user = email.split("@")[0]
        self.ports = ports
        self.ledger = ledger
        self.clock = clock
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.rng = random.Random(hash(email) & 0xFFFF)

    def request(
        self,
        action: str,
        method: str,
        path: str,
        *,
        form: dict | None = None,
        files: list[tuple[str, str, bytes]] | None = None,
        htmx: bool = False,
        ok: tuple[int, ...] = (200,),
        race: tuple[int, ...] = (),
    ) -> tuple[int, dict[str, str], str]:
        headers = {"Accept-Language": "en", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if htmx:
            headers["HX-Request"] = "true"
        if method == "POST" and self.csrf:
            headers["X-CSRFToken"] = self.csrf
        body = None
        if files is not None:
            body, headers["Content-Type"] = _multipart(form or {}, files)
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        port = self.rng.choice(self.ports)  # two web processes behind a naive balancer
        started = time.perf_counter()
        at = self.clock()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                text = resp.read().decode("utf-8", "replace")
                status = resp.status
                got = {k.lower(): v for k, v in resp.getheaders()}
                for raw in resp.headers.get_all("Set-Cookie") or []:
                    self._store_cookie(raw)
            finally:
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            ms = (time.perf_counter() - started) * 1000
            self.ledger.record(Hit(at, self.user, action, 0, ms, "error", type(exc).__name__))
            return 0, {}, ""
        ms = (time.perf_counter() - started) * 1000
        if status in ok and not (status in (302, 303) and "/login" in got.get("location", "")):
            outcome, note = "ok", ""
        elif status in race:
            outcome, note = "race", _error_text(text, got)
        else:
            outcome, note = "error", _error_text(text, got) or got.get("location", "")
        self.ledger.record(Hit(at, self.user, action, status, ms, outcome, note[:200]))
        return (status if outcome != "error" else -status), got, text

    def _store_cookie(self, raw: str) -> None:
        cookie = SimpleCookie()
        cookie.load(raw)
        for name, morsel in cookie.items():
            if morsel.value == "" or morsel["max-age"] == "0":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def sign_in(self) -> bool:
        status, _, page = self.request("sign-in page", "GET", "/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if status <= 0 or not token:
            return False
        form = {"email": self.email, "password": PASSWORD, "csrf_token": token.group(1)}
        status, _, _ = self.request("sign in", "POST", "/login", form=form, ok=(303,))
        if status <= 0:
            return False
        status, _, page = self.request("dashboard", "GET", "/")
        csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page)
        if status <= 0 or not csrf:
            return False
        self.csrf = csrf.group(1)
        return True


def _multipart(fields: dict, files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = []
    for name, value in fields.items():
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, filename, data in files:
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def _error_text(page: str, headers: dict[str, str]) -> str:
    if headers.get("x-portal-error"):
        return urllib.parse.unquote(headers["x-portal-error"])
    parts = re.findall(r"<h1[^>]*>(.*?)</h1>\s*<p[^>]*>(.*?)</p>", page, re.S)
    if parts:
        return re.sub(r"<[^>]+>|\s+", " ", " — ".join(parts[0])).strip()
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    return re.sub(r"\s+", " ", title.group(1)).strip() if title else page[:120]


# --- the people --------------------------------------------------------------------------------


class Load:
    """Start one thread per person; ``stop()`` ends them after their current action."""

    def __init__(self, ports: list[int], ids: dict, ledger: Ledger, clock, pace: float) -> None:  # type: ignore[no-untyped-def]
        self.ports, self.ids, self.ledger, self.clock, self.pace = ports, ids, ledger, clock, pace
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.pending_orders: list[int] = []  # submitted, not yet seen approved
        self.cvs = cv_pdfs()
        self.seq = 0
        self.lock = threading.Lock()

    def start(self) -> None:
        people = [
            (DESK, self._desk),
            (BUYER, self._buyer),
            (MANAGERS[0], self._manager),
            (MANAGERS[1], self._manager),
            (HR, self._hr),
            (STAFF[0], self._staff),
            (STAFF[1], self._staff),
        ]
        for email, script in people:
            t = threading.Thread(target=self._run, args=(email, script), name=email, daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(90)

    def _think(self, client: Client) -> None:
        self.stopping.wait(client.rng.uniform(0.3, 1.2) * self.pace)

    def _run(self, email: str, script) -> None:  # type: ignore[no-untyped-def]
        client = Client(email, self.ports, self.ledger, self.clock)
        while not self.stopping.is_set():
            if not client.csrf and not client.sign_in():
                self.stopping.wait(2)
                continue
            try:
                script(client)
            except Exception as exc:  # a bug in the script must not end the soak silently
                client.ledger.record(
                    Hit(self.clock(), client.user, "script", 0, 0, "error", repr(exc)[:200])
                )
                self.stopping.wait(1)
            self._think(client)

    def _next(self) -> int:
        with self.lock:
            self.seq += 1
            return self.seq

    # Front desk: the console, then a call for someone (a message: they get an e-mail).
    def _desk(self, c: Client) -> None:
        c.request("front desk console", "GET", "/frontdesk/")
        self._think(c)
        n = self._next()
        form = {
            "direction": "in",
            "phone": f"(11) 9{8000 + n % 1000:04d}-{n % 10000:04d}",
            "caller_name": f"{CALLER_PREFIX} {n}",
            "company": "Soak Ltda.",
            "for_whom": c.rng.choice(STAFF),
            "outcome": "message",
            "message": "Please call back about the invoice.",
            "urgency": "normal",
        }
        htmx = c.rng.random() < 0.5
        status, _, _ = c.request(
            "log a call",
            "POST",
            "/frontdesk/calls",
            form=form,
            htmx=htmx,
            ok=(200,) if htmx else (303,),
        )
        if status > 0:
            with self.ledger.lock:
                self.ledger.calls_logged += 1
        if c.rng.random() < 0.3:
            c.request("calls list", "GET", "/frontdesk/?view=all&page=1")

    # Buyer: a new order, one line, submitted for approval (both managers get an e-mail).
    def _buyer(self, c: Client) -> None:
        supplier = c.rng.choice(self.ids["suppliers"])
        status, got, _ = c.request(
            "new order", "POST", "/supplies/orders", form={"supplier_id": supplier}, ok=(303,)
        )
        match = re.search(r"/supplies/orders/(\d+)", got.get("location", ""))
        if status <= 0 or not match:
            return
        order = int(match.group(1))
        status, _, page = c.request("order page", "GET", f"/supplies/orders/{order}")
        items = re.findall(r'<option value="(\d+)"', page)
        if status <= 0 or not items:
            return
        self._think(c)
        form = {
            "item_id": c.rng.choice(items),
            "quantity": c.rng.randint(1, 20),
            "version": _version(page),
        }
        status, _, _ = c.request(
            "add order line", "POST", f"/supplies/orders/{order}/lines", form=form, ok=(303,)
        )
        if status <= 0:
            return
        status, _, page = c.request("order page", "GET", f"/supplies/orders/{order}")
        if status <= 0:
            return
        status, _, _ = c.request(
            "submit order",
            "POST",
            f"/supplies/orders/{order}/submit",
            form={"version": _version(page)},
            ok=(303,),
        )
        if status > 0:
            with self.lock:
                self.pending_orders.append(order)
            with self.ledger.lock:
                self.ledger.orders_submitted.append(order)
        if c.rng.random() < 0.5:
            c.request("orders list", "GET", "/supplies/orders")
        else:
            c.request("items list", "GET", "/supplies/items")

    # Managers: the approval queue, then approve the oldest waiting order; both managers work
    # the same queue, so sometimes both click the same order and one is told it changed.
    def _manager(self, c: Client) -> None:
        c.request("approval queue", "GET", "/supplies/approvals")
        with self.lock:
            order = self.pending_orders[0] if self.pending_orders else None
        if order is None:
            return
        status, _, page = c.request("order page", "GET", f"/supplies/orders/{order}")
        if status <= 0:
            return
        if "/approve" not in page:  # already decided by the other manager
            with self.lock:
                if order in self.pending_orders:
                    self.pending_orders.remove(order)
            return
        htmx = c.rng.random() < 0.5
        status, _, _ = c.request(
            "approve order",
            "POST",
            f"/supplies/orders/{order}/approve",
            form={"version": _version(page)},
            htmx=htmx,
            ok=(200,) if htmx else (303,),
            race=(409, 422),
        )
        if status in (200, 303):
            with self.ledger.lock:
                self.ledger.approvals_ok[order] += 1
        elif status in (409, 422):
            with self.ledger.lock:
                self.ledger.races_lost += 1
        if status > 0:
            with self.lock:
                if order in self.pending_orders:
                    self.pending_orders.remove(order)

    # HR: upload a CV to the opening, look at the batch and the ranked list.
    def _hr(self, c: Client) -> None:
        opening = self.ids["opening"]
        status, _, page = c.request("upload page", "GET", f"/recruiting/openings/{opening}/upload")
        token = re.search(r'name="form_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="form_token"', page
        )
        if status <= 0 or not token:
            return
        self._think(c)
        n = self._next()
        data = self.cvs[n % len(self.cvs)] + f"\n% soak {n}\n".encode()  # a distinct file
        status, got, _ = c.request(
            "upload a CV",
            "POST",
            f"/recruiting/openings/{opening}/upload",
            form={"csrf_token": c.csrf, "form_token": token.group(1)},
            files=[("files", f"cv-{n}.pdf", data)],
            ok=(303,),
        )
        if status > 0:
            with self.ledger.lock:
                self.ledger.cvs_uploaded += 1
            c.request("upload batch", "GET", got.get("location", "/recruiting/"))
        if c.rng.random() < 0.5:
            c.request("ranked candidates", "GET", f"/recruiting/openings/{opening}")

    # Staff: the dashboard, their messages, their notifications.
    def _staff(self, c: Client) -> None:
        path, action = c.rng.choice(
            [
                ("/", "dashboard"),
                ("/frontdesk/messages", "my messages"),
                ("/notifications/", "notifications"),
                ("/frontdesk/requests", "requests list"),
            ]
        )
        c.request(action, "GET", path)


def _version(page: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', page)
    return match.group(1) if match else ""
