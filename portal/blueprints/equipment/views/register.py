"""The register: list, search, filters, CSV export and import, create, edit, status, retire."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.equipment import bp
from portal.blueprints.equipment.forms import AssetForm, ImportForm, RetireForm
from portal.blueprints.equipment.views.common import (
    asset_page,
    form_work,
    labels,
    more_context,
)
from portal.exports import export_format, export_response
from portal.pagination import page_arg
from portal.security import requires
from portal.services import equipment
from portal.web import absolute_url, unit_of_work

HOLDER_LIST_MAX = 40
LABELS_PER_PAGE = 30  # three A4 sheets of ten


@bp.get("/")
@requires("equipment.view")
def index():
    filters = equipment.Filters.from_args(request.args)
    page = equipment.asset_page(filters, page=page_arg(), per_page=current_app.config["PAGE_SIZE"])
    if htmx.wants_fragment():  # the list alone: the filter form stays as it is on the page
        return htmx.render(
            "equipment/index.html", "equipment/_partials/_asset_list.html", page=page, **labels()
        )
    # A few holders: pick one from a list. Many: search by name (the search box matches who
    # holds an asset), and a link from a person's page filters by them.
    holders = equipment.holder_choices(limit=HOLDER_LIST_MAX + 1)
    return htmx.render(
        "equipment/index.html",
        "equipment/_partials/_asset_list.html",
        page=page,
        filters=filters,
        floors=equipment.floors(),
        holders=holders if len(holders) <= HOLDER_LIST_MAX else None,
        holder_name=equipment.person_name(filters.holder_id),
        clear_holder_url=url_for(
            "equipment.index", **{k: v for k, v in filters.as_args().items() if k != "holder"}
        ),
        **labels(),
    )


@bp.get("/export.csv")
@requires("equipment.view")
def export():
    filters = equipment.Filters.from_args(request.args)
    if export_format() == "xlsx":  # typed cells; the CSV stays the import's format
        rows = equipment.export_csv(filters, typed=True)
        return export_response(rows, "equipment", "xlsx", title=_("Equipment"))
    return Response(
        equipment.export_csv(filters),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=equipment.csv"},
    )


@bp.get("/import")
@requires("equipment.manage")
def import_form():
    return render_template("equipment/import.html", form=ImportForm(formdata=None), rows=[])


@bp.post("/import")
@requires("equipment.manage")
def import_assets():
    form = ImportForm()
    upload = form.file.data
    data = upload.read() if upload else b""
    with form_work(form) as work:
        created, updated = equipment.import_csv(data, actor=current_user)
    if work.ok:
        flash(_("Imported: %(c)d new, %(u)d updated.", c=created, u=updated), "success")
        return htmx.redirect_to(url_for("equipment.index"))
    rows = getattr(work.error, "rows", [])
    return render_template("equipment/import.html", form=form, rows=rows), 422


def _asset_form(asset: Any = None, formdata: Any = None) -> AssetForm:
    if formdata is None and asset is not None:
        form = AssetForm(formdata=None, obj=asset)
        for key in ("department_id", "holder_id", "vendor_id"):
            getattr(form, key).data = str(getattr(asset, key) or "")
        for key in ("purchase_cost", "price_mono", "price_colour", "response_hours"):
            value = getattr(asset, key)
            getattr(form, key).data = "" if value is None else str(value)
    elif formdata is None:
        form = AssetForm(formdata=None)
    else:
        form = AssetForm()
    form.department_id.choices = [("", "—")] + [
        (str(d.id), d.name) for d in equipment.department_choices()
    ]
    form.holder_id.choices = [("", "—")] + [(str(p.id), p.name) for p in equipment.people_choices()]
    form.vendor_id.choices = [("", "—")] + [(str(v.id), v.name) for v in equipment.vendor_choices()]
    return form


def _form_data(form: AssetForm) -> dict[str, Any]:
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}


@bp.get("/new")
@requires("equipment.manage")
def new():
    return render_template("equipment/asset_form.html", form=_asset_form(), asset=None)


@bp.post("/")
@requires("equipment.manage")
def create():
    form = _asset_form(formdata=True)
    with form_work(form) as work:
        asset = equipment.save_asset(None, actor=current_user, data=_form_data(form))
    if work.ok:
        flash(_("Asset %(tag)s added.", tag=asset.asset_tag), "success")
        return htmx.redirect_to(url_for("equipment.detail", asset_id=asset.id))
    return render_template("equipment/asset_form.html", form=form, asset=None), 422


@bp.get("/<int:asset_id>")
@requires("equipment.view")
def detail(asset_id: int):
    return asset_page(equipment.get_asset_or_404(asset_id))


@bp.get("/<int:asset_id>/more")
@requires("equipment.view")
def detail_more(asset_id: int):
    """The machine page's panels below the fold (consumables, upkeep, history)."""
    asset = equipment.get_asset_or_404(asset_id)
    manage = current_user.can("equipment.manage")
    return htmx.render(
        "equipment/asset_more.html",
        "equipment/_partials/_asset_more.html",
        asset=asset,
        manage=manage,
        **more_context(asset, manage=manage, forms={}),
        **labels(),
    )


@bp.get("/<int:asset_id>/edit")
@requires("equipment.manage")
def edit(asset_id: int):
    asset = equipment.get_asset_or_404(asset_id)
    return render_template("equipment/asset_form.html", form=_asset_form(asset), asset=asset)


@bp.post("/<int:asset_id>")
@requires("equipment.manage")
def update(asset_id: int):
    asset = equipment.get_asset_or_404(asset_id)
    form = _asset_form(asset, formdata=True)
    with form_work(form) as work:
        equipment.save_asset(asset, actor=current_user, data=_form_data(form))
    if work.ok:
        flash(_("Asset %(tag)s saved.", tag=asset.asset_tag), "success")
        return htmx.redirect_to(url_for("equipment.detail", asset_id=asset.id))
    return render_template("equipment/asset_form.html", form=form, asset=asset), 422


@bp.get("/<int:asset_id>/retire")
@requires("equipment.manage")
def retire_form(asset_id: int):
    asset = equipment.get_asset_or_404(asset_id)
    return render_template("equipment/retire.html", asset=asset, form=RetireForm(formdata=None))


@bp.post("/<int:asset_id>/retire")
@requires("equipment.manage")
def retire(asset_id: int):
    asset = equipment.get_asset_or_404(asset_id)
    form = RetireForm()
    with form_work(form) as work:
        equipment.retire_asset(asset, actor=current_user, reason=form.reason.data)
    if work.ok:
        flash(_("Asset %(tag)s retired.", tag=asset.asset_tag), "success")
        return htmx.redirect_to(url_for("equipment.detail", asset_id=asset.id))
    return render_template("equipment/retire.html", asset=asset, form=form), 422


@bp.post("/<int:asset_id>/out-of-order")
@requires("equipment.manage")
def out_of_order(asset_id: int):
    asset = equipment.get_asset_or_404(asset_id)
    with unit_of_work():
        equipment.mark_out_of_order(asset, actor=current_user)
    return htmx.redirect_to(url_for("equipment.detail", asset_id=asset.id))


@bp.post("/<int:asset_id>/back-in-use")
@requires("equipment.manage")
def back_in_use(asset_id: int):
    asset = equipment.get_asset_or_404(asset_id)
    with unit_of_work():
        equipment.back_in_use(asset, actor=current_user)
    return htmx.redirect_to(url_for("equipment.detail", asset_id=asset.id))


def _short_url(asset_tag: str) -> str:
    """The absolute fault-report address a label prints and its QR code holds."""
    return absolute_url("equipment.by_code", code=asset_tag)


@bp.get("/<int:asset_id>/label")
@requires("equipment.view")
def label(asset_id: int):
    """The printable label: QR code, asset tag and the short address to report a fault."""
    asset = equipment.get_asset_or_404(asset_id)
    return render_template(
        "equipment/label.html",
        asset=asset,
        label=equipment.label_for(asset, url=_short_url(asset.asset_tag)),
    )


@bp.get("/labels")
@requires("equipment.view")
def labels_sheet():
    """A sheet of labels for the machines of a register list (its filters), a page at a time."""
    filters = equipment.Filters.from_args(request.args)
    page = equipment.asset_page(filters, page=page_arg(), per_page=LABELS_PER_PAGE)
    return render_template(
        "equipment/labels.html",
        page=page,
        filters=filters,
        labels=equipment.labels_for(page.items, url_for_code=_short_url),
    )


@bp.get("/label.css")
@requires("equipment.view")
def label_css():
    """The label's screen and print stylesheet (a file of its own: the CSP allows no inline
    styles)."""
    return Response(
        render_template("equipment/label.css"),
        mimetype="text/css",
        headers={"Cache-Control": "private, max-age=3600"},
    )
