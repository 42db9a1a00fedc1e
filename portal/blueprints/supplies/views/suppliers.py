"""The catalogue's suppliers: list and form."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.supplies import bp
from portal.blueprints.supplies.forms import ImportForm, SupplierForm
from portal.errors import ValidationError
from portal.exports import export_response
from portal.models.supplies import Supplier
from portal.pagination import paginate
from portal.security import requires
from portal.services import supplies
from portal.services.supplies import supplier_csv
from portal.web import unit_of_work


@bp.get("/suppliers")
@requires("supplies.view")
def suppliers():
    q = request.args.get("q", "")
    page = paginate(supplies.list_suppliers(q=q))
    return htmx.render(
        "supplies/suppliers.html", "supplies/_partials/_supplier_rows.html", page=page, q=q
    )


@bp.get("/suppliers/export")
@requires("supplies.view")
def suppliers_export():
    """The supplier list (with its search) as CSV or XLSX; the CSV imports back unchanged."""
    rows = supplier_csv.export_suppliers(q=request.args.get("q", ""))
    return export_response(rows, "suppliers", title=_("Suppliers"))


@bp.get("/suppliers/import")
@requires("supplies.manage")
def suppliers_import_form():
    return render_template("supplies/suppliers_import.html", form=ImportForm(), rows=[])


@bp.post("/suppliers/import")
@requires("supplies.manage")
def suppliers_import():
    form = ImportForm()
    rows: list = []
    if form.validate():
        with unit_of_work(form) as work:
            upload = form.file.data
            if upload is None or not getattr(upload, "filename", None):
                raise ValidationError(_("Choose a CSV file."), field="file")
            created, updated = supplier_csv.import_suppliers_csv(upload.read(), actor=current_user)
        if work.ok:
            flash(_("Imported: %(c)d new, %(u)d updated.", c=created, u=updated), "success")
            return htmx.redirect_to(url_for("supplies.suppliers"))
        rows = getattr(work.error, "rows", None) or []
    return render_template("supplies/suppliers_import.html", form=form, rows=rows), 422


def _supplier_form(form: SupplierForm, supplier: Supplier | None, status: int = 200):
    return htmx.render(
        "supplies/supplier_form.html",
        "supplies/supplier_form.html",
        form=form,
        supplier=supplier,
        status_code=status,
    )


@bp.get("/suppliers/new")
@requires("supplies.manage")
def supplier_new():
    return _supplier_form(SupplierForm(lead_time_days=3, min_order_value=0), None)


@bp.post("/suppliers")
@requires("supplies.manage")
def supplier_create():
    form = SupplierForm()
    if form.validate():
        with unit_of_work(form) as work:
            supplier = supplies.save_supplier(None, actor=current_user, data=form.values())
        if work.ok:
            flash(_("Supplier %(name)s created.", name=supplier.name), "success")
            return htmx.redirect_to(url_for("supplies.suppliers"))
    return _supplier_form(form, None, 422)


@bp.get("/suppliers/<int:supplier_id>")
@requires("supplies.manage")
def supplier_edit(supplier_id: int):
    supplier = supplies.get_supplier_or_404(supplier_id)
    return _supplier_form(SupplierForm(obj=supplier), supplier)


@bp.post("/suppliers/<int:supplier_id>")
@requires("supplies.manage")
def supplier_update(supplier_id: int):
    supplier = supplies.get_supplier_or_404(supplier_id)
    form = SupplierForm()
    if form.validate():
        with unit_of_work(form) as work:
            supplies.save_supplier(supplier, actor=current_user, data=form.values())
        if work.ok:
            flash(_("Supplier %(name)s saved.", name=supplier.name), "success")
            return htmx.redirect_to(url_for("supplies.suppliers"))
        supplier = supplies.get_supplier_or_404(supplier_id)
    return _supplier_form(form, supplier, 422)
