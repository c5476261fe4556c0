"""The API's JSON parser, DRF's default (settings): a body nested within bounds, or a 400 that says so.

Python's json module recurses once per level of nesting: a body of a thousand "[" raised RecursionError, answered
500. No body of ours nests deeper than a few levels, so past MAX_DEPTH it is refused, whether json got that far
or not. The body's size is bounded before any parser sees it: DRF reads request.body, which Django refuses past
DATA_UPLOAD_MAX_MEMORY_SIZE (answered 413 under /api/, qms/errors.py).
"""

from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json  # DRF's: refuses NaN and Infinity, as its own parser does

MAX_DEPTH = 32
TOO_DEEP = f"The JSON body is nested more than {MAX_DEPTH} levels deep."


class BoundedJSONParser(JSONParser):
    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        constant = json.strict_constant if self.strict else None
        try:
            data = json.loads(stream.read().decode(encoding), parse_constant=constant)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        except ValueError as exc:  # UnicodeDecodeError too
            raise ParseError(f"JSON parse error - {exc}") from None
        if _deeper_than(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` levels (walked without recursing)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
