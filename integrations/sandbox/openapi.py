"""The sandbox's OpenAPI 3 document, built from the operation table in `spec/endpoints.json`.

`endpoints.json` records every WebWork API V2 operation as the reference describes it, for both
doc versions (R and V). The document lists the same operations with their parameters, request
bodies and WebWork's envelope around every answer.

Request schemas say what a well-formed call looks like (types, enums, required fields, date and
time formats). Response schemas stay permissive: the sandbox answers in the richer of the two doc
versions, so objects allow extra properties and only the envelope's own keys are required.
"""

import functools
import json
import re
from pathlib import Path

from .api.base import API_VERSION, DEFAULT_PER_PAGE, MAX_PER_PAGE

SPEC_PATH = Path(__file__).resolve().parent / "spec" / "endpoints.json"
SERVER_URL = "/sandbox/api/v2"

SCALARS = {
    "integer": "integer",
    "int": "integer",
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "bool": "boolean",
}
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TOP_LEVEL = "(top-level) "
TIME_OF_DAY = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
DATE_NAMES = frozenset({"date", "date_from", "date_to", "start_date", "end_date", "deadline"})

# Every operation may answer these, in the error envelope. WebWork documents no 409: a repeated
# action (already a member, a second contract, an overlapping leave) is a business rule's 400, and
# a value that must be unique (an email already taken, a webhook URL already registered) a 422.
ERRORS = {
    400: (
        "BadRequest",
        "Malformed request, or a business rule refused it (e.g. already tracking, already a member).",
    ),
    401: ("Unauthenticated", "Missing, invalid, revoked or expired access token."),
    403: ("Forbidden", "The caller's role or workspace does not allow this, or the token lacks the scope."),
    404: ("NotFound", "Unknown id, or an id of another workspace."),
    405: ("MethodNotAllowed", "The path exists but not with this HTTP method; see the Allow header."),
    422: (
        "UnprocessableContent",
        "Validation failed (e.g. an email already taken), or a wrong state transition; "
        "`errors` names the fields.",
    ),
    429: ("TooManyRequests", "Rate limit reached; retry after the Retry-After seconds."),
}

GROUP_DESCRIPTIONS = {
    "Workspaces": "The workspaces the caller belongs to.",
    "Members": "Workspace members: invite, update, archive.",
    "Projects": "Projects of a workspace.",
    "Contracts": "A member's assignment to a project, with rate and limits.",
    "Tasks": "Tasks of a project and their assignees.",
    "Project Viewers": "Clients who may view chosen projects.",
    "Time Tracking": "Start and stop a member's tracker.",
    "Time Entries": "A member's time entries for a day.",
    "Timesheets": "Weekly timesheets and their approval.",
    "Time Requests": "Requests for manually added time, and their approval.",
    "Leaves": "Leave requests, balances and policies.",
    "Expenses": "Expenses and their categories.",
    "Webhooks": "Webhook subscriptions.",
    "Reports": "Tracked hours, timelines, attendance, tasks and activity.",
}


@functools.cache
def operations():
    """The operation table: one dict per documented (method, path)."""
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


@functools.cache
def openapi_document():
    """The whole sandbox API as an OpenAPI 3.0.3 document (built once per process)."""
    paths = {}
    for operation in operations():
        paths.setdefault(operation["path"], {})[operation["method"].lower()] = _operation(operation)
    groups = list(dict.fromkeys(operation["group"] for operation in operations()))
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "WebWork API V2 (sandbox)",
            "version": API_VERSION,
            "description": (
                "A stateful emulator of the WebWork Tracker REST API V2. Every answer is WebWork's "
                "envelope: `{success, message, data, meta}` on success and `{success: false, message, "
                "error, meta}` (plus `errors` naming the fields on 422) on failure. `workspace_id` is "
                "accepted in the query string or the JSON body on every method. When fault injection "
                "is switched on, any operation may also answer 429, 500 or 504."
            ),
        },
        "servers": [{"url": SERVER_URL}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": group, "description": GROUP_DESCRIPTIONS.get(group, group)} for group in groups],
        "paths": paths,
        "components": _components(),
    }


# --- Operations ---------------------------------------------------------------


def _operation(operation):
    body_names = {field["name"] for field in operation["body"]}
    body_required = {field["name"] for field in operation["body"] if field["required"]}
    parameters = [_path_parameter(field) for field in operation["path_params"]]
    for field in operation["query"]:
        # Documented in both places (R: query, V: body): required in the body only, either works.
        also_in_body = field["name"] in body_names
        required = field["required"] and not (also_in_body and field["name"] in body_required)
        parameters.append(_query_parameter(field, required=required, also_in_body=also_in_body))
    result = {
        "operationId": operation["operation"],
        "summary": operation["summary"],
        "description": _description(operation),
        "tags": [operation["group"]],
    }
    if parameters:
        result["parameters"] = parameters
    if operation["body"]:
        result["requestBody"] = _request_body(operation)
    result["responses"] = {
        str(operation["success_status"]): _success_response(operation),
        **{str(status): {"$ref": f"#/components/responses/{name}"} for status, (name, _) in ERRORS.items()},
    }
    return result


def _description(operation):
    lines = [f"Documented in WebWork's doc version(s): {', '.join(operation['versions'])}."]
    if operation["inferred"]:
        lines.append("Path or behaviour INFERRED: the official pages do not show it completely.")
    if operation["notes"]:
        lines.append(operation["notes"])
    if operation["success_message"]:
        lines.append(f"Success message: `{operation['success_message']}`.")
    return "\n\n".join(lines)


def _path_parameter(field):
    schema = _type_schema(field["type"])
    if schema.get("type") == "integer":
        schema["minimum"] = 1  # ids are positive integers
    else:
        schema["minLength"] = 1
    parameter = {"name": field["name"], "in": "path", "required": True, "schema": schema}
    if field.get("notes"):
        parameter["description"] = field["notes"]
    return parameter


def _query_parameter(field, *, required, also_in_body):
    schema = _request_schema(field)
    name = field["name"]
    if name == "page":
        schema["minimum"] = 1
    elif name == "per_page":
        default, maximum = _per_page_bounds(field)
        schema.update(minimum=1, maximum=maximum, default=default)
    parameter = {"name": name, "in": "query", "required": required, "schema": schema}
    description = field.get("notes") or ""
    if also_in_body:
        description = f"{description} (may be sent in the JSON body instead)".strip()
    if description:
        parameter["description"] = description
    if schema.get("type") == "array":
        parameter.update(style="form", explode=True)
    return parameter


def _per_page_bounds(field):
    notes = field.get("notes") or ""
    maximum = MAX_PER_PAGE
    for pattern in (r"\.\.\s*(\d+)", r"max\s*(\d+)", r"<=\s*(\d+)"):
        found = re.search(pattern, notes)
        if found:
            maximum = int(found.group(1))
            break
    default = field.get("default")
    if default is None:
        found = re.search(r"default\s*(\d+)", notes)
        default = int(found.group(1)) if found else min(DEFAULT_PER_PAGE, maximum)
    return default, maximum


def _request_body(operation):
    properties = {field["name"]: _request_schema(field) for field in operation["body"]}
    for field in operation["body"]:
        if field.get("notes"):
            properties[field["name"]]["description"] = field["notes"]
    schema = {"type": "object", "properties": properties}
    required = [field["name"] for field in operation["body"] if field["required"]]
    if required:
        schema["required"] = required
    content = {"application/json": {"schema": schema}}
    if operation["group"] == "Webhooks":
        # WebWork's webhook create/update also take a form-encoded body.
        content["application/x-www-form-urlencoded"] = {"schema": schema}
    return {"required": bool(required), "content": content}


def _request_schema(field):
    """A request field's schema: its type, enum, default and the format its notes describe."""
    schema = _type_schema(field["type"])
    notes = (field.get("notes") or "").lower()
    if field.get("enum"):
        target = schema["items"] if schema.get("type") == "array" else schema
        target["enum"] = list(field["enum"])
    if field.get("default") is not None:
        schema["default"] = field["default"]
    if notes.startswith("nullable") or "; nullable" in notes or "/nullable" in notes:
        schema["nullable"] = True
    if schema.get("type") == "string" and "enum" not in schema:
        schema.update(_string_format(field["name"], notes))
    return schema


def _string_format(name, notes):
    if "iso-8601" in notes:
        return {"format": "date-time"}
    if "hh:mm" in notes:
        return {"pattern": TIME_OF_DAY}
    if "yyyy-mm-dd" in notes or "y-m-d" in notes or name in DATE_NAMES:
        return {"format": "date"}
    if name == "email":
        return {"format": "email"}
    if name == "url":
        return {"format": "uri"}
    return {}


# --- Answers ----------------------------------------------------------------------


def _success_response(operation):
    shape = operation["response_data_shape"]
    data_fields, top_level = [], {}
    for field in operation["response_fields"]:
        if field["name"].startswith(TOP_LEVEL):
            top_level[field["name"].removeprefix(TOP_LEVEL)] = _response_field(field)
        else:
            data_fields.append(field)
    paginated = shape == "array+pagination"
    envelope = {
        "type": "object",
        "required": ["success", "meta"] + (["data"] if shape.startswith("array") else []),
        "properties": {
            "success": {"type": "boolean", "enum": [True]},
            "message": _message_schema(operation),
            "data": _data_schema(shape, data_fields),
            **top_level,
            "meta": {
                "$ref": "#/components/schemas/PaginatedMeta" if paginated else "#/components/schemas/Meta"
            },
        },
    }
    return {
        "description": operation["success_message"] or "Success.",
        "headers": {
            "X-RateLimit-Limit": {"$ref": "#/components/headers/X-RateLimit-Limit"},
            "X-RateLimit-Remaining": {"$ref": "#/components/headers/X-RateLimit-Remaining"},
        },
        "content": {"application/json": {"schema": envelope}},
    }


def _message_schema(operation):
    schema = {"type": "string"}
    if operation["success_message"]:
        schema["example"] = operation["success_message"]
    return schema


def _data_schema(shape, fields):
    """`data`: an array of items, or one object; null where WebWork answers without a resource."""
    if len(fields) == 1 and fields[0]["name"] == "data":
        # Action endpoints document `data` itself (usually null); the sandbox may answer richer.
        schema = _permissive(_type_schema(fields[0]["type"]))
        schema.setdefault("type", "object")
        schema["nullable"] = True
        return schema
    if not fields:
        # Documented without a body (or with `data` absent): any value, the reference is silent.
        return {"description": f"Not documented in detail (reference data shape: {shape})."}
    item = _object_schema(fields)
    if shape.startswith("array"):
        return {"type": "array", "items": item}
    return item


def _object_schema(fields):
    properties = {
        field["name"]: _response_field(field) for field in fields if IDENTIFIER.match(field["name"])
    }
    schema = {"type": "object", "additionalProperties": True}
    if properties:
        schema["properties"] = properties
    return schema


def _response_field(field):
    schema = _permissive(_type_schema(field["type"]))
    if field.get("notes"):
        schema["description"] = field["notes"]
    if "example" in field and field["example"] is not None:
        schema["example"] = field["example"]
    return schema


def _permissive(schema):
    """A response schema: a documented `null` type admits any value (the docs are incomplete)."""
    if schema == {"nullable": True}:
        return {}
    return schema


# --- Types ------------------------------------------------------------------------


def _type_schema(spec):
    """An endpoints.json type (`string|null`, `array<int>`, `array<{id:int,...}>`, `object`) as a schema."""
    alternatives = _split_top_level(spec.strip(), "|")
    nullable = "null" in alternatives
    schemas = [_single_type(alternative) for alternative in alternatives if alternative != "null"]
    if not schemas:
        return {"nullable": True}
    schema = schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
    if nullable:
        schema["nullable"] = True
    return schema


def _single_type(spec):
    if spec in SCALARS:
        return {"type": SCALARS[spec]}
    if spec.startswith("array"):
        inner = spec[len("array") :].strip()
        if inner.startswith("<") and inner.endswith(">"):
            return {"type": "array", "items": _item_type(inner[1:-1].strip())}
        return {"type": "array", "items": {}}
    if spec.startswith("object"):
        return {"type": "object", "additionalProperties": True}
    return {}


def _item_type(spec):
    if spec.startswith("{") and spec.endswith("}"):
        properties = {}
        for part in _split_top_level(spec[1:-1], ","):
            name, _, type_spec = part.partition(":")
            name = name.strip().rstrip("?")
            if IDENTIFIER.match(name):
                properties[name] = _type_schema(type_spec) if type_spec.strip() else {}
        return {"type": "object", "additionalProperties": True, "properties": properties}
    return _type_schema(spec)


def _split_top_level(text, separator):
    """Split on `separator` outside <...>, {...} and [...]."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "<{[":
            depth += 1
        elif char in ">}]":
            depth -= 1
        if char == separator and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


# --- Shared components ------------------------------------------------------------


def _components():
    pagination = {
        "type": "object",
        "required": ["total", "per_page", "current_page", "last_page"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "per_page": {"type": "integer", "minimum": 1},
            "current_page": {"type": "integer", "minimum": 1},
            "last_page": {"type": "integer", "minimum": 1},
            "from": {"type": "integer", "nullable": True},
            "to": {"type": "integer", "nullable": True},
        },
    }
    meta_properties = {
        "api_version": {"type": "string", "example": API_VERSION},
        "timestamp": {"type": "string", "example": "2025-02-19T19:24:55.000000Z"},
        "pagination": {"$ref": "#/components/schemas/Pagination"},
    }
    error = {
        "type": "object",
        "required": ["success", "message", "meta"],
        "properties": {
            "success": {"type": "boolean", "enum": [False]},
            "message": {"type": "string"},
            "error": {"type": "string", "nullable": True},
            "errors": {
                "type": "object",
                "description": "On 422: the offending fields and what is wrong with each.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            "meta": {"$ref": "#/components/schemas/Meta"},
        },
    }
    responses = {}
    for status, (name, description) in ERRORS.items():
        response = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        elif status == 405:
            response["headers"] = {"Allow": {"schema": {"type": "string"}}}
        elif status == 429:
            response["headers"] = {
                "Retry-After": {"schema": {"type": "integer", "minimum": 0}},
                "X-RateLimit-Reset": {"schema": {"type": "integer"}},
            }
        responses[name] = response
    return {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "An OAuth2 access token or a personal access token.",
            }
        },
        "headers": {
            "X-RateLimit-Limit": {
                "description": "Requests allowed per minute.",
                "schema": {"type": "integer"},
            },
            "X-RateLimit-Remaining": {
                "description": "Requests left in the current minute.",
                "schema": {"type": "integer", "minimum": 0},
            },
        },
        "schemas": {
            "Pagination": pagination,
            "Meta": {
                "type": "object",
                "required": ["api_version", "timestamp"],
                "properties": meta_properties,
            },
            "PaginatedMeta": {
                "type": "object",
                "required": ["api_version", "timestamp", "pagination"],
                "properties": meta_properties,
            },
            "Error": error,
        },
        "responses": responses,
    }
