"""Staff forms: sign in, add a user, change a user, confirm an erasure."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovTextInput,
)
from wtforms import BooleanField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from instruments.answers import is_email

from ..extensions import db
from ..models import ROLES, Area, Broker, User
from ..validators import Printable
from .passwords import PASSWORD_MIN, password_problem

ROLE_NAMES = {
    "admin": "Administrator: everything, including users and erasure",
    "broker": "Broker: the groups in its portfolio",
    "area-lead": "Area lead: totals for its areas and everything under them",
    "board": "Board: totals only",
}


def _email_address(form, field) -> None:
    if field.data and not is_email(field.data.strip()):
        raise ValidationError("Enter an email address in the correct format, like name@example.org")


def is_small_number(text: str) -> bool:
    """Plain digits that fit in a database integer (not "²", not 10**30)."""
    return text.isascii() and text.isdigit() and len(text) <= 9


def parse_area_codes(text: str | None) -> list[str]:
    """Area codes typed as a list separated by commas, spaces or new lines."""
    return [code for code in re.split(r"[\s,;]+", (text or "").strip()) if code]


class SignInForm(FlaskForm):
    """Email and password."""

    email = StringField(
        "Email address",
        validators=[
            InputRequired("Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Printable(),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            InputRequired("Enter your password"),
            Length(max=1024, message="Password must be 1024 characters or fewer"),
        ],
    )


class UserRoleFields(FlaskForm):
    """Role, areas and broker: shared by adding and changing a user."""

    role = RadioField(
        "Role",
        choices=[(role, ROLE_NAMES[role]) for role in ROLES],
        validators=[InputRequired("Select a role")],
        widget=GovRadioInput(),
    )
    areas = StringField(
        "Areas (area leads only)",
        description="Area codes separated by commas, for example E54000048, DEMO-PCN-01. "
        "An area lead sees these areas and every area inside them.",
        validators=[
            Length(max=2000, message="Areas must be 2000 characters or fewer"),
            Printable(),
        ],
        widget=GovTextInput(),
    )
    broker = SelectField(
        "Broker (brokers only)",
        description="The organisation whose portfolio of groups this person looks after.",
        choices=[],
        validate_choice=False,
        widget=GovSelect(),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        brokers = db.session.scalars(sa.select(Broker).order_by(Broker.name)).all()
        self.broker.choices = [("", "None")] + [(str(b.id), b.name) for b in brokers]
        self.found_areas: list[Area] = []
        self.found_broker: Broker | None = None

    def validate_areas(self, field) -> None:
        if field.errors:
            return
        codes = parse_area_codes(field.data)
        if len(codes) > 100:
            raise ValidationError("Enter 100 area codes or fewer")
        found = (
            db.session.scalars(sa.select(Area).where(Area.code.in_(codes))).all() if codes else []
        )
        missing = sorted(set(codes) - {a.code for a in found})
        if missing:
            raise ValidationError(f"There is no area with the code {missing[0][:40]}")
        if self.role.data == "area-lead" and not found:
            raise ValidationError("Enter at least one area code for an area lead")
        self.found_areas = list(found)

    def validate_broker(self, field) -> None:
        value = field.data or ""
        if value and not is_small_number(value):
            raise ValidationError("Select a broker from the list")
        broker = db.session.get(Broker, int(value)) if value else None
        if value and broker is None:
            raise ValidationError("Select a broker from the list")
        if self.role.data == "broker" and broker is None:
            raise ValidationError("Select the broker this person works for")
        self.found_broker = broker


class AddUserForm(UserRoleFields):
    """A new member of staff."""

    email = StringField(
        "Email address",
        validators=[
            InputRequired("Enter an email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Printable(),
            _email_address,
        ],
        widget=GovTextInput(),
    )
    password = PasswordField(
        "Password",
        description=(
            f"At least {PASSWORD_MIN} characters, not a common password: three or four "
            "unrelated words work well. Give it to the person in a safe way."
        ),
        validators=[
            InputRequired("Enter a password"),
        ],
        widget=GovPasswordInput(),
    )

    def validate_password(self, field) -> None:
        problem = password_problem(field.data or "", (self.email.data or "").strip())
        if problem:
            raise ValidationError(problem)

    def validate_email(self, field) -> None:
        email = (field.data or "").strip().lower()
        taken = db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email))
        if taken is not None:
            raise ValidationError("There is already a user with this email address")


class ChangeUserForm(UserRoleFields):
    """A member of staff's role, areas, broker, password and whether they may sign in."""

    active = BooleanField(
        "This person may sign in",
        description="Untick to stop this account signing in. Nothing it did is deleted.",
        widget=GovCheckboxInput(),
    )
    new_password = PasswordField(
        "New password (optional)",
        description=(
            "Leave blank to keep their password. A new one signs them out everywhere; "
            f"at least {PASSWORD_MIN} characters. Give it to the person in a safe way."
        ),
        validators=[
            Optional(),
            Length(
                min=PASSWORD_MIN,
                max=1024,
                message=f"Password must be between {PASSWORD_MIN} and 1024 characters",
            ),
        ],
        widget=GovPasswordInput(),
    )


class EraseGroupForm(FlaskForm):
    """Confirmation before a group's data is erased."""

    confirm = BooleanField(
        "I understand that this group's answers, scores, invitations and responses "
        "will be deleted and cannot be brought back",
        validators=[InputRequired("Confirm that you want to erase this group's data")],
        widget=GovCheckboxInput(),
    )
