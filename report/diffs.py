"""Pick the hunks of a unified diff that fix one bug: those overlapping the function around its evidence."""

from __future__ import annotations

import ast
import re
from pathlib import Path

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


def split_files(diff: str) -> dict[str, list[str]]:
    """{path: lines of that file's section}, paths as in the diff's +++ line without the b/ prefix."""
    files: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            current = [line]
            files[line.split(" b/", 1)[-1]] = current
        elif current is not None:
            current.append(line)
    return files


def enclosing_function(source: str, line: int) -> tuple[int, int] | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if start <= line <= (node.end_lineno or line) and (best is None or start >= best[0]):
                best = (start, node.end_lineno or line)
    return best


def hunks_for(diff: str, upstream_path: str, span: tuple[int, int]) -> str:
    """The file header plus the hunks whose old-side lines overlap ``span``; '' when none do."""
    section = split_files(diff).get(upstream_path)
    if not section:
        return ""
    header: list[str] = []
    hunks: list[list[str]] = []
    for line in section:
        if HUNK.match(line):
            hunks.append([line])
        elif hunks:
            hunks[-1].append(line)
        else:
            header.append(line)
    chosen = []
    for hunk in hunks:
        match = HUNK.match(hunk[0])
        start, length = int(match[1]), int(match[2] or 1)
        if start <= span[1] and start + length >= span[0]:
            chosen.extend(hunk)
    return "\n".join(header + chosen) + "\n" if chosen else ""


def bug_hunks(diff: str, upstream_path: str, installed_file: Path, evidence_line: int) -> str:
    try:
        span = enclosing_function(installed_file.read_text(), evidence_line)
    except OSError:
        return ""
    return hunks_for(diff, upstream_path, span or (evidence_line, evidence_line))
