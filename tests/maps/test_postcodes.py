"""Postcode directories: normalising, the two layouts, streaming in batches, bad rows."""

from __future__ import annotations

import io

import pytest

from maps.postcodes import PostcodeError, PostcodeFile, detect_layout, normalise_postcode


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("pr1 2aa", "PR1 2AA"),
        ("PR12AA", "PR1 2AA"),
        ("  se13   6lh ", "SE13 6LH"),
        ("SW1A1AA", "SW1A 1AA"),
        ("W1 1AA", "W1 1AA"),
        ("not a postcode", None),
        ("PR1 2A", None),
        ("", None),
        (None, None),
    ],
)
def test_postcodes_are_normalised_or_refused(given, expected):
    assert normalise_postcode(given) == expected


def records(text: str, batch_size: int = 5000):
    directory = PostcodeFile(io.StringIO(text), batch_size)
    return directory.layout.name, [r for batch in directory.batches() for r in batch]


def test_code_point_rows_keep_their_own_coordinates_and_ward():
    name, rows = records(
        "postcode,easting,northing,lat,lon,pqi,county_code,district_code,ward_code\n"
        "pr0 2aa,355008,429378,53.758805,-2.683907,50,E10000017,E07000123,E05012198\n"
    )
    assert name == "Code-Point Open"
    (row,) = rows
    assert (row.postcode, row.lat, row.lon) == ("PR0 2AA", 53.758805, -2.683907)
    assert (row.easting, row.northing, row.ward_code, row.terminated) == (
        355008,
        429378,
        "E05012198",
        False,
    )


def test_grid_references_alone_are_turned_into_longitude_and_latitude():
    # Code-Point Open as OS ships it has no lat/lon. SW1A 1AA (Buckingham Palace) is at
    # easting 529090, northing 179645: about 51.501 N, 0.142 W.
    _, (row,) = records("postcode,easting,northing\nSW1A1AA,529090,179645\n")
    assert row.lat == pytest.approx(51.501, abs=0.001)
    assert row.lon == pytest.approx(-0.142, abs=0.001)


def test_the_ons_directory_layout_marks_terminated_postcodes_and_empty_grid_references():
    name, rows = records(
        "pcd,pcd2,pcds,dointr,doterm,oseast1m,osnrth1m,osward,lat,long\n"
        "SE136LH,SE13 6LH,SE13 6LH,198001,,538500,175200,E05013720,51.4600,-0.0150\n"
        "SE136XX,SE13 6XX,SE13 6XX,198001,200212,538600,175300,E05013720,51.4610,-0.0140\n"
        "ZZ991ZZ,ZZ99 1ZZ,ZZ99 1ZZ,198001,,,,,99.999999,0.000000\n"
    )
    assert name == "ONS Postcode Directory"
    assert [r.postcode for r in rows] == ["SE13 6LH", "SE13 6XX", "ZZ99 1ZZ"]
    assert [r.terminated for r in rows] == [False, True, False]
    assert rows[0].ward_code == "E05013720"
    assert (rows[2].lat, rows[2].lon, rows[2].easting) == (None, None, None)


def test_rows_come_in_batches_of_the_size_asked():
    lines = "postcode,easting,northing,lat,lon\n" + "".join(
        f"PR1 {i}AA,350000,430000,53.7,-2.7\n" for i in range(7)
    )
    directory = PostcodeFile(io.StringIO(lines), batch_size=3)
    assert [len(b) for b in directory.batches()] == [3, 3, 1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("Postcode7,LSOA11CD\nBR1 4BY,E01003235\n", "unknown layout"),
        ("postcode,easting,northing\nPR1 2AA,355008,429378\nnonsense,1,2\n", "line 3: 'postcode'"),
        (
            "postcode,easting,northing\nPR1 2AA,east,429378\n",
            "line 2: 'easting' 'east' is not a number",
        ),
        ("pcds,lat,long\nPR1 2AA,53.7,-250\n", "line 2: 'long' -250 is out of range"),
    ],
)
def test_bad_files_name_the_line_and_field(text, message):
    with pytest.raises(PostcodeError, match=message):
        records(text)


def test_an_unknown_layout_names_both_layouts_it_knows():
    with pytest.raises(PostcodeError) as error:
        detect_layout(["postcode7", "lsoa11cd"])
    assert "Code-Point Open" in str(error.value) and "pcds" in str(error.value)
    assert "\n" not in str(error.value)
