"""The UK profile 3.0 schemas as a test helper: paged lists, services and taxonomies.

Used by the export tests and the /oruk API tests, so both are held to one validator.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMAS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "oruk"
ORUK = SCHEMAS / "uk-profile-3.0"  # the UK profile the feed follows
HSDS = SCHEMAS / "hsds-3.0"  # the international base it is built on
SCRIPT = '<script>alert("x")</script> Lunch Club'
FORMULA = '=cmd|"/c calc"!A1'
# The bookkeeping of a page in the profile's examples.
PAGE_FIELDS = (
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
)


@cache
def _registry(folder: Path = ORUK) -> Registry:
    """Every entity schema in a schema set, found by the file name its $refs use."""
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text()), DRAFT202012))
        for path in (folder / "schema").glob("*.json")
        if path.name != "openapi.json"
    ]
    return Registry().with_resources(resources)


def _validator(schema: dict, folder: Path = ORUK) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema,
        registry=_registry(folder),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def feed_errors(feed: dict) -> list[str]:
    """Every way the feed breaks the ORUK /services page, the UK service schemas or HSDS 3.0."""
    openapi = json.loads((ORUK / "schema" / "openapi.json").read_text())
    page = openapi["components"]["schemas"]["Page"]
    listed = json.loads((ORUK / "schema" / "compiled" / "service_list.json").read_text())
    errors = [f"page: {e.message}" for e in _validator(page).iter_errors(feed)]
    errors += [] if isinstance(feed.get("contents"), list) else ["page: no contents list"]
    missing = [k for k in PAGE_FIELDS if k not in feed]
    errors += [f"page: no {k}" for k in missing]
    for i, item in enumerate(feed.get("contents") or []):
        errors += service_errors(item, f"contents[{i}]")
        errors += [
            f"contents[{i}].{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in _validator(listed).iter_errors(item)
        ]
    return errors


def service_errors(item: dict, where: str = "service") -> list[str]:
    """Every way one fully nested service breaks the UK service schemas or HSDS 3.0."""
    service = _registry().contents("service.json")
    compiled = json.loads((ORUK / "schema" / "compiled" / "service.json").read_text())
    base = _registry(HSDS).contents("service.json")
    errors = []
    for schema, folder in ((service, ORUK), (compiled, ORUK), (base, HSDS)):
        errors += [
            f"{where}.{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in _validator(schema, folder).iter_errors(item)
        ]
    # The profile's tabular_required fields link the nested objects together.
    errors += [f"{where}: no organization_id"] if "organization_id" not in item else []
    return errors


def taxonomy_errors(item: dict) -> list[str]:
    """Every way a taxonomy (with its terms) breaks the UK taxonomy schema."""
    schema = _registry().contents("taxonomy.json")
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator(schema).iter_errors(item)
    ]


def paging_errors(pages: list[dict], per_page: int) -> list[str]:
    """Pages 1..n of one listing, read in order: is their bookkeeping consistent?"""
    errors = []
    total = pages[0]["total_items"]
    expected_pages = max(1, -(-total // per_page))
    for number, page in enumerate(pages, start=1):
        want = {
            "total_items": total,
            "total_pages": expected_pages,
            "page_number": number,
            "size": len(page["contents"]),
            "first_page": number == 1,
            "last_page": number == expected_pages,
            "empty": not page["contents"],
        }
        errors += [
            f"page {number}: {k} is {page[k]!r}, not {v!r}" for k, v in want.items() if page[k] != v
        ]
        if number < expected_pages and len(page["contents"]) != per_page:
            errors.append(f"page {number}: not full ({len(page['contents'])} of {per_page})")
    ids = [s["id"] for page in pages for s in page["contents"]]
    if len(ids) != len(set(ids)):
        errors.append("a service appears on two pages")
    if len(ids) != total:
        errors.append(f"the pages hold {len(ids)} services, total_items says {total}")
    return errors
