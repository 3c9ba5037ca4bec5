"""The OpenAPI 3.1 document of the read-only JSON API, written by hand."""

from __future__ import annotations

from ..models import AREA_TYPES

SLUG = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"}
CODE = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"}


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _json(ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorised"},
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string", "description": "What went wrong, in words."}},
    },
    "Round": {
        "type": "object",
        "required": [
            "slug",
            "title",
            "instrument_id",
            "instrument_version",
            "instrument_kind",
            "opens_on",
            "closes_on",
            "target_level",
            "area_codes",
            "domains",
        ],
        "properties": {
            "slug": {"type": "string", "examples": ["confidence-2025"]},
            "title": {"type": "string"},
            "instrument_id": {"type": "string"},
            "instrument_version": {"type": "string"},
            "instrument_kind": {"type": "string", "enum": ["organisation", "locality"]},
            "opens_on": {"type": "string", "format": "date"},
            "closes_on": {"type": "string", "format": "date"},
            "target_level": _nullable("integer", minimum=1, maximum=5),
            "area_codes": {"type": "array", "items": {"type": "string"}},
            "domains": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                },
            },
        },
    },
    "RoundList": {
        "type": "object",
        "required": ["rounds"],
        "properties": {
            "rounds": {"type": "array", "items": {"$ref": "#/components/schemas/Round"}}
        },
    },
    "Area": {
        "type": "object",
        "required": ["code", "name", "type", "parent_code"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "type": {"type": "string", "enum": list(AREA_TYPES)},
            "parent_code": _nullable("string"),
        },
    },
    "AreaList": {
        "type": "object",
        "required": ["areas"],
        "properties": {"areas": {"type": "array", "items": {"$ref": "#/components/schemas/Area"}}},
    },
    "Aggregate": {
        "type": "object",
        "description": (
            "One area's figures for one domain (domain_id 'overall' for the whole). "
            "When suppressed is true every figure is null: fewer groups answered than "
            "the disclosure threshold, or the figure would let a small one be worked out "
            "(from a parent and its children, from an overlapping area, or from an earlier "
            "figure). Figures are published, not live: one changes only when at least the "
            "threshold number of groups have changed since it was last published."
        ),
        "required": [
            "round",
            "area_code",
            "area_name",
            "area_type",
            "domain_id",
            "domain_name",
            "suppressed",
            "n",
            "mean",
            "median",
            "ci_low",
            "ci_high",
            "level",
            "level_bands",
            "invited",
            "responded",
            "coverage",
            "target_level",
            "gap",
            "ambition",
            "ambition_gap",
        ],
        "properties": {
            "round": {"type": "string"},
            "instrument_id": {"type": "string"},
            "instrument_version": {"type": "string"},
            "area_code": {"type": "string"},
            "area_name": {"type": "string"},
            "area_type": {"type": "string", "enum": list(AREA_TYPES)},
            "domain_id": {"type": "string"},
            "domain_name": {"type": "string"},
            "suppressed": {"type": "boolean"},
            "n": _nullable("integer", minimum=0),
            "mean": _nullable("number", minimum=1, maximum=5),
            "median": _nullable("number", minimum=1, maximum=5),
            "ci_low": _nullable("number", description="95% confidence interval, lower end"),
            "ci_high": _nullable("number", description="95% confidence interval, upper end"),
            "level": _nullable("integer", minimum=1, maximum=5),
            "level_bands": {
                "type": ["array", "null"],
                "items": {
                    "type": "object",
                    "required": ["lowest", "highest", "count"],
                    "properties": {
                        "lowest": {"type": "integer", "minimum": 1, "maximum": 5},
                        "highest": {"type": "integer", "minimum": 1, "maximum": 5},
                        "count": {"type": "integer", "minimum": 0},
                    },
                },
                "minItems": 2,
                "maxItems": 5,
                "description": (
                    "Groups by level, in bands of adjacent levels (lowest to highest) that "
                    "each hold at least the threshold number of groups. Null when that "
                    "would leave fewer than two bands (every group in one band), or when "
                    "suppressed."
                ),
            },
            "invited": {"type": "integer", "minimum": 0},
            "responded": _nullable("integer", minimum=0),
            "coverage": _nullable("number", minimum=0),
            "target_level": _nullable("integer"),
            "gap": _nullable("number", description="target level minus mean"),
            "ambition": _nullable(
                "number",
                minimum=1,
                maximum=5,
                description=(
                    "Where the area plans to be in a year: the mean of its groups' stated "
                    "ambitions (published under the same threshold), or a locality's own "
                    "answer. Null when not asked, not given or suppressed."
                ),
            ),
            "ambition_gap": _nullable(
                "number", description="ambition minus mean (a locality: minus its own level)"
            ),
        },
    },
    "AggregateList": {
        "type": "object",
        "required": ["round", "threshold", "aggregates"],
        "properties": {
            "round": {"type": "string"},
            "threshold": {"type": "integer", "description": "Smallest n that is shown."},
            "aggregates": {"type": "array", "items": {"$ref": "#/components/schemas/Aggregate"}},
        },
    },
}

SLUG_PARAMETER = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "The round's slug, as in /api/rounds.",
    "schema": SLUG,
}


def openapi_document() -> dict:
    """The API described for BI tools and code generators."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Community readiness survey API",
            "version": "1.0.0",
            "description": (
                "Read-only JSON for BI tools: survey rounds, areas and aggregates per area "
                "and domain. Small numbers are suppressed: a suppressed aggregate has every "
                "figure null. Send an API token from an administrator as "
                "`Authorization: Bearer <token>`."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document (no token needed).",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "400": {"$ref": "#/components/responses/BadRequest"},
                    },
                }
            },
            "/api/rounds": {
                "get": {
                    "operationId": "rounds",
                    "summary": "Every survey round, newest first.",
                    "responses": {**ERRORS, "200": _json("RoundList", "The rounds.")},
                }
            },
            "/api/rounds/{slug}": {
                "get": {
                    "operationId": "round",
                    "summary": "One round.",
                    "parameters": [SLUG_PARAMETER],
                    "responses": {
                        **ERRORS,
                        "200": _json("Round", "The round."),
                        "404": _json("Error", "No round has that slug."),
                    },
                }
            },
            "/api/areas": {
                "get": {
                    "operationId": "areas",
                    "summary": "Every area, or every area of one type.",
                    "parameters": [
                        {
                            "name": "type",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": list(AREA_TYPES)},
                        }
                    ],
                    "responses": {
                        **ERRORS,
                        "200": _json("AreaList", "The areas."),
                        "400": _json("Error", "Not an area type."),
                    },
                }
            },
            "/api/rounds/{slug}/aggregates": {
                "get": {
                    "operationId": "aggregates",
                    "summary": "Aggregates per area and domain, small numbers suppressed.",
                    "description": (
                        "By default the round's own areas; give area_type for every area of "
                        "a type, or area for one area (not both)."
                    ),
                    "parameters": [
                        SLUG_PARAMETER,
                        {
                            "name": "area_type",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": list(AREA_TYPES)},
                        },
                        {"name": "area", "in": "query", "required": False, "schema": CODE},
                    ],
                    "responses": {
                        **ERRORS,
                        "200": _json("AggregateList", "The aggregates."),
                        "400": _json("Error", "A bad or conflicting parameter."),
                        "404": _json("Error", "No such round or area."),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token issued by an administrator.",
                }
            },
            "responses": {
                "Unauthorised": _json("Error", "No token, or a revoked or unknown one."),
                "BadRequest": _json("Error", "An unknown or repeated query parameter."),
            },
            "schemas": SCHEMAS,
        },
    }
