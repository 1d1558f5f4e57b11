"""Request bodies parsed straight from bytes by pydantic, for the routes that carry thousands
of items: FastAPI's own body handling decodes JSON into Python objects and then validates
those again, which costs a push more than its database work."""

from __future__ import annotations

from email.message import Message
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from sync_server.api.errors import ApiError

M = TypeVar("M", bound=BaseModel)


async def request_body(request: Request) -> bytes:
    """The raw request body (already inflated and size-checked by BodyMiddleware)."""
    return await request.body()


def _is_json(content_type: str | None) -> bool:
    """What FastAPI treats as JSON: application/json or application/*+json."""
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def parse_body(model: type[M], raw: bytes, content_type: str | None) -> M:
    """The body as `model`, with the same 400 / 415 / 422 errors FastAPI's body parsing gives."""
    if not _is_json(content_type):
        sent = (content_type or "none")[:60]
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Send the body as JSON with Content-Type: application/json (got {sent}).",
        )
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        for item in errors:
            if item["type"] == "json_invalid":
                reason = (item.get("ctx") or {}).get("error", "malformed JSON")
                message = f"The body is not valid JSON: {reason}."
                raise ApiError(400, "invalid_json", message) from exc
        raise RequestValidationError([_in_body(item) for item in errors]) from exc


def _in_body(item: Any) -> Any:
    """A pydantic error located in the body, as FastAPI reports them."""
    return {**item, "loc": ("body", *item["loc"])}


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting `model` as the JSON request body (definitions inlined)."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline(schema)}},
        }
    }
