"""One JSON schema in the job, translated for each API's structured output (pure).

* OpenAI `response_format: json_schema` with `strict: true` needs every object closed
  (`additionalProperties: false`) and every property required: `strict_schema` makes a
  pydantic-made schema so, as the official SDK does; a schema that cannot be (an open object,
  a keyword strict mode lacks) is sent with `strict: false` instead of being refused.
* Anthropic `output_config.format` needs every object closed and has no numeric, length or
  count constraints: `anthropic_schema` closes objects and moves those constraints into the
  description, as the official SDK does; an open object or a recursive schema cannot be sent.
* Gemini takes a JSON Schema in `responseJsonSchema`; `responseSchema` is its OpenAPI subset
  (no `additionalProperties`, `$ref`, `$defs`), used for a schema written in that dialect
  (upper-case types, `nullable`) and for models that have only it.

A schema an API cannot take is a job error at `validate` (`schema_problem`), never dropped.
"""

from __future__ import annotations

from typing import Any

from providers.models import Api, ModelRule

Schema = dict[str, Any]

# Keywords OpenAI's strict mode does not take.
_NOT_STRICT = {
    "patternProperties",
    "unevaluatedProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "if",
    "then",
    "else",
    "not",
    "oneOf",
    "dependentRequired",
    "dependentSchemas",
    "contains",
    "uniqueItems",
    "unevaluatedItems",
    "prefixItems",
}
# Constraints Anthropic's structured output does not enforce (kept as words in the description).
_ANTHROPIC_MOVED = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
)
_ANTHROPIC_FORMATS = {
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "uri",
    "ipv4",
    "ipv6",
    "uuid",
}
# The OpenAPI subset Gemini's `responseSchema` takes.
_OPENAPI_KEYS = {
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
}


class Unsupported(ValueError):
    """The schema cannot be expressed for this API (the message says why)."""


def _is_object(node: Schema) -> bool:
    return node.get("type") == "object" or "properties" in node


def _resolve(node: Schema, root: Schema) -> Schema:
    """A `$ref` with sibling keywords, inlined (neither strict API takes the siblings)."""
    ref = node.get("$ref")
    if not isinstance(ref, str) or len(node) == 1:
        return node
    parts = ref.removeprefix("#/").split("/")
    if not ref.startswith("#/") or len(parts) != 2:
        raise Unsupported(f"only local $ref like #/$defs/NAME is supported, got {ref!r}")
    target = (root.get(parts[0]) or {}).get(parts[1])
    if not isinstance(target, dict):
        raise Unsupported(f"$ref {ref!r} points nowhere")
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def _walk(node: Any, root: Schema, visit: Any) -> Any:
    """Apply `visit(node) -> node` to every sub-schema, children first."""
    if not isinstance(node, dict):
        if isinstance(node, bool):
            raise Unsupported("a boolean schema (true/false) is not supported")
        return node
    node = _resolve(dict(node), root)
    for key in ("properties", "$defs", "definitions"):
        if isinstance(node.get(key), dict):
            node[key] = {k: _walk(v, root, visit) for k, v in node[key].items()}
    if isinstance(node.get("items"), dict):
        node["items"] = _walk(node["items"], root, visit)
    elif isinstance(node.get("items"), list):
        raise Unsupported("tuple `items` (a list of schemas) is not supported")
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(node.get(key), list):
            node[key] = [_walk(v, root, visit) for v in node[key]]
    return visit(node)


def strict_schema(schema: Schema) -> Schema:
    """`schema` made OpenAI-strict: objects closed, all properties required (Unsupported if
    it cannot be without changing what it accepts beyond that)."""

    def visit(node: Schema) -> Schema:
        bad = sorted(_NOT_STRICT & node.keys())
        if bad:
            raise Unsupported(f"strict mode lacks {', '.join(bad)}")
        if "allOf" in node:
            parts = node.pop("allOf")
            if len(parts) != 1:
                raise Unsupported("strict mode lacks allOf")
            node = {**parts[0], **node}
        if _is_object(node):
            if node.get("additionalProperties", False) is not False:
                raise Unsupported("an object open to additional properties cannot be strict")
            node["additionalProperties"] = False
            node["required"] = list(node.get("properties", {}))
        if "default" in node and node["default"] is None:
            del node["default"]
        return node

    return _walk(schema, schema, visit)  # type: ignore[no-any-return]


def anthropic_schema(schema: Schema) -> Schema:
    """`schema` for Anthropic's `output_config.format` (Unsupported if it cannot be)."""
    _no_recursion(schema)

    def visit(node: Schema) -> Schema:
        if "oneOf" in node:
            node["anyOf"] = node.pop("oneOf")
        if _is_object(node):
            if node.get("additionalProperties", False) is not False:
                raise Unsupported("Anthropic structured output needs additionalProperties: false")
            node["additionalProperties"] = False
        moved = {k: node.pop(k) for k in _ANTHROPIC_MOVED if k in node}
        if node.get("minItems", 0) > 1:
            moved["minItems"] = node.pop("minItems")
        if "format" in node and node["format"] not in _ANTHROPIC_FORMATS:
            moved["format"] = node.pop("format")
        if moved:
            words = ", ".join(f"{k}: {v}" for k, v in moved.items())
            node["description"] = f"{node.get('description', '')} {{{words}}}".strip()
        return node

    return _walk(schema, schema, visit)  # type: ignore[no-any-return]


def _no_recursion(schema: Schema) -> None:
    defs = {**(schema.get("definitions") or {}), **(schema.get("$defs") or {})}

    def refs(node: Any) -> set[str]:
        if isinstance(node, dict):
            own = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
            return own.union(*(refs(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(refs(v) for v in node))
        return set()

    graph = {name: refs(d) for name, d in defs.items()}
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            name = todo.pop()
            if name == start:
                raise Unsupported(f"recursive schema ($defs {start!r} refers to itself)")
            if name not in seen:
                seen.add(name)
                todo.extend(graph.get(name, ()))


def is_openapi_dialect(schema: Any) -> bool:
    """Written for Gemini's `responseSchema` (upper-case types, `nullable`, `propertyOrdering`)."""
    if isinstance(schema, dict):
        t = schema.get("type")
        if (isinstance(t, str) and t.isupper()) or {"nullable", "propertyOrdering"} & schema.keys():
            return True
        return any(is_openapi_dialect(v) for v in schema.values())
    if isinstance(schema, list):
        return any(is_openapi_dialect(v) for v in schema)
    return False


def openapi_subset(schema: Schema) -> Schema:
    """`schema` as Gemini's OpenAPI `responseSchema` (Unsupported if it is outside it)."""

    def check(node: Any, where: str) -> None:
        if isinstance(node, dict):
            bad = sorted(node.keys() - _OPENAPI_KEYS)
            if bad and where != "properties":
                raise Unsupported(f"responseSchema (OpenAPI subset) lacks {', '.join(bad)}")
            for k, v in node.items():
                check(v, k)
        elif isinstance(node, list):
            for v in node:
                check(v, where)

    check(schema, "")
    return schema


def gemini_schema(schema: Schema, rule: ModelRule) -> tuple[str, Schema]:
    """(generationConfig field, schema) for Gemini."""
    if is_openapi_dialect(schema) or rule.structured_output == "openapi_only":
        return "responseSchema", openapi_subset(schema)
    return "responseJsonSchema", schema


def schema_problem(api: Api, rule: ModelRule, schema: Schema) -> str | None:
    """Why this API and model cannot take `schema` (None when they can)."""
    if rule.structured_output == "none":
        return f"{rule.family} has no structured output (model table): remove response_schema"
    try:
        if api == "anthropic":
            anthropic_schema(schema)
        elif api == "gemini":
            gemini_schema(schema, rule)
    except Unsupported as exc:
        return f"response_schema cannot be sent to {api} ({rule.family or 'this model'}): {exc}"
    return None
