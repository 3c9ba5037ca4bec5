"""The administrators' import page: the same imports as `survey import ...`, by upload."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for

from ..errors import InputError
from ..extensions import db
from ..models import AREA_TYPES
from .groups_import import import_organisations
from .imports import import_boundaries
from .practices import import_practices

KINDS = {
    "boundaries": "Boundaries (GeoJSON)",
    "practices": "GP practices and their PCNs (CSV)",
    "organisations": "Community groups (CSV)",
}
FIELD_NAME = 60


def _text(name: str) -> str:
    value = request.form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _problems(kind: str) -> list[tuple[str, str]]:
    """(field id, message) for what is missing or wrong in the form."""
    problems = []
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        problems.append(("file", "Choose a file to import"))
    if kind == "boundaries":
        if _text("type") not in AREA_TYPES:
            problems.append(("type", "Choose what kind of areas the file holds"))
        for field, label in (("code_field", "code"), ("name_field", "name")):
            value = _text(field)
            if not value:
                problems.append(
                    (field, f"Enter the name of the property that holds each area's {label}")
                )
            elif len(value) > FIELD_NAME or "\x00" in value:
                problems.append((field, f"Enter a property name of up to {FIELD_NAME} characters"))
        if len(_text("parent_field")) > FIELD_NAME or "\x00" in _text("parent_field"):
            problems.append(
                ("parent_field", f"Enter a property name of up to {FIELD_NAME} characters")
            )
    return problems


def _run(kind: str, path: Path) -> tuple[str, list[str]]:
    """Run one import; returns (summary, row errors)."""
    max_mb = current_app.config["MAX_CONTENT_LENGTH"] / 1024 / 1024
    if kind == "boundaries":
        result = import_boundaries(
            path,
            _text("type"),
            _text("code_field"),
            _text("name_field"),
            _text("parent_field") or None,
            max_mb=max_mb,
        )
        return str(result), []
    if kind == "practices":
        return import_practices(path, max_mb=max_mb), []
    return import_organisations(path, max_mb=max_mb)


def import_data():
    """Upload a boundary file, a practice lookup or a list of groups: all of it or none."""
    kind = request.values.get("kind", "boundaries")
    if kind not in KINDS:
        kind = "boundaries"
    problems: list[tuple[str, str]] = []
    row_errors: list[str] = []
    if request.method == "POST":
        problems = _problems(kind)
        if not problems:
            upload = request.files["file"]
            safe_name = "".join(c for c in Path(upload.filename).name if c.isalnum() or c in "._-")
            # Parse with no transaction open: on SQLite this request's transaction (begun by
            # the sign-in check) holds the write lock, and every group's save would wait.
            db.session.commit()
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / (safe_name[:80] or "upload")
                upload.save(path)
                try:
                    summary, row_errors = _run(kind, path)
                except InputError as error:
                    problems = [("file", error.message)]
                else:
                    if not row_errors:
                        flash(summary)
                        return redirect(url_for("areas.import_data", kind=kind))
        status = 400 if problems or row_errors else 200
    else:
        status = 200
    return (
        render_template(
            "views/areas/import.html",
            kinds=KINDS,
            kind=kind,
            types=AREA_TYPES,
            problems=problems,
            row_errors=row_errors[:100],
            more_errors=max(0, len(row_errors) - 100),
            form={k: _text(k) for k in ("type", "code_field", "name_field", "parent_field")},
            crumbs=[
                {"text": "Staff home", "href": url_for("accounts.dashboard")},
                {"text": "Areas", "href": url_for("areas.index")},
            ],
        ),
        status,
    )
