"""Referral readiness on the area page: the same figures as pandas works out from the raw answers.

An ICS with three places answering the readiness survey: Ash (12 groups), Birch
(8) and Cedar (3). Every figure shown must equal pandas' count over the raw
answers written here; a figure is shown only when at least 5 groups said yes
and at least 5 said no (5 answered, for places a month); Cedar (3 groups) shows
nothing, and no figure of Cedar's follows from the ICS's minus Ash's and Birch's.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from survey.extensions import db
from survey.models import OVERALL

from .. import factories

THRESHOLD = 5
PLACES = {"R-ASH": 12, "R-BIRCH": 8, "R-CEDAR": 3}
HELP = ("sd_help_wanted", "ss_help_wanted")


def _answers(i: int) -> dict:
    """Group i's answers to the readiness questions: varied, so some cells are small."""
    digital = [
        v
        for v, keep in (
            ("training_volunteers", i % 2 == 0),
            ("directory_listing", i % 3 == 0),
            ("website", i % 4 == 0),
        )
        if keep
    ]
    if i % 11 == 5:
        digital = ["none"]
    sp = [
        v
        for v, keep in (
            ("funding", i % 2 == 1),
            ("safeguarding", i % 3 == 1),
            ("meet_link_workers", i % 5 in (0, 1, 2)),
            ("volunteers", i % 6 == 0),
        )
        if keep
    ]
    levels = [
        v
        for v, keep in (
            ("level_1_information", i % 3 != 0),
            ("level_2_guidance", i % 2 == 1),
            ("level_3_practical", i % 7 == 0),
        )
        if keep
    ]
    return {
        "sw_had_referrals": "yes" if i % 2 == 0 else "no",
        "referral_capacity": (i * 3) % 10,
        "support_levels": levels,
        "sd_help_wanted": digital,
        "ss_help_wanted": sp,
    }


@pytest.fixture
def readiness_places(app):
    """The round, the areas by code, and one row per group: its places and its raw answers."""
    round_ = factories.survey_round("vcse-readiness", slug="readiness-places")
    ics = factories.area("R-ICS", type="ics", name="Readiness ICS")
    areas = {"R-ICS": ics}
    rows, i = [], 0
    for code, count in PLACES.items():
        place = factories.area(code, type="place", parent=ics, name=f"Place {code}")
        areas[code] = place
        for _ in range(count):
            org = factories.organisation(area=place)
            answers = _answers(i)
            factories.submitted_response(
                round_, org, {OVERALL: 3}, areas=[place, ics], answers=answers
            )
            rows.append({"place": code, **answers})
            i += 1
    db.session.commit()
    return round_, areas, pd.DataFrame(rows)


def expected(frame: pd.DataFrame, code: str) -> dict:
    """Pandas over the raw answers: each flag's (yes, answered) and the capacity (n, total)."""
    part = frame if code == "R-ICS" else frame[frame["place"] == code]
    n = len(part)
    out = {"ready:receiving": (int((part["sw_had_referrals"] == "yes").sum()), n)}
    for value, count in part["support_levels"].explode().value_counts().items():
        out[f"ready:nav:{value}"] = (int(count), n)
    for qid in HELP:
        for value, count in part[qid].explode().dropna().value_counts().items():
            if value != "none":
                out[f"ready:help:{qid}:{value}"] = (int(count), n)
    out["capacity"] = (n, float(part["referral_capacity"].sum()))
    return out


def may_show(yes: int, answered: int) -> bool:
    return yes >= THRESHOLD and answered - yes >= THRESHOLD


def shown(page: str) -> dict:
    """What the page's readiness section shows: flag id -> (yes, answered); capacity."""
    section = page.split('id="area-readiness"', 1)[1].split("</section>", 1)[0]
    out = {}
    for kind, yes, of in re.findall(
        r'data-figure="(receiving|supported)">\s*<dt[^>]*>[^<]*</dt>\s*<dd[^>]*>'
        r'<span data-share="[^"]+">\d+%</span> \((\d+) of (\d+) groups\)',
        section,
    ):
        out[f"ready:{kind}"] = (int(yes), int(of))
    for option, yes, of in re.findall(
        r'data-option="([^"]+)">\s*<th[^>]*>[^<]*</th>\s*<td[^>]*>(\d+) of (\d+)</td>', section
    ):
        out[option] = (int(yes), int(of))
    for option, yes, of in re.findall(
        r'<li data-option="([^"]+)">[^<]*: (\d+) of (\d+) groups</li>', section
    ):
        out[option] = (int(yes), int(of))
    total = re.search(r'data-total="([^"]+)">[^<]*</span> a month, from (\d+) groups', section)
    if total:
        out["capacity"] = (int(total.group(2)), float(total.group(1)))
    return out


def top_five(frame: pd.DataFrame) -> list[tuple[str, int]]:
    """The five most requested kinds of help that may be shown, by pandas, labels ignored."""
    want = expected(frame, "R-ICS")
    helps = [(k, v[0]) for k, v in want.items() if k.startswith("ready:help:") and may_show(*v)]
    return [k for k, _ in sorted(helps, key=lambda kv: -kv[1])[:5]]


def test_readiness_figures_equal_pandas_and_small_places_show_nothing(
    client, login, readiness_places
):
    round_, areas, frame = readiness_places
    login("board")
    pages = {
        code: shown(client.get(f"/areas/{code}?round={round_.slug}").get_data(as_text=True))
        for code in areas
    }
    # the ICS (23 groups): 12 receiving, 11 not; capacity 0+3+6+9+2+5+8+1+4+7 twice and
    # 0+3+6 for i = 20..22, i.e. 45 + 45 + 9 = 99 places a month
    ics = pages["R-ICS"]
    assert ics["ready:receiving"] == (12, 23)
    assert ics["capacity"] == (23, 99.0)
    for code, figures in pages.items():
        want = expected(frame, code)
        for key, value in figures.items():
            if key == "capacity":
                assert value == want["capacity"], code
                continue
            assert value == want[key], (code, key)
            assert may_show(*value), (code, key, value)  # never "all" or "all but a few"
    # every flag that may be shown at the top is shown there (the ICS has no parent)
    for key, value in expected(frame, "R-ICS").items():
        if key != "capacity" and not key.startswith("ready:help:") and may_show(*value):
            assert key in ics, key
    helps = re.findall(
        r'<li data-option="([^"]+)">',
        client.get(f"/areas/R-ICS?round={round_.slug}").get_data(as_text=True),
    )
    # by pandas: meet link workers 15, training volunteers 11, funding 11, directory 8,
    # safeguarding 8, then website 5: no tie across the fifth place, so the five are certain
    assert set(helps) == set(top_five(frame)) and len(helps) == 5
    counts = [ics[h][0] for h in helps]
    assert counts == sorted(counts, reverse=True) == [15, 11, 11, 8, 8]
    # Cedar (3 groups) shows nothing, and nothing of Cedar's is the ICS minus Ash and Birch
    assert pages["R-CEDAR"] == {}
    for key in ics:
        assert not (key in pages["R-ASH"] and key in pages["R-BIRCH"]), key


def test_map_and_compare_show_the_area_pages_readiness_figures(client, login, readiness_places):
    from .test_pages import table_rows

    round_, areas, frame = readiness_places
    login("admin")
    pages = {
        code: shown(client.get(f"/areas/{code}?round={round_.slug}").get_data(as_text=True))
        for code in areas
    }
    page = client.get(f"/areas/map?round={round_.slug}&type=place&measure=receiving")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    rows = table_rows(text)
    for code in PLACES:
        figure = pages[code].get("ready:receiving")
        if figure is None:  # Cedar, and a place hidden so Cedar cannot be worked out
            assert rows[code][1].startswith("not shown"), rows[code]
            assert rows[code][2] == "–"  # and no count of groups either
        else:
            yes, of = figure
            assert rows[code][1] == f"{yes / of:.0%} ({yes} of {of})"
    assert rows["R-CEDAR"][1].startswith("not shown")
    capacity = client.get(f"/areas/map?round={round_.slug}&type=place&measure=capacity")
    cap_rows = table_rows(capacity.get_data(as_text=True))
    for code in PLACES:
        if "capacity" in pages[code]:
            n, total = pages[code]["capacity"]
            assert cap_rows[code][1] == f"{total:,.0f} a month ({n} groups)"
        else:
            assert cap_rows[code][1] == "fewer than 5 groups"
    compare = client.get(
        f"/areas/compare?round={round_.slug}&type=place"
        + "".join(f"&area={code}" for code in PLACES)
    ).get_data(as_text=True)
    table = compare.split('id="compare-readiness"', 1)[1].split("</table>", 1)[0]
    row = re.search(r'data-figure="receiving">(.*?)</tr>', table, re.S).group(1)
    cells = re.findall(r'<td class="govuk-table__cell">([^<]*)</td>', row)
    for code, text in zip(PLACES, cells, strict=True):
        figure = pages[code].get("ready:receiving")
        want = (
            f"{figure[0] / figure[1]:.0%} ({figure[0]} of {figure[1]})" if figure else "Not shown"
        )
        assert text == want, code


# The confidence survey asks "had referrals" and, of those who had, "we feel supported to
# welcome them" (a five-point scale with "don't know"). Each group's two answers, None for
# a question left unanswered:
SUPPORTED_ANSWERS = [
    ("yes", "strongly_agree"),
    ("yes", "agree"),
    ("yes", "agree"),
    ("yes", "neither"),
    ("yes", "disagree"),
    ("yes", "dont_know"),
    ("yes", "agree"),
    ("yes", None),
    ("no", None),  # routed past the second question
    ("no", None),
    ("no", None),
    ("yes", "strongly_agree"),
    ("yes", "strongly_disagree"),
    (None, None),  # did not say whether it had referrals: not counted either way
]


def test_involved_and_supported_share_equals_pandas(client, login, app):
    round_ = factories.survey_round("confidence", slug="supported")
    ics = factories.area("S-ICS", type="ics", name="Supported ICS")
    rows = []
    for had, supported in SUPPORTED_ANSWERS:
        answers = {
            k: v
            for k, v in (("had_referrals", had), ("supported_for_referrals", supported))
            if v is not None
        }
        factories.submitted_response(
            round_, factories.organisation(area=ics), {OVERALL: 3}, areas=[ics], answers=answers
        )
        rows.append(answers)
    db.session.commit()
    login("board")
    page = shown(client.get(f"/areas/S-ICS?round={round_.slug}").get_data(as_text=True))

    # pandas from the raw answers: involved and supported = had referrals and agrees or
    # strongly agrees, of the groups that said whether they had referrals
    frame = pd.DataFrame(rows, columns=["had_referrals", "supported_for_referrals"])
    answered = frame[frame["had_referrals"].isin(["yes", "no"])]
    yes = answered[
        (answered["had_referrals"] == "yes")
        & answered["supported_for_referrals"].isin(["agree", "strongly_agree"])
    ]
    assert page["ready:supported"] == (len(yes), len(answered))
    # by hand: 13 groups answered (the last did not); supported: groups 0, 1, 2, 6 and 11;
    # the other 8 (neither, disagree, don't know, no answer, three without referrals,
    # strongly disagree) are not: 5 and 8, both at least 5, so shown as 5 of 13
    assert page["ready:supported"] == (5, 13)
