"""Workbook writing without the app: safe text, level colours, roadmap and trends content."""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile
import zlib

import openpyxl
import pandas as pd
import pytest

from exports.roadmap import (
    SYSTEM_HORIZON_LABELS,
    AreaFigures,
    DomainFigure,
    GroupGap,
    GroupRow,
    LocalityResult,
    Roadmap,
    system_actions,
    write_roadmap,
)
from exports.trends import TrendPoint, change_sentences, trend_chart_png, write_trends
from exports.workbook_style import (
    COMPRESS_LEVEL,
    HEADER_FILL,
    LEVEL_COLOURS,
    cell,
    level_cell,
    new_sheet,
    new_workbook,
    save_workbook,
    write_header,
    write_row,
)
from instruments import load_registry
from scoring.disclosure import level_bands

TRICKY = ["=1+1", "+44 1234", "-minus", "@SUM(A1)", '=HYPERLINK("http://evil","x")']


def saved(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def clock_five_hours_behind(monkeypatch):
    """The process's local time five hours behind UTC (POSIX "EST5": no zone files
    needed) for the test, and back after it."""
    monkeypatch.setenv("TZ", "EST5")
    time.tzset()
    assert time.timezone == 5 * 3600
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_workbook_is_saved_as_openpyxl_saves_it_compressed_at_a_quicker_level(
    clock_five_hours_behind,
):
    """save_workbook writes the parts Workbook.save writes, each deflated at
    COMPRESS_LEVEL (quicker than zlib's default 6), and notes when it was saved, in UTC
    as the file's format asks (on a machine whose local time is not UTC)."""

    def made():
        wb = new_workbook()
        ws = new_sheet(wb, "Plans", widths=(10, 30))
        write_header(ws, ["Id", "Action"])
        for n in range(2000):
            write_row(ws, [n, f"Plan step {n % 7}", cell(ws, "=risky", fill=HEADER_FILL)])
        return wb

    ours, stock = io.BytesIO(), io.BytesIO()
    save_workbook(made(), ours)
    made().save(stock)
    ours_zip, stock_zip = zipfile.ZipFile(ours), zipfile.ZipFile(stock)
    assert ours_zip.namelist() == stock_zip.namelist()
    for name in ours_zip.namelist():
        if name != "docProps/core.xml":  # the time saved
            assert ours_zip.read(name) == stock_zip.read(name), name
    for info in ours_zip.infolist():
        assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename
        deflate = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        data = ours_zip.read(info.filename)
        assert info.compress_size == len(deflate.compress(data) + deflate.flush())
    sheet_info = ours_zip.getinfo("xl/worksheets/sheet1.xml")  # and not openpyxl's level
    assert sheet_info.compress_size > stock_zip.getinfo(sheet_info.filename).compress_size
    back = openpyxl.load_workbook(io.BytesIO(ours.getvalue()))
    saved_at = back.properties.modified
    assert abs(saved_at - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(minutes=5)
    assert back["Plans"]["B2001"].value == "Plan step 4" and back["Plans"]["C5"].value == "=risky"
    empty = io.BytesIO()
    save_workbook(new_workbook(), empty)  # a workbook with no sheet gets one, as openpyxl's
    assert len(openpyxl.load_workbook(empty).worksheets) == 1


def test_text_that_looks_like_a_formula_is_stored_as_text():
    wb = new_workbook()
    ws = new_sheet(wb, "Sheet")
    write_header(ws, ["Text"])
    for text in [*TRICKY, "bell\x07char"]:
        write_row(ws, [text])
    data = saved(wb)
    back = openpyxl.load_workbook(io.BytesIO(data))["Sheet"]
    cells = [row[0] for row in back.iter_rows(min_row=2)]
    assert [c.value for c in cells] == [*TRICKY, "bellchar"]
    assert all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [True] * len(TRICKY) + [False]
    frame = pd.read_excel(io.BytesIO(data), dtype=str)
    assert list(frame["Text"]) == [*TRICKY, "bellchar"]


def test_a_row_of_plain_values_reads_back_as_it_would_through_styled_cells():
    """write_row hands plain values to openpyxl as they are (a styled cell object for each
    was most of a big workbook's cost): every value, plain or not, mixed in rows with
    styled cells before and after, reads back with the value, type and quoting that
    writing each through ``cell`` gives. Error codes, control characters and formula
    starts are the values openpyxl would otherwise store differently."""
    import datetime as dt

    from exports.workbook_style import SUPPRESSED_FILL, cell, plain

    values = ["Lunch club", "", "#N/A", "#DIV/0!", "#hashtag", "tab\tinside", "bell\x07",
              "\rreturn", *TRICKY, 0, 3, -2, 2.5, float("1e20"), True, False, None,
              dt.date(2026, 3, 31), dt.datetime(2026, 3, 31, 9, 30)]  # fmt: skip
    assert [plain(v) for v in values[:6]] == [True, True, False, False, True, True]
    assert not any(plain(v) for v in values[6:13])  # control characters, formula starts
    # the rest are not text: nothing, numbers, True and False go as they are (by their
    # type), dates through cell; each reads back as through cell (below)

    def read(make) -> list[list]:
        wb = new_workbook()
        ws = new_sheet(wb, "Sheet")
        for value in values:  # a styled cell before and after each value
            grey = level_cell(ws, None, "before")
            write_row(ws, [grey, *make(ws, value), cell(ws, "after", fill=SUPPRESSED_FILL)])
        back = openpyxl.load_workbook(io.BytesIO(saved(wb)))["Sheet"]
        return [
            [
                (c.value, c.data_type, c.quotePrefix, c.number_format, c.fill.fgColor.rgb)
                for c in row
            ]  # fmt: skip
            for row in back.iter_rows(min_row=1, max_col=3)
        ]

    fast = read(lambda ws, v: [v])
    styled = read(lambda ws, v: [cell(ws, v)])
    assert fast == styled
    assert fast[0][1][0] == "Lunch club" and fast[2][1][:2] == ("#N/A", "s")
    assert fast[8][1][:3] == ("=1+1", "s", True)


def test_level_cells_use_the_apps_colours():
    wb = new_workbook()
    ws = new_sheet(wb, "Levels")
    write_row(ws, [level_cell(ws, n) for n in range(1, 6)] + [level_cell(ws, None, "suppressed")])
    back = openpyxl.load_workbook(io.BytesIO(saved(wb)))["Levels"]
    row = next(back.iter_rows())
    assert [c.fill.fgColor.rgb[-6:] for c in row[:5]] == [LEVEL_COLOURS[n] for n in range(1, 6)]
    assert row[5].value == "suppressed" and row[5].fill.fgColor.rgb[-6:] == "DDDDDD"


def test_a_level_cell_reads_well_on_its_colour_and_shows_the_words_given():
    """Levels 1 and 5 are dark fills: their text is white, the others' near-black, as on
    the app's pages (app.css), so every level can be read. A level given with words shows
    the words on the level's colour; no level and no words is an empty grey cell."""
    wb = new_workbook()
    ws = new_sheet(wb, "Levels")
    write_row(ws, [level_cell(ws, n) for n in range(1, 6)]
              + [level_cell(ws, 2, "2 of 5"), level_cell(ws, None)])  # fmt: skip
    row = next(openpyxl.load_workbook(io.BytesIO(saved(wb)))["Levels"].iter_rows())
    assert [c.font.color.rgb[-6:] for c in row[:5]] == [
        "FFFFFF", "0B0C0C", "0B0C0C", "0B0C0C", "FFFFFF",
    ]  # fmt: skip
    assert all(c.font.b for c in row[:5])
    assert (row[5].value, row[5].fill.fgColor.rgb[-6:]) == ("2 of 5", LEVEL_COLOURS[2])
    assert (row[6].value, row[6].fill.fgColor.rgb[-6:]) == (None, "DDDDDD")


def test_a_status_column_offers_its_choices_and_refuses_other_text_saying_what_to_choose():
    from exports.workbook_style import add_status_choices

    wb = new_workbook()
    ws = new_sheet(wb, "Plans")
    write_row(ws, ["Status"])
    add_status_choices(ws, "A", 2, 40, ("Open", "Waiting", "Closed"))
    [rule] = openpyxl.load_workbook(io.BytesIO(saved(wb)))["Plans"].data_validations.dataValidation
    assert (rule.type, rule.formula1, str(rule.sqref)) == (
        "list",
        '"Open,Waiting,Closed"',
        "A2:A40",
    )
    assert rule.allow_blank  # a status not chosen yet stays blank
    assert rule.showErrorMessage and rule.errorTitle == "Status"
    assert rule.error == "Choose Open, Waiting or Closed."


@pytest.fixture(scope="module")
def dmi():
    return load_registry().latest("dmi-organisation")


def figure(domain, level, suppressed=False):
    if suppressed:
        return DomainFigure(
            domain.id, domain.name, None, None, None, None, None, None, 3, None, True
        )
    return DomainFigure(
        domain.id, domain.name, 9, level + 0.1, level - 0.2, level + 0.4, level,
        level_bands((1, 2, 3, 2, 1), 3), 3, 3 - level - 0.1, False,
    )  # fmt: skip


def test_area_roadmap_actions_are_the_systems_not_a_groups(dmi):
    registry = load_registry()
    local = registry.latest("dmi-locality")
    assets, referrals, *_ = local.domains
    # the locality scored level 1 in community assets and 4 in referral management
    locality = LocalityResult("North PCN", "Locality DMI 2026", local,
                              {assets.id: 1, referrals.id: 4})  # fmt: skip
    # groups below target level 3: 8 of 10, 6 of 10, 5 of 10 and 0 of 10 in four domains
    gaps = [
        GroupGap(d.id, d.name, below, 10, 3, 2)
        for d, below in zip(dmi.domains[:4], (5, 8, 6, 0), strict=True)
    ]
    area = AreaFigures("A", "Area", "pcn", 10, 10, 1.0, tuple(figure(d, 2) for d in dmi.domains))
    roadmap = Roadmap(dmi, registry.offers, area, [], None, "none", [], "self-assessed",
                      localities=[locality], gaps=gaps)  # fmt: skip
    actions = system_actions(roadmap)
    own = [a for a in actions if a.evidence.startswith("North PCN's own assessment")]
    assert {a.text for a in own} == {s.text for s in assets.level(1).next_steps} | {
        s.text for s in referrals.level(4).next_steps
    }
    # owners as written in dmi-locality-2025.1.yaml: assets level 1 partner, referrals 4 icp
    assert {(a.domain, a.owner) for a in own} == {(assets.name, "partner"), (referrals.name, "icp")}
    from_groups = [a for a in actions if a not in own]
    # the three commonest gaps, commonest first; the domain with no group below is left out
    assert [a.domain for a in from_groups] == [dmi.domains[i].name for i in (1, 2, 0)]
    assert from_groups[0].evidence == (
        f"8 of 10 groups below target level 3 in {dmi.domains[1].name.lower()}; "
        "the area's level is 2"
    )
    assert {a.owner for a in from_groups} == {"partner"}
    group_steps = {s.text for d in dmi.domains for lv in d.levels for s in lv.next_steps}
    assert not group_steps & {a.text for a in actions}  # no single group's next step
    order = list(SYSTEM_HORIZON_LABELS)
    assert [order.index(a.horizon) for a in actions] == sorted(
        order.index(a.horizon) for a in actions
    )


def test_within_a_horizon_the_largest_distance_to_ambition_comes_first(dmi):
    registry = load_registry()
    local = registry.latest("dmi-locality")
    assets, referrals, *_ = local.domains
    # North PCN is at level 1 in assets aiming for 2 (1 to go), and at 4 in referrals aiming
    # for 5 (1 to go); South PCN is at 1 in assets aiming for 4 (3 to go)
    north = LocalityResult(
        "North PCN",
        "Locality DMI 2026",
        local,
        {assets.id: 1, referrals.id: 4},
        {assets.id: 2, referrals.id: 5},
    )
    south = LocalityResult("South PCN", "Locality DMI 2026", local, {assets.id: 1},
                           {assets.id: 4})  # fmt: skip
    # groups: 8 of 10 below target in the first domain with no ambition given; 6 of 10 in
    # the second, whose groups aim 1.5 levels above their mean
    first, second = dmi.domains[:2]
    gaps = [GroupGap(first.id, first.name, 8, 10, 3, 2),
            GroupGap(second.id, second.name, 6, 10, 3, 2, 3.6, 1.5)]  # fmt: skip
    area = AreaFigures("A", "Area", "pcn", 10, 10, 1.0, tuple(figure(d, 2) for d in dmi.domains))
    roadmap = Roadmap(dmi, registry.offers, area, [], None, "none", [], "self-assessed",
                      localities=[north, south], gaps=gaps)  # fmt: skip
    actions = system_actions(roadmap)
    # both PCNs at level 1 in assets share one evidence line: the larger aim (4) sets the gap
    assets_evidence = (
        "North PCN and South PCN's own assessments (Locality DMI 2026): level 1 in "
        f"{assets.name.lower()}; aiming for levels 2 to 4"
    )
    assert {a.to_ambition for a in actions if a.evidence == assets_evidence} == {3}
    referral_actions = [a for a in actions if a.evidence.startswith("North PCN's own")]
    assert {a.to_ambition for a in referral_actions} == {1}
    assert referral_actions[0].evidence.endswith("; aiming for level 5")
    [second_gap] = [a for a in actions if a.domain == second.name and a.owner == "partner"
                    and a.evidence.startswith("6 of 10")]  # fmt: skip
    assert second_gap.evidence.endswith("the area's level is 2; its groups aim for 3.6 on average")
    assert second_gap.to_ambition == 1.5
    [first_gap] = [a for a in actions if a.evidence.startswith("8 of 10")]
    assert first_gap.to_ambition is None and "aim" not in first_gap.evidence
    order = list(SYSTEM_HORIZON_LABELS)
    for horizon in order:
        gaps_here = [a.to_ambition for a in actions if a.horizon == horizon]
        given = [g for g in gaps_here if g is not None]
        # largest distance first, then those with none given
        assert gaps_here == sorted(given, reverse=True) + [None] * (len(gaps_here) - len(given))
    # both group actions are "next 6 months" (over half below): 1.5 to go before none given
    near = [a for a in actions if a.horizon == "near"]
    assert near.index(second_gap) < near.index(first_gap)


def test_roadmap_workbook_reads_back_with_its_sheets_and_validations(dmi):
    figures = tuple(figure(d, 3) for d in dmi.domains)
    area = AreaFigures("=AREA", "=Area name", "ics", 10, 9, 0.9, figures)
    groups = [GroupRow(1, "@group", "N1", "North", None, None, (3,) * len(figures), "moderated")]
    roadmap = Roadmap(dmi, load_registry().offers, area, [], groups, "all", [("By", "-me")], "x")
    out = io.BytesIO()
    write_roadmap(out, roadmap)
    wb = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert wb.sheetnames == ["Summary", "Gaps", "Roadmap", "Groups", "Method"]
    assert wb["Summary"]["A2"].value == "=AREA" and wb["Summary"]["A2"].data_type == "s"
    assert wb["Groups"]["B2"].value == "@group" and wb["Groups"]["B2"].data_type == "s"
    assert wb["Method"]["B2"].value == "-me"
    rules = [r for cf in wb["Groups"].conditional_formatting for r in cf.rules]
    assert sorted(r.formula[0] for r in rules) == ["1", "2", "3", "4", "5"]  # levels coloured
    fills = {r.formula[0]: r.dxf.fill.fgColor.rgb[-6:] for r in rules}
    assert fills["3"] == "FFDD00"
    assert wb["Roadmap"]["F1"].value == "Levels to ambition"
    types = sorted(dv.type for dv in wb["Roadmap"].data_validations.dataValidation)
    assert types == ["date", "list"]
    for name in wb.sheetnames[:4]:
        assert wb[name].freeze_panes and wb[name].page_setup.orientation == "landscape"


def points(means: dict[str, list[float | None]]) -> list[TrendPoint]:
    out = []
    for domain, series in means.items():
        for year, mean in zip(("2024", "2025"), series, strict=True):
            out.append(
                TrendPoint(year, f"Round {year}", "2025.1", domain, domain.title(),
                           None if mean is None else 8, mean,
                           None if mean is None else mean - 0.3,
                           None if mean is None else mean + 0.3,
                           None if mean is None else int(mean), mean is None)
            )  # fmt: skip
    return out


def test_trend_sentences_and_chart():
    data = points({"safe": [2.5, 3.0], "overall": [None, 3.2]})
    assert change_sentences(data) == [
        "Safe: 3.00 in 2025 (n=8), up 0.50 from 2024.",
        "Overall: 3.20 in 2025 (n=8).",
    ]
    png = trend_chart_png("North", data)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    # Charts are kept by their inputs: the same figures give the same picture, and any
    # change (a year's mean, or the area's name in the title) draws a new one.
    assert trend_chart_png("North", list(data)) == png
    moved = points({"safe": [2.5, 3.5], "overall": [None, 3.2]})
    assert trend_chart_png("North", moved) not in (png, trend_chart_png("South", data))
    assert trend_chart_png("South", data) != png


def test_trends_workbook_marks_suppressed_years():
    data = points({"safe": [None, 3.0]})
    out = io.BytesIO()
    write_trends(out, area_name="North", points=data, method=[("Area", "North")])
    table = pd.read_excel(io.BytesIO(out.getvalue()), sheet_name="By year")
    assert list(table["n"]) == ["suppressed", 8]
    assert table["Mean score"].iloc[0] == "suppressed" and table["Mean score"].iloc[1] == 3.0


def test_one_page_per_group_stops_breaking_pages_where_excel_stops_reading_them(dmi, monkeypatch):
    """Excel repairs a sheet with more than 1,023 manual page breaks (MS-XLSB 2.4.196):
    the breaks stop there and the Method sheet says so. Shown here with a limit of 2."""
    from exports import support_plans

    monkeypatch.setattr(support_plans, "MAX_PAGE_BREAKS", 2)
    domain = dmi.domains[0]

    def group(n: int) -> support_plans.GroupResult:
        level = support_plans.GroupLevel(domain.id, domain.name, 5)
        return support_plans.GroupResult(n, f"Group {n}", "E1", "Area", None, (level,))

    def written(count: int):
        out = io.BytesIO()
        support_plans.write_support_plans(
            out, instrument=dmi, offers={}, groups=[group(n) for n in range(count)],
            target=3, method=[("Round", "dmi-2026")],
        )  # fmt: skip
        wb = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
        breaks = [b.id for b in wb["One page per group"].row_breaks.brk]
        method = [r[0] for r in wb["Method"].iter_rows(values_only=True)]
        return breaks, method

    # A group's page: its name, the level header, one row per domain, the action header
    # (no actions: level 5 where it has one, none elsewhere) and a blank row.
    rows = 3 + len(dmi.domains) + 1
    assert written(2) == ([rows, 2 * rows], ["Item", "Round"])
    assert written(3) == ([rows, 2 * rows], ["Item", "Round", "One page per group"])


def test_levels_are_coloured_by_rules_excel_keeps_each_level_its_fill_and_readable_text(tmp_path):
    """Saved and read back: one rule per level 1..5 on the range, each 'equal to N',
    with the level's fill and a text colour that reads on it (white on the darkest red
    and green, near-black on the rest, as the GOV.UK palette pairs them)."""
    from openpyxl import Workbook, load_workbook

    from exports.workbook_style import colour_levels

    book = Workbook(write_only=True)
    ws = book.create_sheet("Levels")
    ws.append([1, 2, 3, 4, 5])
    colour_levels(ws, "A1:E1")
    path = tmp_path / "levels.xlsx"
    book.save(path)
    read = load_workbook(path).active
    [rules] = [r.rules for r in read.conditional_formatting]
    seen = {
        (r.operator, tuple(r.formula), r.dxf.fill.fgColor.rgb[-6:], r.dxf.font.color.rgb[-6:])
        for r in rules
    }
    assert seen == {
        ("equal", ("1",), "D4351C", "FFFFFF"),
        ("equal", ("2",), "F47738", "0B0C0C"),
        ("equal", ("3",), "FFDD00", "0B0C0C"),
        ("equal", ("4",), "85994B", "0B0C0C"),
        ("equal", ("5",), "00703C", "FFFFFF"),
    }


def test_a_due_date_column_takes_only_dates_after_2020_and_says_so_otherwise():
    from exports.workbook_style import add_date_check

    wb = new_workbook()
    ws = new_sheet(wb, "Plans")
    write_row(ws, ["Due date"])
    add_date_check(ws, "B", 2, 9)
    [rule] = openpyxl.load_workbook(io.BytesIO(saved(wb)))["Plans"].data_validations.dataValidation
    assert (rule.type, rule.operator, rule.formula1) == ("date", "greaterThan", "DATE(2020,1,1)")
    assert str(rule.sqref) == "B2:B9" and rule.allow_blank
    assert rule.showErrorMessage and rule.errorTitle == "Date"
    assert rule.error == "Enter a date, for example 2026-03-31."


def test_filter_buttons_sit_on_the_header_row_over_every_written_row():
    """Three columns, a header and ten rows: the filter covers A1:C11. An empty sheet's
    filter is still a valid one-cell range (A1:A1), not a column B that holds nothing."""
    from exports.workbook_style import add_filter

    wb = new_workbook()
    ws = new_sheet(wb, "Rows")
    write_header(ws, ["Group", "Level", "Due"])
    for n in range(10):
        write_row(ws, [f"Group {n}", n % 5 + 1, None])
    add_filter(ws, 3, 11)
    empty = new_sheet(wb, "Empty")
    add_filter(empty, 0, 0)
    back = openpyxl.load_workbook(io.BytesIO(saved(wb)))
    assert back["Rows"].auto_filter.ref == "A1:C11"
    assert back["Empty"].auto_filter.ref == "A1:A1"


def test_headers_are_white_on_blue_and_wrapped_and_key_values_bold_then_wrapped():
    """The header row: bold white text on the NHS blue, wrapped so long names fit. The
    Item / Detail sheets (method, instructions): each item bold, its detail wrapped and
    not bold."""
    from exports.workbook_style import write_key_values

    wb = new_workbook()
    ws = new_sheet(wb, "Method")
    write_key_values(ws, [("Threshold", "Figures for fewer than 5 groups are not shown.")])
    back = openpyxl.load_workbook(io.BytesIO(saved(wb)))["Method"]
    item, detail = back["A1"], back["B1"]
    label, text = back["A2"], back["B2"]
    assert (item.value, detail.value) == ("Item", "Detail")
    for header in (item, detail):
        assert header.font.bold and header.font.color.rgb == "00FFFFFF"
        assert header.fill.fgColor.rgb == "00005EB8" and header.alignment.wrap_text
    assert label.font.bold and not label.alignment.wrap_text
    assert text.alignment.wrap_text and not text.font.bold


def test_dates_show_as_dates_and_times_with_their_hour_and_minute():
    import datetime as dt

    from exports.workbook_style import cell

    wb = new_workbook()
    ws = new_sheet(wb, "When")
    write_row(ws, [cell(ws, dt.date(2026, 3, 31)), cell(ws, dt.datetime(2026, 3, 31, 9, 30))])
    back = openpyxl.load_workbook(io.BytesIO(saved(wb)))["When"]
    assert back["A1"].number_format == "yyyy-mm-dd"
    assert back["B1"].number_format == "yyyy-mm-dd hh:mm"
    assert back["B1"].value == dt.datetime(2026, 3, 31, 9, 30)


def test_cells_that_differ_only_by_font_keep_their_own_fonts():
    """Styles are kept per workbook by what makes them (fill, font, format, wrap, quote):
    a bold cell and a plain one with the same fill are not given one style."""
    from exports.workbook_style import BOLD, SUPPRESSED_FILL, cell

    wb = new_workbook()
    ws = new_sheet(wb, "Fonts")
    write_row(
        ws,
        [
            cell(ws, "bold", font=BOLD, fill=SUPPRESSED_FILL),
            cell(ws, "plain", fill=SUPPRESSED_FILL),
        ],
    )
    back = openpyxl.load_workbook(io.BytesIO(saved(wb)))["Fonts"]
    assert back["A1"].font.bold and not back["B1"].font.bold
    assert back["A1"].fill.fgColor.rgb == back["B1"].fill.fgColor.rgb == "00DDDDDD"


def test_sheets_print_on_a4_landscape_one_page_wide_without_gridlines():
    """Every sheet prints on A4 (paper size 9) across, as many pages tall as it needs
    (fit to height 0) and one page wide, with no gridlines; a title is cut to the 31
    characters Excel allows."""
    wb = new_workbook()
    ws = new_sheet(wb, "A sheet title longer than Excel allows")
    write_row(ws, ["x"])
    back = openpyxl.load_workbook(io.BytesIO(saved(wb))).worksheets[0]
    assert back.title == "A sheet title longer than Excel"[:31]
    assert back.page_setup.orientation == "landscape"
    assert int(back.page_setup.paperSize) == 9
    assert int(back.page_setup.fitToWidth) == 1 and int(back.page_setup.fitToHeight) == 0
    assert back.sheet_properties.pageSetUpPr.fitToPage is True
    assert not back.print_options.gridLines


def test_the_cohort_sheet_fits_any_number_of_areas_and_keeps_same_named_areas_apart(dmi):
    """A portfolio's groups in 17,000 small areas: more than a sheet's 16,384 columns,
    which the cohort's areas once were (Excel refuses a file past column XFD). Areas are
    lines, offers columns, so the sheet stays as wide as the offers. Two wards named
    "Central" in different places stay two lines; groups with no area share one line;
    the last line counts each offer's groups once, wherever they are. (The sheet alone:
    the whole workbook for 17,000 groups takes seconds to write.)"""
    from exports import support_plans

    offers = load_registry().offers
    domain = dmi.domains[0]
    below = support_plans.GroupLevel(domain.id, domain.name, 1)

    def group(n: int, code: str, name: str) -> support_plans.GroupResult:
        return support_plans.GroupResult(n, f"Group {n}", code, name, None, (below,))

    groups = [group(n, f"E{n:08d}", f"Small area {n:05d}") for n in range(17_000)]
    groups += [
        group(17_000, "E05000001", "Central"),
        group(17_001, "E05000002", "Central"),
        group(17_002, "E05000002", "Central"),
        group(17_003, "", ""),
        group(17_004, "", ""),
    ]
    lines = [ln for g in groups for ln in support_plans.plan_lines(dmi, offers, g, 3)]
    named = sorted({ln.offer for ln in lines if ln.offer})
    assert named, "the domain's level-1 step names an offer"
    wb = new_workbook()
    support_plans._cohort_sheet(wb, lines)
    ws = openpyxl.load_workbook(io.BytesIO(saved(wb)))["Cohort"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Area", "Area code", *named)
    assert ws.max_column == 2 + len(named) and len(rows) == 1 + 17_003 + 1
    by_area = {(name, code): counts for name, code, *counts in rows[1:-1]}
    assert by_area["Central", "E05000001"] == [1] * len(named)
    assert by_area["Central", "E05000002"] == [2] * len(named)
    assert by_area["No area given", None] == [2] * len(named)
    assert by_area["Small area 16999", "E00016999"] == [1] * len(named)
    assert rows[-1] == ("All areas", None, *(17_005 for _ in named))
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(2 + len(named))}17004"
