"""The group's private link: made at the first save, emailed on request, remembered by the
group's browser; paper answers that wait for the group's decision.
"""

from __future__ import annotations

import sqlalchemy as sa

from survey.extensions import db
from survey.journey import messages
from survey.journey.links import mask_email
from survey.models import AuditEvent, Invitation, Response
from survey.reports.paper_import import import_paper, paper_template
from tests import factories

from .conftest import hidden_fields, text_of

NO = {"consent_broker": "no", "consent_area_lead": "no", "consent_directory": "no"}


def test_masked_addresses_show_the_first_letter_and_the_domain():
    assert mask_email("group@example.org") == "g****@example.org"
    assert mask_email("ab@x.org") == "a***@x.org"  # never fewer than three stars
    # a quoted local part may hold an "@": the domain is after the last one
    assert mask_email('"j@m"@example.org') == '"****@example.org'
    assert mask_email("") == "" and mask_email(None) == "" and mask_email("no-at") == ""


def test_the_first_save_moves_the_group_to_its_private_link(client, invite, walker):
    invited = invite("confidence")
    first = invited.instrument.sections[0]
    walk = walker(invited)
    assert client.get(invited.invitation_url).status_code == 200  # nothing saved: it starts
    saved = walk.answer_section(first, invited.plan())
    private = db.session.scalar(sa.select(Invitation.private_token))
    assert private and private != invited.invitation_token
    assert f"/r/{private}/" in saved.location
    # Another device with the invitation link sees no answers, only the way to the group's link.
    elsewhere = client.application.test_client()
    start = elsewhere.get(invited.invitation_url)
    assert "Your group’s answers are private" in text_of(start.text)
    section = elsewhere.get(invited.invitation_url + f"/section/{first.id}")
    assert section.status_code == 303 and section.location.endswith(invited.invitation_url)
    # The group's own browser remembers its link and carries on there.
    again = client.get(invited.invitation_url)
    assert again.status_code == 302 and again.location.endswith(f"/r/{private}")
    # to the same page, whatever else its address names
    section = client.get(invited.invitation_url + f"/section/{first.id}")
    assert section.status_code == 302
    assert section.location.endswith(f"/r/{private}/section/{first.id}")
    # A browser that opened the private link itself (from the email) remembers it too.
    emailed = client.application.test_client()
    assert emailed.get(f"/r/{private}").status_code == 200
    again = emailed.get(invited.invitation_url)
    assert again.status_code == 302 and again.location.endswith(f"/r/{private}")


def test_the_invitation_link_emails_the_private_link_to_the_groups_address(
    app, client, invite, walker, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path))
    invited = invite("confidence")
    walker(invited).answer_section(invited.instrument.sections[0], invited.plan())
    private = db.session.scalar(sa.select(Invitation.private_token))
    elsewhere = app.test_client()
    start = elsewhere.get(invited.invitation_url)
    assert "Email our link to g****@example.org" in start.text
    form = hidden_fields(start.text)
    for _ in range(4):
        sent = elsewhere.post(f"{invited.invitation_url}/email-link", data=form)
        assert sent.status_code == 302
    mails = [p.read_text() for p in tmp_path.glob("*.eml")]
    assert len(mails) == 3  # at most three an hour
    assert all("To: group@example.org" in m and f"/r/{private}" in m for m in mails)
    page = elsewhere.get(invited.invitation_url)
    assert messages.PRIVATE_LINK_TOO_OFTEN.format(email="g****@example.org") in text_of(page.text)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.action == "private-link-emailed"
            )
        )
        == 3
    )


def test_an_emailed_link_starts_with_the_base_url_whatever_host_the_request_named(
    app, client, invite, walker, tmp_path, monkeypatch
):
    """A forged Host header must not put another site's address into a group's email."""
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path))
    monkeypatch.setitem(app.config, "SERVER_URL", "https://survey.example.nhs.uk")
    invited = invite("confidence")
    walker(invited).answer_section(invited.instrument.sections[0], invited.plan())
    private = db.session.scalar(sa.select(Invitation.private_token))
    forger = app.test_client()
    start = forger.get(invited.invitation_url, headers={"Host": "evil.example"})
    sent = forger.post(
        f"{invited.invitation_url}/email-link",
        data=hidden_fields(start.text),
        headers={"Host": "evil.example"},
    )
    assert sent.status_code == 302
    (mail,) = [p.read_text() for p in tmp_path.glob("*.eml")]
    assert f"https://survey.example.nhs.uk/r/{private}" in mail
    assert "evil.example" not in mail


def test_without_an_email_address_the_page_says_to_ask_the_admin(app, client, invite, walker):
    invited = invite("confidence")
    invited.organisation.email = None
    db.session.commit()
    walker(invited).answer_section(invited.instrument.sections[0], invited.plan())
    start = app.test_client().get(invited.invitation_url)
    assert "We do not have an email address for your group" in text_of(start.text)
    assert "Email our link" not in start.text


def test_an_admin_sees_a_groups_answers_through_its_link_and_it_is_audited(
    app, client, invite, walker, login
):
    invited = invite("confidence")
    walker(invited).complete(invited.plan(), NO)
    own = invited.url
    login("admin")
    from survey.journey.links import REMEMBERED

    with client.session_transaction() as session:  # the walk above was the group's, here
        session.pop(REMEMBERED, None)
    assert client.get(f"{own}/check-answers").status_code == 200
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "group-answers-opened")
    )
    assert event.target == f"organisation:{invited.organisation.id}"
    assert event.detail == {
        "round": invited.round.slug, "page": "journey.check_answers", "method": "GET"
    }  # fmt: skip
    # Staff who open a group's link are not the group: their browser keeps no group link.
    with client.session_transaction() as session:
        assert not session.get(REMEMBERED)


def test_a_group_accepts_paper_answers_and_they_become_its_submission(client, invite, walker):
    invited = invite("confidence")
    walker(invited).complete(invited.plan(), NO)
    instrument = invited.instrument
    from tests.reports.test_paper_import import fill

    likert = {q.id: "Strongly disagree" for q in instrument.questions if q.type == "likert"}
    data = fill(paper_template(instrument), {3: {**likert, "had_referrals": "No"}})
    outcome = import_paper(data, "paper.xlsx", invited.round, actor="cli")
    assert outcome.ok and outcome.waiting == 1 and "1 of them wait" in outcome.summary()
    page = client.get(f"{invited.url}/paper-answers")
    sent = client.post(
        f"{invited.url}/paper-answers", data={**hidden_fields(page.text), "choice": "paper"}
    )
    assert sent.status_code == 302
    rows = db.session.execute(
        sa.select(Response.source, Response.status, Response.is_current).order_by(Response.id)
    ).all()
    assert [tuple(r) for r in rows] == [("web", "submitted", False), ("paper", "submitted", True)]
    paper = db.session.scalar(sa.select(Response).where(Response.source == "paper"))
    assert paper.scores and paper.supersedes_id is not None
    assert (
        db.session.scalar(
            sa.select(AuditEvent.actor).where(AuditEvent.action == "paper-answers-accepted")
        )
        == f"group:{invited.organisation.id}"
    )


def test_an_admin_can_show_a_groups_own_links_and_it_is_audited(client, invite, walker, login):
    invited = invite("confidence")
    walker(invited).answer_section(invited.instrument.sections[0], invited.plan())
    private = db.session.scalar(sa.select(Invitation.private_token))
    org_id = invited.organisation.id
    login("broker")
    token = hidden_fields(client.get("/staff").text)
    assert client.post(f"/staff/groups/{org_id}/links", data=token).status_code == 403
    login("admin")
    page = client.get(f"/staff/groups/{org_id}")
    assert private not in page.text  # not shown until asked for
    shown = client.post(f"/staff/groups/{org_id}/links", data=hidden_fields(page.text))
    assert shown.status_code == 200 and f"/r/{private}" in shown.text
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "private-links-shown")
    )
    assert event.target == f"organisation:{org_id}"
    assert client.post(f"/staff/groups/{org_id}/links", data={}).status_code == 400


def test_a_groups_link_takes_trailing_slashes_off_the_base_address_and_nothing_else(app):
    """The base address may be written with a trailing slash; a link never has "//r/", and
    the base's own path (here one ending in "X", the kind of letter a careless strip
    would also take) is kept whole."""
    from survey.journey.links import group_link

    with app.app_context():
        app.config["SERVER_URL"] = "https://forms.example.org/"
        assert group_link("tok") == "https://forms.example.org/r/tok"
        assert group_link("tok", "https://vcs.example.org/VCSX/") == (
            "https://vcs.example.org/VCSX/r/tok"
        )
        assert group_link("tok", "https://vcs.example.org") == "https://vcs.example.org/r/tok"


def test_two_first_saves_at_once_end_with_the_one_private_token_stored_first(app, invite):
    """The second save's copy of the invitation still has no private token when the first
    save's token is already stored: it keeps the stored one instead of writing its own,
    so the link the first browser was sent to still works."""
    from sqlalchemy.orm.attributes import set_committed_value

    from survey.journey.links import ensure_private_token

    invited = invite("confidence")
    invitation = db.session.scalar(sa.select(Invitation))
    db.session.commit()
    with db.engine.begin() as conn:  # the first save, in another request
        conn.execute(sa.update(Invitation).values(private_token="stored-first"))
    set_committed_value(invitation, "private_token", None)  # the second save's stale copy
    assert ensure_private_token(invitation) == "stored-first"
    db.session.commit()
    stored = db.session.scalar(sa.select(Invitation.private_token))
    assert stored == "stored-first" and invited.invitation_token != stored


def test_a_browser_remembers_the_five_groups_links_it_used_most_recently(app):
    """One shared computer, six groups: A to E saved in turn, then A again, then F. The five
    used most recently are B's to F's without B: A was used after B, so B goes. A link whose
    private token was reissued is remembered with the new token, and the old token a
    browser kept no longer counts. Using the newest link
    again leaves the browser's session as it was (no new cookie on every page)."""
    from flask import session

    from survey.journey.links import REMEMBERED, _remember, _remembered

    round_ = factories.survey_round("confidence", slug="confidence-shared")
    invitations = [factories.invitation(round_, factories.organisation()) for _ in range(6)]
    for i, invitation in enumerate(invitations):
        invitation.private_token = f"own-{i}"
    a, b, c, d, e, f = invitations
    with app.test_request_context("/"):
        for invitation in (a, b, c, d, e, a, f):
            _remember(invitation)
        assert list(session[REMEMBERED]) == [str(i.id) for i in (c, d, e, a, f)]
        assert _remembered(b) is None and _remembered(a) == "own-0"
        a.private_token = "own-0-reissued"  # reissued for the group elsewhere: this copy is stale
        assert _remembered(a) is None  # and no longer opens the group's answers here
        a.private_token = "own-0"
        c.private_token = "own-2-reissued"
        _remember(c)
        assert list(session[REMEMBERED].items())[-1] == (str(c.id), "own-2-reissued")
        assert len(session[REMEMBERED]) == 5
    with app.test_request_context("/"):
        session[REMEMBERED] = {str(a.id): "own-0", str(f.id): "own-5"}
        session.modified = False
        _remember(f)
        assert not session.modified
        _remember(a)
        assert session.modified and list(session[REMEMBERED]) == [str(f.id), str(a.id)]
    for held in ([f], [a, b, f]):  # the newest is the last, however many are held
        with app.test_request_context("/"):
            session[REMEMBERED] = {str(i.id): i.private_token for i in held}
            session.modified = False
            _remember(f)
            assert not session.modified
