"""Rounds and invitations: the CSV command, the staff pages, reissuing a link."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from survey.commands.main import main
from survey.extensions import db
from survey.models import AuditEvent, Invitation, OrganisationArea, Response, Round
from tests import factories

from .conftest import hidden_fields, instrument, make_round, text_of


@pytest.fixture
def two_areas(app):
    """An ICS with two neighbourhoods and groups in each, and one group elsewhere."""
    ics = factories.area(type="ics")
    north = factories.area(type="neighbourhood", parent=ics, code="T-NORTH")
    south = factories.area(type="neighbourhood", parent=ics, code="T-SOUTH")
    elsewhere = factories.area(type="neighbourhood", code="T-ELSEWHERE")
    groups = [
        factories.organisation(name="North lunch club", area=north),
        factories.organisation(name="=SUM(A1) walkers", area=north),
        factories.organisation(name="South befrienders", area=south),
    ]
    factories.organisation(name="Far away group", area=elsewhere)
    for group in groups:
        db.session.add(OrganisationArea(organisation_id=group.id, area_id=group.area_id))
    round_ = make_round(instrument("confidence"), [north, south], slug="confidence-2030")
    db.session.commit()
    return round_, groups


def _rows(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def test_the_command_writes_one_row_per_invited_group_and_the_links_work(
    cli, two_areas, tmp_path, client
):
    round_, groups = two_areas
    ids = [g.id for g in groups]  # the command ends this session's objects
    out = tmp_path / "links.csv"
    result = cli("invitations", "confidence-2030", "-o", str(out), "--base-url", "https://x.test")
    assert result.exit_code == 0, result.output
    assert "3 invitation links" in result.output and "3 new" in result.output
    rows = _rows(out)
    assert list(rows[0]) == [
        "org id", "name", "area code", "link", "status", "submitted on", "last reminded", "broker"
    ]  # fmt: skip
    assert {r["status"] for r in rows} == {"not started"}
    assert sorted(int(r["org id"]) for r in rows) == sorted(ids)
    by_id = {int(r["org id"]): r for r in rows}
    assert by_id[ids[0]]["area code"] == "T-NORTH"
    assert by_id[ids[1]]["name"] == "'=SUM(A1) walkers", "formula-like names stay text"
    for row in rows:
        link = urlsplit(row["link"])
        assert (link.scheme, link.netloc) == ("https", "x.test")
        page = client.get(link.path)
        assert page.status_code == 200
        assert "Start now" in page.text
    # Run again: the same links, nothing new.
    again = cli("invitations", "confidence-2030", "-o", str(out), "--base-url", "https://x.test")
    assert "0 new" in again.output
    assert sorted(r["link"] for r in _rows(out)) == sorted(r["link"] for r in rows)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 3


def test_the_command_refuses_an_unknown_round_without_writing(cli, app, tmp_path):
    out = tmp_path / "links.csv"
    result = cli("invitations", "no-such-round", "-o", str(out))
    assert result.exit_code == 1
    assert "no round named 'no-such-round'" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_a_locality_round_invites_areas(cli, app, tmp_path):
    ics = factories.area(type="ics")
    codes = [factories.area(type="pcn", parent=ics, code=f"T-PCN{i}").code for i in range(2)]
    factories.organisation(area=factories.area(type="neighbourhood", parent=ics))
    make_round(instrument("dmi-locality"), [ics], slug="dmi-locality-2030")
    db.session.commit()
    out = tmp_path / "links.csv"
    assert cli("invitations", "dmi-locality-2030", "-o", str(out)).exit_code == 0
    rows = _rows(out)
    assert sorted(r["area code"] for r in rows) == codes
    assert all(r["org id"] == "" for r in rows)


def test_staff_page_lists_the_links_with_a_csv_download(client, login, two_areas):
    round_, groups = two_areas
    login("admin")
    page = client.get("/rounds/confidence-2030/invitations")
    assert page.status_code == 200
    assert "No groups have links" in page.text
    made = client.post("/rounds/confidence-2030/invitations", data=hidden_fields(page.text))
    assert made.status_code == 302
    page = client.get("/rounds/confidence-2030/invitations")
    text = text_of(page.text)
    for group in groups:
        assert group.name in text
    download = client.get("/rounds/confidence-2030/invitations.csv")
    assert download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert len(rows) == 3
    assert all(urlsplit(r["link"]).path.startswith("/r/") for r in rows)
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "invitations.download")
    )
    assert event.target == "round:confidence-2030" and event.detail == {"rows": 3}


def test_a_broker_sees_only_its_own_groups_links(client, login, two_areas):
    round_, groups = two_areas
    broker = factories.broker()
    groups[2].broker_id = broker.id
    db.session.commit()
    from survey.journey.invitations import ensure_invitations, live_invitations

    ensure_invitations(round_)
    made = live_invitations(round_)
    # each group's link names the area the group was placed in (its figures count it there)
    assert made and all(i.area_id is not None and i.area_id == i.organisation.area_id for i in made)
    login("broker", broker=broker)
    rows = list(
        csv.DictReader(io.StringIO(client.get("/rounds/confidence-2030/invitations.csv").text))
    )
    assert [r["name"] for r in rows] == ["South befrienders"]
    assert client.get("/rounds/new").status_code == 403


def test_reissuing_a_link_revokes_the_old_one_and_keeps_the_answers(client, login, two_areas):
    round_, groups = two_areas
    from survey.journey.invitations import ensure_invitations

    ensure_invitations(round_)
    old = db.session.scalar(sa.select(Invitation).where(Invitation.organisation_id == groups[0].id))
    old.private_token = "the-group-s-own-link"
    old_token, old_id = old.token, old.id
    db.session.add(Response(round_id=round_.id, organisation_id=groups[0].id, invitation_id=old.id))
    db.session.commit()
    login("admin")
    page = client.get("/rounds/confidence-2030/invitations")
    sent = client.post(
        f"/rounds/confidence-2030/invitations/{old_id}/reissue",
        data={"csrf_token": hidden_fields(page.text)["csrf_token"]},
    )
    assert sent.status_code == 302
    db.session.expire_all()
    fresh = db.session.scalar(
        sa.select(Invitation).where(
            Invitation.organisation_id == groups[0].id, Invitation.revoked_at.is_(None)
        )
    )
    assert fresh.token != old_token
    assert client.get(f"/r/{old_token}").status_code == 404
    # The new invitation link opens no answers (the group has some): only the start page
    # that offers to email the group's own link, which moved to the new invitation.
    start = client.get(f"/r/{fresh.token}")
    assert start.status_code == 200 and "Continue where you left off" not in start.text
    assert "Your group’s answers are private" in start.text
    assert fresh.private_token == "the-group-s-own-link"
    own = client.get("/r/the-group-s-own-link")
    assert own.status_code == 200 and "Continue where you left off" in own.text


def test_an_admin_opens_a_round_and_its_groups_get_links(client, login, two_areas):
    round_, groups = two_areas
    ics = factories.area(type="ics", code="T-ICS2", name="Test ICS two")
    db.session.commit()
    login("admin")
    page = client.get("/rounds/new")
    assert page.status_code == 200
    form = hidden_fields(page.text)
    bad = client.post("/rounds/new", data={**form, "slug": "Not A Slug"})
    assert bad.status_code == 400
    assert "<title>Error: " in bad.text and 'href="#title"' in bad.text
    assert "Use only lower-case letters" in bad.text
    data = {
        **form,
        "instrument": "confidence@2025.1",
        "title": "Confidence 2031",
        "slug": "confidence-2031",
        "opens_on": ["1", "5", "2031"],
        "closes_on": ["31", "7", "2031"],
        "areas": [ics.code],
    }
    made = client.post("/rounds/new", data=data)
    assert made.status_code == 302, text_of(made.text)[:300]
    new = db.session.scalar(sa.select(Round).where(Round.slug == "confidence-2031"))
    assert new.opens_on.isoformat() == "2031-05-01" and [a.code for a in new.areas] == ["T-ICS2"]
    duplicate = client.post("/rounds/new", data=data)
    assert "already a round with this short name" in duplicate.text


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("broker", 200), ("area-lead", 403), ("board", 403)]
)
def test_who_may_see_the_rounds_pages(client, login, two_areas, role, status):
    login(role)
    assert client.get("/rounds/").status_code == status
    assert client.get("/rounds/confidence-2030/invitations").status_code == status


def test_signed_out_visitors_are_sent_to_sign_in(client, two_areas):
    page = client.get("/rounds/confidence-2030/invitations.csv")
    assert page.status_code == 302 and "/sign-in" in page.location


def test_links_start_with_the_configured_address(app, monkeypatch, tmp_path):
    round_ = factories.survey_round("confidence")
    factories.invitation(round_, factories.organisation(area=factories.area()))
    slug = round_.slug
    db.session.commit()
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("SURVEY_BASE_URL", "https://survey.example.org/")
    out = tmp_path / "links.csv"
    db.session.remove()
    result = CliRunner().invoke(main, ["invitations", slug, "-o", str(out)])
    assert result.exit_code == 0, result.output
    links = [row["link"] for row in csv.DictReader(io.StringIO(out.read_text()))]
    assert links and all(link.startswith("https://survey.example.org/r/") for link in links)


def test_staff_can_email_a_group_its_link_three_times_an_hour_and_no_more(
    app, client, login, two_areas, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path))
    round_, groups = two_areas
    groups[0].email = "north@example.org"
    login("admin")
    page = client.get("/rounds/confidence-2030/invitations")
    client.post("/rounds/confidence-2030/invitations", data=hidden_fields(page.text))
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.organisation_id == groups[0].id)
    )
    token = hidden_fields(client.get("/rounds/confidence-2030/invitations").text)["csrf_token"]
    answers = [
        client.post(
            f"/rounds/confidence-2030/invitations/{invitation.id}/email",
            data={"csrf_token": token},
            follow_redirects=True,
        )
        for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [200] * 5
    mails = list(tmp_path.glob("*.eml"))
    assert len(mails) == 3  # the fourth and fifth presses send nothing
    assert "3 times in the last hour" in text_of(answers[3].text)
    assert "Link emailed to North lunch club" in text_of(answers[2].text)
    # An hour later the count starts again: the limit counts recent sends only.
    for event in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "invitation-emailed")
    ):
        event.at -= dt.timedelta(minutes=61)
    db.session.commit()
    again = client.post(
        f"/rounds/confidence-2030/invitations/{invitation.id}/email",
        data={"csrf_token": token},
    )
    assert again.status_code == 302 and len(list(tmp_path.glob("*.eml"))) == 4


def test_the_groups_invited_are_those_in_the_rounds_areas_by_membership_or_placement(app):
    """A group is in a round's area if a membership row says so, or if the area is the
    one it was placed in (a group imported before memberships were worked out); a group
    whose only membership is elsewhere is not invited."""
    from survey.journey.invitations import invitees

    north = factories.area(type="neighbourhood", code="T-IN")
    elsewhere = factories.area(type="neighbourhood", code="T-OUT")
    both = factories.organisation(name="Both", area=north)
    member_only = factories.organisation(name="Member only", area=elsewhere)
    factories.organisation(name="Placed only", area=north)  # no membership row
    outside = factories.organisation(name="Outside", area=elsewhere)
    db.session.flush()
    db.session.add_all(
        [
            OrganisationArea(organisation_id=both.id, area_id=north.id),
            OrganisationArea(organisation_id=member_only.id, area_id=north.id),
            OrganisationArea(organisation_id=outside.id, area_id=elsewhere.id),
        ]
    )
    round_ = make_round(instrument("confidence"), [north], slug="confidence-who")
    db.session.commit()
    kind, people = invitees(round_)
    assert kind == "organisation"
    assert [p.name for p in people] == ["Both", "Member only", "Placed only"]
    # a round with no areas named is everyone's: every group is invited
    everywhere = make_round(instrument("confidence"), [], slug="confidence-everyone")
    db.session.commit()
    assert [p.name for p in invitees(everywhere)[1]] == [
        "Both", "Member only", "Placed only", "Outside",
    ]  # fmt: skip
    # in the groups' order however the database holds their rows: PostgreSQL writes an
    # updated row anew after the others, and a read in no order gives it last
    both.name = "Both, renamed"
    db.session.commit()
    assert [p.name for p in invitees(everywhere)[1]] == [
        "Both, renamed", "Member only", "Placed only", "Outside",
    ]  # fmt: skip


def test_a_locality_round_makes_each_areas_link_once(app):
    """Run twice, the second run finds every PCN's link and makes none (a run that did
    not see the area links it made would hand each PCN a second, different link)."""
    from survey.journey.invitations import ensure_invitations

    ics = factories.area(type="ics")
    for i in (2, 0, 1):
        factories.area(type="pcn", parent=ics, code=f"T-PCN{i}")
    factories.area(type="pcn", parent=factories.area(type="ics"), code="T-PCN-ELSEWHERE")
    round_ = make_round(instrument("dmi-locality"), [ics], slug="dmi-locality-once")
    db.session.commit()
    assert ensure_invitations(round_) == 3  # the round's ICS's PCNs, not another ICS's
    assert ensure_invitations(round_) == 0
    made = db.session.scalars(sa.select(Invitation).order_by(Invitation.id)).all()
    assert [i.area.code for i in made] == ["T-PCN0", "T-PCN1", "T-PCN2"]  # in code order


def test_a_locality_round_with_no_pcns_invites_its_own_areas_in_code_order(app):
    from survey.journey.invitations import ensure_invitations

    areas = [factories.area(type="place", code=code) for code in ("T-PL-B", "T-PL-A")]
    round_ = make_round(instrument("dmi-locality"), areas, slug="dmi-locality-places")
    db.session.commit()
    assert ensure_invitations(round_) == 2
    made = db.session.scalars(sa.select(Invitation).order_by(Invitation.id)).all()
    assert [i.area.code for i in made] == ["T-PL-A", "T-PL-B"]


def test_a_reissued_area_link_stays_the_areas_and_the_log_says_who_and_for_whom(app):
    from survey.journey.invitations import ensure_invitations, reissue

    ics = factories.area(type="ics")
    pcn = factories.area(type="pcn", parent=ics, code="T-PCN-R")
    round_ = make_round(instrument("dmi-locality"), [ics], slug="dmi-locality-reissue")
    db.session.commit()
    ensure_invitations(round_)
    old = db.session.scalar(sa.select(Invitation))
    fresh = reissue(old, "admin@example.org")
    assert (fresh.area_id, fresh.organisation_id, fresh.round_id) == (pcn.id, None, round_.id)
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "invitation.reissue")
    )
    assert event.actor == "admin@example.org"
    assert event.target == f"invitation:{old.id}"
    assert event.detail == {"round_id": round_.id, "organisation_id": None}


def test_the_links_csv_names_each_groups_broker_as_text(app):
    from survey.journey.invitations import ensure_invitations, invitation_rows, invitations_csv

    hood = factories.area(type="neighbourhood", code="T-BRK")
    helped = factories.organisation(name="Helped", area=hood)
    helped.broker = factories.broker("=Northvale CVS")
    factories.organisation(name="On its own", area=hood)
    round_ = make_round(instrument("confidence"), [hood], slug="confidence-brokers")
    db.session.commit()
    ensure_invitations(round_)
    rows = list(csv.DictReader(io.StringIO(invitations_csv(invitation_rows(round_)))))
    assert {r["name"]: r["broker"] for r in rows} == {
        "Helped": "'=Northvale CVS",
        "On its own": "",
    }


def test_the_links_list_gives_each_live_link_of_the_round_once_with_where_its_answer_stands(app):
    """Groups in round R (and R's locality twin L), made in this order:
    - Answered: an earlier submission (10 May) replaced by the current one (2 June): submitted
      on 2 June; reminded on 1 and 20 May: last reminded 20 May;
    - Redoing: its submission replaced, a new draft open: a draft (replaced answers count
      for nothing); reminded on 3 May only: its own date, not Answered's;
    - Homeless: no area of its own (a blank code), no answer: not started;
    - Reissued: its first link revoked: listed once, with the new link;
    - Elsewhere: invited to another round only: not listed.
    Restricting to some groups skips the others wherever they fall in the list.
    L invites two PCNs by area: one submitted, one with a draft, and a link with neither a
    group nor an area (the schema allows it) lists blank rather than failing the page."""
    from survey.journey.invitations import invitation_rows, invitations_csv, reissue
    from survey.models import Reminder

    hood = factories.area(type="neighbourhood", code="T-LIST")
    answered, redoing = (factories.organisation(name=n, area=hood) for n in ("Answered", "Redoing"))
    homeless = factories.organisation(name="Homeless")
    reissued, elsewhere = (
        factories.organisation(name=n, area=hood) for n in ("Reissued", "Elsewhere")
    )
    r = make_round(instrument("confidence"), [hood], slug="confidence-list")
    other = make_round(instrument("confidence"), [hood], slug="confidence-other")
    june, may = dt.datetime(2026, 6, 2, 9, 0), dt.datetime(2026, 5, 10, 9, 0)

    def answer(org, status, at=None, current=True):
        db.session.add(Response(
            round=r, invitation=links[org], organisation=org, area_id=org.area_id,
            status=status, submitted_at=at, is_current=current,
        ))  # fmt: skip

    links = {o: factories.invitation(r, o) for o in (answered, redoing, homeless, reissued)}
    factories.invitation(other, elsewhere)
    # what a reminder reads with the row: the group's address, and when it asked for none
    redoing.email, homeless.reminders_stopped_at = "redo@example.org", dt.datetime(2026, 4, 1)
    answer(answered, "submitted", may, current=False)
    answer(answered, "submitted", june)
    answer(redoing, "submitted", may, current=False)
    answer(redoing, "in_progress")
    for org, day in ((answered, 1), (answered, 20), (redoing, 3)):
        db.session.add(Reminder(
            round_id=r.id, organisation_id=org.id, sent_at=dt.datetime(2026, 5, day, 8, 0),
            sent_by="cli", template="reminder", status="not started",
        ))  # fmt: skip
    db.session.commit()
    fresh = reissue(links[reissued], "cli")
    # the first link changed after the others were made (on PostgreSQL its row is then
    # stored after theirs): the list still goes in the order the links were made
    links[answered].private_token = "t-list-private"
    db.session.commit()

    rows = invitation_rows(r)
    assert [(x.invitation.id, x.name, x.area_code, x.status) for x in rows] == [
        (links[answered].id, "Answered", "T-LIST", "submitted"),
        (links[redoing].id, "Redoing", "T-LIST", "draft"),
        (links[homeless].id, "Homeless", "", "not started"),
        (fresh.id, "Reissued", "T-LIST", "not started"),
    ]
    assert [x.submitted_at for x in rows] == [june, None, None, None]
    assert [(x.email, x.reminders_stopped_at) for x in rows] == [
        (None, None), ("redo@example.org", None), (None, dt.datetime(2026, 4, 1)), (None, None),
    ]  # fmt: skip
    assert [x.last_reminded for x in rows] == [
        dt.datetime(2026, 5, 20, 8, 0), dt.datetime(2026, 5, 3, 8, 0), None, None,
    ]  # fmt: skip
    assert [x.name for x in invitation_rows(r, {redoing.id, reissued.id})] == [
        "Redoing", "Reissued",
    ]  # fmt: skip
    assert [x.name for x in invitation_rows(r, not_answered=True)] == [
        "Redoing", "Homeless", "Reissued",
    ]  # fmt: skip
    # the CSV's dates: the day submitted and the day last reminded, blank when none
    table = list(csv.reader(io.StringIO(invitations_csv(rows))))
    assert [(line[5], line[6]) for line in table[1:]] == [
        ("2026-06-02", "2026-05-20"), ("", "2026-05-03"), ("", ""), ("", ""),
    ]  # fmt: skip
    # a broker's chase list: only its own groups' links, and of those only the unanswered
    assert [x.name for x in invitation_rows(r, {answered.id, redoing.id}, not_answered=True)] == [
        "Redoing"
    ]
    assert invitation_rows(r, {answered.id}, not_answered=True) == []

    ics = factories.area(type="ics")
    done, drafting = (
        factories.area(type="pcn", parent=ics, code=c, name=n)
        for c, n in (("T-PCN-D", "Done PCN"), ("T-PCN-W", "Writing PCN"))
    )
    loc = make_round(instrument("dmi-locality"), [ics], slug="dmi-locality-list")
    for area, status, at in ((done, "submitted", june), (drafting, "in_progress", None)):
        db.session.add(Response(
            round=loc, invitation=factories.invitation(loc, area=area), area_id=area.id,
            status=status, submitted_at=at,
        ))  # fmt: skip
    factories.invitation(loc)
    db.session.commit()
    assert [
        (x.org_id, x.name, x.area_code, x.status, x.submitted_at) for x in invitation_rows(loc)
    ] == [
        (None, "Done PCN", "T-PCN-D", "submitted", june),
        (None, "Writing PCN", "T-PCN-W", "draft", None),
        (None, "", "", "not started", None),
    ]
    assert {x.broker for x in invitation_rows(loc)} == {""}  # an area's link: no broker
    assert {(x.email, x.reminders_stopped_at) for x in invitation_rows(loc)} == {(None, None)}


def test_the_invitations_list_keeps_the_order_the_links_were_made_after_a_change(app):
    """Links listed in the order they were made (the CSV, the staff page, the chase list),
    whatever order the database finds them in: here the groups were added in the reverse
    order of their links (an index on the group gives theirs), and one link changed after
    (PostgreSQL then keeps its row's new version after the others)."""
    from survey.journey.invitations import invitation_rows

    round_ = factories.survey_round("confidence", slug="order-test")
    orgs = [factories.organisation() for _ in range(4)]
    made = [factories.invitation(round_, organisation=org) for org in reversed(orgs)]
    db.session.commit()
    made[0].private_token = "changed-after"
    db.session.commit()
    round_ = db.session.get(Round, round_.id)
    in_order = sorted(i.id for i in made)
    assert [r.invitation.id for r in invitation_rows(round_)] == in_order
    some = invitation_rows(round_, {o.id for o in orgs})
    assert [r.invitation.id for r in some] == in_order


def test_a_link_is_withheld_from_staff_only_for_a_group_that_answered_and_does_not_share(app):
    """withheld_links, role by role. Groups (each answered an earlier round unless said):
    - Sharer: lets its broker and its area lead see its answers: held by both;
    - Keeper: shares with neither: withheld from both;
    - Fresh: shares with neither but has never answered: held by both (nothing to open);
    - Lead only: shares with its area lead, not its broker;
    - Outside: shares with everyone, but lies outside the lead's area and has another
      broker: withheld from both (neither may see its answers);
    and a locality's link (no group): never withheld. An admin holds every link."""
    from survey.journey.invitations import invitation_rows, withheld_links

    ics = factories.area(type="ics")
    hood = factories.area(type="neighbourhood", parent=ics, code="T-HELD")
    away = factories.area(type="neighbourhood", code="T-AWAY")
    mine, theirs = factories.broker("Mine"), factories.broker("Theirs")
    both = {"consent_broker": True, "consent_area_lead": True}
    none = {"consent_broker": False, "consent_area_lead": False}
    groups = {
        "Sharer": factories.organisation("Sharer", hood, broker=mine, **both),
        "Keeper": factories.organisation("Keeper", hood, broker=mine, **none),
        "Fresh": factories.organisation("Fresh", hood, broker=mine, **none),
        "Lead only": factories.organisation(
            "Lead only", hood, broker=mine, consent_broker=False, consent_area_lead=True
        ),
        "Outside": factories.organisation("Outside", away, broker=theirs, **both),
    }
    before = factories.survey_round("confidence", slug="held-before")
    for name, group in groups.items():
        if name != "Fresh":
            factories.submitted_response(before, group, {"welcoming": 3})
    now = factories.survey_round("confidence", slug="held-now")
    links = {name: factories.invitation(now, group) for name, group in groups.items()}
    locality = factories.invitation(now, area=hood)
    broker = factories.user(role="broker", broker=mine)
    lead = factories.user(role="area-lead", areas=[ics])
    admin = factories.user(role="admin")
    db.session.commit()
    rows = invitation_rows(now)
    assert len(rows) == 6 and locality.id in {r.invitation.id for r in rows}

    def held_back(user) -> set[str]:
        withheld = withheld_links(rows, user)
        return {name for name, link in links.items() if link.id in withheld}

    assert held_back(broker) == {"Keeper", "Lead only", "Outside"}
    assert held_back(lead) == {"Keeper", "Outside"}
    assert withheld_links(rows, admin) == set()
    assert locality.id not in withheld_links(rows, broker) | withheld_links(rows, lead)
