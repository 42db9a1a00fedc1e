"""Printable labels: the QR code holds the machine's absolute fault-report address, the tag and
the short address are printed in text, a sheet prints a register list; who may print them."""

from __future__ import annotations

import re

import segno

from portal.services import equipment
from portal.services.equipment.labels import QUIET_ZONE

SVG = re.compile(
    r'<svg class="label-qr"[^>]*viewBox="0 0 (\d+) \1"[^>]*>'
    r'.*?<path fill="#000" d="([^"]*)"/></svg>'
)
RUN = re.compile(r"M(\d+) (\d+)h(\d+)v1h-\3z")


def _drawn_matrix(body: str) -> list[list[bool]]:
    """Rebuild the module matrix from the SVG the page served (what a scanner would see)."""
    found = SVG.search(body)
    assert found, "no QR code on the label"
    size, path = int(found.group(1)), found.group(2)
    grid = [[False] * size for _ in range(size)]
    runs = RUN.findall(path)
    assert "".join(f"M{x} {y}h{w}v1h-{w}z" for x, y, w in runs) == path  # nothing else drawn
    for x, y, w in runs:
        for i in range(int(w)):
            assert not grid[int(y)][int(x) + i], "a module drawn twice"
            grid[int(y)][int(x) + i] = True
    return grid


def _expected_matrix(data: str) -> list[list[bool]]:
    code = segno.make(data, error="m", micro=False)
    size = len(code.matrix) + 2 * QUIET_ZONE
    grid = [[False] * size for _ in range(size)]
    for y, row in enumerate(code.matrix):
        for x, dark in enumerate(row):
            grid[y + QUIET_ZONE][x + QUIET_ZONE] = bool(dark)
    return grid


def test_qr_code_runs_rebuild_segnos_matrix():
    url = "https://portal.example.com.br/equipment/c/MFP-0042"
    code = equipment.qr_code(url)
    expected = _expected_matrix(url)
    assert code.size == len(expected) and code.data == url
    drawn = [[False] * code.size for _ in range(code.size)]
    for x, y, w in code.runs:
        for i in range(w):
            drawn[y][x + i] = True
    assert drawn == expected
    # the quiet zone stays white on every side
    assert not any(drawn[y][x] for y in range(code.size) for x in range(QUIET_ZONE))
    assert not any(any(row) for row in drawn[:QUIET_ZONE] + drawn[-QUIET_ZONE:])


def test_label_page_draws_the_short_address_as_qr_code(client, login_as, office, make_asset):
    asset = make_asset(asset_tag="PRN-0778", contract_number="CT-99", serial="SN-X1")
    login_as(office)
    resp = client.get(f"/equipment/{asset.id}/label")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    url = "http://portal.test/equipment/c/PRN-0778"  # absolute, on PORTAL_BASE_URL
    assert _drawn_matrix(body) == _expected_matrix(url)
    assert f'aria-label="QR code: {url}"' in body
    assert '<p class="label-tag">PRN-0778</p>' in body
    assert "portal.test/equipment/c/PRN-0778" in body.replace("<wbr>", "")
    assert "CT-99" in body and "SN-X1" in body
    # within the CSP: no inline script or style, the stylesheet is a file of its own
    assert "<script" not in body and "style=" not in body and "<style" not in body
    assert "img-src 'self' data:" in resp.headers["Content-Security-Policy"]
    assert "style-src 'self'" in resp.headers["Content-Security-Policy"]


def test_the_address_in_the_code_opens_the_fault_report(
    client, login_as, office, staff, make_asset
):
    asset = make_asset(asset_tag="FAX-0001", type="fax", make="Panasonic", model="KX-FL422")
    login_as(office)
    client.get(f"/equipment/{asset.id}/label")
    url = equipment.qr_code("http://portal.test/equipment/c/FAX-0001").data
    login_as(staff)
    resp = client.get(url.removeprefix("http://portal.test"))
    assert resp.status_code == 200 and "FAX-0001" in resp.get_data(as_text=True)


def test_label_sheet_prints_the_filtered_register(client, login_as, office, make_asset):
    make_asset(asset_tag="PRN-0001")
    make_asset(asset_tag="PRN-0002")
    make_asset(asset_tag="LAP-0001", type="laptop", make="Dell", model="Latitude 5440")
    login_as(office)
    register = client.get("/equipment/?type=printer").get_data(as_text=True)
    assert "/equipment/labels?type=printer" in register
    resp = client.get("/equipment/labels?type=printer")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert body.count('class="label-qr"') == 2
    assert "PRN-0001" in body and "PRN-0002" in body and "LAP-0001" not in body
    tags = re.findall(r'<p class="label-tag">([^<]+)</p>', body)
    assert tags == ["PRN-0001", "PRN-0002"]
    for tag, svg in zip(tags, body.split('<article class="label"')[1:], strict=True):
        assert _drawn_matrix(svg) == _expected_matrix(f"http://portal.test/equipment/c/{tag}")
    empty = client.get("/equipment/labels?q=nothing-like-this").get_data(as_text=True)
    assert 'class="label-qr"' not in empty and "No assets match." in empty


def test_labels_need_the_register(client, login_as, staff, make_asset):
    asset = make_asset()
    assert client.get(f"/equipment/{asset.id}/label").status_code in (302, 303, 401)
    assert client.get("/equipment/labels").status_code in (302, 303, 401)
    login_as(staff)
    assert client.get(f"/equipment/{asset.id}/label").status_code == 403
    assert client.get("/equipment/labels").status_code == 403
    assert client.get("/equipment/999999/label").status_code in (403, 404)
