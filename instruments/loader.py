"""Read instrument files: YAML -> schema check -> meaning check -> frozen objects.

Every problem is reported as ``"<file>: <path>: <message>"`` (the path is
where in the file, like ``sections[2].questions[0].type``), and all of a
file's problems are collected before anything is refused.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import jsonschema
import yaml

from .model import (
    Condition,
    Domain,
    DomainLevel,
    Instrument,
    Item,
    Level,
    NextStep,
    Option,
    Overall,
    Question,
    Section,
    SupportOffer,
)
from .registry import Registry
from .validate import check_instrument

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
OFFERS_FILE = "support-offers.yaml"


class InstrumentError(Exception):
    """One or more instrument files are invalid; ``errors`` holds one line per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    keys = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, f"key '{key}' is given twice", key_node.start_mark
            )
        keys.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@cache
def _schema(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMA_DIR / name).read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _json_path(parts) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _schema_problems(doc: object, schema: str) -> list[tuple[str, str]]:
    validator = _schema(schema)
    problems = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        message = error.message
        if error.validator == "additionalProperties":
            found = re.findall(r"'([^']+)'", message.split("(")[-1])
            message = "unknown key " + ", ".join(f"'{k}'" for k in found) + " (a typo?)"
        elif error.validator == "if":
            continue  # reported by its "then"/"else" branch
        problems.append((_json_path(error.absolute_path), message))
    return problems


def read_yaml(path: Path) -> tuple[object, list[str]]:
    """(document, errors) for one YAML file; errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [f"{path.name}: (file): cannot read it: {error}"]
    try:
        doc = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        detail = getattr(error, "problem", None) or str(error)
        return None, [f"{path.name}: {where}: not valid YAML: {detail}"]
    if doc is None:
        return None, [f"{path.name}: (file): the file is empty"]
    return doc, []


def load_offers(path: Path) -> tuple[dict[str, SupportOffer], list[str]]:
    """The support offers catalogue: (offers by id, errors)."""
    doc, errors = read_yaml(path)
    if errors:
        return {}, errors
    problems = _schema_problems(doc, "offers.schema.json")
    if problems:
        return {}, [f"{path.name}: {where}: {msg}" for where, msg in problems]
    offers: dict[str, SupportOffer] = {}
    for i, raw in enumerate(doc["offers"]):
        if raw["id"] in offers:
            errors.append(f"{path.name}: offers[{i}].id: '{raw['id']}' is used more than once")
        offers[raw["id"]] = SupportOffer(**raw)
    return offers, errors


def _condition(raw: dict | None) -> Condition | None:
    if not raw:
        return None
    return Condition(question=raw["question"], values=tuple(str(v) for v in raw["values"]))


def _question(raw: dict) -> Question:
    fields = {k: v for k, v in raw.items() if k not in ("options", "skip_if")}
    return Question(
        **fields,
        options=tuple(Option(**o) for o in raw.get("options", [])),
        skip_if=_condition(raw.get("skip_if")),
    )


def _domain(raw: dict) -> Domain:
    levels = tuple(
        DomainLevel(
            level=lv["level"],
            descriptor=lv["descriptor"],
            name=lv.get("name"),
            next_steps=tuple(
                NextStep(
                    text=s["text"],
                    horizon=s["horizon"],
                    offers=tuple(s.get("offers", [])),
                    owner=s.get("owner"),
                )
                for s in lv["next_steps"]
            ),
        )
        for lv in raw["levels"]
    )
    fields = {k: v for k, v in raw.items() if k not in ("items", "levels")}
    return Domain(**fields, items=tuple(Item(**i) for i in raw["items"]), levels=levels)


def build_instrument(doc: dict, source_file: str = "") -> Instrument:
    """Frozen objects from a document that passed both checks."""
    overall = doc.get("overall", {})
    return Instrument(
        id=doc["id"],
        version=doc["version"],
        title=doc["title"],
        respondents=doc["respondents"],
        summary=doc["summary"],
        minutes=doc["minutes"],
        levels=tuple(Level(**lv) for lv in doc["levels"]),
        sections=tuple(
            Section(
                id=s["id"],
                title=s["title"],
                intro=s.get("intro"),
                skip_if=_condition(s.get("skip_if")),
                questions=tuple(_question(q) for q in s["questions"]),
            )
            for s in doc["sections"]
        ),
        domains=tuple(_domain(d) for d in doc["domains"]),
        overall=Overall(
            method=overall.get("method", "mean"),
            min_domains=overall.get("min_domains", 0.5),
            weights=tuple(sorted(overall.get("weights", {}).items())),
        ),
        source_file=source_file,
    )


def load_instrument(
    path: Path, offer_ids: set[str] | None = None
) -> tuple[Instrument | None, list[str]]:
    """(instrument, errors) for one file; the instrument is None when there are errors."""
    doc, errors = read_yaml(path)
    if errors:
        return None, errors
    problems = _schema_problems(doc, "instrument.schema.json")
    if not problems:
        problems = check_instrument(doc, offer_ids)
        expected = f"{doc['id']}-{doc['version']}.yaml"
        if path.name != expected:
            problems.append(
                ("(file)", f"the file must be named '{expected}' after its id and version")
            )
    if problems:
        return None, [f"{path.name}: {where}: {msg}" for where, msg in problems]
    return build_instrument(doc, source_file=str(path)), []


def _instrument_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.glob("*.yaml") if p.name != OFFERS_FILE)
        elif path.name != OFFERS_FILE:
            files.append(path)
    return files


def _catalogue_for(paths: list[Path]) -> Path:
    """The offers catalogue beside the files checked, else the shipped one."""
    for path in paths:
        folder = path if path.is_dir() else path.parent
        if (folder / OFFERS_FILE).exists():
            return folder / OFFERS_FILE
    return DEFINITIONS_DIR / OFFERS_FILE


def load_all(paths: list[Path]) -> tuple[Registry, list[str]]:
    """Load every instrument file (folders are searched for *.yaml) with its catalogue."""
    offers, errors = load_offers(_catalogue_for(paths))
    offer_ids = set(offers) if not errors else None
    instruments: dict[tuple[str, str], Instrument] = {}
    for path in _instrument_files(paths):
        instrument, problems = load_instrument(path, offer_ids)
        errors += problems
        if instrument is None:
            continue
        if instrument.key in instruments:
            other = Path(instruments[instrument.key].source_file).name
            errors.append(
                f"{path.name}: (file): {instrument.id} version {instrument.version} "
                f"is already defined in {other}"
            )
            continue
        instruments[instrument.key] = instrument
    return Registry(instruments, offers), errors


def check(paths: list[Path]) -> list[str]:
    """Every problem in these files or folders, one line each; empty when all are valid."""
    _, errors = load_all(paths)
    return errors


def load_registry(folder: Path = DEFINITIONS_DIR) -> Registry:
    """The instruments in a folder; raises InstrumentError when any file is invalid."""
    registry, errors = load_all([folder])
    if errors:
        raise InstrumentError(errors)
    if not registry.all():
        raise InstrumentError([f"{folder}: (folder): no instrument files found"])
    return registry
