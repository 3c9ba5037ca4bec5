"""Finding 18: area parents that go round in a loop (A -> B -> A) are refused at import."""

from __future__ import annotations

import json

import sqlalchemy as sa

from survey.extensions import db
from survey.models import Area


def _square(x: float) -> list:
    return [[[x, 51], [x + 0.01, 51], [x + 0.01, 51.01], [x, 51.01], [x, 51]]]


def _file(tmp_path, name: str, areas: list[tuple[str, str | None]]):
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": f"Area {code}", "parent": parent},
            "geometry": {"type": "Polygon", "coordinates": _square(i * 0.02)},
        }
        for i, (code, parent) in enumerate(areas)
    ]
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _import(cli, path):
    return cli("import", "boundaries", path, "--type", "ward", "--code-field", "code",
               "--name-field", "name", "--parent-field", "parent")  # fmt: skip


def _parents() -> dict[str, str | None]:
    db.session.remove()
    return {
        a.code: a.parent.code if a.parent else None for a in db.session.scalars(sa.select(Area))
    }


def test_finding_18_a_loop_of_parents_is_refused(app, cli, tmp_path):
    result = _import(cli, _file(tmp_path, "loop.json", [("A", "B"), ("B", "A")]))
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        "Error: loop.json: parents go round in a loop (A → B → A); nothing was imported"
    ]
    assert _parents() == {}

    # A loop made with areas already stored: B's parent is A, then A is given B.
    assert _import(cli, _file(tmp_path, "a.json", [("A", None)])).exit_code == 0
    assert _import(cli, _file(tmp_path, "b.json", [("B", "A"), ("C", "B")])).exit_code == 0
    result = _import(cli, _file(tmp_path, "again.json", [("A", "C")]))
    assert result.exit_code == 1
    assert "parents go round in a loop (A → C → B → A)" in result.output
    assert _parents() == {"A": None, "B": "A", "C": "B"}
