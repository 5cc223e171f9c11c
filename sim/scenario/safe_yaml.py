"""Parsing a scenario or sweep file's YAML: the loader decides what is allowed, not the YAML library.

Before anything is constructed, the parser's events are checked one by one as they are read: nesting depth, the number
of values with every alias expanded (an alias adds its anchor's whole size, so a "billion laughs" file is refused after
reading its few lines, not after building it), aliases into an anchor that is still open (endless nesting), and YAML
merge keys (``<<``). Merge keys are refused outright: scenarios have ``extends`` for sharing, and what PyYAML does
with them has changed between versions (6.0.4 stopped refusing duplicate ``<<`` keys, and chained merges made a
285 KB file take minutes and gigabytes to build). Only then is the document constructed, with a safe loader that also
refuses duplicate keys and never merges.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field

import yaml

from sim.scenario.errors import Problem, ScenarioError

MAX_VALUES = 200_000  # counted with every YAML alias expanded
MAX_DEPTH = 40  # the shipped baseline is 6 levels deep
MERGE_TAG = "tag:yaml.org,2002:merge"
MERGE_KEY = "<<"
VALUE_TAG = "tag:yaml.org,2002:value"
STR_TAG = "tag:yaml.org,2002:str"
_MERGE_REFUSED = ("YAML merge keys ('<<') are not allowed in scenario and sweep files; "
                  "use 'extends' to build on another file, or write the keys out")


class _StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and merge keys, and reads ``1e6`` as a number (YAML 1.1 would make it
    a string)."""


def _construct_mapping(loader: _StrictSafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict = {}
    for key_node, value_node in node.value:
        if key_node.tag == MERGE_TAG:  # never flatten_mapping: the event checks refuse these first; this is a backstop
            raise yaml.constructor.ConstructorError(None, None, _MERGE_REFUSED, key_node.start_mark)
        if key_node.tag == VALUE_TAG:  # the one other thing flatten_mapping did: a key '=' is the string '='
            key_node.tag = STR_TAG
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


class YamlLimitError(Exception):
    """The event stream breaks a limit; ``mark`` is where."""

    def __init__(self, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.mark = mark


@dataclass
class _Open:
    """A mapping or sequence whose end has not been read yet."""

    anchor: str | None
    is_mapping: bool
    depth: int
    values: int = 1  # itself, plus everything in it with aliases expanded
    height: int = 1  # levels from it to its deepest value, itself included
    children: int = 0  # in a mapping, children at even positions are keys


_TOO_MANY = (f"the file expands to more than {MAX_VALUES:,} values (YAML anchors and aliases count once per use); "
             "a scenario needs far fewer")
_TOO_DEEP = f"the file is nested more than {MAX_DEPTH} levels deep; a scenario needs far fewer"


@dataclass
class _Scan:
    """What the events read so far add up to: values with aliases expanded, anchors' sizes, open collections."""

    total: int = 0
    anchors: dict[str, tuple[int, int]] = field(default_factory=dict)  # anchor -> (values, height), once closed
    open_anchors: set[str] = field(default_factory=set)
    merge_anchors: set[str] = field(default_factory=set)  # anchors of a '<<' scalar: an alias to one is a merge key
    stack: list[_Open] = field(default_factory=list)

    def place(self, values: int, height: int, mark: yaml.Mark) -> int:
        """Count a value of ``values`` values and ``height`` levels in the innermost open collection; its depth."""
        self.total += values
        if self.total > MAX_VALUES:
            raise YamlLimitError(_TOO_MANY, mark)
        depth = self.stack[-1].depth + 1 if self.stack else 1
        if depth + height - 1 > MAX_DEPTH:
            raise YamlLimitError(_TOO_DEEP, mark)
        if self.stack:
            parent = self.stack[-1]
            parent.values += values
            parent.height = max(parent.height, height + 1)
            parent.children += 1
        return depth

    def close(self) -> None:
        closed = self.stack.pop()
        if closed.anchor is not None:
            self.open_anchors.discard(closed.anchor)
            self.anchors[closed.anchor] = (closed.values, closed.height)
        if self.stack:  # the collection itself was counted in its parent when it opened; now its contents
            parent = self.stack[-1]
            parent.values += closed.values - 1
            parent.height = max(parent.height, closed.height + 1)

    def in_key_position(self) -> bool:
        return bool(self.stack) and self.stack[-1].is_mapping and self.stack[-1].children % 2 == 0


def _refuse_merge_key(event: yaml.Event, scan: _Scan) -> None:
    if not scan.in_key_position():
        return
    is_merge = (
        isinstance(event, yaml.ScalarEvent) and (event.value == MERGE_KEY or event.tag == MERGE_TAG)
        or isinstance(event, yaml.AliasEvent) and event.anchor in scan.merge_anchors
        or isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)) and event.tag == MERGE_TAG
    )
    if is_merge:
        raise YamlLimitError(_MERGE_REFUSED, event.start_mark)


def check_event(scan: _Scan, event: yaml.Event) -> None:
    """Raise YamlLimitError when ``event`` makes the document nest too deep or expand too far, aliases into an open
    anchor, or is a merge key."""
    _refuse_merge_key(event, scan)
    if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
        depth = scan.place(1, 1, event.start_mark)
        scan.stack.append(_Open(event.anchor, isinstance(event, yaml.MappingStartEvent), depth))
        if event.anchor is not None:
            scan.open_anchors.add(event.anchor)
    elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
        scan.close()
    elif isinstance(event, yaml.ScalarEvent):
        if event.anchor is not None:
            scan.anchors[event.anchor] = (1, 1)
            if event.value == MERGE_KEY:
                scan.merge_anchors.add(event.anchor)
        scan.place(1, 1, event.start_mark)
    elif isinstance(event, yaml.AliasEvent):
        if event.anchor in scan.open_anchors:
            raise YamlLimitError(f"{_TOO_DEEP}: the alias *{event.anchor} is inside the anchor &{event.anchor} "
                                 "it refers to, which makes it endless", event.start_mark)
        values, height = scan.anchors.get(event.anchor, (1, 1))  # an unknown alias is the composer's error
        scan.place(values, height, event.start_mark)


class _CheckedLoader(_StrictSafeLoader):
    """The strict loader, checking every event as the composer takes it from the parser.

    One pass, linear in the text: the composer only links nodes (an alias is a reference to its anchor's node), so
    the document it composes is no bigger than the file, and nothing is constructed (where merges and aliases would
    expand) until the last event has passed the checks. PyYAML's composer takes every event through ``get_event``.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._scan = _Scan()

    def get_event(self) -> yaml.Event:
        event = super().get_event()
        check_event(self._scan, event)
        return event


def _where(mark: yaml.Mark | None) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def parse_yaml_mapping(text: str, origin: str) -> dict:
    """The mapping a scenario or sweep file's text holds; every failure is a ScenarioError naming ``origin``."""
    try:
        data = yaml.load(text, Loader=_CheckedLoader)  # noqa: S506 - a SafeLoader subclass
    except YamlLimitError as error:
        raise ScenarioError(origin, [Problem((), f"{_where(error.mark).strip() or 'in the file'}: {error}")]) from None
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error)
        raise ScenarioError(origin, [Problem((), f"not valid YAML{_where(getattr(error, 'problem_mark', None))}: "
                                                 f"{problem}")]) from None
    except RecursionError:  # a backstop: the checks refuse deep nesting before the composer recurses that far
        raise ScenarioError(origin, [Problem((), f"the file is nested more than {MAX_DEPTH} levels deep; "
                                                 "a scenario needs far fewer")]) from None
    if data is None:
        raise ScenarioError(origin, [Problem((), "the file is empty; a scenario is a YAML mapping of sections")])
    if not isinstance(data, dict):
        raise ScenarioError(
            origin, [Problem((), f"the top level must be a mapping of sections, not a {type(data).__name__}")]
        )
    return data
