"""Issue 9, finding 1: a broker read and changed a non-consenting group's answers through
the group's own link, taken from the invitations CSV it downloads to chase groups.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlparse

import sqlalchemy as sa

from survey.extensions import db
from survey.models import AuditEvent, Invitation, Response
from tests import factories
from tests.journey.conftest import (
    Invited,
    hidden_fields,
    instrument,
    make_round,
    per_request_globals,  # noqa: F401 (autouse)
)

ANSWER_SHOWN = "LA1 4YW"  # the meeting postcode every group gives, as check-answers shows it
RESULT_SHOWN = "Welcoming and accessible"  # a domain name on the result page
NO = {"consent_broker": "no", "consent_area_lead": "no", "consent_directory": "no"}


def _own_link(sent) -> str:
    """The group's link as the journey left it: where sending its answers took it."""
    return "/r/" + sent.location.split("/r/", 1)[1].split("/", 1)[0]


def _staff_client(app, user):
    staff = app.test_client()
    with staff.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    return staff


def _shows_no_answers(page) -> bool:
    body = page.get_data(as_text=True)
    return (
        ANSWER_SHOWN not in body
        and RESULT_SHOWN not in body
        and "spreadsheetml" not in (page.content_type or "")
    )


def test_finding_01_a_broker_cannot_open_a_non_consenting_groups_answers_through_its_link(
    app,
    client,
    walker,
):
    chosen = instrument("confidence")
    ics = factories.area(type="ics")
    home = factories.area(type="neighbourhood", parent=ics)
    broker = factories.broker("Northvale CVS")
    round_ = make_round(chosen, [ics], slug="confidence-private")
    said_no = factories.organisation(
        name="No club", area=home, broker=broker, email="noclub@example.org"
    )
    said_yes = factories.organisation(name="Yes club", area=home, broker=broker)
    no_link = factories.invitation(round_, organisation=said_no)
    yes_link = factories.invitation(round_, organisation=said_yes)
    db.session.commit()
    no_group = Invited(no_link.token, round_, said_no, home, chosen)
    yes_group = Invited(yes_link.token, round_, said_yes, home, chosen)

    # The review: as the broker, take the group's link from the invitations CSV (while the
    # group has not answered yet, the broker may hold it, to pass it on).
    staff = _staff_client(app, factories.user(role="broker", broker=broker))
    db.session.commit()

    def csv_links():
        text = staff.get("/rounds/confidence-private/invitations.csv").text
        return {r["name"]: r["link"] for r in csv.DictReader(io.StringIO(text))}

    link = urlparse(csv_links()["No club"]).path
    walker(no_group).complete(no_group.plan(), NO)
    sent = walker(yes_group).complete(yes_group.plan(), {**NO, "consent_broker": "yes"})
    yes_own = _own_link(sent)
    no_id = said_no.id
    responses_before = db.session.scalar(sa.select(sa.func.count(Response.id)))
    # Once the group has answered without sharing with the broker, the list no longer
    # gives its link; the group that shares still has its link listed.
    links = csv_links()
    assert links["No club"] == "sent to the group only"
    assert links["Yes club"].endswith(f"/r/{yes_link.token}")
    csrf = hidden_fields(staff.get("/rounds/confidence-private/invitations").text)["csrf_token"]
    anonymous = app.test_client()  # the same link copied into another browser
    for who in (staff, anonymous):
        for page in ("/check-answers", "/result", "/result.xlsx", "/consent"):
            got = who.get(link + page)
            assert got.status_code != 200 or _shows_no_answers(got), page
            assert _shows_no_answers(got), page
        amended = who.post(link + "/amend", data={"csrf_token": csrf})
        assert amended.status_code in (303, 302, 403, 404) and _shows_no_answers(amended)
        consent = who.post(
            link + "/consent",
            data={"csrf_token": csrf, "version": "1", **NO, "consent_broker": "yes"},
        )
        assert _shows_no_answers(consent)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Response.id))) == responses_before
    assert not db.session.scalar(
        sa.select(Response.id).where(
            Response.organisation_id == no_id, Response.status == "in_progress"
        )
    )
    assert db.session.get(type(said_no), no_id).consent_broker is False
    # The invitation link now offers only to email the group's own link to its address.
    start = anonymous.get(link)
    assert start.status_code == 200 and "Email our link to n*****@example.org" in start.text

    # The group that said yes still works for the group itself, on its own link...
    mine = client.get(f"{yes_own}/check-answers")
    assert mine.status_code == 200 and ANSWER_SHOWN in mine.text
    assert client.get(f"{yes_own}/result.xlsx").status_code == 200
    # ... and on the same device its invitation link carries it on there.
    again = client.get(f"/r/{yes_link.token}/check-answers")
    assert again.status_code == 302 and again.location.endswith(f"{yes_own}/check-answers")

    # Defence in depth: even with the group's own link, a staff session needs consent,
    # checked on every request (withdrawal works at once), and allowed reads are audited.
    assert staff.get(f"{yes_own}/check-answers").status_code == 200
    assert db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.action == "group-answers-opened",
            AuditEvent.target == f"organisation:{said_yes.id}",
        )
    )
    page = client.get(f"{yes_own}/consent")
    withdrawn = client.post(
        f"{yes_own}/consent", data={**hidden_fields(page.text), **NO, "consent_broker": "no"}
    )
    assert withdrawn.status_code == 302
    for page in ("", "/check-answers", "/result", "/result.xlsx", "/consent", "/saved"):
        assert staff.get(yes_own + page).status_code == 403, page


def test_finding_01_a_broker_emails_a_non_sharing_group_its_link_and_the_group_hears_of_sharing(
    app,
    client,
    walker,
    tmp_path,
    monkeypatch,
):
    # The review's last way round: a link to a new round lets whoever holds it say "yes,
    # my broker may see our answers" for the group, which would open earlier rounds too.
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path))
    chosen = instrument("confidence")
    ics = factories.area(type="ics")
    home = factories.area(type="neighbourhood", parent=ics)
    broker = factories.broker("Northvale CVS")
    last_year = make_round(chosen, [ics], slug="confidence-last-year")
    this_year = make_round(chosen, [ics], slug="confidence-this-year")
    group = factories.organisation(
        name="No club", area=home, broker=broker, email="noclub@example.org"
    )
    old = factories.invitation(last_year, organisation=group)
    new = factories.invitation(this_year, organisation=group)
    db.session.commit()
    before = Invited(old.token, last_year, group, home, chosen)
    walker(before).complete(before.plan(), NO)
    staff = _staff_client(app, factories.user(role="broker", broker=broker))
    db.session.commit()
    page = staff.get("/rounds/confidence-this-year/invitations")
    assert new.token not in page.text, "the broker is not handed the new round's link"
    assert "Sent to the group only" in page.text
    chase = staff.get("/portfolio/confidence-this-year")
    assert chase.status_code == 200 and "No club" in chase.text and new.token not in chase.text
    emailed = staff.post(
        f"/rounds/confidence-this-year/invitations/{new.id}/email",
        data={"csrf_token": hidden_fields(page.text)["csrf_token"]},
    )
    assert emailed.status_code == 302
    mails = [p.read_text() for p in tmp_path.glob("*.eml")]
    assert len(mails) == 1 and "To: noclub@example.org" in mails[0]
    assert f"/r/{new.token}" in mails[0]
    # Making a new link does not hand it over either.
    remade = staff.post(
        f"/rounds/confidence-this-year/invitations/{new.id}/reissue",
        data={"csrf_token": hidden_fields(page.text)["csrf_token"]},
        follow_redirects=True,
    )
    fresh = db.session.scalar(
        sa.select(Invitation).where(
            Invitation.round_id == this_year.id, Invitation.revoked_at.is_(None)
        )
    )
    assert "Email the new one to the group" in remade.text and fresh.token not in remade.text
    new = fresh
    assert db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "invitation-emailed")
    )
    # Whoever answers the new round and turns sharing on, the group is told by email.
    now = Invited(new.token, this_year, group, home, chosen)
    walker(now).complete(now.plan(), {**NO, "consent_broker": "yes"})
    notices = [m for m in (p.read_text() for p in tmp_path.glob("*.eml")) if "has changed" in m]
    assert len(notices) == 1 and "now lets your broker see its named answers" in notices[0]
