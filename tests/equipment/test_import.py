"""CSV export and all-or-nothing import."""

from __future__ import annotations

import csv
import io

from portal.extensions import db
from portal.models.equipment import Asset

HEADER = "asset_tag,type,make,model,serial,floor,room,department,holder_email,contract_end\n"


def _post(client, text: str):
    return client.post(
        "/equipment/import",
        data={"file": (io.BytesIO(text.encode("utf-8")), "assets.csv")},
        content_type="multipart/form-data",
    )


def test_one_bad_row_imports_nothing_and_names_each_line(client, login_as, office, make_asset):
    make_asset(asset_tag="PRN-0001", serial="SN-EXISTING")
    login_as(office)
    text = (
        HEADER
        + "PRN-0100,printer,HP,LaserJet M404,SN-A,1º andar,Sala 101,,,2027-01-31\n"
        + "PRN-0101,toaster,HP,LaserJet M404,SN-B,,,,,\n"
        + "PRN-0102,printer,HP,LaserJet M404,SN-EXISTING,,,,,\n"
        + "PRN-0103,printer,HP,LaserJet M404,,,,Nowhere,,\n"
        + "PRN-0104,printer,HP,LaserJet M404,,,,,,31/02/2027\n"
        + "PRN-0100,printer,HP,LaserJet M404,SN-C,,,,,\n"
    )
    resp = _post(client, text)
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "Nothing was imported: 5 row(s) need fixing." in body
    for line in (3, 4, 5, 6, 7):
        assert f"Line {line}:" in body
    assert "Line 2:" not in body
    assert "Choose a type." in body
    assert "already belongs to PRN-0001" in body
    assert "Unknown department" in body
    assert "appears twice" in body
    assert db.session.scalar(db.select(db.func.count(Asset.id))) == 1


def test_good_file_creates_and_updates(client, login_as, office, make_asset, staff):
    make_asset(asset_tag="PRN-0001")
    login_as(office)
    text = (
        "asset_tag;type;make;model;serial;department;holder_email\n"
        "prn-0001;printer;Brother;HL-L6202;SN-NEW;Financeiro;\n"
        f"NB-0001;laptop;Dell;Latitude 5440;DL-1;;{staff.email}\n"
    )
    resp = _post(client, text)
    assert resp.status_code == 303
    rows = {a.asset_tag: a for a in db.session.scalars(db.select(Asset))}
    assert rows["PRN-0001"].model == "HL-L6202" and rows["PRN-0001"].department.name == "Financeiro"
    assert rows["NB-0001"].holder_id == staff.id


def test_export_is_formula_safe_and_filtered(client, login_as, office, make_asset):
    make_asset(asset_tag="PRN-0001", room="=HYPERLINK(1)")
    make_asset(asset_tag="NB-0001", type="laptop", make="Dell", model="X")
    login_as(office)
    resp = client.get("/equipment/export.csv?type=printer")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "asset_tag"
    assert [r[0] for r in rows[1:]] == ["PRN-0001"]
    assert rows[1][6] == "'=HYPERLINK(1)"
