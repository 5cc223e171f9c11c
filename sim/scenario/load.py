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
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.scenario.errors import Problem, ScenarioError, format_path
from sim.scenario.file_bytes import MAX_FILE_BYTES, read_file_bytes
from sim.scenario.references import reference_problems
from sim.scenario.safe_yaml import MAX_DEPTH, MAX_VALUES, parse_yaml_mapping
from sim.scenario.schema import Scenario
from sim.scenario.world_size import world_size_problems

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_VALUES", "LoadedScenario", "YamlFile", "apply_overrides",
           "load_scenario", "merge", "read_yaml_file", "read_yaml_mapping", "resolve_extends", "validate"]


@dataclass(frozen=True)
class YamlFile:
    """A scenario or sweep file's mapping and the SHA-256 of the very bytes it was parsed from."""

    data: dict
    sha256: str


def read_yaml_file(path: Path) -> YamlFile:
    """Read a YAML file that must hold a mapping; every failure is a ScenarioError naming the file."""
    origin = str(path)
    raw = read_file_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(origin, [Problem((), f"not UTF-8 text ({error.reason} at byte {error.start})")]) from None
    return YamlFile(parse_yaml_mapping(text, origin), hashlib.sha256(raw).hexdigest())


def read_yaml_mapping(path: Path) -> dict:
    """Read a YAML file that must hold a mapping; every failure is a ScenarioError naming the file."""
    return read_yaml_file(path).data


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


def _resolved(path: Path, origin: Path) -> Path:
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a loop of symbolic links
        raise ScenarioError(str(origin), [Problem((), f"{path} is a loop of symbolic links; give the path of a "
                                                       "regular file")]) from None


def resolve_extends(path: Path, chain: tuple[Path, ...] = (), read: list[Path] | None = None,
                    digests: list[str] | None = None) -> dict:
    """The file's mapping merged onto everything it extends, without the ``extends`` key.

    ``read``, when given, collects every file read (to key a cache on their modification times); ``digests`` the
    SHA-256 of the bytes parsed from each, in the same order (the first is ``path``'s own).
    """
    path = _resolved(path, path)
    if read is not None:
        read.append(path)
    if path in chain:
        cycle = " -> ".join(str(p) for p in chain + (path,))
        raise ScenarioError(str(chain[0]), [Problem(("extends",), f"extends forms a cycle: {cycle}")])
    yaml_file = read_yaml_file(path)
    if digests is not None:
        digests.append(yaml_file.sha256)
    data = yaml_file.data
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
    if not parent_path.exists() and not parent_path.is_symlink():  # anything else that is there, the reader judges
        raise ScenarioError(
            str(path),
            [Problem(("extends",), f"no such scenario file: {parent_path}", parent, True)],
        )
    merged = merge(resolve_extends(parent_path, chain + (path,), read, digests), data)
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
    problems = world_size_problems(scenario)  # counted, not built: a world too big to build is refused here
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
    digests: list[str] = []  # the hash of the bytes parsed, not of a second read that could find the file changed
    data = resolve_extends(path, digests=digests)
    if overrides:
        data = apply_overrides(data, overrides, str(path))
    scenario = validate(data, str(path))
    return LoadedScenario(scenario=scenario, path=path, file_sha256=digests[0], overrides=overrides)
