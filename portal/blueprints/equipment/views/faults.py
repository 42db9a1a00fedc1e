"""Faults and repairs: the staff member's report (checklist first), back office's queue, the
vendor call, the visit and the closing of a repair; the troubleshooting checklists."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.equipment import bp
from portal.blueprints.equipment.forms import (
    CallVendorForm,
    CloseRepairForm,
    EmptyForm,
    FaultForm,
    MachineForm,
    SolvedForm,
    StepForm,
    VisitForm,
)
from portal.blueprints.equipment.views.common import form_work, labels
from portal.pagination import page_arg
from portal.routing import parse_int
from portal.security import requires
from portal.services import equipment
from portal.web import unit_of_work

# --- reporting (everyone) -----------------------------------------------------------------


@bp.get("/report")
@requires("equipment.report_fault")
def report():
    """Pick the machine (or scan its label), and see my own reports."""
    return render_template(
        "equipment/report_pick.html",
        machines=equipment.machine_choices(),
        down=equipment.down_now(),
        mine=equipment.my_faults(current_user),
        **labels(),
    )


@bp.get("/c/<code>")
@requires("equipment.report_fault")
def by_code(code: str):
    """The short code printed on a machine's label (its QR code points here)."""
    asset = equipment.find_by_code(code)
    if asset is None:
        abort(404)
    return _report_page(asset, FaultForm(formdata=None))


@bp.get("/<int:asset_id>/report")
@requires("equipment.report_fault")
def report_asset(asset_id: int):
    return _report_page(equipment.get_asset_or_404(asset_id), FaultForm(formdata=None))


@bp.get("/report/go")
@requires("equipment.report_fault")
def report_go():
    asset_id = request.args.get("asset_id", "")
    asset_id = parse_int(asset_id)
    if not asset_id:
        return htmx.redirect_to(url_for("equipment.report"))
    return htmx.redirect_to(url_for("equipment.report_asset", asset_id=asset_id))


def _report_page(asset, form, *, status_code: int = 200):
    return htmx.render(
        "equipment/report.html",
        "equipment/_partials/_fault_form.html",
        status_code=status_code,
        asset=asset,
        steps=equipment.checklist_for(asset),
        form=form,
        solved_form=SolvedForm(formdata=None),
        **labels(),
    )


@bp.post("/<int:asset_id>/report/solved")
@requires("equipment.report_fault")
def report_solved(asset_id: int):
    asset = equipment.get_asset_or_404(asset_id)
    form = SolvedForm()
    step = form.step_id.data or ""
    with form_work(form) as work:
        equipment.solved_by_user(asset, reporter=current_user, step_id=parse_int(step) or 0)
    if work.ok:
        flash(_("Glad it works again. Thank you for telling us what fixed it."), "success")
        return htmx.redirect_to(url_for("equipment.report"))
    return _report_page(asset, FaultForm(formdata=None), status_code=422)


@bp.post("/<int:asset_id>/report")
@requires("equipment.report_fault")
def report_create(asset_id: int):
    asset = equipment.get_asset_or_404(asset_id)
    form = FaultForm()
    photos = [(f.read(), f.filename) for f in (form.photo.data or []) if f and f.filename]
    with form_work(form) as work:
        fault = equipment.report_fault(
            asset,
            reporter=current_user,
            description=form.description.data,
            error_code=form.error_code.data,
            photos=photos,
        )
    if work.ok:
        flash(_("Fault reported. The back office has been told."), "success")
        return htmx.redirect_to(url_for("equipment.fault", fault_id=fault.id))
    return _report_page(asset, form, status_code=422)


# --- faults (back office; a reporter sees their own) -----------------------------------------


@bp.get("/faults")
@requires("equipment.view")
def faults():
    status = request.args.get("status", "open")
    page = equipment.fault_page(
        status=status, page=page_arg(), per_page=current_app.config["PAGE_SIZE"]
    )
    return htmx.render(
        "equipment/faults.html",
        "equipment/_partials/_fault_list.html",
        page=page,
        status=status,
        counts=equipment.solved_counts(),
        **labels(),
    )


def _fault_page(fault, *, status_code: int = 200, **forms):
    manage = current_user.can("equipment.manage")
    machine_form = forms.pop("machine_form", None) or MachineForm(formdata=None)
    if manage and fault.asset_id is None:
        machine_form.asset_id.choices = [("", "—")] + [
            (str(m.id), f"{m.asset_tag} — {m.make} {m.model}") for m in equipment.machine_choices()
        ]
    repair = equipment.repair_for_fault(fault.id) if manage else None
    return render_template(
        "equipment/fault.html",
        fault=fault,
        repair=repair,
        manage=manage,
        machine_form=machine_form,
        call_form=forms.pop("call_form", None) or CallVendorForm(formdata=None),
        button_form=EmptyForm(formdata=None),
        vendor_address=(
            equipment.vendor_address(fault.asset) if manage and fault.asset is not None else None
        ),
        **labels(),
    ), status_code


@bp.get("/faults/<int:fault_id>")
@requires("equipment.report_fault")
def fault(fault_id: int):
    return _fault_page(equipment.get_fault_for(fault_id, current_user))


@bp.get("/faults/<int:fault_id>/photos/<int:photo_id>")
@requires("equipment.report_fault")
def fault_photo(fault_id: int, photo_id: int):
    photo = equipment.get_photo_for(equipment.get_fault_for(fault_id, current_user), photo_id)
    return Response(
        photo.data,
        mimetype="image/jpeg",
        headers={"Content-Disposition": f'inline; filename="{photo.filename}"'},
    )


@bp.post("/faults/<int:fault_id>/machine")
@requires("equipment.manage")
def fault_machine(fault_id: int):
    fault = equipment.get_fault_for(fault_id, current_user)
    form = MachineForm()
    with form_work(form) as work:
        equipment.set_fault_asset(fault, actor=current_user, asset_id=form.asset_id.data)
    if work.ok:
        return htmx.redirect_to(url_for("equipment.fault", fault_id=fault.id))
    return _fault_page(fault, machine_form=form, status_code=422)


@bp.post("/faults/<int:fault_id>/out-of-order")
@requires("equipment.manage")
def fault_out_of_order(fault_id: int):
    fault = equipment.get_fault_for(fault_id, current_user)
    if fault.asset is None:
        abort(409)
    with unit_of_work():
        equipment.mark_out_of_order(fault.asset, actor=current_user)
    return htmx.redirect_to(url_for("equipment.fault", fault_id=fault.id))


@bp.post("/faults/<int:fault_id>/call-vendor")
@requires("equipment.manage")
def call_vendor(fault_id: int):
    fault = equipment.get_fault_for(fault_id, current_user)
    form = CallVendorForm()
    with form_work(form) as work:
        repair = equipment.call_vendor(fault, actor=current_user, note=form.note.data)
    if work.ok:
        flash(_("Repair request written; the vendor e-mail is on its way."), "success")
        return htmx.redirect_to(url_for("equipment.repair", repair_id=repair.id))
    return _fault_page(fault, call_form=form, status_code=422)


@bp.post("/faults/<int:fault_id>/close")
@requires("equipment.manage")
def close_fault(fault_id: int):
    fault = equipment.get_fault_for(fault_id, current_user)
    with unit_of_work():
        equipment.close_fault(fault, actor=current_user)
    return htmx.redirect_to(url_for("equipment.fault", fault_id=fault.id))


# --- repairs ---------------------------------------------------------------------------------


def _repair_page(repair, *, status_code: int = 200, **forms):
    visit_form = forms.pop("visit_form", None) or VisitForm(
        formdata=None, reference=repair.vendor_reference, visit_at=None
    )
    return render_template(
        "equipment/repair.html",
        repair=repair,
        message=equipment.submission(repair),
        visit_form=visit_form,
        close_form=forms.pop("close_form", None) or CloseRepairForm(formdata=None),
        manage=current_user.can("equipment.manage"),
        **labels(),
    ), status_code


@bp.get("/repairs/<int:repair_id>")
@requires("equipment.view")
def repair(repair_id: int):
    return _repair_page(equipment.get_repair_or_404(repair_id))


@bp.post("/repairs/<int:repair_id>/visit")
@requires("equipment.manage")
def repair_visit(repair_id: int):
    repair = equipment.get_repair_or_404(repair_id)
    form = VisitForm()
    visit_at = form.visit_at.data if form.visit_at.validate(form) else None
    with form_work(form) as work:
        equipment.record_visit(
            repair,
            actor=current_user,
            reference=form.reference.data,
            visit_at=equipment.local_to_utc(visit_at, field="visit_at"),
        )
    if work.ok:
        return htmx.redirect_to(url_for("equipment.repair", repair_id=repair.id))
    return _repair_page(repair, visit_form=form, status_code=422)


@bp.post("/repairs/<int:repair_id>/close")
@requires("equipment.manage")
def repair_close(repair_id: int):
    repair = equipment.get_repair_or_404(repair_id)
    form = CloseRepairForm()
    with form_work(form) as work:
        equipment.close_repair(
            repair,
            actor=current_user,
            cost=form.cost.data,
            parts=form.parts.data,
            work_done=form.work_done.data,
        )
    if work.ok:
        flash(_("Repair closed; the machine is back in use."), "success")
        return htmx.redirect_to(url_for("equipment.detail", asset_id=repair.asset_id))
    return _repair_page(repair, close_form=form, status_code=422)


@bp.post("/repairs/<int:repair_id>/sent/confirm")
@requires("equipment.manage")
def repair_confirm_sent(repair_id: int):
    """An uncertain send: a person checked with the vendor, who has the request."""
    repair = equipment.get_repair_or_404(repair_id)
    with unit_of_work():
        equipment.confirm_sent(repair, actor=current_user)
    flash(_("Marked as received by the vendor."), "success")
    return htmx.redirect_to(url_for("equipment.repair", repair_id=repair.id))


@bp.post("/repairs/<int:repair_id>/sent/resend")
@requires("equipment.manage")
def repair_resend(repair_id: int):
    """An uncertain send: a person checked with the vendor, who does not have it; send again."""
    repair = equipment.get_repair_or_404(repair_id)
    with unit_of_work():
        equipment.resend(repair, actor=current_user)
    flash(_("The repair request will be e-mailed to the vendor again."), "success")
    return htmx.redirect_to(url_for("equipment.repair", repair_id=repair.id))


# --- troubleshooting checklists -------------------------------------------------------------


def _checklists(form=None, status_code: int = 200):
    return render_template(
        "equipment/checklists.html",
        steps=equipment.list_checklists(),
        form=form or StepForm(formdata=None),
        button_form=EmptyForm(formdata=None),
        **labels(),
    ), status_code


@bp.get("/checklists")
@requires("equipment.manage")
def checklists():
    return _checklists()


@bp.post("/checklists")
@requires("equipment.manage")
def add_step():
    form = StepForm()
    with form_work(form) as work:
        equipment.add_step(
            actor=current_user,
            asset_type=form.asset_type.data,
            model=form.model.data,
            title=form.title.data,
            body=form.body.data,
        )
    if work.ok:
        return htmx.redirect_to(url_for("equipment.checklists"))
    return _checklists(form, 422)


@bp.post("/checklists/<int:step_id>/remove")
@requires("equipment.manage")
def remove_step(step_id: int):
    with unit_of_work():
        equipment.remove_step(step_id, actor=current_user)
    return htmx.redirect_to(url_for("equipment.checklists"))
