"""`survey users ...`: add and list staff accounts from the command line."""

from __future__ import annotations

import os

import click
import sqlalchemy as sa

from ..errors import InputError
from .context import with_app
from .lookups import area_coded


@click.group("users")
def users_group() -> None:
    """Staff accounts: admin, broker, area-lead, board."""


def _password(email: str) -> str:
    """SURVEY_PASSWORD if set, else asked for twice without echo; the staff password rule."""
    from ..accounts.passwords import password_problem

    password = os.environ.get("SURVEY_PASSWORD")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, email)
    if problem:
        raise InputError(f"password: {problem}")
    return password


@users_group.command("add")
@click.argument("email")
@click.option("--role", required=True, help="admin, broker, area-lead or board.")
@click.option("--area", "area_codes", multiple=True, help="An area lead's area code (repeatable).")
@click.option("--broker", "broker_ref", help="A broker's id or exact name (brokers only).")
@with_app
def users_add(app, email: str, role: str, area_codes: tuple[str, ...], broker_ref: str | None):
    """Add a member of staff; the password comes from SURVEY_PASSWORD or a prompt."""
    from instruments.answers import is_email

    from .. import audit
    from ..accounts.forms import is_small_number
    from ..extensions import db
    from ..models import ROLES, Broker, User

    email = email.strip().lower()
    if not is_email(email):
        raise InputError(f"EMAIL: '{email[:60]}' is not an email address")
    if role not in ROLES:
        raise InputError(f"--role: '{role}' is not one of {', '.join(ROLES)}")
    if db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email)):
        raise InputError(f"EMAIL: there is already a user with the address {email}")
    areas = [area_coded(code) for code in area_codes]
    if role == "area-lead" and not areas:
        raise InputError("--area: an area lead needs at least one area")
    if areas and role != "area-lead":
        raise InputError(f"--area: only an area lead has areas, not a {role}")
    broker = None
    if broker_ref:
        broker = (
            db.session.get(Broker, int(broker_ref))
            if is_small_number(broker_ref)
            else db.session.scalar(sa.select(Broker).where(Broker.name == broker_ref))
        )
        if broker is None:
            raise InputError(f"--broker: there is no broker '{broker_ref}'")
        if role != "broker":
            raise InputError(f"--broker: only a broker has a broker, not a {role}")
    if role == "broker" and broker is None:
        raise InputError("--broker: a broker needs --broker ID")
    user = User(email=email, role=role, broker=broker, password_hash="")
    user.set_password(_password(email))
    user.areas = areas
    db.session.add(user)
    db.session.flush()
    audit.record(
        "cli",
        audit.USER_ADDED,
        user,
        {"role": role, "areas": list(area_codes), "broker": user.broker_id},
    )
    db.session.commit()
    click.echo(f"Added {email} ({role}).")


@users_group.command("list")
@with_app
def users_list(app) -> None:
    """One line per member of staff: email, role, areas or broker, active or not."""
    from ..extensions import db
    from ..models import User

    for user in db.session.scalars(sa.select(User).order_by(User.email)):
        where = ",".join(sorted(a.code for a in user.areas)) or (
            user.broker.name if user.broker else ""
        )
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.email}\t{user.role}\t{where}\t{state}")
