"""The `survey` command as a newcomer, CI and other tools use it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from instruments import DEFINITIONS_DIR
from survey import create_app
from survey.commands.main import main
from survey.extensions import db
from survey.models import OVERALL, Area, DomainScore, Organisation, Response, Round, utcnow

INVALID = Path(__file__).parent.parent / "instruments" / "invalid"


def test_help_lists_the_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "run", "instruments", "rounds", "areas", "score"):
        assert f"  {command}" in result.output


def test_instruments_check_passes_on_the_shipped_instruments():
    result = CliRunner().invoke(main, ["instruments", "check"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    names = {p.name for p in DEFINITIONS_DIR.glob("*.yaml")}
    for expected in ("confidence", "dmi-organisation", "dmi-locality", "vcse-readiness"):
        assert any(n.startswith(expected + "-") for n in names), expected


@pytest.mark.parametrize(
    "path",
    sorted(p for p in INVALID.glob("*.yaml") if p.name != "support-offers.yaml"),
    ids=lambda p: p.name,
)
def test_instruments_check_fails_on_each_invalid_fixture(path):
    result = CliRunner().invoke(main, ["instruments", "check", str(path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines, "an error must be printed"
    assert all(line.startswith(path.name + ": ") for line in lines), lines


def test_app_refuses_to_start_on_an_invalid_instrument(tmp_path):
    from instruments import InstrumentError

    broken = tmp_path / "defs"
    broken.mkdir()
    for source in DEFINITIONS_DIR.glob("*.yaml"):
        (broken / source.name).write_text(source.read_text())
    confidence = next(broken.glob("confidence-*.yaml"))
    confidence.write_text(confidence.read_text().replace("sections:", "sectoins:", 1))
    with pytest.raises(InstrumentError) as raised:
        create_app({"INSTRUMENTS_DIR": str(broken), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert any(e.startswith(confidence.name + ":") and "sectoins" in e for e in raised.value.errors)


def test_demo_seeds_areas_groups_and_rounds(app, cli):
    result = cli("demo", "--groups", "60", "--seed", "7")
    assert result.exit_code == 0, result.output
    db.session.remove()
    types = dict(
        db.session.execute(sa.select(Area.type, sa.func.count()).group_by(Area.type)).all()
    )
    assert types["ics"] == 1 and types["place"] >= 2 and types["neighbourhood"] >= 10
    assert types["lad"] >= 2 and types["ward"] >= 10
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 60
    slugs = set(db.session.scalars(sa.select(Round.slug)))
    assert {"confidence-2024", "confidence-2025", "confidence-2026"} <= slugs
    submitted = db.session.scalar(
        sa.select(sa.func.count()).select_from(Response).where(Response.status == "submitted")
    )
    assert submitted > 60  # most groups answer most rounds


def test_demo_directory_entries_are_what_the_entry_pages_accept(app, cli):
    from exports.listing_entry import read_step, steps_for
    from survey.models import DirectoryEntry, Postcode

    result = cli("demo", "--groups", "60", "--seed", "7")
    assert result.exit_code == 0, result.output
    db.session.remove()
    entries = db.session.scalars(sa.select(DirectoryEntry)).all()
    listed = {o.id: o for o in db.session.scalars(sa.select(Organisation))}
    # Listed groups only: every fourth demo group is not listed (45 of 60 are), and
    # about two in three listed groups keep an entry.
    assert all(listed[e.organisation_id].consent_directory for e in entries)
    assert 20 <= len(entries) <= 40
    for entry in entries:
        for step in steps_for(entry.details):
            values, errors = read_step(step, entry.details)
            assert errors == {}, (entry.details, errors)
            assert all(entry.details.get(k, "") == v or v in ("", []) for k, v in values.items())
    venues = [e for e in entries if e.details["venue_public"] == "yes"]
    assert 0 < len(venues) < len(entries)
    for entry in venues:
        # The venue's point is its postcode's in the directory, never the group's own.
        place = db.session.get(Postcode, entry.venue_postcode)
        assert (place.lat, place.lon) == (entry.venue_lat, entry.venue_lon)
        group = listed[entry.organisation_id]
        assert (group.lat, group.lon) != (entry.venue_lat, entry.venue_lon)
        assert entry.venue_postcode != group.postcode
    six_months_ago = utcnow() - dt.timedelta(days=183)
    assert 0 < sum(e.confirmed_at < six_months_ago for e in entries) < len(entries) / 2
    assert f"directory: {len(entries)} entries ({len(venues)} with a public venue" in (
        result.output
    )


def test_demo_twice_leaves_the_data_alone(app, cli):
    assert cli("demo", "--groups", "20").exit_code == 0
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Response))
    again = cli("demo", "--groups", "20")
    assert again.exit_code == 0
    assert "already has data" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == before


def test_demo_is_reproducible_from_its_seed(app, cli):
    def fingerprint():
        db.session.remove()
        names = db.session.scalars(sa.select(Organisation.name).order_by(Organisation.id)).all()
        levels = db.session.execute(
            sa.select(DomainScore.domain_id, DomainScore.level).order_by(DomainScore.id)
        ).all()
        return names, levels

    assert cli("demo", "--groups", "25", "--seed", "11").exit_code == 0
    first = fingerprint()
    assert cli("demo", "--groups", "25", "--seed", "11", "--reset").exit_code == 0
    assert fingerprint() == first
    assert cli("demo", "--groups", "25", "--seed", "12", "--reset").exit_code == 0
    assert fingerprint() != first


def test_rounds_and_areas_list_one_line_each(app, cli):
    assert cli("demo", "--groups", "20").exit_code == 0
    rounds = cli("rounds", "list").output.splitlines()
    assert len(rounds) == db.session.scalar(sa.select(sa.func.count()).select_from(Round))
    slug, instrument, opens, closes = rounds[0].split("\t")
    assert instrument.startswith("confidence@") and opens < closes
    wards = cli("areas", "list", "--type", "ward").output.splitlines()
    assert wards and all(line.split("\t")[1] == "ward" for line in wards)
    assert all(line.split("\t")[3] for line in wards), "every ward has a parent"
    bad = cli("areas", "list", "--type", "county")
    assert bad.exit_code == 1 and "county" in bad.output


def test_score_recomputes_the_stored_scores(app, cli):
    assert cli("demo", "--groups", "30").exit_code == 0
    stored = db.session.execute(
        sa.select(DomainScore.response_id, DomainScore.domain_id, DomainScore.level)
        .join(Response)
        .join(Round)
        .where(Round.slug == "confidence-2025")
        .order_by(DomainScore.response_id, DomainScore.domain_id)
    ).all()
    db.session.execute(
        sa.update(DomainScore).where(DomainScore.domain_id == OVERALL).values(level=None)
    )
    db.session.commit()
    result = cli("score", "--round", "confidence-2025")
    assert result.exit_code == 0 and "Rescored" in result.output
    again = db.session.execute(
        sa.select(DomainScore.response_id, DomainScore.domain_id, DomainScore.level)
        .join(Response)
        .join(Round)
        .where(Round.slug == "confidence-2025")
        .order_by(DomainScore.response_id, DomainScore.domain_id)
    ).all()
    assert again == stored
    assert cli("score", "--round", "nope").exit_code == 1


def test_demo_has_one_staff_account_per_role(app, cli):
    from survey.demo import DEMO_PASSWORD
    from survey.models import User

    result = cli("demo", "--groups", "20")
    assert DEMO_PASSWORD in result.output
    db.session.remove()
    users = {u.role: u for u in db.session.scalars(sa.select(User))}
    assert set(users) == {"admin", "broker", "area-lead", "board"}
    assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
    assert [a.type for a in users["area-lead"].areas] == ["place"]
    assert users["broker"].broker is not None


def test_demo_keeps_its_current_rounds_open(app, cli):
    import datetime as dt

    cli("demo", "--groups", "20")
    db.session.remove()
    rounds = {r.slug: r for r in db.session.scalars(sa.select(Round))}
    assert rounds["dmi-organisation-2026"].is_open(dt.date.today())
    assert not rounds["confidence-2024"].is_open(dt.date.today())


def test_publish_publishes_each_view_once_and_then_says_up_to_date(app, cli):
    """Six groups in one area: each view (self-assessed, moderated) gets its first
    publication; run again with nothing changed, each is up to date and nothing new is
    written. An unknown round is refused with its name and a non-zero exit."""
    from survey.models import Publication
    from tests import factories

    hood = factories.area(code="P-N", type="neighbourhood")
    round_ = factories.survey_round("confidence", slug="publish-cli")
    factories.scored_groups(round_, hood, 6)
    db.session.commit()
    first = cli("publish", "--round", "publish-cli")
    assert first.exit_code == 0, first.output
    assert "publish-cli (self-assessed): publication 1" in first.output
    assert "publish-cli (moderated): publication 2" in first.output
    db.session.remove()
    views = db.session.execute(sa.select(Publication.moderated).order_by(Publication.id)).all()
    assert [v for (v,) in views] == [False, True]
    again = cli("publish")
    assert again.output.count("up to date") == 2, again.output
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 2
    unknown = CliRunner().invoke(main, ["publish", "--round", "no-such-round"])
    assert unknown.exit_code != 0 and "no-such-round" in unknown.output
