"""Database models: who answers, where they are, what they said, how it scored."""

from __future__ import annotations

import datetime as dt
import enum
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from instruments import OVERALL as OVERALL  # the overall score's key, re-exported here

from .extensions import db


def utcnow() -> dt.datetime:
    """Now in UTC, naive (SQLite and PostgreSQL both store it the same way)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def new_token() -> str:
    """An unguessable invitation token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


AREA_TYPES = ("ics", "place", "pcn", "neighbourhood", "lad", "ward", "msoa", "lsoa")
ROLES = ("admin", "broker", "area-lead", "board")

round_area = sa.Table(
    "round_area",
    db.metadata,
    sa.Column("round_id", sa.ForeignKey("survey_round.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("area_id", sa.ForeignKey("area.id", ondelete="CASCADE"), primary_key=True),
)

user_area = sa.Table(
    "user_area",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("area_id", sa.ForeignKey("area.id", ondelete="CASCADE"), primary_key=True),
)


class Area(db.Model):
    """A locality: ICS, place, PCN, neighbourhood, local authority, ward, MSOA or LSOA."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    type: Mapped[str] = mapped_column(sa.String(20), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("area.id"), index=True)
    # Boundaries are large (a ward's is tens of kilobytes): loaded only when asked for
    # (undefer), by the map endpoints, never with a page's names and codes.
    geometry: Mapped[str | None] = mapped_column(sa.Text, deferred=True)  # GeoJSON, WGS84
    display_geometry: Mapped[str | None] = mapped_column(sa.Text, deferred=True)  # for maps
    centroid_lon: Mapped[float | None]
    centroid_lat: Mapped[float | None]
    source: Mapped[str | None] = mapped_column(sa.String(200))
    # How a footprint was made (PCNs from practices, neighbourhoods from a lookup) and when.
    footprint_method: Mapped[str | None] = mapped_column(sa.String(300))
    footprint_on: Mapped[dt.date | None]

    parent: Mapped[Area | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Area]] = relationship(back_populates="parent")

    def ancestors(self) -> list[Area]:
        """Parent, grandparent, ... up to the root."""
        chain, node = [], self.parent
        while node is not None and node not in chain:
            chain.append(node)
            node = node.parent
        return chain


class Broker(db.Model):
    """An organisation that supports a portfolio of groups (a CVS, Active Lancashire)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)


LISTED = {  # the partial index of listed groups: each engine's form of the directory's query
    "sqlite_where": sa.text("consent_directory IS 1"),
    "postgresql_where": sa.text("consent_directory IS true"),
}


class Organisation(db.Model):
    """A voluntary, community or social enterprise group."""

    __table_args__ = (sa.Index("ix_organisation_listed", "id", **LISTED),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    postcode: Mapped[str | None] = mapped_column(sa.String(10))
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("area.id"), index=True)
    charity_number: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    broker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("broker.id"), index=True)
    practice_code: Mapped[str | None] = mapped_column(sa.String(10))
    lon: Mapped[float | None]  # for placement and aggregate maps only: never shown
    lat: Mapped[float | None]
    located_by: Mapped[str | None] = mapped_column(sa.String(10))  # "given" or "postcode"
    area_given: Mapped[bool] = mapped_column(default=False)  # area_code named in the import
    profile: Mapped[dict | None] = mapped_column(sa.JSON)
    consent_broker: Mapped[bool] = mapped_column(default=False)
    consent_area_lead: Mapped[bool] = mapped_column(default=False)
    consent_directory: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When the group asked for no more reminder emails (its unsubscribe link); None: it has not.
    reminders_stopped_at: Mapped[dt.datetime | None]

    area: Mapped[Area | None] = relationship()
    broker: Mapped[Broker | None] = relationship()


class OrganisationArea(db.Model):
    """Every area a group lies in, across both hierarchies (NHS and council).

    Kept as rows so that "groups in this area" is one join at any level.
    """

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(
        sa.ForeignKey("area.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class DirectoryEntry(db.Model):
    """What a group says about itself for the public directory (survey.directory builds it).

    ``details`` holds the saved fields (ENTRY_FIELDS in exports/oruk.py), ``draft`` the
    fields the group is part way through changing (shown on its check page, never
    published). The public venue's postcode and coordinates are kept as columns for a
    map to use; they are published only when the group named the place a public venue.
    """

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    details: Mapped[dict | None] = mapped_column(sa.JSON)
    draft: Mapped[dict | None] = mapped_column(sa.JSON)
    venue_postcode: Mapped[str | None] = mapped_column(sa.String(10))
    venue_lat: Mapped[float | None]
    venue_lon: Mapped[float | None]
    updated_at: Mapped[dt.datetime | None]
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(index=True)  # "still right"
    checked_on: Mapped[dt.date | None]  # a broker checked it on this day
    checked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    stale_emailed_at: Mapped[dt.datetime | None]  # last "is this still right?" email


class DirectoryState(db.Model):
    """Tokens the database renews (triggers, migration 0010) in the same transaction as
    any write that could change a listing, which groups are listed, or an area filter.
    The same tokens mean the same directory (survey.directory caches by them). One row
    on SQLite; on PostgreSQL several, so that concurrent writers do not queue on one."""

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(sa.String(32))


class FiguresState(db.Model):
    """Tokens the database renews (triggers, migration 0011) in the same transaction as any
    write that a round's area figures are read from: round_id's rows for that round's own
    submissions, scores, invitations and answers; round 0's for the areas and the groups'
    areas, which every round reads. The same tokens mean the same member sets
    (survey.publication_token). One row a round on SQLite; several on PostgreSQL."""

    round_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(sa.String(32))


class Practice(db.Model):
    """A GP practice and the primary care network it belongs to."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(10), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    postcode: Mapped[str | None] = mapped_column(sa.String(10))
    pcn_code: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    pcn_name: Mapped[str | None] = mapped_column(sa.String(200))
    lon: Mapped[float | None]
    lat: Mapped[float | None]


class Postcode(db.Model):
    """A postcode's centroid from a postcode directory (Code-Point Open, ONSPD or NSPL)."""

    postcode: Mapped[str] = mapped_column(sa.String(8), primary_key=True)  # "PR1 2AA"
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    easting: Mapped[float | None]
    northing: Mapped[float | None]
    terminated: Mapped[bool] = mapped_column(default=False)
    ward_code: Mapped[str | None] = mapped_column(sa.String(12))


class Round(db.Model):
    """A survey round: one instrument version, a period and the areas it covers."""

    __tablename__ = "survey_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    instrument_id: Mapped[str] = mapped_column(sa.String(80))
    instrument_version: Mapped[str] = mapped_column(sa.String(20))
    opens_on: Mapped[dt.date]
    closes_on: Mapped[dt.date]
    target_level: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    areas: Mapped[list[Area]] = relationship(secondary=round_area)

    def is_open(self, today: dt.date | None = None) -> bool:
        """True while the round takes answers."""
        today = today or dt.date.today()
        return self.opens_on <= today <= self.closes_on


class Invitation(db.Model):
    """A group's (or an area's) own link to answer one round."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_round.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("area.id"))
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    # The group's own link to its answers: made when it first saves anything. The
    # invitation token above (what staff hand out) only starts a group with no answers.
    private_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]

    round: Mapped[Round] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    area: Mapped[Area | None] = relationship()


class ResponseStatus(enum.StrEnum):
    """Where a response stands; stored as the value (a string column, no database enum)."""

    IN_PROGRESS = "in_progress"  # a draft: at most one per group (or area) and round
    SUBMITTED = "submitted"  # sent; the current one counts, earlier ones stay as history
    PAPER_WAITING = "paper_waiting"  # paper answers for a group that answered online: it decides
    PAPER_REFUSED = "paper_refused"  # the group kept its online answers instead


# The partial indexes' conditions are SQL text, so they spell the stored values out.
_GROUP_DRAFT = "status = 'in_progress' AND organisation_id IS NOT NULL"
_AREA_DRAFT = "status = 'in_progress' AND organisation_id IS NULL"
_GROUP_CURRENT = "status = 'submitted' AND is_current AND organisation_id IS NOT NULL"
_AREA_CURRENT = "status = 'submitted' AND is_current AND organisation_id IS NULL"


def _where(condition: str) -> dict:
    """A partial index's condition, for both engines (SQLite and PostgreSQL)."""
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


class Response(db.Model):
    """One submission (or one in progress) of a round's questionnaire."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_round.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitation.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id"), index=True
    )
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("area.id"), index=True)
    status: Mapped[ResponseStatus] = mapped_column(
        sa.Enum(
            ResponseStatus,
            native_enum=False,
            create_constraint=False,
            length=20,
            values_callable=lambda statuses: [status.value for status in statuses],
        ),
        default=ResponseStatus.IN_PROGRESS,
    )
    source: Mapped[str] = mapped_column(sa.String(20), default="web")
    is_current: Mapped[bool] = mapped_column(default=True, index=True)
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("response.id"))
    import_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[dt.datetime | None]
    visited: Mapped[list | None] = mapped_column(sa.JSON)  # section ids the group has seen
    submission_key: Mapped[str | None] = mapped_column(sa.String(64))  # one per submit form
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    # At most one draft and one current submission per group (or, for a locality
    # form, per area) and round: enforced by the database, so two browsers saving
    # at once cannot make two (the second gets an IntegrityError, shown as a 409).
    __table_args__ = (
        *(
            sa.Index(name, "round_id", column, unique=True, **_where(condition))
            for name, column, condition in (
                ("uq_response_group_draft", "organisation_id", _GROUP_DRAFT),
                ("uq_response_area_draft", "area_id", _AREA_DRAFT),
                ("uq_response_group_current", "organisation_id", _GROUP_CURRENT),
                ("uq_response_area_current", "area_id", _AREA_CURRENT),
            )
        ),
    )

    round: Mapped[Round] = relationship()
    invitation: Mapped[Invitation | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    area: Mapped[Area | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )
    scores: Mapped[list[DomainScore]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )

    def answer_map(self) -> dict[str, object]:
        """Question id -> value, as the scoring functions take them."""
        return {a.question_id: a.value for a in self.answers}


def current_submissions(round_id: int) -> tuple:
    """Conditions on Response for a round's answers as they stand: submitted, and not
    replaced by a later submission (a group's or an area's; add a condition for one kind)."""
    return (
        Response.round_id == round_id,
        Response.status == ResponseStatus.SUBMITTED,
        Response.is_current.is_(True),
    )


class Answer(db.Model):
    """One answer to one question, stored as JSON so every type fits."""

    __table_args__ = (sa.UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("response.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(sa.String(80))
    value: Mapped[object] = mapped_column(sa.JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    response: Mapped[Response] = relationship(back_populates="answers")


class DomainScore(db.Model):
    """A response's score and level in one domain (domain_id 'overall' for the whole)."""

    # A round's scores are read by round (every staff page), without the other rounds'.
    __table_args__ = (
        sa.UniqueConstraint("response_id", "domain_id"),
        sa.Index("ix_domain_score_round_response", "round_id", "response_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("response.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_round.id"))  # the response's
    domain_id: Mapped[str] = mapped_column(sa.String(80))
    score: Mapped[float | None]
    level: Mapped[int | None]
    answered: Mapped[int] = mapped_column(default=0)
    applicable: Mapped[int] = mapped_column(default=0)
    ambition: Mapped[int | None]
    moderated_level: Mapped[int | None]
    moderation_note: Mapped[str | None] = mapped_column(sa.Text)

    response: Mapped[Response] = relationship(back_populates="scores")


@sa.event.listens_for(DomainScore, "before_insert")
def _round_of_score(mapper, connection, score: DomainScore) -> None:
    """A score row carries its response's round: the one place the ORM's rows get it."""
    if score.round_id is not None:
        return
    response = sa.inspect(score).attrs.response.loaded_value
    if not isinstance(response, Response):  # added by id: the session may hold it already
        session = sa.orm.object_session(score)
        key = sa.orm.util.identity_key(Response, score.response_id)
        response = session.identity_map.get(key) if session is not None else None
    if response is not None and response.round_id is not None:
        score.round_id = response.round_id
    else:
        score.round_id = connection.scalar(
            sa.select(Response.round_id).where(Response.id == score.response_id)
        )


class Reminder(db.Model):
    """One reminder email sent to a group that had not answered a round."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_round.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE")
    )
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_by: Mapped[str] = mapped_column(sa.String(254))  # a staff email, or "cli"
    template: Mapped[str] = mapped_column(sa.String(80))  # which wording was sent
    status: Mapped[str] = mapped_column(sa.String(20))  # "not started" or "draft" when sent

    __table_args__ = (
        sa.Index("ix_reminder_round_org_sent", "round_id", "organisation_id", "sent_at"),
    )


class HelpStatus(enum.StrEnum):
    """Where a group's request for help stands; stored as the value (a string column)."""

    NEW = "new"
    CONTACTED = "contacted"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        """The status in words: "in progress"."""
        return self.value.replace("_", " ")


HELP_OPEN = (HelpStatus.NEW, HelpStatus.CONTACTED, HelpStatus.IN_PROGRESS)
CONTACT_WAYS = ("email", "phone", "either")
_HELP_OPEN = "status IN ('new', 'contacted', 'in_progress')"


class HelpRequest(db.Model):
    """A group asking its broker for help with one next step or support offer of a round.

    It holds only what the group typed and what it is about, never its answers.
    ``broker_id`` is the group's broker when it asked; with none, the request goes to the
    area's pool (brokers with a group in ``area_id``, see survey/help_requests.py).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_round.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    broker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("broker.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("area.id"), index=True)
    subject_key: Mapped[str] = mapped_column(sa.String(80))  # "offer:<id>", "step:<hash>"
    subject: Mapped[str] = mapped_column(sa.String(500))  # the step's text or the offer's name
    domain_id: Mapped[str | None] = mapped_column(sa.String(80))
    note: Mapped[str | None] = mapped_column(sa.Text)
    contact_by: Mapped[str] = mapped_column(sa.String(10))  # one of CONTACT_WAYS
    contact_detail: Mapped[str | None] = mapped_column(sa.String(254))
    status: Mapped[str] = mapped_column(sa.String(20), default=HelpStatus.NEW.value)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_user.id"))
    due_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    # One open request per group, round and subject: a double click (or two tabs) makes one.
    __table_args__ = (
        sa.Index(
            "uq_help_request_open",
            "round_id",
            "organisation_id",
            "subject_key",
            unique=True,
            **_where(_HELP_OPEN),
        ),
    )

    round: Mapped[Round] = relationship()
    organisation: Mapped[Organisation] = relationship()
    broker: Mapped[Broker | None] = relationship()
    area: Mapped[Area | None] = relationship()
    owner: Mapped[User | None] = relationship()
    notes: Mapped[list[HelpRequestNote]] = relationship(
        back_populates="help_request",
        cascade="all, delete-orphan",
        order_by="HelpRequestNote.id",
    )

    @property
    def status_label(self) -> str:
        """The status in words."""
        return HelpStatus(self.status).label

    @property
    def is_open(self) -> bool:
        """True until the request is done or declined."""
        return self.status in HELP_OPEN


class HelpRequestNote(db.Model):
    """One dated line of a help request's contact log; append-only."""

    id: Mapped[int] = mapped_column(primary_key=True)
    help_request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("help_request.id", ondelete="CASCADE"), index=True
    )
    contacted_on: Mapped[dt.date]
    text: Mapped[str] = mapped_column(sa.Text)
    author: Mapped[str] = mapped_column(sa.String(254))  # the staff email
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    help_request: Mapped[HelpRequest] = relationship(back_populates="notes")


class SupportOffer(db.Model):
    """A support offer from the catalogue, kept in the database for exports and joins."""

    id: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    provider: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    url: Mapped[str | None] = mapped_column(sa.String(500))
    cost: Mapped[str | None] = mapped_column(sa.String(100))


class User(UserMixin, db.Model):
    """A member of staff: admin, broker, area lead or board viewer."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(20))
    broker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("broker.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Raised to end every session of this user (sign-out, role or password change):
    # a session carries the value it was issued with and stops counting once it differs.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    broker: Mapped[Broker | None] = relationship()
    areas: Mapped[list[Area]] = relationship(secondary=user_area)

    def get_id(self) -> str:
        """What the session stores: the id and the session generation ("12:3")."""
        return f"{self.id}:{self.session_epoch or 0}"

    def end_sessions(self) -> None:
        """Sign this user out everywhere: every session issued before now stops counting."""
        self.session_epoch = (self.session_epoch or 0) + 1

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash, never the password; ends the user's sessions."""
        self.password_hash = generate_password_hash(password)
        if self.id is not None:
            self.end_sessions()

    def check_password(self, password: str) -> bool:
        """True when the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)


class SignInThrottle(db.Model):
    """Sign-in attempts in the current window for one key (see survey/accounts/throttle.py).

    The key is a hash of what is counted (an account at an address, an address,
    an account, or everyone), so the table holds no email addresses.
    """

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiToken(db.Model):
    """A bearer token an admin issues so that a BI tool can read the JSON API."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    token_hash: Mapped[str] = mapped_column(sa.String(128), unique=True)  # sha256 hex
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]


class AuditEvent(db.Model):
    """Who did what, when: sign-ins, exports, downloads, role and consent changes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(
        sa.String(254)
    )  # an email, "group:<id>", "cli", "api:<name>"
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    target: Mapped[str | None] = mapped_column(sa.String(300))
    detail: Mapped[dict | None] = mapped_column(sa.JSON)


class Publication(db.Model):
    """One refresh of a round's published area figures (self-assessed or moderated levels).

    Figures are published, not computed on every read: a figure changes only
    when enough groups have changed (see scoring.disclosure). ``seq`` numbers a
    round's refreshes; two requests refreshing at once both try the same next
    number and the unique constraint lets only one of them write.
    """

    __table_args__ = (sa.UniqueConstraint("round_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_round.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int]
    moderated: Mapped[bool] = mapped_column(default=False)
    threshold: Mapped[int]
    fingerprint: Mapped[str] = mapped_column(sa.String(64))  # of the groups it was made from
    hidden: Mapped[list | None] = mapped_column(sa.JSON)  # [[area id, domain id], ...]
    # [[area id, domain id, digest of its set, refused], ...]: the sets checked against the
    # ledger (scoring.disclosure.Plan's refused and clean), not looked for again while they
    # are the same; kept by the view's latest publication only
    checked: Mapped[list | None] = mapped_column(sa.JSON(none_as_null=True), deferred=True)
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FiguresSummary(db.Model):
    """What a page needs of a round's member sets (survey.publication.Current.summary), as
    worked out under one state of its figures (survey.publication_token, as a digest): a
    process that sees the same state takes it from here instead of working the sets out
    again. Written by whichever process worked them out last; never read under another
    token. Kept per view (self-assessed or moderated) and threshold."""

    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_round.id", ondelete="CASCADE"), primary_key=True
    )
    moderated: Mapped[bool] = mapped_column(primary_key=True)
    threshold: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(sa.String(64))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    present: Mapped[dict] = mapped_column(sa.JSON)  # set id -> ids of areas with members
    invited: Mapped[dict] = mapped_column(sa.JSON)  # area id -> live invitations


class PublishedFigure(db.Model):
    """An area's figures in one domain as published from one publication on: the ledger.

    ``members`` are the keys of the responses the figure was made from (a
    response id and its value, so that a changed score counts as a change);
    the numbers are kept as published, so an erasure or an amendment never
    moves a published figure by one group. Domain id "responded" holds the
    response count (n) and the invitations (invited) behind a response rate.
    """

    # a refresh reads from the ledger only the sets near in size to a changed one
    __table_args__ = (sa.Index("ix_published_figure_round_domain_n", "round_id", "domain_id", "n"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(
        sa.ForeignKey("publication.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_round.id", ondelete="CASCADE"), index=True
    )
    moderated: Mapped[bool] = mapped_column(default=False)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("area.id", ondelete="CASCADE"), index=True)
    domain_id: Mapped[str] = mapped_column(sa.String(80))
    members: Mapped[list] = mapped_column(sa.JSON, deferred=True)
    # of the members (scoring.members.members_digest): a refresh compares it with the
    # slot's set now instead of reading the members back
    digest: Mapped[str | None] = mapped_column(sa.String(64))
    n: Mapped[int]
    mean: Mapped[float | None]
    median: Mapped[float | None]
    ci_low: Mapped[float | None]
    ci_high: Mapped[float | None]
    # [[lowest, highest, count], ...]; None is stored as SQL NULL (not JSON null)
    level_bands: Mapped[list | None] = mapped_column(sa.JSON(none_as_null=True))
    invited: Mapped[int | None]
