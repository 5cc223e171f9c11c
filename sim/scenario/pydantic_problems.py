"""Pydantic's validation errors as Problems: a key path, the value and what is allowed.

Unknown keys get the list of allowed keys of the model they were found in, whichever model that is: the scenario's
schema, or a policy's own parameters (validated apart, by ``sim.policies.registry``).
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

from sim.scenario.errors import Problem


def model_class_at(root: type[BaseModel], path: tuple) -> type[BaseModel] | None:
    """The pydantic model that validates the object at ``path`` under ``root`` (to list its allowed keys)."""
    annotation: Any = root
    for part in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        elif typing.get_origin(annotation) is list:
            annotation = typing.get_args(annotation)[0]
        else:
            return None
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            models = [arg for arg in options if isinstance(arg, type) and issubclass(arg, BaseModel)]
            annotation = models[0] if models else options[0]
        else:
            return annotation


def problem_from_pydantic(item: dict, root: type[BaseModel], prefix: tuple = ()) -> Problem:
    """One of pydantic's errors validating ``root`` as a Problem at ``prefix`` + its location."""
    loc = tuple(item["loc"])
    path = prefix + loc
    kind = item["type"]
    value = item.get("input")
    scalar = value is None or isinstance(value, (str, int, float, bool))
    if kind == "extra_forbidden":
        model = model_class_at(root, loc[:-1])
        allowed = ", ".join(model.model_fields) if model else "(see the schema)"
        return Problem(path, f"unknown key; allowed keys here are: {allowed}", value, scalar)
    if kind == "missing":
        return Problem(path, "required key is missing")
    message = item["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if kind in ("dict_type", "model_type") and not scalar:
        return Problem(path, f"{message} (got a {type(value).__name__})")
    return Problem(path, message, value, scalar)
