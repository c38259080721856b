"""Trim a Python traceback to the frames a maintainer needs. Pure."""

from __future__ import annotations

import re

WORKER_FILES = ("repro/worker_child.py", "lfmdoctor/repro/worker_child.py")
FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>.+)$')


def _keep(path: str) -> bool:
    return "liquid_audio" in path or path.startswith("<repro") or (path.endswith(".py") and "/repro_" in path)


def trim_traceback(text: str, sources: dict[str, str] | None = None) -> str:
    """Keep the reproducer and liquid-audio frames; fold the rest into one line per run of frames.

    ``sources`` maps a reproducer pseudo-file (``<repro ID trigger>``) to its code, whose line is shown.
    lfmdoctor's own worker frames are dropped: they are not part of the user's program.
    """
    sources = sources or {}
    lines = text.rstrip("\n").splitlines()
    out: list[str] = []
    skipped: list[str] = []
    i = 0

    def flush() -> None:
        if skipped:
            libs = sorted({_library(p) for p in skipped})
            out.append(f"  [... {len(skipped)} frame{'s' if len(skipped) > 1 else ''} in {', '.join(libs)} ...]")
            skipped.clear()

    while i < len(lines):
        line = lines[i]
        match = FRAME.match(line)
        if not match:
            flush()
            out.append(line)
            i += 1
            continue
        body = []
        j = i + 1
        while j < len(lines) and lines[j].startswith("    "):
            body.append(lines[j])
            j += 1
        if match["file"].endswith(WORKER_FILES):
            pass
        elif _keep(match["file"]):
            flush()
            out.append(line.replace(match["file"], _short(match["file"])))
            out.extend(b for b in body if b.strip() and set(b.strip()) - set("^~ "))
            code = sources.get(match["file"], "").splitlines()
            if not body and 0 < int(match["line"]) <= len(code):
                out.append("    " + code[int(match["line"]) - 1].strip())
        else:
            skipped.append(match["file"])
        i = j
    flush()
    return "\n".join(out)


def _short(path: str) -> str:
    if "liquid_audio/" in path:
        return "…/" + path[path.index("liquid_audio/") :]
    if path.startswith("<repro"):
        return "reproducer"
    return path


def _library(path: str) -> str:
    match = re.search(r"site-packages/([^/]+)", path)
    if match:
        return match.group(1).split(".")[0]
    return "python" if "/lib/python" in path else "other code"
