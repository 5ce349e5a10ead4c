"""Params must be plain JSON, as `guard()` requires: no value json.dumps would coerce or refuse."""

from __future__ import annotations

import math

from .errors import InvalidInput

MAX_DEPTH = 64


def check_plain_json(value: object, where: str, depth: int = 0) -> None:
    """Raises InvalidInput naming the first value that is not plain JSON (a tuple, a set, a NaN,
    a non-string key json.dumps would silently turn into one)."""
    if depth > MAX_DEPTH:
        raise InvalidInput("invalid_input", f"nested deeper than {MAX_DEPTH} levels", field=where)
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput("invalid_input", "numbers must be finite", field=where)
        return
    if type(value) is list:
        for i, item in enumerate(value):
            check_plain_json(item, f"{where}[{i}]", depth + 1)
        return
    if type(value) is dict:
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput("invalid_input", "object keys must be strings", field=where)
            check_plain_json(item, f"{where}.{key}", depth + 1)
        return
    raise InvalidInput("invalid_input", f"{type(value).__name__} is not plain JSON", field=where)
