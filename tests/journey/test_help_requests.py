"""A group asks for help from its result page; its broker works the request in a caseload."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from survey.extensions import db
from survey.models import AuditEvent, HelpRequest, HelpRequestNote, Organisation
from tests import factories

from .conftest import hidden_fields, text_of

CALL = "phoned, booked onto cyber basics session 14 March"
CONFLICT = "Someone else changed this request after you opened it"


def staff_client(app, user):
    """A separate browser, signed in as this member of staff."""
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return browser


def post_form(browser, page_url: str, data: dict, action: str | None = None):
    """GET a page for its hidden fields (CSRF, version), then POST the data to it (or action)."""
    page = browser.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    form_html = page.text
    if action is not None:  # the hidden fields of the form that posts to this action
        form_html = form_html.split(f'action="{action}"', 1)[1]
    return browser.post(action or page_url, data={**hidden_fields(form_html), **data})


def sent_group(walker, invite, *, broker=None, consent_broker="no"):
    """A group of the given broker that has sent its answers; returns (invited, walk)."""
    invited = invite()
    organisation = db.session.get(Organisation, invited.organisation.id)
    organisation.broker = broker
    db.session.commit()
    walk = walker(invited)
    consent = {"consent_broker": consent_broker, "consent_area_lead": "no"}
    walk.complete(invited.plan(), consent={**consent, "consent_directory": "no"})
    return invited, walk


def first_help_key(result_page: str) -> str:
    """The subject of the first "I'd like help with this" button on a result page."""
    return re.search(r'name="about" value="([^"]+)"', result_page).group(1)


def ask_for_help(walk, invited, key: str, **fields):
    """Open the request page for a subject and send it."""
    data = {"contact_by": "phone", "contact_detail": "01234 567890", "note": "Tuesdays"}
    return post_form(walk.client, f"{invited.url}/help?about={key}", {**data, **fields})


def test_a_group_asks_and_its_broker_works_the_request_to_done(walker, invite, app):
    broker = factories.broker("Northvale CVS")
    invited, walk = sent_group(walker, invite, broker=broker)
    result = walk.get(f"{invited.url}/result").text
    assert result.count("I'd like help with this") >= 2  # steps and offers each have one
    key = first_help_key(result)

    ask_page = walk.get(f"{invited.url}/help?about={key}").text
    assert "They will not see your answers to the survey unless you have said they may" in (
        text_of(ask_page)
    )
    form = {
        **hidden_fields(ask_page),
        "contact_by": "phone",
        "contact_detail": "01234 567890",
        "note": "Tuesdays",
    }
    sent = walk.client.post(f"{invited.url}/help", data=form)
    assert sent.status_code == 303 and sent.location.endswith("/result#help-requests")
    again = walk.client.post(f"{invited.url}/help", data=form)  # a double click: sent twice
    assert again.status_code == 303
    assert "already asked for help with this" in text_of(walk.get(f"{invited.url}/result").text)
    assert "You asked for help with this on" in walk.get(f"{invited.url}/help?about={key}").text
    requests = db.session.scalars(sa.select(HelpRequest)).all()
    assert len(requests) == 1
    asked = requests[0]
    assert (asked.broker_id, asked.contact_by, asked.note, asked.status) == (
        broker.id,
        "phone",
        "Tuesdays",
        "new",
    )
    shown = text_of(walk.get(f"{invited.url}/result").text)
    assert "Your requests for help" in shown and "You asked for help with this: new" in shown

    worker = factories.user("broker", email="ann@northvale.example", broker=broker)
    db.session.commit()
    ann = staff_client(app, worker)
    caseload = ann.get("/help-requests")
    assert caseload.status_code == 200
    assert invited.organisation.name in caseload.text and f'data-help-request="{asked.id}"' in (
        caseload.text
    )
    case_url = f"/help-requests/{asked.id}"
    case = text_of(ann.get(case_url).text)
    assert "Tuesdays" in case and "01234 567890" in case
    assert "We meet on Tuesdays." not in case  # the group's own answer: not shared with broker

    assigned = post_form(
        ann, case_url, {"status": "contacted", "owner": str(worker.id), "due_on": "2027-03-14"}
    )
    assert assigned.status_code == 303
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    log_url = f"{case_url}/contact-log"
    logged = post_form(ann, case_url, {"text": CALL, "contacted_on": yesterday}, action=log_url)
    assert logged.status_code == 303
    done = post_form(ann, case_url, {"status": "done", "owner": str(worker.id), "due_on": ""})
    assert done.status_code == 303

    db.session.expire_all()
    asked = db.session.get(HelpRequest, asked.id)
    assert (asked.status, asked.owner_id, asked.due_on) == ("done", worker.id, None)
    assert [(n.text, n.contacted_on.isoformat(), n.author) for n in asked.notes] == [
        (CALL, yesterday, "ann@northvale.example")
    ]
    case = text_of(ann.get(case_url).text)
    assert CALL in case
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.target == f"help-request:{asked.id}")
        .order_by(AuditEvent.id)
    ).all()
    # Each GET of the request page is a read (the first look, one before each of the three
    # forms, and the last look); the changes sit between them.
    assert actions == [
        "help-request-read",
        "help-request-read",
        "help-request-changed",
        "help-request-read",
        "help-request-contact-logged",
        "help-request-read",
        "help-request-changed",
        "help-request-read",
    ]
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.action == "caseload-read", AuditEvent.actor == "ann@northvale.example"
            )
        )
        == 1
    )
    changed = db.session.scalars(
        sa.select(AuditEvent.detail)
        .where(AuditEvent.action == "help-request-changed")
        .order_by(AuditEvent.id)
    ).all()
    assert changed[0] == {
        "status": ["new", "contacted"],
        "owner": [None, worker.id],
        "due": [None, "2027-03-14"],
    }
    assert changed[1] == {"status": ["contacted", "done"], "due": ["2027-03-14", None]}

    shown = walk.get(f"{invited.url}/result").text
    assert 'data-status="done"' in shown
    # Done: the group may ask about the same thing again, and gets the button back.
    assert f'name="about" value="{key}"' in shown
    start = text_of(walk.get(invited.url).text)  # its own link's first page says so too
    assert "Your group has asked for help 1 time in this round" in start
    assert start.count(": done") == 1


def test_a_second_brokers_stale_save_is_refused_and_nothing_is_overwritten(walker, invite, app):
    broker = factories.broker()
    invited, walk = sent_group(walker, invite, broker=broker)
    key = first_help_key(walk.get(f"{invited.url}/result").text)
    ask_for_help(walk, invited, key)
    asked = db.session.scalar(sa.select(HelpRequest))
    ann = factories.user("broker", email="ann@b.example", broker=broker)
    bob = factories.user("broker", email="bob@b.example", broker=broker)
    db.session.commit()
    case_url = f"/help-requests/{asked.id}"
    ann_browser, bob_browser = staff_client(app, ann), staff_client(app, bob)
    bob_form = hidden_fields(bob_browser.get(case_url).text)  # Bob opens the page first
    saved = post_form(ann_browser, case_url, {"status": "in_progress", "owner": str(ann.id)})
    assert saved.status_code == 303
    stale = bob_browser.post(
        case_url, data={**bob_form, "status": "declined", "owner": str(bob.id), "due_on": ""}
    )
    assert stale.status_code == 409
    assert CONFLICT in text_of(stale.text)
    db.session.expire_all()
    kept = db.session.get(HelpRequest, asked.id)
    assert (kept.status, kept.owner_id, kept.version) == ("in_progress", ann.id, 2)
    changes = db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "help-request-changed")
    )
    assert changes == 1
    # The 409 page carries the new version: Bob's second try, made knowingly, is saved.
    retried = bob_browser.post(
        case_url,
        data={**hidden_fields(stale.text), "status": "declined", "owner": str(bob.id)},
    )
    assert retried.status_code == 303


def test_another_broker_and_other_roles_see_none_of_it(walker, invite, app):
    broker, other = factories.broker(), factories.broker()
    invited, walk = sent_group(walker, invite, broker=broker, consent_broker="yes")
    ask_for_help(walk, invited, first_help_key(walk.get(f"{invited.url}/result").text))
    asked = db.session.scalar(sa.select(HelpRequest))
    outsider = factories.user("broker", broker=other)
    lead = factories.user("area-lead", areas=[invited.area])
    board = factories.user("board")
    db.session.commit()
    browser = staff_client(app, outsider)
    listing = browser.get("/help-requests")
    assert listing.status_code == 200 and invited.organisation.name not in listing.text
    assert browser.get(f"/help-requests/{asked.id}").status_code == 404
    refused = browser.post(
        f"/help-requests/{asked.id}/contact-log",
        data={"csrf_token": hidden_fields(listing.text).get("csrf_token", ""), "text": "x"},
    )
    assert refused.status_code in (400, 404)
    app.config["WTF_CSRF_ENABLED"] = False
    assert (
        browser.post(f"/help-requests/{asked.id}/contact-log", data={"text": "x"}).status_code
        == 404
    )
    assert browser.post(f"/help-requests/{asked.id}", data={"status": "done"}).status_code == 404
    for user in (lead, board):
        assert staff_client(app, user).get("/help-requests").status_code == 403
        assert staff_client(app, user).get(f"/help-requests/{asked.id}").status_code == 403
    db.session.expire_all()
    assert db.session.get(HelpRequest, asked.id).status == "new"
    assert db.session.scalar(sa.select(sa.func.count(HelpRequestNote.id))) == 0


def test_a_group_with_no_broker_asks_its_areas_pool(walker, invite, app):
    invited, walk = sent_group(walker, invite, broker=None)
    ask_page = walk.get(
        f"{invited.url}/help?about=" + first_help_key(walk.get(f"{invited.url}/result").text)
    ).text
    assert "the brokers who support groups in your area" in text_of(ask_page)
    ask_for_help(walk, invited, first_help_key(walk.get(f"{invited.url}/result").text))
    asked = db.session.scalar(sa.select(HelpRequest))
    assert asked.broker_id is None and asked.area_id == invited.area.id
    nearby, elsewhere = factories.broker(), factories.broker()
    factories.organisation(area=invited.area, broker_id=nearby.id)  # a group of its in the area
    factories.organisation(area=factories.area(), broker_id=elsewhere.id)
    near_user = factories.user("broker", broker=nearby)
    far_user = factories.user("broker", broker=elsewhere)
    admin = factories.user("admin")
    db.session.commit()
    assert staff_client(app, near_user).get(f"/help-requests/{asked.id}").status_code == 200
    assert staff_client(app, far_user).get(f"/help-requests/{asked.id}").status_code == 404
    assert staff_client(app, admin).get(f"/help-requests/{asked.id}").status_code == 200


def test_bad_requests_write_nothing(walker, invite):
    invited, walk = sent_group(walker, invite, broker=factories.broker())
    key = first_help_key(walk.get(f"{invited.url}/result").text)
    assert walk.client.get(f"{invited.url}/help?about=offer:no-such-offer").status_code == 404
    blank = ask_for_help(walk, invited, key, contact_detail="  ")
    assert blank.status_code == 400
    assert "Enter an email address or phone number to reach you" in text_of(blank.text)
    odd = ask_for_help(walk, invited, key, contact_by="pigeon")
    assert odd.status_code == 400
    long_note = ask_for_help(walk, invited, key, note="x" * 2001)
    assert long_note.status_code == 400
    no_csrf = walk.client.post(
        f"{invited.url}/help",
        data={"about": key, "contact_by": "email", "contact_detail": "a@b.example"},
    )
    assert no_csrf.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(HelpRequest.id))) == 0


def test_a_caseload_filters_by_status(walker, invite, app):
    broker = factories.broker()
    invited, walk = sent_group(walker, invite, broker=broker)
    result = walk.get(f"{invited.url}/result").text
    keys = re.findall(r'name="about" value="([^"]+)"', result)[:2]
    for key in keys:
        assert ask_for_help(walk, invited, key).status_code == 303
    first, second = db.session.scalars(sa.select(HelpRequest).order_by(HelpRequest.id)).all()
    first.status = "declined"
    user = factories.user("broker", broker=broker)
    db.session.commit()
    browser = staff_client(app, user)
    declined = browser.get("/help-requests?status=declined").text
    assert f'data-help-request="{first.id}"' in declined
    assert f'data-help-request="{second.id}"' not in declined
    still_open = browser.get("/help-requests?status=open").text
    assert f'data-help-request="{second.id}"' in still_open
    assert f'data-help-request="{first.id}"' not in still_open
    second.due_on = dt.date.today() - dt.timedelta(days=1)
    first.due_on = dt.date.today() - dt.timedelta(days=1)  # declined: not overdue
    db.session.commit()
    overdue = browser.get("/help-requests?due=overdue").text
    assert f'data-help-request="{second.id}"' in overdue and "overdue" in text_of(overdue)
    assert f'data-help-request="{first.id}"' not in overdue


def test_erasing_a_group_erases_its_requests_and_their_log(walker, invite, app):
    from survey.accounts.group_records import counts_held, erase_group

    broker = factories.broker()
    invited, walk = sent_group(walker, invite, broker=broker)
    ask_for_help(walk, invited, first_help_key(walk.get(f"{invited.url}/result").text))
    asked = db.session.scalar(sa.select(HelpRequest))
    db.session.add(
        HelpRequestNote(
            help_request_id=asked.id, contacted_on=dt.date.today(), text=CALL, author="a@b.example"
        )
    )
    db.session.commit()
    organisation = db.session.get(Organisation, invited.organisation.id)
    held = counts_held(organisation)
    assert (held.get("help_request"), held.get("help_request_note")) == (1, 1)
    erase_group(organisation)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(HelpRequest.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(HelpRequestNote.id))) == 0
