"""How a child script tells lfmdoctor what it found: one JSON object per stdout line, marked by a key.

A child script (``*_child.py``) runs by path in the interpreter under study, where lfmdoctor may not be
importable, so it loads this file by path (see any child's first lines). Standard library only, and
Python 3.8+ like the probes.

A record is a JSON object on a line of its own whose ``"lfmdoctor"`` key names its kind, the other keys
being its fields: ``{"lfmdoctor": "torch", "version": "2.11.0", ...}``. Any other output on stdout
(a library's prints, a warning) is not a record and is skipped.
"""

import importlib.metadata
import importlib.util
import json
import os
import sys
import traceback
import warnings

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


def watch_deprecations(package):
    """Child side: record every DeprecationWarning and FutureWarning whose stack passes through the code in
    the folder ``package`` (liquid-audio's); returns the list the records go into.

    Call inside ``warnings.catch_warnings()``. Each record: the library that warns (the code that called
    ``warnings.warn``), its version, the message, and the innermost frame in ``package`` that led there, as
    "liquid_audio/<file>:<line>". Filters set later (a reproduction's own) come first and still apply.
    """
    met, seen = [], set()

    def record(message, category, filename, lineno, file=None, line=None):
        if not issubclass(category, (DeprecationWarning, FutureWarning)):
            return  # showwarning sees every category; only deprecations are drift
        stack = [f for f in traceback.extract_stack()[:-1] if not f.filename.endswith(("warnings.py", "<frozen warnings>"))]
        found = deprecation_record(category.__name__, str(message), stack, package)
        if found is not None and (found["library"], found["message"], found["frame"]) not in seen:
            seen.add((found["library"], found["message"], found["frame"]))
            met.append(found)

    for category in (DeprecationWarning, FutureWarning):
        warnings.simplefilter("always", category)
    warnings.showwarning = record
    return met


def deprecation_record(category, message, stack, package):
    """The record for a warning raised from ``stack`` (frames, innermost last), or None when no frame of it is in
    ``package``. Also for a warning a filter turned into an exception: pass the exception's traceback frames."""
    ours = [f for f in stack if f.filename.startswith(package + os.sep)]
    if not ours:
        return None
    inner = ours[-1]
    library = library_of(stack[-1].filename)
    if stack[-1] is inner:
        # warned from compiled code (torch's C++ core) that liquid-audio called: the message names the library
        library = named_library(message) or library
    return {
        "category": category,
        "message": message,
        "library": library,
        "version": version_of(library),
        "frame": "liquid_audio/{}:{}".format(os.path.relpath(inner.filename, package).replace(os.sep, "/"), inner.lineno),
    }


def named_library(message):
    """The imported top-level package a message starts by naming ("torch.get_autocast_gpu_dtype() is ..."), or None."""
    head = message.split(".", 1)[0].strip("`'\" ")
    return head if head.isidentifier() and head != "liquid_audio" and head in sys.modules else None


def library_of(filename):
    """The top-level package a source file belongs to (the folder under site-packages, or under the sys.path
    entry it was imported from: an overlay laid over the environment), or its file name."""
    parts = filename.replace(os.sep, "/").split("/")
    for marker in ("site-packages", "dist-packages"):
        if marker in parts and parts.index(marker) + 1 < len(parts):
            name = parts[parts.index(marker) + 1]
            return name[:-3] if name.endswith(".py") else name
    path = filename.replace(os.sep, "/")
    entries = [entry.replace(os.sep, "/").rstrip("/") + "/" for entry in sys.path if entry]
    under = [entry for entry in entries if path.startswith(entry)]
    if under:
        name = path[len(max(under, key=len)) :].split("/", 1)[0]
        return name[:-3] if name.endswith(".py") else name
    return os.path.basename(filename)


def version_of(library):
    try:
        return importlib.metadata.version(library)
    except Exception:
        return None
