"""/directory/AREA: an area's listed groups as a public page, searchable without JavaScript."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from survey.demo import load_demo
from survey.extensions import db
from survey.models import Area, Organisation

from .. import factories
from ..oruk_schema import FORMULA, SCRIPT


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_an_area_page_lists_its_listed_groups_only(app, client):
    load_demo(seed=3, groups=24)
    db.session.commit()
    place = db.session.scalar(sa.select(Area).where(Area.type == "place").order_by(Area.id))
    orgs = [
        org
        for org in db.session.scalars(sa.select(Organisation))
        if org.area is not None and (org.area == place or place in org.area.ancestors())
    ]
    listed = sorted(o.name for o in orgs if o.consent_directory)
    private = [o.name for o in orgs if not o.consent_directory]
    assert listed and private
    reply = client.get(f"/directory/{place.code}")
    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    text = _text(page)
    assert f"Community groups in {place.name}" in text
    if len(listed) <= 20:
        assert f"{len(listed)} groups" in text
        for name in listed:
            assert name in text
    for name in private:
        assert name not in text
    assert '<form method="get"' in page and 'name="search"' in page
    assert 'class="govuk-back-link"' in page
    # Search: a word from one group's name finds it, and only groups whose text has it.
    word = listed[0].split()[-1]
    found = _text(client.get(f"/directory/{place.code}?search={word}").get_data(as_text=True))
    assert listed[0] in found
    for name in listed:
        if word.casefold() in name.casefold():
            assert name in found, name
    assert all(name not in found for name in private)
    assert "No listed groups match your search" in _text(
        client.get(f"/directory/{place.code}?search=zzqx").get_data(as_text=True)
    )


def test_text_is_shown_as_text_and_bad_search_is_refused(app, client):
    hood = factories.area(code="T-HOOD", name="Hood")
    factories.organisation(name=SCRIPT, area=hood, consent_directory=True)
    factories.organisation(name=FORMULA, area=hood, consent_directory=True)
    db.session.commit()
    page = client.get("/directory/T-HOOD").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Lunch Club" in page
    assert SCRIPT in _text(page) and FORMULA in _text(page)
    long = client.get("/directory/T-HOOD?search=" + "x" * 201)
    assert long.status_code == 400
    assert "There is a problem" in _text(long.get_data(as_text=True))
    assert client.get("/directory/NO-SUCH-AREA").status_code == 404
    assert client.get("/directory/T-HOOD?page=x").status_code == 200
    assert client.get("/directory/T-HOOD?page=%C2%B2").status_code == 200


def test_a_long_listing_comes_a_page_at_a_time_and_keeps_the_search(app, client, monkeypatch):
    """Two groups a page: page 1 links only forward, the last only back, and a search is
    kept in the links (the pagination shared with the broker's portfolio)."""
    from survey.oruk import pages

    load_demo(seed=3, groups=24)
    db.session.commit()
    monkeypatch.setattr(pages, "PER_PAGE", 2)
    place = db.session.scalar(sa.select(Area).where(Area.type == "place").order_by(Area.id))
    listed = [
        org
        for org in db.session.scalars(sa.select(Organisation))
        if org.consent_directory
        and org.area is not None
        and (org.area == place or place in org.area.ancestors())
    ]
    last = -(-len(listed) // 2)
    assert last >= 2
    first = client.get(f"/directory/{place.code}").get_data(as_text=True)
    assert f"Page 1 of {last}" in first and 'rel="prev"' not in first
    assert f'href="/directory/{place.code}?page=2" rel="next"' in first
    end = client.get(f"/directory/{place.code}?page={last}").get_data(as_text=True)
    assert f"Page {last} of {last}" in end and 'rel="next"' not in end
    assert f'href="/directory/{place.code}?page={last - 1}" rel="prev"' in end
    from collections import Counter

    words = Counter(w for org in listed for w in {w.casefold() for w in org.name.split()})
    word, count = words.most_common(1)[0]
    assert count >= 3  # in 3 names at least: 2 pages of results at least
    searched = client.get(f"/directory/{place.code}?search={word}").get_data(as_text=True)
    assert f'href="/directory/{place.code}?page=2&amp;search={word}" rel="next"' in searched
