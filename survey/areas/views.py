"""Area pages for ICP and place leads: list and drill-down, one area, the map, comparison."""

from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_login import current_user

from maps.choropleth import HATCH_DEFS, legend, map_json, to_embedded_json
from maps.footprints import footprint_notes
from maps.layers import PracticeMarker, practice_layer
from maps.static_map import render_png

from ..access import visible_area_ids
from ..aggregates import area_aggregates
from ..directory import venue_layer_json
from ..extensions import db
from ..instruments_store import instrument_for
from ..models import AREA_TYPES, OVERALL, Area, Round
from ..paging import Page
from ..publication import publish
from ..readiness import area_readiness
from ..sql import ids_in
from .charts import compare_png
from .compare import MAX_AREAS, MIN_AREAS, compare_rows, differences
from .mapfile import map_file_html
from .measures import (
    ATTRIBUTION,
    MEASURES,
    SORT_KEYS,
    TYPE_NAMES,
    default_round,
    domain_choices,
    figures,
    map_places,
    map_title,
    rounds_in_order,
    scale_for,
    sort_figures,
    suppressed_words,
)
from .upload import import_data

bp = Blueprint("areas", __name__, url_prefix="/areas")
bp.add_url_rule("/import", view_func=import_data, methods=["GET", "POST"])

# Rows per page of the map's table (the map itself draws every area): a national
# small-area map has 7,634 areas, and their table made the page 8.1 MB (4.8 MB at 100 a
# page; the page took 0.35 s, 0.29 s at 100 a page, in the same run at 40,000 groups)
MAP_TABLE_PAGE = 100

ONE_OF_TYPE = {
    "ics": "Integrated care system",
    "place": "Place",
    "pcn": "Primary care network",
    "neighbourhood": "Neighbourhood",
    "lad": "Local authority",
    "ward": "Ward",
    "msoa": "MSOA",
    "lsoa": "LSOA",
}


def threshold() -> int:
    """The disclosure threshold: fewer responses than this are never shown."""
    return int(current_app.config["DISCLOSURE_THRESHOLD"])


def _visible_query(query):
    """The query narrowed to areas the signed-in user may see."""
    return query.where(*_visible())


def _visible() -> list:
    """The condition that an area is one the signed-in user may see (none for all)."""
    visible = visible_area_ids(current_user)
    return [] if visible is None else [ids_in(Area.id, visible)]  # one value, however many


def _may_see(area: Area) -> bool:
    visible = visible_area_ids(current_user)
    return visible is None or area.id in visible


def _area_or_404(code: str) -> Area:
    if "\x00" in code or len(code) > 32:
        abort(404)  # no code is like this, and PostgreSQL refuses NUL in text
    area = db.session.scalar(sa.select(Area).where(Area.code == code))
    if area is None or not _may_see(area):
        abort(404)
    return area


def _round_or_404(rounds: list[Round]) -> Round:
    slug = request.args.get("round")
    if not rounds:
        abort(404, "There are no survey rounds yet.")
    if not slug:
        return default_round(rounds)
    for r in rounds:
        if r.slug == slug:
            return r
    abort(404, f"There is no survey round called '{slug}'.")


def _choice(name: str, allowed, default: str) -> str:
    value = request.args.get(name) or default
    if value not in allowed:
        abort(400, f"'{value}' is not a valid choice for {name}.")
    return value


def _crumbs(area: Area | None = None) -> list[dict]:
    """Breadcrumbs: Staff home > Areas > the area's visible ancestors."""
    items = [
        {"text": "Staff home", "href": url_for("accounts.dashboard")},
        {"text": "Areas", "href": url_for("areas.index")},
    ]
    if area is not None:
        for above in reversed(area.ancestors()):
            if _may_see(above):
                items.append(
                    {"text": above.name, "href": url_for("areas.area_page", code=above.code)}
                )
    return items


@bp.get("/")
def index():
    """The areas at the top of each hierarchy the user may see, and where to go next."""
    visible = visible_area_ids(current_user)
    query = sa.select(Area).order_by(Area.type, Area.name)
    if visible is None:
        query = query.where(Area.parent_id.is_(None))
    else:
        query = query.where(Area.id.in_({a.id for a in current_user.areas} or {-1}))
    tops = db.session.scalars(query).all()
    counts = dict(
        db.session.execute(
            _visible_query(sa.select(Area.type, sa.func.count()).group_by(Area.type))
        ).all()
    )
    types = [(t, TYPE_NAMES[t], counts[t]) for t in AREA_TYPES if counts.get(t)]
    return render_template("views/areas/index.html", tops=tops, types=types, crumbs=_crumbs()[:1])


@bp.get("/<code>")
def area_page(code: str):
    """One area: its figures per domain in a round, and its child areas with links."""
    area = _area_or_404(code)
    rounds = rounds_in_order()
    round_ = _round_or_404(rounds) if rounds else None
    children = sorted(area.children, key=lambda a: a.name.lower())
    children = [c for c in children if _may_see(c)]
    own, child_rows, readiness = [], [], None
    if round_ is not None:
        published = publish(round_, moderated=False, threshold=threshold())
        own = area_aggregates(round_, [area], threshold=threshold(), published=published)
        readiness = area_readiness(round_, [area], threshold=threshold(), published=published).get(
            area.id
        )
        if children:
            child_rows = figures(round_, children, "level", OVERALL, threshold())
    child_type = children[0].type if children else None
    drawn = db.session.scalar(
        sa.select(Area.display_geometry.is_not(None)).where(Area.id == area.id)
    )  # whether it has a shape to draw, without reading the shape
    return render_template(
        "views/areas/area.html",
        area=area,
        drawn=drawn,
        rounds=rounds,
        round=round_,
        own=own,
        instrument=instrument_for(round_) if round_ is not None else None,
        readiness=readiness,
        children=child_rows,
        child_type=child_type,
        type_names=TYPE_NAMES,
        kind=ONE_OF_TYPE.get(area.type, area.type),
        crumbs=_crumbs(area),
        words=suppressed_words(threshold()),
        threshold=threshold(),
        max_compare=MAX_AREAS,
    )


def _map_request():
    """Everything the map page and its PNG share: choices, areas and figures."""
    rounds = rounds_in_order()
    round_ = _round_or_404(rounds)
    present = [
        t
        for (t,) in db.session.execute(
            _visible_query(
                sa.select(Area.type).distinct().where(Area.display_geometry.is_not(None))
            )
        )
    ]
    types = [t for t in AREA_TYPES if t in present]
    # a locality form is answered per PCN; a group's form is best seen by neighbourhood
    preferred = "pcn" if round_ is not None and instrument_for(round_).kind == "locality" else ""
    default_type = next(
        (t for t in (preferred, "neighbourhood") if t in types), (types or ["ward"])[0]
    )
    area_type = _choice("type", AREA_TYPES, default_type)
    measure = _choice("measure", MEASURES, "level")
    domains = domain_choices(round_)
    domain = _choice("domain", [d for d, _ in domains], OVERALL)
    within = request.args.get("within") or None
    criteria = [Area.type == area_type, *_visible()]
    within_area = None
    if within:
        within_area = _area_or_404(within)
        from ..access import areas_under

        criteria.append(Area.id.in_(areas_under({within_area.id})))
    areas = map_places(*criteria)  # with the shape drawn; the full one is for placing only
    rows = figures(round_, areas, measure, domain, threshold()) if areas else []
    return {
        "rounds": rounds,
        "round": round_,
        "types": types,
        "area_type": area_type,
        "measure": measure,
        "domains": domains,
        "domain": domain,
        "within": within_area,
        "rows": rows,
    }


def area_urls(rows, round_: Round) -> dict[str, str]:
    """Each area's page for this round (one url_for, not thousands)."""
    pattern = url_for("areas.area_page", code="AREA-CODE", round=round_.slug)
    return {
        row.area.code: pattern.replace("AREA-CODE", quote(row.area.code, safe="")) for row in rows
    }


def _map_areas(rows, urls: dict[str, str]) -> list:
    """The plain data the map core takes; geometries stay as the stored GeoJSON text."""
    return [
        row.map_area(urls[row.area.code], row.area.display_geometry, row.area.groups)
        for row in rows
    ]


@bp.get("/map")
def map_page():
    """A choropleth of one measure over one area type, with the same figures as a table."""
    choice = _map_request()
    sort = _choice("sort", SORT_KEYS, "name")
    order = _choice("order", ("asc", "desc"), "asc")
    scale = scale_for(choice["measure"])
    urls = area_urls(choice["rows"], choice["round"])
    areas = _map_areas(choice["rows"], urls)
    args = {k: v for k, v in request.args.items() if k not in ("sort", "order", "page")}
    args.update(
        round=choice["round"].slug,
        type=choice["area_type"],
        measure=choice["measure"],
        domain=choice["domain"],
    )
    sort_links = {
        key: url_for(
            "areas.map_page",
            **args,
            sort=key,
            order="desc" if key == sort and order == "asc" else "asc",
        )
        for key in SORT_KEYS
    }
    table = sort_figures(choice["rows"], sort, order == "desc")
    table_page = Page(len(table), request.args.get("page"), MAP_TABLE_PAGE)
    return render_template(
        "views/areas/map.html",
        sort_links=sort_links,
        urls=urls,
        **choice,
        title=map_title(choice),
        measures=MEASURES,
        type_names=TYPE_NAMES,
        map_json=map_json(areas, scale, threshold(), map_title(choice)),
        mapped=sum(1 for a in areas if a.geometry),
        legend=legend(scale, threshold()),
        scale=scale,
        table=table[table_page.start : table_page.end],
        table_page=table_page,
        table_total=len(table),
        table_url=lambda n: (
            url_for("areas.map_page", **args, sort=sort, order=order, page=n if n > 1 else None)
            + "#map-table"
        ),
        sort=sort,
        order=order,
        args=args,
        crumbs=_crumbs(choice["within"]) if choice["within"] else _crumbs(),
        attribution=ATTRIBUTION,
        hatch_defs=HATCH_DEFS,
        notes=footprint_notes(row.area.footprint_method for row in choice["rows"]),
        points_json=practice_points(choice),
        venues_json=venue_points(choice),
    )


def practice_points(choice: dict) -> str | None:
    """The practices of the PCNs shown, as a point layer (PCN maps only)."""
    if choice["area_type"] != "pcn" or not choice["rows"]:
        return None
    from ..models import Practice

    names = {row.area.code: row.area.name for row in choice["rows"]}
    rows = db.session.execute(
        sa.select(
            Practice.code, Practice.name, Practice.pcn_code, Practice.lon, Practice.lat
        ).where(Practice.pcn_code.in_(list(names)), Practice.lon.is_not(None))
    ).all()
    if not rows:
        return None
    markers = [PracticeMarker(c, n, names[pcn], lon, lat) for c, n, pcn, lon, lat in rows]
    return to_embedded_json(practice_layer(markers))


def venue_points(choice: dict) -> str | None:
    """Listed groups' public venues in the areas shown (any area type), as a point layer."""
    return venue_layer_json([row.area.id for row in choice["rows"]])


@bp.get("/map.png")
def map_png():
    """The same choropleth as a PNG, for reports and workbooks."""
    choice = _map_request()
    png = render_png(
        _map_areas(choice["rows"], area_urls(choice["rows"], choice["round"])),
        scale_for(choice["measure"]),
        threshold(),
        title=map_title(choice),
        attribution=ATTRIBUTION,
    )
    name = f"map-{choice['round'].slug}-{choice['area_type']}-{choice['measure']}.png"
    return Response(
        png,
        mimetype="image/png",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@bp.get("/map.html")
def map_file():
    """The same map as one HTML file (folium) to email or open offline: it fetches nothing."""
    choice = _map_request()
    page = map_file_html(
        choice["rows"], choice["measure"], threshold(), map_title(choice), ATTRIBUTION
    )
    name = f"map-{choice['round'].slug}-{choice['area_type']}-{choice['measure']}.html"
    return Response(
        page,
        mimetype="text/html",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            # a file to save, not a page of this site: were it ever shown here, its
            # (inline) scripts would not run and it could reach nothing
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        },
    )


def _compare_request():
    """The comparison's round, candidate areas, chosen areas and any problem with them."""
    rounds = rounds_in_order()
    round_ = _round_or_404(rounds)
    codes = list(dict.fromkeys(request.args.getlist("area")))
    chosen = [_area_or_404(code) for code in codes]
    present = [t for (t,) in db.session.execute(_visible_query(sa.select(Area.type).distinct()))]
    types = [t for t in AREA_TYPES if t in present]
    default_type = (
        chosen[0].type if chosen else ("pcn" if "pcn" in types else (types or ["pcn"])[0])
    )
    area_type = _choice("type", AREA_TYPES, default_type)
    candidates = list(
        db.session.scalars(
            _visible_query(sa.select(Area).where(Area.type == area_type).order_by(Area.name))
        )
    )
    problem = None
    if codes and not MIN_AREAS <= len(chosen) <= MAX_AREAS:
        problem = f"Choose between {MIN_AREAS} and {MAX_AREAS} areas to compare"
    return round_, rounds, types, area_type, candidates, chosen, problem


@bp.get("/compare")
def compare():
    """Two to six areas side by side per domain, with which differences are beyond doubt."""
    round_, rounds, types, area_type, candidates, chosen, problem = _compare_request()
    rows, notes, readiness = [], [], {}
    if chosen and problem is None:
        published = publish(round_, moderated=False, threshold=threshold())
        aggregates = area_aggregates(round_, chosen, threshold=threshold(), published=published)
        rows = compare_rows(round_, chosen, aggregates)
        notes = differences(rows)
        readiness = area_readiness(round_, chosen, threshold=threshold(), published=published)
    return render_template(
        "views/areas/compare.html",
        round=round_,
        rounds=rounds,
        types=types,
        type_names=TYPE_NAMES,
        area_type=area_type,
        candidates=candidates,
        chosen=chosen,
        chosen_codes={a.code for a in chosen},
        problem=problem,
        rows=rows,
        notes=notes,
        instrument=instrument_for(round_),
        named=instrument_for(round_).named_results,
        readiness=readiness,
        threshold=threshold(),
        words=suppressed_words(threshold()),
        png_url=url_for(
            "areas.compare_png_view",
            round=round_.slug,
            type=area_type,
            area=[a.code for a in chosen],
        ),
        crumbs=_crumbs(),
        min_areas=MIN_AREAS,
        max_areas=MAX_AREAS,
    )


@bp.get("/compare.png")
def compare_png_view():
    """Small multiples per domain: each area's mean with its 95% interval."""
    round_, _, _, _, _, chosen, problem = _compare_request()
    if problem or not chosen:
        abort(400, problem or "Choose the areas to compare.")
    rows = compare_rows(round_, chosen, area_aggregates(round_, chosen, threshold=threshold()))
    return Response(compare_png(rows, [a.name for a in chosen]), mimetype="image/png")
