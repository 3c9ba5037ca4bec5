"""Real places end to end: the README's "Set up your own ICS" commands on the real files of
Lancashire and South Cumbria and of Lewisham; expected values are worked out here from the
files themselves (shapely on the raw GeoJSON and postcode file), not read back from the code.
"""

from __future__ import annotations

import csv
import json
import re
import shlex
from pathlib import Path

import pytest
import shapely
import sqlalchemy as sa
from shapely.geometry import shape

from survey.extensions import db
from survey.models import Area, Organisation, OrganisationArea, Practice

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
GEO = DATA / "geo"
PRACTICES = DATA / "pcn" / "gp_practice_pcn_oct2025_lsc_lincs_sel.csv"
LSC_POSTCODES = DATA / "postcodes" / "codepoint_open_2025_lsc.csv"
SEL_POSTCODES = DATA / "postcodes" / "codepoint_open_2025_selondon.csv"


def readme_commands() -> list[str]:
    """The `survey ...` lines of the README's "Set up your own ICS" code block."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set up your own ICS", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith("survey ")]


def postcode_points(path: Path) -> dict[str, tuple[float, float, str]]:
    with path.open(newline="") as handle:
        return {
            row["postcode"]: (float(row["lon"]), float(row["lat"]), row["ward_code"])
            for row in csv.DictReader(handle)
        }


def features(path: Path, code_field: str) -> dict[str, dict]:
    data = json.loads(path.read_text())
    return {f["properties"][code_field]: f for f in data["features"]}


def practice_rows(icb: str) -> list[dict]:
    with PRACTICES.open(newline="") as handle:
        return [r for r in csv.DictReader(handle) if r["ICB_CODE"] == icb]


def stored(area_type: str) -> dict[str, shapely.Geometry]:
    rows = db.session.execute(
        sa.select(Area.code, Area.geometry).where(
            Area.type == area_type, Area.geometry.is_not(None)
        )
    )
    return {code: shapely.from_geojson(geometry) for code, geometry in rows}


def memberships(org: Organisation, area_type: str) -> set[str]:
    return set(
        db.session.scalars(
            sa.select(Area.code)
            .join(OrganisationArea, OrganisationArea.area_id == Area.id)
            .where(OrganisationArea.organisation_id == org.id, Area.type == area_type)
        )
    )


def assert_a_clean_tiling(pieces: dict[str, shapely.Geometry]) -> None:
    """No overlaps, and every border between two pieces is the same line on both sides."""
    shapes = list(pieces.values())
    total = sum(p.area for p in shapes)
    assert total - shapely.union_all(shapes).area == pytest.approx(0, abs=1e-9 * total)
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="touches")
    pairs = [(a, b) for a, b in zip(left.tolist(), right.tolist(), strict=True) if a < b]
    assert pairs, "neighbouring pieces should touch"
    for a, b in pairs:
        exact = shapes[a].boundary.intersection(shapes[b].boundary).length
        near_a = shapes[a].boundary.intersection(shapes[b].buffer(1e-7)).length
        near_b = shapes[b].boundary.intersection(shapes[a].buffer(1e-7)).length
        # Where borders were not the same line, their exact intersection would be points
        # (length 0); the ends of a shared stretch add a few 1e-7 pieces: allow about a metre.
        assert exact == pytest.approx(near_a, abs=1e-5)
        assert exact == pytest.approx(near_b, abs=1e-5)


def lsoa_of(point, lsoas: dict[str, shapely.Geometry], tree, codes) -> str | None:
    hits = tree.query(point, predicate="intersects")
    return codes[min(hits)] if len(hits) else None


def test_the_readme_sets_up_lancashire_and_south_cumbria(app, cli, tmp_path):
    lsoas = {c: shape(f["geometry"]) for c, f in features(GEO / "lsc_lsoa_2011.geojson", "LSOA11CD").items()}  # fmt: skip
    names = {c: f["properties"]["LSOA11NM"] for c, f in features(GEO / "lsc_lsoa_2011.geojson", "LSOA11CD").items()}  # fmt: skip
    codes = list(lsoas)
    tree = shapely.STRtree([lsoas[c] for c in codes])
    points = postcode_points(LSC_POSTCODES)
    qe1 = practice_rows("QE1")
    # A neighbourhood per district: the LSOA names are "Preston 001A" and so on.
    district = {code: re.sub(r" \d{3}[A-Z]$", "", name) for code, name in names.items()}
    lookup = tmp_path / "neighbourhoods.csv"
    with lookup.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["lsoa_code", "neighbourhood_code", "neighbourhood_name"])
        for code in codes:
            writer.writerow([code, "N-" + district[code].upper().replace(" ", "-"), district[code]])
    # Groups at every tenth QE1 practice's postcode, given by postcode only.
    groups = tmp_path / "groups.csv"
    chosen = qe1[::10]
    with groups.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "postcode"])
        for i, row in enumerate(chosen):
            writer.writerow([f"Group {i}", row["PRACTICE_POSTCODE"].lower().replace(" ", "")])

    outputs = []
    for line in readme_commands():
        line = line.replace("$DATA", str(DATA))
        line = line.replace("neighbourhoods.csv", str(lookup)).replace("groups.csv", str(groups))
        result = cli(*shlex.split(line)[1:])
        assert result.exit_code == 0, (line, result.output)
        outputs.append(result.output)
    report = "\n".join(outputs)

    # Every QE1 PCN with a practice inside the LSC LSOAs has a polygon. One PCN (U16644)
    # has its only practice, A82033, in Millom (Copeland, Cumberland): not one of the 16
    # districts of the LSOA file, so it is reported, not given a footprint.
    pcns_in_file = {r["PCN_CODE"] for r in qe1 if r["PCN_CODE"] != "U"}
    located = {r["PRACTICE_CODE"]: points[r["PRACTICE_POSTCODE"]][:2] for r in qe1}
    inside = {
        r["PRACTICE_CODE"]: lsoa_of(shapely.Point(located[r["PRACTICE_CODE"]]), lsoas, tree, codes)
        for r in qe1
    }
    with_practice_inside = {
        r["PCN_CODE"] for r in qe1 if r["PCN_CODE"] != "U" and inside[r["PRACTICE_CODE"]]
    }
    assert pcns_in_file - with_practice_inside == {"U16644"}
    pcns = stored("pcn")
    assert set(pcns) == with_practice_inside
    assert len(pcns) == 44
    assert "U16644" in report and "A82033 (U16644)" in report

    # The PCN polygons cover every LSOA holding a QE1 practice, tile cleanly, and each
    # practice lies in its own PCN's polygon or is named in the report.
    coverage = shapely.union_all(list(pcns.values()))
    imported = stored("lsoa")  # as imported: made valid, on a 6-decimal grid
    for lsoa in {code for code in inside.values() if code}:
        assert imported[lsoa].difference(coverage).area < 1e-9 * imported[lsoa].area
    assert_a_clean_tiling(pcns)
    reported = report.split("another PCN's footprint", 1)[1].split("\n", 1)[0]
    for r in qe1:
        code, pcn = r["PRACTICE_CODE"], r["PCN_CODE"]
        if pcn == "U" or not inside[code]:
            continue
        if not pcns[pcn].intersects(shapely.Point(located[code])):
            assert f"{code} ({pcn} -> " in reported

    # The method is kept with the PCNs (for the map's notes).
    methods = set(
        db.session.scalars(
            sa.select(Area.footprint_method).where(Area.type == "pcn", Area.geometry.is_not(None))
        )
    )
    assert len(methods) == 1
    assert "practice locations over LSOAs (lsc_lsoa_2011.geojson)" in methods.pop()

    # 16 districts: 14 in Lancashire, Barrow-in-Furness and South Lakeland.
    neighbourhoods = stored("neighbourhood")
    assert len(neighbourhoods) == 16 == len(set(district.values()))
    assert_a_clean_tiling(neighbourhoods)

    # Groups given by postcode only: in the LSOA, ward, PCN and neighbourhood holding
    # their postcode's point, worked out here from the files.
    wards = {c: shape(f["geometry"]) for c, f in features(GEO / "lsc_wards_2013.geojson", "WD13CD").items()}  # fmt: skip
    for i, row in enumerate(chosen):
        org = db.session.scalar(sa.select(Organisation).where(Organisation.name == f"Group {i}"))
        point = shapely.Point(located[row["PRACTICE_CODE"]])
        assert org.located_by == "postcode"
        lsoa = inside[row["PRACTICE_CODE"]]
        assert memberships(org, "lsoa") == ({lsoa} if lsoa else set())
        assert memberships(org, "ward") == {c for c, w in wards.items() if w.intersects(point)}
        assert memberships(org, "pcn") == {c for c, p in pcns.items() if p.intersects(point)}
        expected = {"N-" + district[lsoa].upper().replace(" ", "-")} if lsoa else set()
        assert memberships(org, "neighbourhood") == expected


def test_lewisham_2021_lsoas_pcns_neighbourhoods_and_groups_by_postcode(app, cli, tmp_path):
    lsoa_features = features(GEO / "lewisham_lsoa_2021.geojson", "LSOA21CD")
    lsoas = {c: shape(f["geometry"]) for c, f in lsoa_features.items()}
    codes = list(lsoas)
    tree = shapely.STRtree([lsoas[c] for c in codes])
    points = postcode_points(SEL_POSTCODES)
    qkk = [r for r in practice_rows("QKK") if r["PCN_CODE"] != "U"]
    steps = [
        (
            "import",
            "boundaries",
            GEO / "lewisham_wards_2022.geojson",
            "--type",
            "ward",
            "--code-field",
            "WD22CD",
            "--name-field",
            "WD22NM",
        ),  # fmt: skip
        (
            "import",
            "boundaries",
            GEO / "lewisham_lsoa_2021.geojson",
            "--type",
            "lsoa",
            "--code-field",
            "LSOA21CD",
            "--name-field",
            "LSOA21NM",
        ),  # fmt: skip
        ("import", "practices", PRACTICES, "--icb", "QKK"),
        ("import", "postcodes", SEL_POSTCODES),
        ("areas", "build-pcns", "--from", "lsoa"),
    ]
    outputs = []
    for step in steps:
        result = cli(*step)
        assert result.exit_code == 0, (step, result.output)
        outputs.append(result.output)

    in_lewisham = {
        r["PRACTICE_CODE"]: r["PCN_CODE"]
        for r in qkk
        if lsoa_of(shapely.Point(points[r["PRACTICE_POSTCODE"]][:2]), lsoas, tree, codes)
    }
    pcns = stored("pcn")
    assert set(pcns) == set(in_lewisham.values())
    # Lewisham's seven PCNs (data README): North Lewisham, Lewisham Alliance, Sevenfields,
    # Aplos Health, Ravensbourne, Modality Lewisham and Lewisham Care Partnership.
    assert {"U53896", "U21222", "U58020", "U23546", "U42936", "U22506", "U11059"} <= set(pcns)
    outside = len(qkk) - len(in_lewisham)
    assert outside > 100  # most of South East London's practices are in other boroughs
    assert f"{outside} practices lie outside the imported LSOAs and were left out" in outputs[-1]
    assert_a_clean_tiling(pcns)

    # Four neighbourhoods by MSOA number ("Lewisham 001A" .. "Lewisham 037x"): 1-9, 10-18,
    # 19-27 and 28-37.
    def quarter(code: str) -> str:
        number = int(lsoa_features[code]["properties"]["LSOA21NM"][-4:-1])
        return f"LN{min((number - 1) // 9, 3) + 1}"

    lookup = tmp_path / "lewisham_neighbourhoods.csv"
    with lookup.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["LSOA21CD", "NBH_CODE", "NBH_NAME"])
        for code in codes:
            writer.writerow([code, quarter(code), f"Lewisham {quarter(code)}"])
    result = cli("import", "neighbourhoods", lookup, "--from", "lsoa")
    assert result.exit_code == 0, result.output
    neighbourhoods = stored("neighbourhood")
    assert set(neighbourhoods) == {"LN1", "LN2", "LN3", "LN4"}
    assert_a_clean_tiling(neighbourhoods)
    for code in codes:
        inner = lsoas[code].point_on_surface()
        holding = {n for n, g in neighbourhoods.items() if g.intersects(inner)}
        assert holding == {quarter(code)}
    blocks_area = sum(lsoas[c].area for c in codes)
    assert sum(g.area for g in neighbourhoods.values()) == pytest.approx(blocks_area, rel=1e-4)

    # Groups by postcode only, checked against the postcode file's own ward_code where the
    # vintages agree (a 2025 ward code that is one of Lewisham's 2022 wards).
    wards = set(features(GEO / "lewisham_wards_2022.geojson", "WD22CD"))
    sample = [pc for pc, (_, _, ward) in points.items() if ward in wards][::97]
    assert len(sample) > 50
    groups = tmp_path / "groups.csv"
    with groups.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "postcode"])
        for i, postcode in enumerate(sample):
            writer.writerow([f"Group {i}", postcode])
    result = cli("import", "organisations", groups)
    assert result.exit_code == 0, result.output
    mismatched = []
    for i, postcode in enumerate(sample):
        org = db.session.scalar(sa.select(Organisation).where(Organisation.name == f"Group {i}"))
        point = shapely.Point(points[postcode][:2])
        if memberships(org, "ward") != {points[postcode][2]}:
            mismatched.append(postcode)
        lsoa = lsoa_of(point, lsoas, tree, codes)
        assert memberships(org, "lsoa") == {lsoa}
        assert memberships(org, "neighbourhood") == {quarter(lsoa)}
        assert memberships(org, "pcn") == {c for c, p in pcns.items() if p.intersects(point)}
    assert mismatched == []


def test_postcodes_arriving_later_locate_practices_and_groups(app, cli, tmp_path):
    from tests import factories

    factories.area("W1", type="ward", geometry=_square(-2.71, 53.75, 0.02))
    factories.area("W2", type="ward", geometry=_square(-2.69, 53.75, 0.02))
    db.session.commit()
    practices = tmp_path / "practices.csv"
    practices.write_text(
        "code,name,postcode,pcn_code,pcn_name\nP1,Surgery,pr0 2aa,U1,Net One\n"
        "P2,Clinic,PR9 9ZZ,U1,Net One\n"
    )
    result = cli("import", "practices", practices)
    assert "No postcode directory yet" in result.output
    groups = tmp_path / "groups.csv"
    groups.write_text(
        "name,postcode,area_code,longitude,latitude\n"
        "Named area,PR0 2AA,W2,,\n"  # its postcode lies in W1, but W2 was given
        "Typed point,PR0 2AA,,-2.68,53.76\n"
    )
    assert cli("import", "organisations", groups).exit_code == 0
    directory = tmp_path / "postcodes.csv"
    directory.write_text("postcode,easting,northing,lat,lon\nPR0 2AA,355008,429378,53.758805,-2.703907\n")  # fmt: skip
    result = cli("import", "postcodes", directory)
    assert result.exit_code == 0, result.output
    # P2's postcode is not in the directory: named and counted, not fatal.
    assert "1 practices located by postcode. 1 not in the postcode directory: P2 (PR9 9ZZ)" in result.output  # fmt: skip
    db.session.remove()
    p1 = db.session.scalar(sa.select(Practice).where(Practice.code == "P1"))
    assert (p1.lon, p1.lat) == (-2.703907, 53.758805)
    named = db.session.scalar(sa.select(Organisation).where(Organisation.name == "Named area"))
    typed = db.session.scalar(sa.select(Organisation).where(Organisation.name == "Typed point"))
    assert (named.located_by, named.lon) == ("postcode", -2.703907)
    assert memberships(named, "ward") == {"W2"}  # the area given, not the postcode's
    assert (typed.located_by, typed.lon) == ("given", -2.68)
    assert memberships(typed, "ward") == {"W2"}

    # A newer directory without the postcode replaces the old one: P1 loses its location.
    directory.write_text("pcds,lat,long,oseast1m,osnrth1m,doterm\nPR1 1AA,53.7,-2.7,,,\n")
    assert cli("import", "postcodes", directory).exit_code == 0
    db.session.remove()
    p1 = db.session.scalar(sa.select(Practice).where(Practice.code == "P1"))
    assert (p1.lon, p1.lat) == (None, None)


def _square(x: float, y: float, size: float) -> str:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _postcode_rows() -> list[tuple]:
    return db.session.execute(sa.text("SELECT postcode, lat FROM postcode ORDER BY postcode")).all()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "unknown layout: expected Code-Point Open columns"),  # the Lewisham lookup
        (
            "postcode,easting,northing\nPR1 1AA,1,2\nPR1 2AA,x,2\n",
            "line 3: 'easting' 'x' is not a number",
        ),  # fmt: skip
        (
            "postcode,easting,northing\nPR1 1AA,1,2\nPR1 1AA,3,4\n",
            "line 3: postcode PR1 1AA is also on line 2",
        ),  # fmt: skip
        ("postcode,easting,northing\n", "the file has a header but no rows"),
    ],
)
def test_a_bad_postcode_file_changes_nothing(app, cli, tmp_path, content, message):
    good = tmp_path / "good.csv"
    good.write_text("postcode,easting,northing,lat,lon\nSE13 6LH,538500,175200,51.46,-0.015\n")
    assert cli("import", "postcodes", good).exit_code == 0
    before = _postcode_rows()
    bad = tmp_path / "bad.csv"
    if content is None:
        bad = GEO / "lookups" / "lewisham_postcode_oa11_lsoa11_msoa11_wd22.csv"
    else:
        bad.write_text(content)
    result = cli("import", "postcodes", bad)
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert message in line and bad.name in line
    db.session.remove()
    assert _postcode_rows() == before


def test_a_duplicate_in_a_later_batch_names_its_line(app, tmp_path):
    from survey.areas.places import import_postcodes
    from survey.errors import InputError

    rows = [f"PR1 {i}AA,350000,430000,53.7,-2.7" for i in range(5)] + ["PR1 1AA,1,1,53.7,-2.7"]
    path = tmp_path / "dup.csv"
    path.write_text("postcode,easting,northing,lat,lon\n" + "\n".join(rows) + "\n")
    with pytest.raises(
        InputError, match=r"line 7: postcode PR1 1AA appears earlier in the file \(line 3\)"
    ):
        import_postcodes(path, batch_size=2)
    assert _postcode_rows() == []


def _blocks(factories) -> None:
    for i, x in enumerate((-2.72, -2.70)):
        factories.area(f"L{i}", type="lsoa", geometry=_square(x, 53.75, 0.02))
    db.session.commit()


def test_a_lookup_naming_an_unknown_code_names_the_row_and_writes_nothing(app, cli, tmp_path):
    from tests import factories

    _blocks(factories)
    lookup = tmp_path / "lookup.csv"
    lookup.write_text("lsoa,code,name\nL0,N1,North\nE01999999,N1,North\n")
    result = cli("import", "neighbourhoods", lookup, "--from", "lsoa")
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: lookup.csv: row 3: 'lsoa' 'E01999999' is not an imported lsoa area"
    )
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Area)) == 2


def test_building_blocks_never_imported_are_one_line_and_nothing_written(app, cli, tmp_path):
    from tests import factories

    _blocks(factories)
    lookup = tmp_path / "lookup.csv"
    lookup.write_text("ward,code,name\nW0,N1,North\n")
    result = cli("import", "neighbourhoods", lookup, "--from", "ward")
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: --from ward: no ward boundaries have been imported; import them first "
        "(survey import boundaries FILE --type ward ...)"
    )
    result = cli("areas", "build-pcns", "--from", "msoa")
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "no msoa boundaries have been imported" in result.output
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Area)) == 2


def test_registrations_make_the_pcn_with_most_patients_win(app, cli, tmp_path):
    from tests import factories

    _blocks(factories)
    factories.area("U1", type="pcn", name="One")
    factories.area("U2", type="pcn", name="Two")
    db.session.add_all(
        [
            Practice(code="A", name="A", pcn_code="U1", lon=-2.715, lat=53.76),  # in L0
            Practice(code="B", name="B", pcn_code="U2", lon=-2.685, lat=53.76),  # in L1
        ]
    )
    db.session.commit()
    registrations = tmp_path / "gp-reg-pat-prac-lsoa.csv"
    registrations.write_text(
        "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,LSOA_CODE,SEX,NUMBER_OF_PATIENTS\n"
        "x,d,A,A,L0,ALL,100\nx,d,B,B,L0,ALL,40\nx,d,A,A,L1,ALL,700\nx,d,B,B,L1,ALL,600\n"
    )
    result = cli("areas", "build-pcns", "--from", "lsoa", "--registrations", registrations)
    assert result.exit_code == 0, result.output
    pcns = stored("pcn")
    assert set(pcns) == {"U1"}  # A's patients are the most in both LSOAs
    assert pcns["U1"].area == pytest.approx(2 * 0.02 * 0.02)
    assert "patients registered by LSOA (gp-reg-pat-prac-lsoa.csv)" in result.output
    assert "1 practices lie in another PCN's footprint" in result.output

    bad = tmp_path / "bad.csv"
    bad.write_text("PRACTICE,LSOA,N\nA,L0,1\n")
    result = cli("areas", "build-pcns", "--from", "lsoa", "--registrations", bad)
    assert result.exit_code == 1
    assert "no 'PRACTICE_CODE' column" in result.output
    result = cli("areas", "build-pcns", "--from", "ward", "--registrations", registrations)
    assert "patients are registered by LSOA; use --from lsoa" in result.output
    db.session.remove()
    assert set(stored("pcn")) == {"U1"}  # the failed runs left the footprint alone
