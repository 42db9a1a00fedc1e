"""Recruiting: openings, candidates, applications, CV files, interviews, scorecards.

The employee a hire creates is ``portal.models.people.Employee`` (re-exported here).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.people import Employee  # noqa: F401  (moved to people by 0012)
from portal.models.types import UTCDateTime
from portal.models.users import Department, User

# Opening status
DRAFT, OPEN, ON_HOLD, CLOSED = "draft", "open", "on_hold", "closed"
OPENING_STATUSES = (DRAFT, OPEN, ON_HOLD, CLOSED)

# Application stages, in pipeline order; rejected / withdrawn may happen at any point.
NEW, SCREENED, SHORTLISTED, INTERVIEW, OFFER, HIRED = (
    "new",
    "screened",
    "shortlisted",
    "interview",
    "offer",
    "hired",
)
REJECTED, WITHDRAWN = "rejected", "withdrawn"
PIPELINE = (NEW, SCREENED, SHORTLISTED, INTERVIEW, OFFER, HIRED)
STAGES = (*PIPELINE, REJECTED, WITHDRAWN)
FINAL_STAGES = frozenset({HIRED, REJECTED, WITHDRAWN})

# CV file processing
CV_QUEUED, CV_EXTRACTING, CV_EXTRACTED, CV_SCORED, CV_FAILED = (
    "queued",
    "extracting",
    "extracted",
    "scored",
    "failed",
)

# Interview status
SCHEDULED, CANCELLED = "scheduled", "cancelled"

opening_interviewer = Table(
    "recruiting_opening_interviewer",
    db.metadata,
    Column(
        "opening_id",
        ForeignKey("recruiting_opening.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)

interview_interviewer = Table(
    "recruiting_interview_interviewer",
    db.metadata,
    Column(
        "interview_id",
        ForeignKey("recruiting_interview.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Opening(db.Model):
    __tablename__ = "recruiting_opening"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # [{"name": "Excel", "synonyms": ["planilhas"], "kind": "must"|"nice", "weight": 1..5}]
    requirements: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    min_years: Mapped[int] = mapped_column(default=0)
    languages: Mapped[str] = mapped_column(String(200), default="")
    location: Mapped[str] = mapped_column(String(160), default="")
    status: Mapped[str] = mapped_column(String(16), default=DRAFT, index=True)
    hiring_manager_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    department: Mapped[Department | None] = relationship(lazy="joined")
    hiring_manager: Mapped[User | None] = relationship(lazy="joined")
    interviewers: Mapped[list[User]] = relationship(
        secondary=opening_interviewer, lazy="selectin", order_by="User.name"
    )

    def __str__(self) -> str:
        return self.title

    @property
    def must_haves(self) -> list[dict[str, Any]]:
        return [r for r in self.requirements or [] if r.get("kind") == "must"]

    @property
    def nice_to_haves(self) -> list[dict[str, Any]]:
        return [r for r in self.requirements or [] if r.get("kind") != "must"]


class Candidate(db.Model):
    __tablename__ = "recruiting_candidate"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)  # E.164
    # Language the candidate writes in (from the CV): e-mails to them use it.
    locale: Mapped[str] = mapped_column(String(10), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Consent to stay in the talent pool (LGPD art. 8): when it was given, until when it holds
    # and the text the candidate agreed to, word for word.  While it holds, the retention job
    # keeps the candidate past the "not hired" period; once it expires they become eligible.
    pool_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pool_consent_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pool_consent_text: Mapped[str | None] = mapped_column(Text)
    # Set by the retention job / a data-subject request: name, contacts and CV text are gone.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __str__(self) -> str:
        return self.name


def summarise_evidence(evidence: dict[str, Any] | None) -> dict[str, Any]:
    """What the ranked list prints of an application's evidence, in compact form.

    ``{"must": [[name, matched synonym or None, snippet]], "missing": [name],
    "nice": [[name, weight]]}``: a third of the size of the full evidence (no date ranges,
    points or nice-to-haves not found), so a page of 25 reads and decodes much less JSON.
    """
    ev = evidence or {}
    return {
        "must": [
            [
                m.get("name"),
                m.get("matched") if m.get("matched") != m.get("name") else None,
                m.get("snippet") or "",
            ]
            for m in ev.get("must", ())
        ],
        "missing": list(ev.get("missing", ())),
        "nice": [[m.get("name"), m.get("weight", 1)] for m in ev.get("nice", ())],
    }


class Application(db.Model):
    __tablename__ = "recruiting_application"
    __table_args__ = (
        Index("ix_recruiting_application_rank", "opening_id", "score", "id"),
        # Covers the ranked list's count (opening + stage filter) without touching the rows.
        Index("ix_recruiting_application_opening_stage", "opening_id", "stage"),
        # The retention job: rejected / withdrawn applications closed before a date.
        Index("ix_recruiting_application_closed", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opening_id: Mapped[int] = mapped_column(ForeignKey("recruiting_opening.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("recruiting_candidate.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(16), default=NEW, index=True)
    stage_reason: Mapped[str | None] = mapped_column(String(300))
    score: Mapped[int] = mapped_column(default=0)
    # The explanation of the score (see services/recruiting/scoring.py).
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # summarise_evidence(evidence), kept in step by the validator below (and by the worker's
    # Core insert): what the ranked list reads instead of the whole evidence.
    rank_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # "|excel|sql|": names of missing must-haves, normalised, for the filter.
    missing_must: Mapped[str] = mapped_column(String(1000), default="")
    years: Mapped[float] = mapped_column(default=0.0)
    # A possible duplicate of another candidate (same e-mail or phone): "possible", "kept".
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("recruiting_candidate.id", ondelete="SET NULL")
    )
    duplicate_state: Mapped[str | None] = mapped_column(String(16))
    cv_text: Mapped[str | None] = mapped_column(Text, deferred=True)  # big: load on demand
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # When it was rejected / withdrawn (the retention clock starts here), and when its CV files,
    # extracted text and CV snippets were deleted by the retention job (the record stays).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cv_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    opening: Mapped[Opening] = relationship(lazy="joined")
    candidate: Mapped[Candidate] = relationship(lazy="joined", foreign_keys=[candidate_id])
    duplicate_of: Mapped[Candidate | None] = relationship(foreign_keys=[duplicate_of_id])

    @property
    def is_final(self) -> bool:
        return self.stage in FINAL_STAGES

    @validates("evidence")
    def _summarise(self, _key: str, value: dict[str, Any] | None) -> dict[str, Any] | None:
        self.rank_summary = summarise_evidence(value)
        return value


class CVFile(db.Model):
    __tablename__ = "recruiting_cv_file"
    # The daily upload quota: one person's files since the start of the day.
    __table_args__ = (
        Index("ix_recruiting_cv_file_uploader_created", "uploaded_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opening_id: Mapped[int] = mapped_column(
        ForeignKey("recruiting_opening.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("recruiting_application.id", ondelete="SET NULL"), index=True
    )
    # Files uploaded together share a batch, shown on one progress page.
    batch: Mapped[str] = mapped_column(String(32), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)  # server-chosen
    original_name: Mapped[str] = mapped_column(String(160))  # sanitised, display only
    size: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))  # pdf | docx | txt
    content_type: Mapped[str] = mapped_column(String(120))
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=CV_QUEUED)
    error: Mapped[str | None] = mapped_column(String(300))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # extraction started
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    opening: Mapped[Opening] = relationship()


class FormToken(db.Model):
    """A form's one-time token: a second submission of the same form finds the first's result.

    The token is generated when the form is shown and inserted (primary key) as the first write
    of the submission, so a double click's second request waits for the first and then finds
    its row instead of creating a second batch or candidate.
    """

    __tablename__ = "recruiting_form_token"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # upload | candidate
    result: Mapped[str | None] = mapped_column(String(64))  # the batch, or the application id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class ApplicationEvent(db.Model):
    """One line of a candidate's timeline."""

    __tablename__ = "recruiting_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("recruiting_application.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


class Interview(db.Model):
    __tablename__ = "recruiting_interview"
    __table_args__ = (Index("ix_recruiting_interview_start", "status", "start_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("recruiting_application.id", ondelete="CASCADE"), index=True
    )
    uid: Mapped[str] = mapped_column(String(200), unique=True)  # stable iCalendar UID
    sequence: Mapped[int] = mapped_column(default=0)  # +1 on each reschedule
    status: Mapped[str] = mapped_column(String(16), default=SCHEDULED)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str] = mapped_column(String(200), default="")
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    slot_id: Mapped[int | None] = mapped_column(
        ForeignKey("recruiting_slot.id", ondelete="SET NULL"), unique=True
    )
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    application: Mapped[Application] = relationship(lazy="joined")
    organizer: Mapped[User | None] = relationship(lazy="joined")
    interviewers: Mapped[list[User]] = relationship(
        secondary=interview_interviewer, lazy="selectin", order_by="User.name"
    )
    scorecards: Mapped[list[Scorecard]] = relationship(
        lazy="selectin", back_populates="interview", order_by="Scorecard.id"
    )


class InterviewSlot(db.Model):
    """A time offered for self-booking on an opening; taken by at most one application."""

    __tablename__ = "recruiting_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    opening_id: Mapped[int] = mapped_column(
        ForeignKey("recruiting_opening.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The application that took it; unique so a slot and an application pair at most once.
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("recruiting_application.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BookingToken(db.Model):
    """A self-booking link: only the SHA-256 of the random token is stored."""

    __tablename__ = "recruiting_booking_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("recruiting_application.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    application: Mapped[Application] = relationship(lazy="joined")


class Scorecard(db.Model):
    __tablename__ = "recruiting_scorecard"
    __table_args__ = (UniqueConstraint("interview_id", "interviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("recruiting_interview.id", ondelete="CASCADE"), index=True
    )
    interviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    ratings: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # criterion -> 1..5
    notes: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[str] = mapped_column(String(16))  # strong_yes|yes|no|strong_no
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    interview: Mapped[Interview] = relationship(back_populates="scorecards")
    interviewer: Mapped[User] = relationship(lazy="joined")


class WorkingHours(db.Model):
    """When a person takes interviews, per weekday (0 = Monday), in the portal's time zone."""

    __tablename__ = "recruiting_working_hours"
    __table_args__ = (UniqueConstraint("user_id", "weekday"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    weekday: Mapped[int]
    start_minute: Mapped[int]  # minutes after midnight
    end_minute: Mapped[int]
