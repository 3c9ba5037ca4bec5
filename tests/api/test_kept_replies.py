"""The API's aggregates reply is kept for the same figures and question, never past a change."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from survey import publication
from survey.api import views as api_views
from survey.extensions import db
from survey.models import OVERALL, Area

from .. import factories

URL = "/api/rounds/confidence-test/aggregates"


def _pcn(body: dict) -> dict:
    (row,) = [r for r in body["aggregates"] if r["domain_id"] == "welcoming"]
    return row


@pytest.fixture
def made(monkeypatch) -> list[str]:
    """Each time the API worked its aggregate records out (the real function, counted).

    The process's kept replies start empty: an earlier test's (another database's, never
    found here) would still take room and make the room these tests set wrong."""
    publication._REPLIES.clear()
    calls = []
    real = api_views.round_aggregates

    def counted(round_, areas):
        calls.append(round_.slug)
        return real(round_, areas)

    monkeypatch.setattr(api_views, "round_aggregates", counted)
    return calls


def _get(client, bearer, made: list[str]) -> tuple[bytes, int]:
    """The reply's bytes, and whether its records were worked out for it (1) or kept (0)."""
    before = len(made)
    reply = client.get(URL, headers=bearer)
    assert reply.status_code == 200 and reply.mimetype == "application/json"
    return reply.data, len(made) - before


def test_the_same_question_gets_the_kept_reply_until_the_figures_change(
    client, scored, bearer, made
):
    round_, pcn, hoods = scored
    # publishes the round: the sets are worked out, and the page is given their summary,
    # the one remembered for the round's change token, so its reply is kept under it
    first, first_made = _get(client, bearer, made)
    second, second_made = _get(client, bearer, made)
    third, third_made = _get(client, bearer, made)
    assert first_made == 1
    assert second_made == third_made == 0  # kept
    assert first == second == third
    assert _pcn(json.loads(third))["n"] == 15  # 6 + 2 + 7 groups

    # five more groups answer in B (level 4 each): the PCN's 15 become 20, and its mean
    # 37 / 15 becomes (37 + 20) / 20
    for _ in range(5):
        org = factories.organisation(area=hoods[1])
        factories.submitted_response(
            round_, org, {"welcoming": 4, OVERALL: 3}, areas=[hoods[1], pcn]
        )
    db.session.commit()
    changed, changed_made = _get(client, bearer, made)
    shown = _pcn(json.loads(changed))
    assert changed_made > 0 and shown["n"] == 20 and shown["mean"] == 57 / 20
    # replies are kept under a summary, never under a state with every member in it
    assert all(state.present is not None for state, _ in publication._REPLIES.values())

    # the area renamed: the kept reply is not the answer (its name is part of the question)
    kept, kept_made = _get(client, bearer, made)  # the new summary's, kept
    assert kept_made == 0
    db.session.get(Area, pcn.id).name = "Renamed PCN"
    db.session.commit()
    renamed, _ = _get(client, bearer, made)
    assert _pcn(json.loads(renamed))["area_name"] == "Renamed PCN"


def test_a_threshold_or_an_area_asked_is_another_question(app, client, scored, bearer, made):
    _get(client, bearer, made)
    _get(client, bearer, made)
    whole = client.get(URL, headers=bearer).get_json()
    one = client.get(f"{URL}?area=T-NB", headers=bearer).get_json()
    assert {r["area_code"] for r in whole["aggregates"]} == {"T-PCN"}
    assert {r["area_code"] for r in one["aggregates"]} == {"T-NB"}
    app.config["DISCLOSURE_THRESHOLD"] = 2
    try:
        lower = client.get(URL, headers=bearer).get_json()
    finally:
        app.config["DISCLOSURE_THRESHOLD"] = 5
    assert lower["threshold"] == 2 and whole["threshold"] == 5


def test_the_kept_replies_stay_within_their_bytes(client, scored, bearer, made, monkeypatch):
    """Room for one reply only: the next question's reply takes the place of the last."""
    whole, one = URL, f"{URL}?area=T-NB"
    for url in (whole, one):  # each made and kept under the summary
        client.get(url, headers=bearer)
    size = max(len(reply) for _, reply in publication._REPLIES.values())
    monkeypatch.setattr(publication, "REPLIES_BYTES", size + 10)
    publication._REPLIES.clear()
    before = len(made)
    for url in (whole, whole, one, one, whole):
        assert client.get(url, headers=bearer).status_code == 200
    # whole made and kept, then found; one made (whole let go), then found; whole made
    assert len(made) - before == 3
    assert len(publication._REPLIES) == 1


def test_replies_are_kept_side_by_side_up_to_their_count(client, scored, bearer, made, monkeypatch):
    """Room for two: two questions asked in turn are both answered from kept replies; a third
    lets the oldest go."""
    whole, one, other = URL, f"{URL}?area=T-NB", f"{URL}?area=T-NC"
    client.get(whole, headers=bearer)  # publishes: the summary is remembered from here on
    monkeypatch.setattr(publication, "REPLIES_KEPT", 2)
    publication._REPLIES.clear()
    before = len(made)
    for url in (whole, one, whole, one):
        assert client.get(url, headers=bearer).status_code == 200
    assert len(made) - before == 2  # each made once, then found beside the other
    assert client.get(other, headers=bearer).status_code == 200  # made: whole let go
    assert client.get(one, headers=bearer).status_code == 200  # still kept
    assert len(made) - before == 3
    assert client.get(whole, headers=bearer).status_code == 200  # made again
    assert len(made) - before == 4 and len(publication._REPLIES) == 2


def test_a_reply_exactly_the_room_left_is_kept(client, scored, bearer, made, monkeypatch):
    """The room is a limit, not a bar: a reply of exactly REPLIES_BYTES is kept, and two
    replies that fill the room to the byte are both kept."""
    whole, one = URL, f"{URL}?area=T-NB"
    client.get(whole, headers=bearer)  # publishes: the summary is remembered from here on
    sizes = {url: len(client.get(url, headers=bearer).data) for url in (whole, one)}
    monkeypatch.setattr(publication, "REPLIES_BYTES", sizes[whole])
    publication._REPLIES.clear()
    before = len(made)
    for url in (whole, whole):
        assert client.get(url, headers=bearer).status_code == 200
    assert len(made) - before == 1  # made, then found
    monkeypatch.setattr(publication, "REPLIES_BYTES", sizes[whole] + sizes[one])
    publication._REPLIES.clear()
    before = len(made)
    for url in (whole, one, whole, one):
        assert client.get(url, headers=bearer).status_code == 200
    assert len(made) - before == 2  # each made once, then found beside the other


def test_a_reply_made_again_takes_its_old_place_not_another_rounds(
    client, scored, bearer, made, monkeypatch
):
    """Room for two: round X's reply, then round Y's. A new link in Y changes Y's summary
    but not its figures, so Y's reply is made again under the same question: it replaces
    its own old copy, and X's reply, still right, stays kept."""
    other = factories.survey_round("confidence", slug="confidence-other")
    hood = factories.area(code="T-OTHER", type="neighbourhood")
    other.areas = [hood]
    factories.scored_groups(other, hood, 6)
    db.session.commit()
    mine, theirs = URL, "/api/rounds/confidence-other/aggregates"
    for url in (mine, theirs):  # each published, its summary remembered
        client.get(url, headers=bearer)
    monkeypatch.setattr(publication, "REPLIES_KEPT", 2)
    publication._REPLIES.clear()
    for url in (mine, theirs):
        assert client.get(url, headers=bearer).status_code == 200
    published = publication.latest_publication(other.id, False).id
    invited = factories.organisation(area=hood)
    factories.invitation(other, invited)
    db.session.commit()
    # worked out afresh (not kept), and made under the new summary
    assert client.get(theirs, headers=bearer).status_code == 200
    assert publication.latest_publication(other.id, False).id == published  # same figures
    before = made.count("confidence-test")
    assert client.get(mine, headers=bearer).status_code == 200
    assert made.count("confidence-test") == before  # still kept
    theirs_before = made.count("confidence-other")
    assert client.get(theirs, headers=bearer).status_code == 200
    assert made.count("confidence-other") == theirs_before  # kept under the new summary
    assert len(publication._REPLIES) == 2


def test_without_change_tokens_nothing_is_remembered_and_every_reply_is_made(
    client, scored, bearer, made
):
    """The change tokens' rows emptied (by hand): the process cannot tell whether the
    figures are current, so it remembers no summary, and each reply is made afresh, never
    kept: the same reply each time, and no error."""
    from survey.models import FiguresState

    publication._KNOWN.clear()  # a process that knows nothing of this round yet
    db.session.execute(sa.delete(FiguresState))
    db.session.commit()
    replies = [_get(client, bearer, made) for _ in range(3)]
    assert [was_made for _, was_made in replies] == [1, 1, 1]
    assert replies[0][0] == replies[1][0] == replies[2][0]
    assert _pcn(json.loads(replies[0][0]))["n"] == 15
    assert publication._KNOWN == {} and publication._REPLIES == {}
