"""The fit's checkpoint: every evaluation, appended to ``evaluations.jsonl`` as it finishes.

A line is one complete JSON record, flushed and synced (``sim.storage.append_json_line``), so a killed or
interrupted fit leaves at most a torn last line, which is skipped when read. An evaluation is found again by its
key: the hash of the scenario as merged (without its ``uncertain:`` section, which moves no run), the code version,
the seeds and the values. The optimiser is seeded, so the same command asks for the same candidates in the same
order, finds them here and runs only what is missing: that is how a fit resumes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.storage import append_json_line, read_json_records

EVALUATIONS_FILE = "evaluations.jsonl"


def evaluation_key(scenario_sha256: str, code_version: str, seeds: tuple[int, ...], values: dict[str, Any]) -> str:
    # json writes floats in their shortest exact form, so equal values give equal keys and different ones differ
    text = json.dumps([scenario_sha256, code_version, list(seeds), values], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@dataclass
class Checkpoint:
    path: Path
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> the latest good evaluation
    notes: list[str] = field(default_factory=list)  # damaged lines, named

    @classmethod
    def open(cls, folder: Path) -> Checkpoint:
        path = folder / EVALUATIONS_FILE
        records, damaged = read_json_records(path)
        checkpoint = cls(path, notes=[f"{path} line {line}: {why}; skipped" for line, why in damaged])
        for record in records:
            if record.get("status") == "ok" and isinstance(record.get("key"), str):
                checkpoint.records[record["key"]] = record
        return checkpoint

    def get(self, key: str) -> dict[str, Any] | None:
        return self.records.get(key)

    def add(self, record: dict[str, Any]) -> None:
        """Append a record (a failed one too, to be read; only good ones are reused)."""
        append_json_line(self.path, record)
        if record["status"] == "ok":
            self.records[record["key"]] = record
