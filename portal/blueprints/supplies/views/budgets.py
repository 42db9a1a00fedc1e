"""Budgets and approval bands (the office manager's settings)."""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.supplies import bp
from portal.blueprints.supplies.forms import BudgetsForm, RuleForm, budgets_form
from portal.errors import ValidationError
from portal.security import requires
from portal.services import supplies
from portal.web import unit_of_work


def _settings_page(
    *, budgets: BudgetsForm | None = None, rule: RuleForm | None = None, status: int = 200
):
    categories = supplies.list_categories()
    rule = rule or RuleForm(formdata=None)
    rule.category_id.set_choices(categories)
    return render_template(
        "supplies/settings.html",
        spend=supplies.spend_by_category(),
        rules=supplies.list_rules(),
        budgets=budgets or budgets_form(categories, formdata=None),
        rule=rule,
    ), status


@bp.get("/settings")
@requires("budgets.manage")
def settings():
    return _settings_page()


@bp.post("/settings/budgets")
@requires("budgets.manage")
def budgets_update():
    categories = supplies.list_categories()
    form = budgets_form(categories)
    if form.validate():
        amounts = form.amounts()
        with unit_of_work(form) as work:
            for category in categories:
                if category.id in amounts:
                    try:
                        supplies.set_budget(
                            category, amount=amounts[category.id], actor=current_user
                        )
                    except ValidationError as error:
                        error.field = f"budget-{category.id}"
                        raise
        if work.ok:
            flash(_("Budgets saved."), "success")
            return htmx.redirect_to(url_for("supplies.settings"))
    return _settings_page(budgets=form, status=422)


@bp.post("/settings/rules")
@requires("budgets.manage")
def rule_create():
    form = RuleForm()
    if form.validate():
        with unit_of_work(form) as work:
            supplies.add_rule(
                category_id=form.category_id.data,
                max_amount=form.max_amount.data,
                allow_delegate=form.allow_delegate.data,
                actor=current_user,
            )
        if work.ok:
            flash(_("Approval rule added."), "success")
            return htmx.redirect_to(url_for("supplies.settings"))
    return _settings_page(rule=form, status=422)


@bp.post("/settings/rules/<int:rule_id>/delete")
@requires("budgets.manage")
def rule_delete(rule_id: int):
    with unit_of_work():
        supplies.delete_rule(rule_id, actor=current_user)
    flash(_("Approval rule removed."), "success")
    return htmx.redirect_to(url_for("supplies.settings"))
