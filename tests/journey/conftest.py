"""Fixtures for the respondent journey: an invited group and a way to answer pages."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import itertools
import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import g, request_started

from instruments import Instrument, load_registry
from survey.extensions import db
from survey.models import Invitation, Round
from tests import factories

REGISTRY = load_registry()
_ids = itertools.count(1)
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page (CSRF token, version, submission key)."""
    found = {}
    for tag in HIDDEN.findall(page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            found[name.group(1)] = html_lib.unescape(value.group(1)) if value else ""
    return found


def text_of(page: str) -> str:
    """What a person reads: tags dropped, entities decoded, spaces squeezed."""
    body = page.split('id="main-content"', 1)[-1]
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def instrument(instrument_id: str) -> Instrument:
    """The shipped instrument's newest version."""
    return REGISTRY.latest(instrument_id)


def valid_value(question, area_code: str, pick: int = 0):
    """A form value the question accepts; `pick` chooses among options."""
    if question.type == "likert":
        return ["strongly_disagree", "disagree", "neither", "agree", "strongly_agree"][pick % 5]
    if question.type == "yesno":
        return ["yes", "no"][pick % 2]
    if question.type == "single":
        return question.options[pick % len(question.options)].value
    if question.type == "multiple":
        return [question.options[0].value, question.options[-1].value]
    if question.type == "number":
        return str(int(question.min_value or 0) + 3)
    if question.type == "text":
        return "We meet on Tuesdays."
    if question.type == "postcode":
        return "la1 4yw"
    if question.type == "area":
        return area_code
    raise AssertionError(question.type)


@dataclass
class Invited:
    """A group (or area) with its invitation link to a round, and later its private link."""

    invitation_token: str
    round: object
    organisation: object
    area: object
    instrument: Instrument

    @property
    def token(self) -> str:
        """The link the group uses now: its private link once it has saved anything.

        The first save redirects the group there (as a browser follows it), so the
        pages it reaches afterwards carry the private token.
        """
        private = db.session.scalar(
            sa.select(Invitation.private_token).where(Invitation.token == self.invitation_token)
        )
        return private or self.invitation_token

    @property
    def invitation_url(self) -> str:
        """The invitation link's path (what staff hand out)."""
        return f"/r/{self.invitation_token}"

    @property
    def url(self) -> str:
        """The link's path."""
        return f"/r/{self.token}"

    def section_url(self, section_id: str) -> str:
        """A section page's path."""
        return f"{self.url}/section/{section_id}"

    def plan(self, pick: int = 0, overrides: dict | None = None) -> dict:
        """Form values for every question of the instrument."""
        values = {
            q.id: valid_value(q, self.area.code, pick + i)
            for i, q in enumerate(self.instrument.questions)
        }
        values.update(overrides or {})
        return values


def make_round(chosen: Instrument, areas: list, **fields) -> Round:
    """An open round of a shipped instrument (without reloading the instrument files)."""
    today = dt.date.today()
    made = Round(
        slug=fields.pop("slug", f"{chosen.id}-j{next(_ids)}"),
        title=fields.pop("title", f"{chosen.title} (test)"),
        instrument_id=chosen.id,
        instrument_version=chosen.version,
        opens_on=fields.pop("opens_on", today - dt.timedelta(days=10)),
        closes_on=fields.pop("closes_on", today + dt.timedelta(days=30)),
        areas=areas,
        **fields,
    )
    db.session.add(made)
    db.session.flush()
    return made


def _fresh_csrf_cache(sender, **extra) -> None:
    g.pop("csrf_token", None)


@pytest.fixture(autouse=True)
def per_request_globals(app):
    """Each request gets its own CSRF token cache, as it does outside tests.

    The `app` fixture holds one app context for the whole test, so without
    this every request would share ``g`` and reuse the first request's token.
    """
    request_started.connect(_fresh_csrf_cache, app)
    yield
    request_started.disconnect(_fresh_csrf_cache, app)


@pytest.fixture
def invite(app):
    """Make a group (or, for a locality form, an area) with a link to an open round."""

    def make(instrument_id: str = "confidence", name: str | None = None, **round_fields):
        ics = factories.area(type="ics")
        area = factories.area(type="neighbourhood", parent=ics)
        factories.area(type="pcn", parent=ics)
        chosen = instrument(instrument_id)
        round_ = make_round(chosen, [ics], **round_fields)
        if chosen.kind == "locality":
            organisation = None
            pcn = factories.area(type="pcn", parent=ics)
            invitation = factories.invitation(round_, area=pcn)
            area = pcn
        else:
            organisation = factories.organisation(name=name, area=area, email="group@example.org")
            invitation = factories.invitation(round_, organisation=organisation)
        db.session.commit()
        return Invited(invitation.token, round_, organisation, area, chosen)

    return make


class Walker:
    """Answers pages as a person would: reads each page, sends its form back."""

    def __init__(self, client, invited: Invited) -> None:
        self.client, self.invited = client, invited

    def get(self, url: str, status: int = 200):
        """GET a page, checking its status; returns the response."""
        page = self.client.get(url)
        assert page.status_code == status, (url, page.status_code)
        return page

    def post_page(self, url: str, data: dict, status: int | None = None):
        """GET the page for its hidden fields, then POST the data with them."""
        page = self.get(url)
        form = {**hidden_fields(page.get_data(as_text=True)), **data}
        sent = self.client.post(url, data=form)
        if status is not None:
            assert sent.status_code == status, (url, sent.status_code, text_of(sent.text)[:500])
        return sent

    def post_from(self, page_url: str, action_url: str, data: dict, status: int):
        """POST to a form's action with the hidden fields of the page that holds it."""
        form = {**hidden_fields(self.get(page_url).get_data(as_text=True)), **data}
        sent = self.client.post(action_url, data=form)
        assert sent.status_code == status, (action_url, sent.status_code)
        return sent

    def section_data(self, section, plan: dict) -> dict:
        """The plan's values for one section's questions."""
        return {q.id: plan[q.id] for q in section.questions if q.id in plan}

    def answer_section(self, section, plan: dict, action: str = "continue"):
        """Send one section with the plan's values."""
        data = {**self.section_data(section, plan), "action": action}
        return self.post_page(self.invited.section_url(section.id), data, status=302)

    def next_location(self) -> str:
        """Where 'continue' takes the respondent now."""
        return self.get(f"{self.invited.url}/continue", status=302).location

    def complete(self, plan: dict, consent: dict | None = None, submit: bool = True):
        """Answer every page the journey leads to, then the consent, then send."""
        for _ in range(50):
            location = self.next_location()
            if "/section/" in location:
                section_id = location.rsplit("/", 1)[1]
                section = next(s for s in self.invited.instrument.sections if s.id == section_id)
                self.answer_section(section, plan)
            elif location.endswith("/consent"):
                choices = consent or {
                    "consent_broker": "no",
                    "consent_area_lead": "no",
                    "consent_directory": "no",
                }
                self.post_page(location, choices, status=302)
            else:
                assert location.endswith("/check-answers"), location
                break
        if submit:
            return self.post_page(f"{self.invited.url}/check-answers", {}, status=303)
        return None


@pytest.fixture
def walker(client):
    """Make a Walker for an invited group."""
    return lambda invited: Walker(client, invited)
