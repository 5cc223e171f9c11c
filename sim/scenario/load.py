"""Reading scenario files: safe YAML, ``extends`` chains, overrides, and validation with readable errors.

The raw YAML is merged along its ``extends`` chain (mappings merge key by key; lists of objects with an ``id``, or
a ``chip`` for product lines, merge item by item, as long as each item the variant gives names at most one item of
the base; other values are replaced). A file's ``overrides`` mapping
(dotted key paths) is applied after its merge, then overrides given in code, and only then is the whole validated,
so a variant file or an override is checked exactly like a full scenario.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.scenario.errors import Problem, ScenarioError, format_path
from sim.scenario.exact_counts import exact_count_problems
from sim.scenario.file_bytes import MAX_FILE_BYTES, read_file_bytes
from sim.scenario.pydantic_problems import problem_from_pydantic
from sim.scenario.references import reference_problems
from sim.scenario.safe_yaml import MAX_DEPTH, MAX_VALUES, parse_yaml_mapping
from sim.scenario.schema import Scenario
from sim.scenario.world_size import world_size_problems

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_VALUES", "LoadedScenario", "YamlFile", "apply_overrides",
           "load_scenario", "merge", "read_yaml_file", "read_yaml_mapping", "resolve_extends", "validate",
           "value_at"]


@dataclass(frozen=True)
class YamlFile:
    """A scenario or sweep file's mapping and the SHA-256 of the very bytes it was parsed from."""

    data: dict
    sha256: str


# Mappings already parsed in this process, by the SHA-256 of their bytes. PyYAML's pure-Python parser, with the
# checks on its events, takes most of a second for the baseline's 600 lines; a test session, a sweep worker or the
# page's RESET reads the same files again and again. Only successful parses are kept (a refusal is worked out anew),
# and each reader gets its own copy, since merging and overrides change the mapping they are given.
_PARSED: dict[str, dict] = {}
_PARSED_KEPT = 64


def read_yaml_file(path: Path) -> YamlFile:
    """Read a YAML file that must hold a mapping; every failure is a ScenarioError naming the file."""
    origin = str(path)
    raw = read_file_bytes(path)
    sha256 = hashlib.sha256(raw).hexdigest()
    parsed = _PARSED.get(sha256)
    if parsed is None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ScenarioError(origin, [Problem((), f"not UTF-8 text ({error.reason} at byte {error.start})")]) \
                from None
        parsed = parse_yaml_mapping(text, origin)
        if len(_PARSED) >= _PARSED_KEPT:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[sha256] = parsed
    return YamlFile(copy.deepcopy(parsed), sha256)


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


def _merge_key(base: list, override: list) -> str | None:
    """The field by which ``override``'s items merge onto ``base``'s: every item of both has it, the override's are
    unique, and each names at most one base item. A base may repeat a key the override leaves alone (a vendor's two
    lines of one chip, at two fabs): a variant can still add a line of another chip."""
    for key in ITEM_KEYS:
        items = base + override
        if not (base and override and all(isinstance(item, dict) and key in item for item in items)):
            continue
        named = [str(item[key]) for item in override]
        in_base = [str(item[key]) for item in base]
        if len(set(named)) == len(named) and all(in_base.count(name) <= 1 for name in named):
            return key
    return None


def merge(base: Any, override: Any) -> Any:
    """Merge an overriding YAML value onto a base one (see the module docstring for the rules)."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    key = _merge_key(base, override) if isinstance(base, list) and isinstance(override, list) else None
    if key is not None:
        by_name = {str(item[key]): item for item in override}
        merged_items = [merge(item, by_name.pop(str(item[key]))) if str(item[key]) in by_name else item
                        for item in base]
        return merged_items + [copy.deepcopy(item) for item in by_name.values()]
    return copy.deepcopy(override)


def _note_policy_files(data: dict, path: Path, policy_files: dict[str, str] | None) -> None:
    policies = data.get("policies")
    if policy_files is None or not isinstance(policies, list):
        return
    for policy in policies:
        if isinstance(policy, dict) and isinstance(policy.get("id"), str):
            policy_files[policy["id"]] = str(path)


def _resolved(path: Path, origin: Path) -> Path:
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a loop of symbolic links
        raise ScenarioError(str(origin), [Problem((), f"{path} is a loop of symbolic links; give the path of a "
                                                       "regular file")]) from None


def resolve_extends(path: Path, chain: tuple[Path, ...] = (), read: list[Path] | None = None,
                    digests: list[str] | None = None, policy_files: dict[str, str] | None = None) -> dict:
    """The file's mapping merged onto everything it extends, without the ``extends`` key.

    ``read``, when given, collects every file read (to key a cache on their modification times); ``digests`` the
    SHA-256 of the bytes parsed from each, in the same order (the first is ``path``'s own); ``policy_files`` the
    last file of the chain that sets each policy id (to name it in errors about that policy).
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
        _note_policy_files(data, path, policy_files)
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
    merged = merge(resolve_extends(parent_path, chain + (path,), read, digests, policy_files), data)
    _note_policy_files(data, path, policy_files)  # after the parents', so the file that extends them wins
    return apply_overrides(merged, file_overrides, str(path)) if file_overrides else merged


def _split_override_path(path: str) -> list[str]:
    parts = path.split(".")
    if not path or any(not part for part in parts):
        raise ValueError(
            f"an override path is keys joined by dots, e.g. 'parameters.demand_noise_sigma.value'; got {path!r}"
        )
    return parts


class _PathProblem(Exception):
    """A key path that does not lead anywhere in the mapping: where the walk stopped and why."""

    def __init__(self, walked: tuple[object, ...], message: str) -> None:
        super().__init__(message)
        self.walked = walked
        self.message = message


def _locate(root: dict, dotted: str, create: bool) -> tuple[Any, object, tuple[object, ...]]:
    """The container holding the value a dotted key path names, the key or index in it, and the walked path.

    In a list, a path part selects the item with that ``id`` (a product line by its ``chip``), or an index. With
    ``create``, missing sections of a mapping are made on the way (an override may add a key); without, a missing
    key is a _PathProblem."""
    parts = _split_override_path(dotted)
    node: Any = root
    walked: list[object] = []
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if isinstance(node, dict):
            if not last and part not in node and create:
                node[part] = {}
            if part not in node and not (last and create):
                keys = ", ".join(str(key) for key in node) or "(none)"
                raise _PathProblem(tuple(walked), f"key path {dotted!r}: no key {part!r} here; keys are: {keys}")
            key: object = part
        elif isinstance(node, list):
            item_key = _item_key(node) or "id"
            ids = [item.get(item_key) for item in node if isinstance(item, dict)]
            if part in ids:
                key = ids.index(part)
            elif part.isdigit() and int(part) < len(node):
                key = int(part)
            else:
                raise _PathProblem(tuple(walked), f"override {dotted!r}: no item {part!r} here; items are: "
                                   f"{', '.join(str(i) for i in ids) or '(none)'}")
        else:
            raise _PathProblem(tuple(walked), f"override {dotted!r}: {format_path(tuple(walked))} is a value, "
                               f"not a section; it has no key {part!r}")
        if last:
            return node, key, tuple(walked)
        walked.append(key)
        node = node[key]
    raise AssertionError("unreachable: a split path has at least one part")


def apply_overrides(data: dict, overrides: Mapping[str, Any], origin: str) -> dict:
    """Set values by dotted key path. In a list, a path part selects the item with that ``id`` (a product line by
    its ``chip``), or an index."""
    result = copy.deepcopy(data)
    problems: list[Problem] = []
    for dotted, value in overrides.items():
        try:
            container, key, _walked = _locate(result, dotted, create=True)
        except ValueError as error:
            problems.append(Problem(("overrides",), str(error), dotted, True))
            continue
        except _PathProblem as error:
            problems.append(Problem(error.walked, error.message))
            continue
        container[key] = copy.deepcopy(value)
    if problems:
        raise ScenarioError(origin, problems)
    return result


def value_at(data: dict, dotted: str) -> tuple[Any, tuple[object, ...]]:
    """The value a dotted key path names (as ``apply_overrides`` reads the path) and its place as a key path tuple.

    Raises ValueError saying where the path stops leading anywhere."""
    try:
        container, key, walked = _locate(data, dotted, create=False)
    except _PathProblem as error:
        raise ValueError(f"{error.message} (at {format_path(error.walked)})") from None
    return container[key], walked + (key,)


def _policies_named(problems: list[Problem], data: dict, origin: str,
                    policy_files: Mapping[str, str]) -> list[Problem]:
    """Problems with a policy that has an id are placed by that id (``policies.export_rule.params.x``, as overrides
    name it), not by its index in the merged list, which no file shows; and say the file that set it, if not
    ``origin``."""
    policies = data.get("policies") if isinstance(data.get("policies"), list) else []
    named = []
    for problem in problems:
        index = problem.path[1] if len(problem.path) > 1 and problem.path[0] == "policies" else None
        policy = policies[index] if isinstance(index, int) and 0 <= index < len(policies) else None
        policy_id = policy.get("id") if isinstance(policy, dict) else None
        if isinstance(policy_id, str):
            where = policy_files.get(policy_id, origin)
            message = problem.message + (f" (policy {policy_id!r}, set in {where})" if where != origin else "")
            problem = replace(problem, path=("policies", policy_id) + problem.path[2:], message=message)
        named.append(problem)
    return named


# Keys only a sweep file has (``sim.sweep.spec.SweepSpec``; a test keeps the two in step), and keys every scenario has.
SWEEP_ONLY_KEYS = frozenset({"base", "levers", "uncertainties", "sampling", "sample_from", "seeds", "until",
                             "metrics"})
SCENARIO_CORE_KEYS = frozenset({"start", "end", "parameters", "countries", "catalog"})


def _sweep_file_problem(data: dict) -> Problem | None:
    """A sweep file given where a scenario belongs would otherwise get ten unrelated errors."""
    sweep_keys = sorted(SWEEP_ONLY_KEYS & data.keys())
    if SCENARIO_CORE_KEYS & data.keys() or not ("base" in sweep_keys or len(sweep_keys) >= 2):
        return None
    return Problem((), f"this is a sweep file (it has {', '.join(sweep_keys)}), not a scenario: "
                       "use chipsim sweep to run it")


def validate(data: dict, origin: str, policy_files: Mapping[str, str] | None = None) -> Scenario:
    """Validate a merged scenario mapping, raising one ScenarioError with every problem found.

    ``policy_files``: the file that set each policy id (from ``resolve_extends``), named in problems with it."""
    sweep_file = _sweep_file_problem(data)
    if sweep_file is not None:
        raise ScenarioError(origin, [sweep_file])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        problems = [problem_from_pydantic(item, Scenario) for item in error.errors()]
        raise ScenarioError(origin, _policies_named(problems, data, origin, policy_files or {})) from None
    problems = reference_problems(scenario)
    if problems:
        raise ScenarioError(origin, _policies_named(problems, data, origin, policy_files or {}))
    problems = exact_count_problems(scenario) + world_size_problems(scenario)  # checked without building anything
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
    policy_files: dict[str, str] = {}
    data = resolve_extends(path, digests=digests, policy_files=policy_files)
    if overrides:
        data = apply_overrides(data, overrides, str(path))
    scenario = validate(data, str(path), policy_files)
    return LoadedScenario(scenario=scenario, path=path, file_sha256=digests[0], overrides=overrides)
