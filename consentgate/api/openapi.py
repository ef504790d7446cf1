"""The OpenAPI 3.1 document of ``/consentgate/api/v1/``, written to match what the routes do."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..webhooks.outbox import FLAGS

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["openapi_document"]

_NULLABLE_STR: dict[str, Any] = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str, *, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    if headers:
        response["headers"] = headers
    return response


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}}
_AUTH_ERRORS: dict[str, Any] = {
    "401": _error("No key, an unknown key or a revoked key"),
    "403": _error("The key's scope does not allow this route"),
    "405": _error("Method not allowed"),
    "429": _error("Over the key's rate limit", headers=_RETRY_AFTER),
}
_BODY_ERRORS: dict[str, Any] = {
    "400": _error("The body is not what the route takes"),
    "413": _error("The body is too large"),
    "415": _error("The body is not application/json"),
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _schemas(categories: tuple[str, ...]) -> dict[str, Any]:
    flag = {
        "type": "object",
        "required": ["opted_out", "source", "time", "via"],
        "properties": {
            "opted_out": {"type": "boolean"},
            "source": {**_NULLABLE_STR, "description": "banner, gpc, api, phone, sms, email or form"},
            "time": {**_NULLABLE_STR, "format": "date-time"},
            "via": {**_NULLABLE_STR, "description": "the consent id or identifier whose record set it"},
        },
        "additionalProperties": False,
    }
    categories_schema = {"type": "object", "additionalProperties": {"type": "boolean"}}
    kind = {"type": "string", "enum": ["consent_id", "email", "phone", "user", "unknown"]}
    subject_list = {"type": "array", "items": {"type": "string"}}
    return {
        "Error": {
            "type": "object",
            "required": ["error", "detail"],
            "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
            "additionalProperties": False,
        },
        "Flag": flag,
        "Status": {
            "type": "object",
            "required": [
                "subject",
                "kind",
                "found",
                "opt_outs",
                "categories",
                "categories_time",
                "updated_at",
                "consent_ids",
                "identifiers",
            ],
            "properties": {
                "subject": {"type": "string"},
                "kind": kind,
                "found": {"type": "boolean"},
                "opt_outs": {
                    "type": "object",
                    "required": list(FLAGS),
                    "properties": {name: _ref("Flag") for name in FLAGS},
                    "additionalProperties": False,
                },
                "categories": {
                    "oneOf": [categories_schema, {"type": "null"}],
                    "description": f"the latest banner state of the categories ({', '.join(categories)})",
                },
                "categories_time": {**_NULLABLE_STR, "format": "date-time"},
                "updated_at": {**_NULLABLE_STR, "format": "date-time"},
                "consent_ids": {**subject_list, "description": "consent ids linked to an identifier"},
                "identifiers": {**subject_list, "description": "identifiers linked to a consent id"},
            },
            "additionalProperties": False,
        },
        "Change": {
            "type": "object",
            "required": [
                "cursor",
                "subject",
                "kind",
                "record_id",
                "time",
                "action",
                "source",
                "categories",
                "opt_outs",
                "linked",
            ],
            "properties": {
                "cursor": {"type": "string"},
                "subject": {"type": "string"},
                "kind": kind,
                "record_id": {"type": "string"},
                "time": {"type": "string", "format": "date-time"},
                "action": {"type": "string"},
                "source": {"type": "string"},
                "categories": categories_schema,
                "opt_outs": {
                    "type": "object",
                    "properties": {name: {"type": "boolean"} for name in FLAGS},
                    "additionalProperties": False,
                },
                "linked": subject_list,
            },
            "additionalProperties": False,
        },
    }


def openapi_document(config: Config) -> dict[str, Any]:
    """The document served at ``/consentgate/api/v1/openapi.json``."""
    auth: list[dict[str, list[str]]] = [{"bearerAuth": []}]
    channels = ["phone", "sms", "email", "form", "api"]
    identifier_fields = {
        "email": {"type": "string", "description": "a raw address: normalised and hashed, never stored"},
        "phone": {"type": "string", "description": "a raw number: made E.164 and hashed, never stored"},
        "user_id": {"type": "string", "minLength": 1},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "consentgate opt-out status API",
            "version": "1.0.0",
            "description": (
                "Ask the consent gate before acting on a visitor, customer or caller, and record opt-outs "
                "received through other channels. Subjects are consent ids or linked identifiers: "
                "'email:<sha256 of the trimmed, lower-cased address>', 'phone:<sha256 of the E.164 "
                "number>', 'user:<id>'."
            ),
        },
        "servers": [{"url": "/consentgate/api/v1"}],
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(config.category_names),
        },
        "paths": {
            "/subjects/{subject}": {
                "get": {
                    "operationId": "getSubject",
                    "summary": "The opt-out status of one subject",
                    "security": auth,
                    "parameters": [
                        {"name": "subject", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": _json(_ref("Status"), "The subject's status"),
                        "400": _error("Not a consent id or identifier"),
                        "404": _error("No record and no link is known for the subject"),
                        **_AUTH_ERRORS,
                    },
                }
            },
            "/subjects": {
                "post": {
                    "operationId": "getSubjects",
                    "summary": "The status of up to 1,000 subjects at once (unknown ones have found=false)",
                    "security": auth,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["subjects"],
                                    "properties": {
                                        "subjects": {
                                            "type": "array",
                                            "items": {"type": "string"},
                                            "minItems": 1,
                                            "maxItems": 1000,
                                        }
                                    },
                                    "additionalProperties": False,
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["results"],
                                "properties": {"results": {"type": "array", "items": _ref("Status")}},
                                "additionalProperties": False,
                            },
                            "One status per subject, in the order asked",
                        ),
                        **_BODY_ERRORS,
                        **_AUTH_ERRORS,
                    },
                }
            },
            "/changes": {
                "get": {
                    "operationId": "getChanges",
                    "summary": "Every change, oldest first, paged with an opaque cursor",
                    "description": (
                        "Changes come oldest first (those of one subject in the order they were made),"
                        " and paging with 'next' (or a change's 'cursor') returns every change exactly"
                        " once: a change still being written never ends up behind a cursor already"
                        " handed out. On PostgreSQL the feed therefore stops short of the oldest write"
                        " transaction still open on the database server, so a long-running transaction"
                        " there delays new changes until it ends; it never loses one. Cursors are"
                        " opaque; cursors of earlier versions are still accepted."
                    ),
                    "security": auth,
                    "parameters": [
                        {
                            "name": "after",
                            "in": "query",
                            "required": False,
                            "description": "a cursor from a previous page; without it, the oldest change first",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                        },
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["changes", "next", "has_more"],
                                "properties": {
                                    "changes": {"type": "array", "items": _ref("Change")},
                                    "next": {
                                        "type": "string",
                                        "description": "pass as 'after' for the next page",
                                    },
                                    "has_more": {"type": "boolean"},
                                },
                                "additionalProperties": False,
                            },
                            "A page of changes",
                        ),
                        "400": _error("A bad cursor or limit"),
                        **_AUTH_ERRORS,
                    },
                }
            },
            "/opt-outs": {
                "post": {
                    "operationId": "recordOptOut",
                    "summary": "Record an opt-out received by phone, SMS, e-mail or a form",
                    "security": auth,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "description": "exactly one of subject, email, phone, user_id",
                                    "required": ["channel"],
                                    "properties": {
                                        "subject": {"type": "string"},
                                        **identifier_fields,
                                        "channel": {"type": "string", "enum": channels},
                                        "opt_outs": {
                                            "type": "array",
                                            "items": {"type": "string", "enum": list(FLAGS)},
                                            "minItems": 1,
                                            "uniqueItems": True,
                                        },
                                    },
                                    "additionalProperties": False,
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(
                            {
                                "type": "object",
                                "required": ["record_id", "subject", "status"],
                                "properties": {
                                    "record_id": {"type": "string"},
                                    "subject": {"type": "string"},
                                    "status": _ref("Status"),
                                },
                                "additionalProperties": False,
                            },
                            "Recorded; the subject's new status",
                        ),
                        "404": _error("A consent id with no record"),
                        **_BODY_ERRORS,
                        **_AUTH_ERRORS,
                    },
                }
            },
            "/links": {
                "post": {
                    "operationId": "linkIdentifiers",
                    "summary": "Link a consent id to identifiers the site learnt",
                    "security": auth,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["consent_id"],
                                    "properties": {
                                        "consent_id": {"type": "string"},
                                        **identifier_fields,
                                        "identifiers": {
                                            "type": "array",
                                            "items": {"type": "string"},
                                            "maxItems": 100,
                                        },
                                    },
                                    "additionalProperties": False,
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["consent_id", "linked", "added"],
                                "properties": {
                                    "consent_id": {"type": "string"},
                                    "linked": {"type": "array", "items": {"type": "string"}},
                                    "added": {"type": "integer", "minimum": 0},
                                },
                                "additionalProperties": False,
                            },
                            "Linked (idempotent)",
                        ),
                        "404": _error("A consent id with no record"),
                        **_BODY_ERRORS,
                        **_AUTH_ERRORS,
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": _json({"type": "object"}, "The OpenAPI document"),
                        "405": _error("Method not allowed"),
                    },
                }
            },
        },
    }
