"""Benchmark manifests: JSONL or CSV rows of an audio path and its reference text. Pure parsing.

JSONL: one object a line with the path under ``path`` / ``audio`` / ``audio_filepath`` / ``file``
and the text under ``reference`` / ``ref`` / ``text`` / ``transcript`` / ``sentence``. CSV: a header
naming such columns, or two columns without a header (path, reference). Blank lines and lines
starting with ``#`` are skipped. Relative paths are resolved by the caller against the manifest's
folder.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass

PATH_KEYS = ("path", "audio", "audio_filepath", "audio_path", "file", "filename", "wav")
TEXT_KEYS = ("reference", "ref", "text", "transcript", "transcription", "sentence")


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names the line."""


@dataclass(frozen=True)
class ManifestRow:
    path: str
    reference: str
    line: int
    clip_id: str | None = None


def _pick(row: dict, keys: tuple[str, ...]) -> str | None:
    lowered = {str(k).strip().lower(): v for k, v in row.items()}
    for key in keys:
        value = lowered.get(key)
        if value is not None:
            return str(value)
    return None


def _row(mapping: dict, line: int, where: str) -> ManifestRow:
    path = _pick(mapping, PATH_KEYS)
    text = _pick(mapping, TEXT_KEYS)
    if path is None or not path.strip():
        raise ManifestError(f"{where}:{line}: no audio path (use one of the keys {', '.join(PATH_KEYS[:3])})")
    if text is None:
        raise ManifestError(f"{where}:{line}: no reference text (use one of the keys {', '.join(TEXT_KEYS[:3])})")
    clip_id = _pick(mapping, ("id", "clip", "name"))
    return ManifestRow(path.strip(), text, line, clip_id)


def parse_jsonl(text: str, where: str = "manifest") -> list[ManifestRow]:
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ManifestError(f"{where}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(value, dict):
            raise ManifestError(f"{where}:{number}: expected a JSON object with a path and a reference")
        rows.append(_row(value, number, where))
    return rows


def parse_csv(text: str, where: str = "manifest") -> list[ManifestRow]:
    """One record a line (quoted fields may hold commas, not line breaks)."""
    records = [
        (number, next(csv.reader([line])))
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not records:
        return []
    header = [cell.strip().lower() for cell in records[0][1]]
    has_header = any(key in header for key in PATH_KEYS) and any(key in header for key in TEXT_KEYS)
    rows = []
    for number, record in records[1 if has_header else 0 :]:
        if has_header:
            rows.append(_row(dict(zip(header, record)), number, where))
        elif len(record) < 2:
            raise ManifestError(f"{where}:{number}: expected two columns, path and reference")
        else:
            rows.append(ManifestRow(record[0].strip(), ",".join(record[1:]), number))
    return rows


def parse_manifest(text: str, name: str) -> list[ManifestRow]:
    """Parse by extension (``.jsonl`` / ``.json`` / ``.csv``), else by the first non-blank character."""
    lower = name.lower()
    if lower.endswith((".jsonl", ".json", ".ndjson")):
        rows = parse_jsonl(text, name)
    elif lower.endswith(".csv"):
        rows = parse_csv(text, name)
    else:
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        rows = parse_jsonl(text, name) if first.startswith("{") else parse_csv(text, name)
    if not rows:
        raise ManifestError(f"{name} lists no clips; add lines with a path and a reference")
    return rows
