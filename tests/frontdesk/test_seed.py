"""The demo seed's front desk: months of history, and faxes whose scans can be downloaded."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import User
from portal.models.frontdesk import Call, Fax, StaffRequest, Visit


def test_demo_faxes_have_downloadable_pdfs(app, client, login_as):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--password", "demo passphrase"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Call.id))) >= 2000
    assert db.session.scalar(select(func.count(Visit.id))) > 100
    statuses = set(db.session.scalars(select(StaffRequest.status).distinct()))
    assert statuses == {"new", "in_progress", "done", "rejected"}
    faxes = list(db.session.scalars(select(Fax).order_by(Fax.id)))
    with_file = [f for f in faxes if f.stored_name]
    assert len(with_file) >= len(faxes) * 3 // 4
    login_as(db.session.scalar(select(User).where(User.email == "backoffice@example.com")))
    page = client.get("/frontdesk/faxes").get_data(as_text=True)
    assert "Download PDF" in page
    for fax in with_file[:3]:
        resp = client.get(f"/frontdesk/faxes/{fax.id}/file")
        assert resp.status_code == 200 and resp.mimetype == "application/pdf"
        assert resp.data.startswith(b"%PDF-") and len(resp.data) == fax.size_bytes
        assert resp.data.count(b"/Type /Page\n") == fax.pages or b"/Count %d" % fax.pages in (
            resp.data
        )
        assert fax.original_name.endswith(".pdf") and fax.stored_name != fax.original_name
