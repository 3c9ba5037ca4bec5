"""`survey import boundaries | practices | organisations`: real files, re-imports, errors."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from survey.extensions import db
from survey.models import Area, Organisation, OrganisationArea, Practice

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
GEO = DATA / "geo"
PRACTICES = DATA / "pcn" / "gp_practice_pcn_oct2025_lsc_lincs_sel.csv"


def boundaries(path, area_type, code_field, name_field, **options):
    """Import boundaries as the command does, in this test's app context."""
    from survey.areas.imports import import_boundaries

    return import_boundaries(Path(path), area_type, code_field, name_field, **options)


def practices(path):
    from survey.areas.practices import import_practices

    return import_practices(Path(path))


def organisations(path):
    from survey.areas.groups_import import import_organisations

    return import_organisations(Path(path))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def areas_by_code() -> dict[str, Area]:
    return {a.code: a for a in db.session.scalars(sa.select(Area))}


def import_lewisham():
    boundaries(GEO / "lewisham_lad_boundary_2022.geojson", "lad", "LAD22CD", "LAD22NM")
    return boundaries(GEO / "lewisham_wards_2022.geojson", "ward", "WD22CD", "WD22NM")


def test_wards_find_their_borough_by_containment(app):
    result = import_lewisham()
    assert "19 ward areas (19 new, 0 updated, 19 with a parent)" in str(result)
    areas = areas_by_code()
    assert len(areas) == 20
    wards = [a for a in areas.values() if a.type == "ward"]
    assert {w.parent.code for w in wards} == {"E09000023"}
    assert areas["E05013714"].name == "Bellingham"
    assert areas["E09000023"].name == "Lewisham"
    bellingham = areas["E05013714"]
    assert json.loads(bellingham.geometry)["type"] == "Polygon"
    assert len(bellingham.display_geometry) < len(bellingham.geometry) / 3


def test_parents_from_a_field_and_reimport_updates(app, tmp_path):
    import_lewisham()
    ids = {a.code: a.id for a in areas_by_code().values()}
    renamed = json.loads((GEO / "lewisham_wards_2022.geojson").read_text())
    renamed["features"][0]["properties"]["WD22NM"] = "Bellingham & Beyond"
    path = tmp_path / "wards.geojson"
    path.write_text(json.dumps(renamed))
    result = boundaries(path, "ward", "WD22CD", "WD22NM", parent_field="LAD22CD")
    assert "(0 new, 19 updated, 19 with a parent)" in str(result)
    areas = areas_by_code()
    assert len(areas) == 20  # nothing duplicated
    assert {a.code: a.id for a in areas.values()} == ids  # same rows, updated in place
    assert areas["E05013714"].name == "Bellingham & Beyond"


def _bad_files(tmp_path: Path) -> list[tuple[Path, str]]:
    empty = tmp_path / "empty.geojson"
    empty.write_text("")
    malformed = tmp_path / "malformed.geojson"
    malformed.write_text((GEO / "lewisham_wards_2022.geojson").read_text()[:5000])
    missing = tmp_path / "missing.geojson"
    data = json.loads((GEO / "lewisham_wards_2022.geojson").read_text())
    del data["features"][7]["properties"]["WD22NM"]
    missing.write_text(json.dumps(data))
    huge = tmp_path / "huge.geojson"
    with huge.open("wb") as f:  # 200 MB of nothing (sparse): refused before it is read
        f.truncate(200 * 1024 * 1024)
    return [
        (empty, "empty.geojson: the file is empty"),
        (malformed, "malformed.geojson: not valid JSON"),
        (missing, "missing.geojson: feature 8 ("),
        (huge, "huge.geojson: the file is 200 MB, over the 100 MB limit"),
    ]


def test_bad_boundary_files_change_nothing(app, tmp_path):
    from survey.errors import InputError

    import_lewisham()
    before = {a.code: (a.name, a.parent_id, a.geometry) for a in areas_by_code().values()}
    for path, message in _bad_files(tmp_path):
        with pytest.raises(InputError) as raised:
            boundaries(path, "ward", "WD22CD", "WD22NM")
        assert message in raised.value.message and "\n" not in raised.value.message
        db.session.rollback()
        after = {a.code: (a.name, a.parent_id, a.geometry) for a in areas_by_code().values()}
        assert after == before


def test_a_code_of_another_type_is_refused_whole(app):
    from survey.errors import InputError

    import_lewisham()
    with pytest.raises(InputError) as raised:
        boundaries(GEO / "lewisham_wards_2022.geojson", "lsoa", "WD22CD", "WD22NM")
    assert "E05013714 already exists as a ward area, not lsoa" in raised.value.message
    db.session.rollback()
    assert {a.type for a in areas_by_code().values()} == {"lad", "ward"}


def expected_pcns() -> dict[str, str]:
    with PRACTICES.open(newline="") as f:
        return {r["PCN_CODE"]: r["PCN_NAME"] for r in csv.DictReader(f) if r["PCN_CODE"] != "U"}


def test_the_nhs_practice_file_creates_pcns_once(app):
    from tests import factories

    # Morecambe Bay's sub-ICB (ONS code E38000228, as a CCG boundary would give it)
    factories.area("E38000228", type="place", name="Morecambe Bay")
    db.session.commit()
    practices(PRACTICES)
    pcns = expected_pcns()
    assert count(Practice) == 471
    areas = areas_by_code()
    assert {c for c, a in areas.items() if a.type == "pcn"} == set(pcns)
    assert areas["U25520"].name == "MID FURNESS PCN"
    assert areas["U25520"].parent.code == "E38000228"  # linked by the sub-ICB column
    ulverston = db.session.scalar(sa.select(Practice).where(Practice.code == "A82003"))
    assert (ulverston.pcn_code, ulverston.postcode) == ("U25520", "LA12 7BT")
    unallocated = db.session.scalars(sa.select(Practice).where(Practice.pcn_code.is_(None))).all()
    assert len(unallocated) == 2
    assert "0 new PCN areas" in practices(PRACTICES)
    assert count(Practice) == 471 and count(Area) == len(pcns) + 1


def test_the_design_shaped_practice_file_is_accepted(app, tmp_path):
    from survey.errors import InputError

    path = tmp_path / "practices.csv"
    path.write_text(
        "code,name,postcode,pcn code,pcn name\n"
        "P1,Hill Surgery,PR1 1AA,PCN1,North PCN\n"
        "P2,Vale Surgery,PR1 2BB,PCN1,North PCN\n"
        "P3,Moor Practice,PR2 3CC,PCN2,South PCN\n"
    )
    practices(path)
    assert sorted((a.code, a.name) for a in areas_by_code().values()) == [
        ("PCN1", "North PCN"),
        ("PCN2", "South PCN"),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,postcode,pcn code,pcn name\nP9,,PR1 1AA,PCN9,X\n")
    with pytest.raises(InputError) as raised:
        practices(bad)
    assert raised.value.message == "bad.csv: row 2: 'name' is blank"
    db.session.rollback()
    assert count(Practice) == 3 and "PCN9" not in areas_by_code()


def test_organisations_are_placed_up_the_hierarchy(app, tmp_path):
    import_lewisham()
    practices_csv = tmp_path / "practices.csv"
    practices_csv.write_text(
        "code,name,postcode,pcn code,pcn name\nP1,Hill Surgery,SE6 1AA,PCN1,North PCN\n"
    )
    globals()["practices"](practices_csv)
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(
        "name,postcode,area_code,charity_number,email,broker,practice_code\n"
        "Bellingham Lunch Club,SE6 3AA,E05013714,1100001,lunch@example.org,Lewisham CVS,\n"
        "Hill Walkers,SE6 2BB,,,,,P1\n"
    )
    # a third group placed by its coordinates alone: a point inside Bellingham ward
    lon, lat = areas_by_code()["E05013714"].centroid_lon, areas_by_code()["E05013714"].centroid_lat
    with orgs.open("a") as f:
        f.write("Moor Friends,SE6 4CC,,,,,,\n")
    text = orgs.read_text().replace("practice_code\n", "practice_code,longitude,latitude\n", 1)
    orgs.write_text(
        text.replace("Moor Friends,SE6 4CC,,,,,,", f"Moor Friends,SE6 4CC,,,,,,{lon},{lat}")
    )
    summary, errors = organisations(orgs)
    assert errors == [] and summary.startswith("Imported 3 groups (3 new, 0 updated)")
    areas = areas_by_code()
    placed = {
        o.name: {areas_code for areas_code, in db.session.execute(
            sa.select(Area.code).join(OrganisationArea).where(OrganisationArea.organisation_id == o.id)
        )}
        for o in db.session.scalars(sa.select(Organisation))
    }  # fmt: skip
    assert placed == {
        "Bellingham Lunch Club": {"E05013714", "E09000023"},
        "Hill Walkers": {"PCN1"},
        "Moor Friends": {"E05013714", "E09000023"},
    }
    club = db.session.scalar(
        sa.select(Organisation).where(Organisation.name == "Bellingham Lunch Club")
    )
    assert club.area.code == "E05013714" and club.broker.name == "Lewisham CVS"
    # the same file again updates the same groups
    assert organisations(orgs)[0].startswith("Imported 3 groups (0 new, 3 updated)")
    assert count(Organisation) == 3 and areas["PCN1"].type == "pcn"
    # a postcode typed without its space, lower case, is the same group's postcode
    orgs.write_text("name,postcode,area_code\nHill Walkers,se62bb,E05013714\n")
    assert organisations(orgs)[0].startswith("Imported 1 groups (0 new, 1 updated)")
    walkers = db.session.scalar(sa.select(Organisation).where(Organisation.name == "Hill Walkers"))
    assert walkers.postcode == "SE6 2BB" and count(Organisation) == 3


def test_a_bad_organisations_file_reports_every_row_and_writes_nothing(app, tmp_path):
    import_lewisham()
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(
        "name,postcode,area_code,email,practice_code\n"
        "Good Group,SE6 3AA,E05013714,,\n"
        ",SE6 3AA,E05013714,,\n"
        "Lost Group,SE6 3AA,E99999999,,\n"
        "Nowhere Group,SE6 3AA,,,\n"
        "Mail Group,NOT A POSTCODE,E05013714,not-an-email,\n"
    )
    summary, errors = organisations(orgs)
    assert summary == "" and len(errors) == 5
    out = "\n".join(errors)
    assert "orgs.csv: row 3: 'name' is blank" in out
    assert "orgs.csv: row 4: 'area_code' 'E99999999' is not an imported area" in out
    assert "orgs.csv: row 5: give an 'area_code', a 'practice_code' or coordinates" in out
    assert "orgs.csv: row 6: 'postcode' 'NOT A POSTCODE' is not a UK postcode" in out
    assert "orgs.csv: row 6: 'email' 'not-an-email' is not an email address" in out
    assert "row 2" not in out
    assert count(Organisation) == 0 and count(OrganisationArea) == 0


@pytest.fixture
def sqlite_app(sqlite_template, tmp_path):
    """One SQLite app, not both engines: for the big real files, read once."""
    from survey import create_app

    path = tmp_path / "big.db"
    shutil.copy(sqlite_template, path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_real_lads_and_wards_link_as_the_lookup_says(sqlite_app):
    lads = boundaries(GEO / "england_lad_2013.geojson", "lad", "LAD13CD", "LAD13NM")
    assert str(lads).startswith("Imported 326 lad areas")
    wards = boundaries(GEO / "lsc_wards_2013.geojson", "ward", "WD13CD", "WD13NM")
    assert "Imported 360 ward areas (360 new, 0 updated, 360 with a parent)" in str(wards)
    db.session.remove()
    with (GEO / "lookups" / "ward13_to_lad13_lsc_lincs.csv").open(newline="") as f:
        lookup = {r["WD13CD"]: r["LAD13CD"] for r in csv.DictReader(f)}
    areas = areas_by_code()
    wards_found = {c: a.parent.code for c, a in areas.items() if a.type == "ward"}
    assert len(wards_found) == 360
    assert wards_found == {code: lookup[code] for code in wards_found}
    assert areas["E07000027"].name == "Barrow-in-Furness"


def test_the_command_prints_one_line_and_exits_non_zero(sqlite_app, monkeypatch, tmp_path):
    from click.testing import CliRunner

    from survey.commands.main import main

    monkeypatch.setenv("DATABASE_URL", sqlite_app.config["SQLALCHEMY_DATABASE_URI"])
    runner = CliRunner()
    ok = runner.invoke(main, ["import", "boundaries", str(GEO / "lewisham_lad_boundary_2022.geojson"),
                              "--type", "lad", "--code-field", "LAD22CD", "--name-field", "LAD22NM"])  # fmt: skip
    assert ok.exit_code == 0 and "Imported 1 lad areas (1 new" in ok.output
    for path, message in _bad_files(tmp_path):
        result = runner.invoke(main, ["import", "boundaries", str(path), "--type", "ward",
                                      "--code-field", "WD22CD", "--name-field", "WD22NM"])  # fmt: skip
        lines = result.output.strip().splitlines()
        assert result.exit_code == 1 and len(lines) == 1, result.output
        assert lines[0].startswith("Error: ") and message in lines[0]
    bad_type = runner.invoke(main, ["import", "boundaries", str(path), "--type", "county",
                                    "--code-field", "A", "--name-field", "B"])  # fmt: skip
    assert bad_type.exit_code == 1 and "county" in bad_type.output
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("name,postcode,area_code\nA Group,SE6 3AA,E09000023\n,SE6 3AA,NOPE\n")
    result = runner.invoke(main, ["import", "organisations", str(orgs)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "orgs.csv: row 3: 'name' is blank",
        "orgs.csv: row 3: 'area_code' 'NOPE' is not an imported area",
        "Error: orgs.csv: 2 problems; nothing was imported",
    ]
    db.session.remove()
    assert [a.code for a in areas_by_code().values()] == ["E09000023"]
    assert count(Organisation) == 0


def test_a_practice_gives_the_pcn_only_when_nothing_else_does(app):
    from survey.areas.placing import Placer
    from tests import factories

    pcn_a = factories.area("PCN-A", type="pcn")
    pcn_b = factories.area("PCN-B", type="pcn")
    nbhd = factories.area("N-1", type="neighbourhood", parent=pcn_a)
    lad = factories.area("LAD-1", type="lad")
    ward = factories.area("W-1", type="ward", parent=lad)
    db.session.add(Practice(code="P-B", name="B Surgery", pcn_code="PCN-B", pcn_name="B"))
    in_nbhd = factories.organisation(area=nbhd, practice_code="P-B")
    in_ward = factories.organisation(area=ward, practice_code="P-B")
    db.session.flush()
    placer = Placer()
    # the chosen neighbourhood already puts the group in PCN A: its practice's PCN B is not added
    assert placer.areas_for(in_nbhd) == {nbhd.id, pcn_a.id}
    # a ward is no PCN: the practice says which one
    assert placer.areas_for(in_ward) == {ward.id, lad.id, pcn_b.id}


def test_real_lsoas_find_the_msoa_their_name_says(sqlite_app):
    # "Preston 001A" lies in "Preston 001": the ONS names say which MSOA holds each LSOA
    boundaries(GEO / "lsc_msoa_2011.geojson", "msoa", "MSOA11CD", "MSOA11NM")
    result = boundaries(GEO / "lsc_lsoa_2011.geojson", "lsoa", "LSOA11CD", "LSOA11NM")
    assert "Imported 1049 lsoa areas (1049 new, 0 updated, 1049 with a parent)" in str(result)
    db.session.remove()
    lsoas = [a for a in areas_by_code().values() if a.type == "lsoa"]
    assert len(lsoas) == 1049
    assert all(a.parent.name == a.name[:-1] for a in lsoas)
