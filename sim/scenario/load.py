"""Reading scenario files: safe YAML, ``extends`` chains, overrides, and validation with readable errors.

The raw YAML is merged along its ``extends`` chain (mappings merge key by key; lists of objects with an ``id``, or
a ``chip`` for product lines, merge item by item; other values are replaced). A file's ``overrides`` mapping
(dotted key paths) is applied after its merge, then overrides given in code, and only then is the whole validated,
so a variant file or an override is checked exactly like a full scenario.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario.errors import Problem, ScenarioError, format_path
from sim.scenario.references import reference_problems
from sim.scenario.schema import Scenario


class _StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and reads ``1e6`` as a number (YAML 1.1 would make it a string)."""


def _construct_mapping(loader: _StrictSafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, typing.Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, f"a mapping key must be a plain value, got {type(key).__name__}", key_node.start_mark
            )
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (each key may appear once in a mapping)", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictSafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictSafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


# Limits that keep a hostile or mistaken file from hanging chipsim or eating memory. The shipped baseline is about
# 30 KB, about 3,000 values and 6 levels deep; a synthetic world of 10,000 agents written out (900 vendors listed one
# by one) is about 1.9 MB and 66,000 values. These leave a wide margin for real scenarios.
MAX_FILE_BYTES = 8 * 1_048_576
MAX_VALUES = 200_000  # counted with every YAML alias expanded: a "billion laughs" file is refused, not built
MAX_DEPTH = 40


def _expanded_size_problem(data: Any) -> str | None:
    """Why ``data`` is too big or too deep once aliases are expanded (None when it is fine).

    YAML aliases make shared references, so a small file can describe an enormous (or endless, when an alias points
    into itself) structure. Every later step (merging, overrides, validation) would walk it in full; this walk stops
    at the limits instead.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    values = 0
    while stack:
        item, depth = stack.pop()
        values += 1
        if values > MAX_VALUES:
            return (f"expands to more than {MAX_VALUES:,} values (YAML anchors and aliases count once per use); "
                    "a scenario needs far fewer")
        if depth > MAX_DEPTH:
            return f"is nested more than {MAX_DEPTH} levels deep; a scenario needs far fewer"
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for pair in item.items() for child in pair)
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return None


def read_yaml_mapping(path: Path) -> dict:
    """Read a YAML file that must hold a mapping; every failure is a ScenarioError naming the file."""
    origin = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES and path.is_file():
            raise ScenarioError(origin, [Problem((), f"the file is {size:,} bytes; scenario and sweep files are "
                                                     f"limited to {MAX_FILE_BYTES:,} bytes")])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(origin, [Problem((), "file not found")]) from None
    except IsADirectoryError:
        raise ScenarioError(origin, [Problem((), "is a folder, not a scenario file")]) from None
    except PermissionError:
        raise ScenarioError(origin, [Problem((), "cannot be read (permission denied)")]) from None
    except UnicodeDecodeError as error:
        raise ScenarioError(origin, [Problem((), f"not UTF-8 text ({error.reason} at byte {error.start})")]) from None
    try:
        data = yaml.load(text, Loader=_StrictSafeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ScenarioError(origin, [Problem((), f"not valid YAML{where}: {problem}")]) from None
    except RecursionError:
        raise ScenarioError(origin, [Problem((), f"the file is nested more than {MAX_DEPTH} levels deep; "
                                                 "a scenario needs far fewer")]) from None
    too_big = _expanded_size_problem(data)
    if too_big:
        raise ScenarioError(origin, [Problem((), f"the file {too_big}")])
    if data is None:
        raise ScenarioError(origin, [Problem((), "the file is empty; a scenario is a YAML mapping of sections")])
    if not isinstance(data, dict):
        raise ScenarioError(
            origin, [Problem((), f"the top level must be a mapping of sections, not a {type(data).__name__}")]
        )
    return data


ITEM_KEYS = ("id", "chip")  # what identifies an item in a list of objects: agents by id, product lines by chip


def _item_key(items: list) -> str | None:
    """The field that identifies every item of a list of objects, or None when items cannot be told apart."""
    for key in ITEM_KEYS:
        if items and all(isinstance(item, dict) and key in item for item in items):
            values = [item[key] for item in items]
            if len(set(map(str, values))) == len(values):
                return key
    return None


def merge(base: Any, override: Any) -> Any:
    """Merge an overriding YAML value onto a base one (see the module docstring for the rules)."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    key = _item_key(base) if isinstance(base, list) and isinstance(override, list) else None
    if key is not None and _item_key(override) == key:
        merged_items = {item[key]: item for item in base}
        for item in override:
            name = item[key]
            merged_items[name] = merge(merged_items[name], item) if name in merged_items else copy.deepcopy(item)
        return list(merged_items.values())
    return copy.deepcopy(override)


def resolve_extends(path: Path, chain: tuple[Path, ...] = (), read: list[Path] | None = None) -> dict:
    """The file's mapping merged onto everything it extends, without the ``extends`` key.

    ``read``, when given, collects every file read (to key a cache on their modification times).
    """
    path = path.resolve()
    if read is not None:
        read.append(path)
    if path in chain:
        cycle = " -> ".join(str(p) for p in chain + (path,))
        raise ScenarioError(str(chain[0]), [Problem(("extends",), f"extends forms a cycle: {cycle}")])
    data = read_yaml_mapping(path)
    parent = data.pop("extends", None)
    file_overrides = data.pop("overrides", None)
    if file_overrides is not None and not isinstance(file_overrides, dict):
        problem = Problem(("overrides",), "must be a mapping of dotted key paths to values", file_overrides, True)
        raise ScenarioError(str(path), [problem])
    if parent is None:
        return apply_overrides(data, file_overrides, str(path)) if file_overrides else data
    if not isinstance(parent, str) or not parent:
        raise ScenarioError(
            str(path),
            [Problem(("extends",), "must be the path of a scenario file, relative to this one", parent, True)],
        )
    parent_path = path.parent / parent
    if not parent_path.is_file():
        raise ScenarioError(
            str(path),
            [Problem(("extends",), f"no such scenario file: {parent_path}", parent, True)],
        )
    merged = merge(resolve_extends(parent_path, chain + (path,), read), data)
    return apply_overrides(merged, file_overrides, str(path)) if file_overrides else merged


def _split_override_path(path: str) -> list[str]:
    parts = path.split(".")
    if not path or any(not part for part in parts):
        raise ValueError(
            f"an override path is keys joined by dots, e.g. 'parameters.demand_noise_sigma.value'; got {path!r}"
        )
    return parts


def apply_overrides(data: dict, overrides: Mapping[str, Any], origin: str) -> dict:
    """Set values by dotted key path. In a list, a path part selects the item with that ``id`` (a product line by
    its ``chip``), or an index."""
    result = copy.deepcopy(data)
    problems: list[Problem] = []
    for dotted, value in overrides.items():
        try:
            parts = _split_override_path(dotted)
        except ValueError as error:
            problems.append(Problem(("overrides",), str(error), dotted, True))
            continue
        node: Any = result
        walked: list[object] = []
        for position, part in enumerate(parts):
            last = position == len(parts) - 1
            if isinstance(node, dict):
                if last:
                    node[part] = copy.deepcopy(value)
                elif part in node:
                    node = node[part]
                else:
                    node = node.setdefault(part, {})
                walked.append(part)
            elif isinstance(node, list):
                key = _item_key(node) or "id"
                ids = [item.get(key) for item in node if isinstance(item, dict)]
                if part in ids:
                    index = ids.index(part)
                elif part.isdigit() and int(part) < len(node):
                    index = int(part)
                else:
                    problems.append(
                        Problem(tuple(walked), f"override {dotted!r}: no item {part!r} here; items are: "
                                f"{', '.join(str(i) for i in ids) or '(none)'}")
                    )
                    break
                walked.append(index)
                if last:
                    node[index] = copy.deepcopy(value)
                else:
                    node = node[index]
            else:
                problems.append(
                    Problem(tuple(walked), f"override {dotted!r}: {format_path(tuple(walked))} is a value, "
                            f"not a section; it has no key {part!r}")
                )
                break
    if problems:
        raise ScenarioError(origin, problems)
    return result


def _model_class_at(path: tuple) -> type[BaseModel] | None:
    """The pydantic model that validates the object at ``path`` in a scenario (to list its allowed keys)."""
    annotation: Any = Scenario
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


def _problem_from_pydantic(item: dict) -> Problem:
    path = tuple(item["loc"])
    kind = item["type"]
    value = item.get("input")
    scalar = value is None or isinstance(value, (str, int, float, bool))
    if kind == "extra_forbidden":
        model = _model_class_at(path[:-1])
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


def validate(data: dict, origin: str) -> Scenario:
    """Validate a merged scenario mapping, raising one ScenarioError with every problem found."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(origin, [_problem_from_pydantic(item) for item in error.errors()]) from None
    problems = reference_problems(scenario)
    if problems:
        raise ScenarioError(origin, problems)
    return scenario


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario and where it came from."""

    scenario: Scenario
    path: Path | None
    file_sha256: str | None
    overrides: dict[str, Any]

    @property
    def resolved_sha256(self) -> str:
        """Hash of the fully resolved scenario (after extends and overrides): what was actually run."""
        text = json.dumps(self.scenario.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> LoadedScenario:
    """Load, merge, override and validate a scenario file."""
    path = Path(path)
    overrides = dict(overrides or {})
    data = resolve_extends(path)
    if overrides:
        data = apply_overrides(data, overrides, str(path))
    scenario = validate(data, str(path))
    file_sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    return LoadedScenario(scenario=scenario, path=path, file_sha256=file_sha256, overrides=overrides)
