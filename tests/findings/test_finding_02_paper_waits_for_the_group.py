"""Issue 9, finding 2: a broker replaced a group's own online submission with a paper one
(`POST /paper`), without the group's consent, in closed rounds too, and the group was not told.
"""

from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa

from survey.extensions import db
from survey.models import Response
from tests import factories
from tests.journey.conftest import (
    Invited,
    hidden_fields,
    instrument,
    make_round,
    per_request_globals,  # noqa: F401 (autouse)
)
from tests.reports.test_paper_import import fill

NO = {"consent_broker": "no", "consent_area_lead": "no", "consent_directory": "no"}


def _rows():
    return [
        tuple(r)
        for r in db.session.execute(
            sa.select(Response.id, Response.status, Response.source, Response.is_current).order_by(
                Response.id
            )
        )
    ]


def _upload(staff, slug: str, data: bytes):
    page = staff.get("/paper")
    return staff.post(
        "/paper",
        data={
            "csrf_token": hidden_fields(page.text)["csrf_token"],
            "round": slug,
            "file": (io.BytesIO(data), "paper.xlsx"),
        },
        content_type="multipart/form-data",
    )


def test_finding_02_paper_answers_never_replace_a_groups_online_answers(app, client, walker):
    chosen = instrument("confidence")
    ics = factories.area(type="ics")
    home = factories.area(type="neighbourhood", parent=ics)
    broker = factories.broker("Paper CVS")
    round_ = make_round(chosen, [ics], slug="confidence-paper")
    group = factories.organisation(name="Online club", area=home, broker=broker)
    link = factories.invitation(round_, organisation=group)
    user = factories.user(role="broker", broker=broker)
    db.session.commit()
    invited = Invited(link.token, round_, group, home, chosen)
    sent = walker(invited).complete(invited.plan(), NO)
    own = "/r/" + sent.location.split("/r/", 1)[1].split("/", 1)[0]
    ((online_id, *_),) = _rows()

    staff = app.test_client()
    with staff.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    template = staff.get("/paper/confidence-paper/template.xlsx").data
    likert = {q.id: "Strongly disagree" for q in chosen.questions if q.type == "likert"}
    paper = fill(template, {3: {**likert, "had_referrals": "No"}})

    done = _upload(staff, "confidence-paper", paper)
    assert done.status_code == 200 and "1 responses imported" in done.text
    # The group's own submission stays current; the paper answers wait for the group.
    rows = _rows()
    assert rows[0] == (online_id, "submitted", "web", True)
    assert [r[1:] for r in rows[1:]] == [("paper_waiting", "paper", False)]
    # The group is told on its own pages, and it decides.
    answers = client.get(f"{own}/check-answers")
    assert "Paper answers for your group are waiting" in answers.text
    decide = client.get(f"{own}/paper-answers")
    assert decide.status_code == 200 and "Strongly disagree" in decide.text
    kept = client.post(
        f"{own}/paper-answers", data={**hidden_fields(decide.text), "choice": "keep"}
    )
    assert kept.status_code == 302
    assert [r[1:] for r in _rows()] == [
        ("submitted", "web", True),
        ("paper_refused", "paper", False),
    ]
    assert "Paper answers for your group" not in client.get(f"{own}/check-answers").text

    # Closed round: the broker's import is refused with a clear message, all or nothing.
    round_.closes_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    before = _rows()
    again = fill(template, {3: {**likert, "had_referrals": "Yes"}})
    refused = _upload(staff, "confidence-paper", again)
    assert refused.status_code == 400
    assert "round confidence-paper is not open" in refused.text
    assert "nothing was imported" in refused.text
    assert _rows() == before
