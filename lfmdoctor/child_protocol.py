"""How a child script tells lfmdoctor what it found: one JSON object per stdout line, marked by a key.

A child script (``*_child.py``) runs by path in the interpreter under study, where lfmdoctor may not be
importable, so it loads this file by path (see any child's first lines). Standard library only, and
Python 3.8+ like the probes.

A record is a JSON object on a line of its own whose ``"lfmdoctor"`` key names its kind, the other keys
being its fields: ``{"lfmdoctor": "torch", "version": "2.11.0", ...}``. Any other output on stdout
(a library's prints, a warning) is not a record and is skipped.
"""

import importlib.util
import json
import sys

KEY = "lfmdoctor"


def emit(kind, **fields):
    """Child side: write one record and flush, so the parent sees it even if the child dies next."""
    record = {KEY: kind}
    record.update(fields)
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def error_line(exc):
    """An exception in one line: ``"Type: first line of its message"``."""
    text = str(exc).strip().splitlines()
    return "{}: {}".format(type(exc).__name__, text[0] if text else "").rstrip(": ")


def parse_line(line):
    """Parent side: the record on ``line`` (its kind under ``KEY``), or None when the line is not one."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) and isinstance(record.get(KEY), str) else None


def records(text, kind=None):
    """Parent side: every record in a child's ``text`` output (only those of ``kind`` if given), in order."""
    found = (parse_line(line) for line in text.splitlines())
    return [r for r in found if r is not None and (kind is None or r[KEY] == kind)]


def load_file(name, path):
    """Import the Python file at ``path`` as module ``name`` (for a child: a file of lfmdoctor's, by path)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
