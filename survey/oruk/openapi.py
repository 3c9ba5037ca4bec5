"""The OpenAPI document of the /oruk endpoints, in the form of the UK profile's openapi.json.

Response schemas are the profile's own (by the URLs its openapi.json uses); the
parameters are the profile's, plus ``area_code`` (an area code as in /api/areas).
"""

from __future__ import annotations

PER_PAGE, MAX_PER_PAGE, MAX_PAGE = 50, 100, 100_000
MAX_PROXIMITY = 200_000  # metres

PROFILE_SCHEMAS = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"


def _paged(item_ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "allOf": [{"$ref": "#/components/schemas/Page"}],
                    "properties": {"contents": {"type": "array", "items": {"$ref": item_ref}}},
                }
            }
        },
    }


def _one(ref: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


def _parameter(name: str, description: str, schema: dict) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


ERROR = _one("#/components/schemas/Error", "A bad parameter (400) or nothing there (404).")

PARAMETERS = {
    "page": _parameter(
        "page", "Page number of paginated result.", {"type": "integer", "minimum": 1}
    ),
    "per_page": _parameter(
        "per_page",
        f"Number of results requested in a single page (default {PER_PAGE}).",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
    ),
    "search": _parameter(
        "search",
        "Full text search: every word must appear in a service's name, description or activities.",
        {"type": "string", "maxLength": 200},
    ),
    "taxonomy_term_id": _parameter(
        "taxonomy_term_id",
        "Search for services with particular taxonomy_term (an activity).",
        {"type": "string", "format": "uuid"},
    ),
    "taxonomy_id": _parameter(
        "taxonomy_id",
        "Search for services which contain any term with this taxonomy.",
        {"type": "string", "format": "uuid"},
    ),
    "area_code": _parameter(
        "area_code",
        "Services in this area, at any level (an area code as in /api/areas).",
        {"type": "string", "maxLength": 32},
    ),
    "postcode": _parameter(
        "postcode",
        "With proximity: services whose area's centroid lies within proximity metres of the "
        "postcode's centroid. Groups' own locations are never used or published.",
        {"type": "string"},
    ),
    "proximity": _parameter(
        "proximity",
        "Distance in metres from the centroid of the postcode (with postcode).",
        {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_PROXIMITY},
    ),
}


def _id_parameter(what: str) -> dict:
    return {
        "in": "path",
        "name": "id",
        "required": True,
        "description": f"The id of the {what}.",
        "schema": {"type": "string"},
    }


def oruk_openapi_document() -> dict:
    """The /oruk endpoints described for directory platforms (no token needed)."""
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Community group directory: Open Referral UK Profile",
            "version": "3.0",
            "description": (
                "Read-only Open Referral UK (HSDS UK profile 3.0) endpoints for the groups "
                "that agreed to be listed, with only what they agreed to publish: name, area "
                "and activities. No token is needed."
            ),
            "license": {
                "name": "Creative Commons Attribution Share-Alike 4.0 license",
                "url": "https://creativecommons.org/licenses/by-sa/4.0/",
            },
        },
        "servers": [{"url": "/oruk"}],
        "paths": {
            "/": {
                "get": {
                    "operationId": "getAPIMetaInformation",
                    "summary": "Retrieve information about this API and its relationship with HSDS.",
                    "responses": {
                        "200": _one("#/components/schemas/ApiDetails", "About this API.")
                    },
                }
            },
            "/services": {
                "get": {
                    "operationId": "getPaginatedListOfServices",
                    "summary": "Paginated listing of services (listed groups), fully nested.",
                    "parameters": list(PARAMETERS.values()),
                    "responses": {
                        "200": _paged(
                            PROFILE_SCHEMAS + "compiled/service.json", "A page of services."
                        ),
                        "400": ERROR,
                        "404": ERROR,
                    },
                }
            },
            "/services/{id}": {
                "parameters": [_id_parameter("service")],
                "get": {
                    "operationId": "getFullyNestedServiceById",
                    "summary": "A fully nested service; 404 unless its group is listed now.",
                    "responses": {
                        "200": _one(PROFILE_SCHEMAS + "compiled/service.json", "The service."),
                        "404": ERROR,
                    },
                },
            },
            "/taxonomies": {
                "get": {
                    "operationId": "getPaginatedListOfTaxonomies",
                    "summary": "Paginated listing of taxonomies (one: community group activities).",
                    "parameters": [PARAMETERS["page"], PARAMETERS["per_page"]],
                    "responses": {
                        "200": _paged(PROFILE_SCHEMAS + "taxonomy.json", "A page of taxonomies."),
                        "400": ERROR,
                    },
                }
            },
            "/taxonomies/{id}": {
                "parameters": [_id_parameter("taxonomy")],
                "get": {
                    "operationId": "getTaxonomyById",
                    "summary": "Full information on a taxonomy, with its terms.",
                    "responses": {
                        "200": _one(PROFILE_SCHEMAS + "taxonomy.json", "The taxonomy."),
                        "404": ERROR,
                    },
                },
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document.",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Page": {
                    "type": "object",
                    "required": [
                        "total_items",
                        "total_pages",
                        "page_number",
                        "size",
                        "first_page",
                        "last_page",
                        "empty",
                        "contents",
                    ],
                    "properties": {
                        "total_items": {"type": "integer", "minimum": 0},
                        "total_pages": {"type": "integer", "minimum": 1},
                        "page_number": {"type": "integer", "minimum": 1},
                        "size": {"type": "integer", "minimum": 0},
                        "first_page": {"type": "boolean"},
                        "last_page": {"type": "boolean"},
                        "empty": {"type": "boolean"},
                        "contents": {"type": "array"},
                    },
                },
                "ApiDetails": {
                    "type": "object",
                    "required": ["version", "profile", "openapi_url"],
                    "properties": {
                        "version": {"type": "string"},
                        "profile": {"type": "string", "format": "uri"},
                        "openapi_url": {"type": "string", "format": "uri"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                },
            }
        },
    }
