"""Training: courses, sessions, attendance, who still needs a course."""

from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.people import bp
from portal.blueprints.people.forms import CourseForm, SessionForm
from portal.blueprints.people.privacy import readable_url
from portal.security import requires
from portal.services import people
from portal.web import unit_of_work


def _courses_page(form, status_code=200):
    return htmx.render(
        "people/courses.html",
        "people/_partials/_courses.html",
        status_code=status_code,
        courses=people.list_courses(),
        form=form,
    )


@bp.get("/courses")
@requires("hr.employees.view")
def courses():
    return _courses_page(CourseForm())


@bp.post("/courses")
@requires("hr.employees.manage")
def create_course():
    form = CourseForm(formdata=request.form)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            course = people.create_course(
                actor=current_user,
                title=form.title.data,
                mandatory=form.mandatory.data,
                external=form.external.data,
                validity_months=form.validity_months.data,
            )
        if work.ok:
            return htmx.redirect_to(readable_url("people.course", course_id=course.id))
    return _courses_page(form, 422)


def _course_page(course, form, status_code=200):
    return htmx.render(
        "people/course.html",
        "people/_partials/_course.html",
        status_code=status_code,
        course=course,
        sessions=people.sessions_of(course),
        needs=people.who_still_needs(course),
        form=form,
    )


@bp.get("/courses/<int:course_id>")
@requires("hr.employees.view")
def course(course_id: int):
    return _course_page(people.get_course_or_404(course_id), SessionForm())


@bp.post("/courses/<int:course_id>/sessions")
@requires("hr.employees.manage")
def add_session(course_id: int):
    item = people.get_course_or_404(course_id)
    form = SessionForm(formdata=request.form)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            people.add_session(
                item,
                actor=current_user,
                held_on=form.held_on.data,
                place=form.place.data or "",
                trainer=form.trainer.data or "",
                attendees=people.who_still_needs(item),
            )
        if work.ok:
            flash(_("Session planned with everyone who still needs the course."), "success")
            return htmx.redirect_to(readable_url("people.course", course_id=course_id))
    return _course_page(people.get_course_or_404(course_id), form, 422)


@bp.post("/attendance/<int:attendance_id>")
@requires("hr.employees.manage")
def attendance(attendance_id: int):
    row = people.get_attendance_or_404(attendance_id)
    with unit_of_work():
        people.record_attendance(
            row, actor=current_user, attended=request.form.get("attended") == "1"
        )
    course_id = row.session.course_id
    return htmx.redirect_to(readable_url("people.course", course_id=course_id))
