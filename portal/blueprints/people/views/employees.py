"""HR's employee records: list, create, read, edit, documents, portal account, onboarding."""

from __future__ import annotations

from typing import Any

from flask import flash, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.people import bp
from portal.blueprints.people.forms import AccountForm, DocumentForm, EmployeeForm
from portal.blueprints.people.privacy import MANAGE, readable_url
from portal.blueprints.people.views.common import department_choices, int_or_none, user_choices
from portal.exports import export_response
from portal.models.people import CONTRACT_TYPES, EMPLOYEE_STATUSES, OFFBOARDING, ONBOARDING
from portal.security import requires
from portal.services import people
from portal.services.recruiting import exports as recruiting_exports
from portal.web import unit_of_work

# The panels above the list name this many people each (one more is read to say "and more").
OPEN_CHECKLISTS_SHOWN = 5


def _employee_form(employee=None, formdata: Any = None) -> EmployeeForm:
    form = EmployeeForm(formdata=formdata, obj=employee)
    form.department_id.choices = department_choices()
    form.manager_id.choices = user_choices()
    if formdata is None and employee is not None:
        form.department_id.data = str(employee.department_id or "")
        form.manager_id.data = str(employee.manager_id or "")
    if not current_user.can(MANAGE):
        del form.salary
    return form


def _data(form: EmployeeForm) -> dict[str, Any]:
    data = {
        name: form[name].data
        for name in (
            "name",
            "preferred_name",
            "cpf",
            "birth_date",
            "email",
            "phone",
            "emergency_contact",
            "address",
            "position",
            "contract_type",
            "working_hours",
            "start_date",
        )
    }
    data["department_id"] = int_or_none(form.department_id.data)
    data["manager_id"] = int_or_none(form.manager_id.data)
    if "salary" in form:
        data["salary"] = form.salary.data
    return data


@bp.get("/employees")
@requires("hr.employees.view")
def employees():
    q = (request.args.get("q") or "").strip()[:100]
    status = request.args.get("status", "")
    status = status if status in EMPLOYEE_STATUSES else ""
    # the labels translated once for the page, not once per row
    statuses = {key: str(label) for key, label in EMPLOYEE_STATUSES.items()}
    if htmx.wants_fragment():  # the list alone: the panels and filters are not swapped
        return htmx.render(
            "people/employees.html",
            "people/_partials/_employees.html",
            page=people.list_employees(q=q, status=status),
            statuses=statuses,
        )
    counts = people.counts_by_status()
    return htmx.render(
        "people/employees.html",
        "people/_partials/_employees.html",
        page=people.list_employees(q=q, status=status, counts=counts),
        q=q,
        status=status,
        statuses=statuses,
        counts=counts,
        shown=OPEN_CHECKLISTS_SHOWN,
        onboarding=people.open_progress(ONBOARDING, limit=OPEN_CHECKLISTS_SHOWN + 1),
        offboarding=people.open_progress(OFFBOARDING, limit=OPEN_CHECKLISTS_SHOWN + 1),
    )


@bp.get("/employees/export")
@requires("hr.employees.view")
def employees_export():
    """The employee list under its current filters (search, status), as CSV or XLSX (HR)."""
    rows = recruiting_exports.employee_rows(
        q=(request.args.get("q") or "").strip()[:100], status=request.args.get("status", "")
    )
    return export_response(rows, "employees", title=_("Employees"))


@bp.get("/employees/new")
@requires("hr.employees.manage")
def new():
    form = _employee_form()
    return htmx.render(
        "people/employee_form.html",
        "people/_partials/_employee_form.html",
        form=form,
        employee=None,
    )


@bp.post("/employees")
@requires("hr.employees.manage")
def create():
    form = _employee_form(formdata=request.form)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            employee = people.save_employee(None, actor=current_user, data=_data(form))
        if work.ok:
            flash(_("Employee record created."), "success")
            return htmx.redirect_to(readable_url("people.employee", employee_id=employee.id))
    return htmx.render(
        "people/employee_form.html",
        "people/_partials/_employee_form.html",
        form=form,
        employee=None,
        status_code=422,
    )


def _employee_page(employee, status_code: int = 200, **forms: Any):
    may_manage = current_user.can(MANAGE)
    return htmx.render(
        "people/employee.html",
        "people/_partials/_employee.html",
        status_code=status_code,
        employee=employee,
        contract_types=CONTRACT_TYPES,
        statuses=EMPLOYEE_STATUSES,
        history=people.history(employee, with_hr_only=may_manage),
        documents=people.documents_of(employee),
        onboarding=people.tasks_of(employee, ONBOARDING),
        offboarding=people.tasks_of(employee, OFFBOARDING),
        warnings=people.warnings_of(employee) if may_manage else [],
        training=people.record_of(employee),
        termination=people.open_termination(employee) if may_manage else None,
        held=people.held_assets(employee.user_id) if may_manage else [],
        document_form=forms.get("document_form") or DocumentForm(),
        account_form=forms.get("account_form") or AccountForm(email=employee.email),
        is_lapsed=people.is_lapsed,
    )


@bp.get("/employees/<int:employee_id>")
@requires("hr.employees.view")
def employee(employee_id: int):
    record = people.get_employee_or_404(employee_id)
    with unit_of_work():
        people.record_view(record, actor=current_user)
    return _employee_page(people.get_employee_or_404(employee_id))


@bp.get("/employees/<int:employee_id>/edit")
@requires("hr.employees.manage")
def edit(employee_id: int):
    record = people.get_employee_or_404(employee_id)
    return htmx.render(
        "people/employee_form.html",
        "people/_partials/_employee_form.html",
        form=_employee_form(record),
        employee=record,
    )


@bp.post("/employees/<int:employee_id>")
@requires("hr.employees.manage")
def update(employee_id: int):
    record = people.get_employee_or_404(employee_id)
    form = _employee_form(record, formdata=request.form)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            people.save_employee(
                record, actor=current_user, data=_data(form), effective_on=form.effective_on.data
            )
        if work.ok:
            flash(_("Employee record saved."), "success")
            return htmx.redirect_to(readable_url("people.employee", employee_id=employee_id))
        record = people.get_employee_or_404(employee_id)
    return htmx.render(
        "people/employee_form.html",
        "people/_partials/_employee_form.html",
        form=form,
        employee=record,
        status_code=422,
    )


@bp.post("/employees/<int:employee_id>/documents")
@requires("hr.employees.manage")
def upload_document(employee_id: int):
    record = people.get_employee_or_404(employee_id)
    form = DocumentForm()
    if form.validate_on_submit() and form.file.data:
        upload = form.file.data
        with unit_of_work(form) as work:
            people.add_document(
                record, actor=current_user, filename=upload.filename, data=upload.read()
            )
        if work.ok:
            flash(_("Document attached."), "success")
            return htmx.redirect_to(readable_url("people.employee", employee_id=employee_id))
    elif not form.file.errors:
        form.file.errors = [_("Choose a file.")]
    return _employee_page(people.get_employee_or_404(employee_id), 422, document_form=form)


@bp.get("/employees/<int:employee_id>/documents/<int:document_id>")
@requires("hr.employees.view")
def document(employee_id: int, document_id: int):
    record = people.get_employee_or_404(employee_id)
    doc = people.get_document_or_404(record, document_id)
    with unit_of_work():
        people.record_view(record, actor=current_user)
    return send_file(
        people.document_path(doc),
        mimetype=doc.content_type,
        as_attachment=True,
        download_name=doc.original_name,
    )


@bp.post("/employees/<int:employee_id>/account")
@requires("hr.employees.manage")
def create_account(employee_id: int):
    record = people.get_employee_or_404(employee_id)
    form = AccountForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            people.create_account(record, actor=current_user, email=form.email.data)
        if work.ok:
            flash(_("Account created; the invitation to set a password is on its way."), "success")
            return htmx.redirect_to(readable_url("people.employee", employee_id=employee_id))
    return _employee_page(people.get_employee_or_404(employee_id), 422, account_form=form)


@bp.post("/employees/<int:employee_id>/onboarding")
@requires("hr.employees.manage")
def start_onboarding(employee_id: int):
    record = people.get_employee_or_404(employee_id)
    with unit_of_work():
        people.create_checklist(
            record, ONBOARDING, actor=current_user, start=max(record.start_date, people.today())
        )
    return htmx.redirect_to(readable_url("people.employee", employee_id=employee_id))
