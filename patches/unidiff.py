"""Read and apply unified diffs (``git diff`` output) in pure Python: no git, no patch(1), no fuzz.

A hunk applies only where its context and removed lines match the text exactly at the line numbers
the diff names, so a file that differs from the one the diff was written against is refused, never
patched approximately. Text before the first file header (a commit message, lfmdoctor's header) is
ignored, as ``git apply`` ignores it.

Kept instead of a library because none refuses fuzz this strictly (checked: unidiff 1.0.1,
whatthepatch 1.0.7, patch-ng 1.19.1). unidiff only parses. whatthepatch and patch-ng refuse a hunk
found at other line numbers, but compare lines with their endings stripped, so a CRLF file, or one
without its final newline, counts as a match (whatthepatch returns bare lines, losing both); patch-ng
checks only files on disk and reports an already patched file as success. Here lines compare with
their endings, on text in memory, in either direction (``reverse``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchMismatch(Exception):
    """The text is not the one the diff expects; the message names the file and line."""


@dataclass
class Hunk:
    old_start: int
    new_start: int
    lines: list[str] = field(default_factory=list)  # each starts with " ", "-" or "+", newline kept
    old_no_newline: bool = False  # the old side's last line has no newline
    new_no_newline: bool = False

    def side(self, new: bool) -> list[str]:
        keep = "+" if new else "-"
        text = [line[1:] for line in self.lines if line[0] in (" ", keep)]
        if text and (self.new_no_newline if new else self.old_no_newline):
            text[-1] = text[-1].removesuffix("\n")
        return text


@dataclass
class FileDiff:
    old_path: str  # without the a/ prefix
    new_path: str  # without the b/ prefix
    hunks: list[Hunk] = field(default_factory=list)


def _strip_prefix(name: str, prefix: str) -> str:
    name = name.split("\t", 1)[0].strip()
    return name.removeprefix(prefix)


def parse(text: str) -> list[FileDiff]:
    """The file diffs of a unified diff, in order; ValueError if a hunk is cut short."""
    files: list[FileDiff] = []
    lines = text.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("--- ") and index + 1 < len(lines) and lines[index + 1].startswith("+++ "):
            files.append(FileDiff(_strip_prefix(line[4:], "a/"), _strip_prefix(lines[index + 1][4:], "b/")))
            index += 2
            continue
        match = _HUNK.match(line)
        if match and files:
            index = _read_hunk(lines, index + 1, match, files[-1])
            continue
        index += 1
    return files


def _read_hunk(lines: list[str], index: int, match: re.Match, target: FileDiff) -> int:
    old_left = int(match.group(2) or "1")
    new_left = int(match.group(4) or "1")
    hunk = Hunk(int(match.group(1)), int(match.group(3)))
    last_kind = ""
    while index < len(lines) and (old_left > 0 or new_left > 0 or lines[index].startswith("\\")):
        line = lines[index]
        if line.startswith("\\"):
            if last_kind in (" ", "-"):
                hunk.old_no_newline = True
            if last_kind in (" ", "+"):
                hunk.new_no_newline = True
            index += 1
            continue
        kind = line[:1]
        if kind not in (" ", "-", "+"):
            if line in ("\n", "\r\n"):  # an empty context line whose leading space was stripped
                kind, line = " ", " " + line
            else:
                break
        if not line.endswith("\n"):
            line += "\n"
        hunk.lines.append(line)
        old_left -= kind in (" ", "-")
        new_left -= kind in (" ", "+")
        last_kind = kind
        index += 1
    if old_left > 0 or new_left > 0:
        raise ValueError(f"hunk @@ -{hunk.old_start} +{hunk.new_start} @@ of {target.new_path} is cut short")
    target.hunks.append(hunk)
    return index


def apply(text: str, diff: FileDiff, *, reverse: bool = False) -> str:
    """``text`` with the diff applied (or, with ``reverse``, undone); PatchMismatch if it does not fit."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    position = 0  # index into lines
    for hunk in diff.hunks:
        expected = hunk.side(new=reverse)
        replacement = hunk.side(new=not reverse)
        start = (hunk.new_start if reverse else hunk.old_start) - 1
        if not expected:  # pure insertion: the start line names the line *before* the insertion
            start += 1
        if start < position or lines[start : start + len(expected)] != expected:
            name = diff.new_path if reverse else diff.old_path
            raise PatchMismatch(f"{name}: the text at line {start + 1} is not what the diff expects")
        out += lines[position:start]
        out += replacement
        position = start + len(expected)
    out += lines[position:]
    return "".join(out)
