"""The real errors of the reproduction run (``corpus/reproduced.json``), made portable and re-rendered in
every form a user pastes them in. Also ``python tests/triage/forms.py REPRO.json``: rewrite that file from
``lfmdoctor repro --all --simulate no-cuda --simulate flash-attn --json`` output.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import sys
from datetime import date
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
REPRODUCED = CORPUS / "reproduced.json"
SITE, APP, MODEL = "{site}", "{app}", "{model}"
REPRO_COMMAND = "lfmdoctor repro --all --simulate no-cuda --simulate flash-attn --json"

FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>.+)$')
SITE_PACKAGES = re.compile(r"/[^\s\"']*?/site-packages/")
TEMPORARY = re.compile(r"(/tmp/)tmp[A-Za-z0-9_]{8}\b")
FIXTURE = re.compile(r"/[^\s\"']*?/fixtures/[0-9a-f]+")


def portable(traceback: str, trigger: str) -> str:
    """The worker's traceback as the user's script would show it: the worker's frame dropped, the reproduction
    case's code as the script's line, site-packages and the checkpoint folder as placeholders."""
    out: list[str] = []
    lines = traceback.rstrip("\n").splitlines()
    i = 0
    while i < len(lines):
        frame = FRAME.match(lines[i])
        i += 1
        if frame and frame["file"].endswith("worker_child.py"):
            while i < len(lines) and lines[i].startswith("    "):
                i += 1  # its source lines
            continue
        if frame and frame["file"].startswith("<repro"):
            number = int(frame["line"])
            out += [f'  File "{APP}", line {number + 10}, in <module>', f"    {trigger.splitlines()[number - 1].strip()}"]
            continue
        out.append(lines[i - 1])
    text = "\n".join(out) + "\n"
    text = TEMPORARY.sub(r"\g<1>tmpdir", text)  # a case's own temporary folder (the trainer's output): a new name each run
    return FIXTURE.sub(MODEL, SITE_PACKAGES.sub(SITE + "/", text))


def regenerate(repro_json: dict, cases: dict) -> dict:
    """``reproduced.json``'s content from a repro run (``cases``: case id -> Case)."""
    texts = []
    for result in repro_json["results"]:
        case = cases[result["id"]]
        if result["outcome"] != "reproduced" or case.expect.frame is None:
            continue  # not run here, or a failure of the harness's own check (nothing a user sees)
        texts.append(
            {
                "case": case.id,
                "bug": case.bug,
                "type": result["exception"]["type"],
                "frames": result["frames"],
                "traceback": portable(result["traceback"], case.trigger),
            }
        )
    version = importlib.metadata.version("liquid-audio")
    source = f"{REPRO_COMMAND} on the built-in tiny checkpoint, liquid-audio {version}, read {date.today().isoformat()}"
    return {"source": source, "texts": texts}


def load() -> list[dict]:
    return json.loads(REPRODUCED.read_text())["texts"]


# The forms: each takes a portable traceback and gives the text a user would paste.

UNIX_SITES = {
    "venv": ("/home/ana/project/.venv/lib/python3.12/site-packages", "/home/ana/project/app.py"),
    "conda": ("/home/ana/miniconda3/envs/audio/lib/python3.12/site-packages", "/home/ana/app.py"),
    "uv": ("/home/ana/.cache/uv/archive-v0/k3J9x/lib/python3.12/site-packages", "/home/ana/app.py"),
    "user": ("/home/ana/.local/lib/python3.12/site-packages", "/home/ana/app.py"),
    "macos": ("/Users/ana/miniforge3/lib/python3.12/site-packages", "/Users/ana/Desktop/demo.py"),
}
WINDOWS_SITE = r"C:\Users\ana\AppData\Local\Programs\Python\Python312\Lib\site-packages"
WINDOWS_APP = r"C:\Users\ana\demo.py"
RED, GREEN, CYAN, RESET = "\x1b[0;31m", "\x1b[0;32m", "\x1b[0;36m", "\x1b[0m"


def filled(traceback: str, site: str, app: str, model: str = "/home/ana/models/lfm2.5-audio") -> str:
    return traceback.replace(SITE, site).replace(APP, app).replace(MODEL, model)


def windows(traceback: str) -> str:
    def backslashed(match: re.Match) -> str:
        return match.group(0).replace("/", "\\")

    text = filled(traceback, WINDOWS_SITE.replace("\\", "/"), WINDOWS_APP.replace("\\", "/"), "C:/models/lfm")
    return re.sub(r'File "[^"]+"', backslashed, text)


def _parts(traceback: str) -> tuple[list[tuple[str, str, str, list[str]]], list[str]]:
    """(frames as (file, line, function, source lines), the exception's lines)."""
    frames: list[tuple[str, str, str, list[str]]] = []
    lines = traceback.rstrip("\n").splitlines()[1:]  # after "Traceback (most recent call last):"
    i = 0
    while i < len(lines) and (frame := FRAME.match(lines[i])):
        i += 1
        source = []
        while i < len(lines) and lines[i].startswith("    "):
            source.append(lines[i].strip())
            i += 1
        frames.append((frame["file"], frame["line"], frame["func"], source))
    return frames, lines[i:]


def ipython(traceback: str) -> str:
    """Jupyter's colours, ``Cell In[3], line 5`` for the script and ``File path:line, in Class.func(...)`` frames."""
    frames, exception = _parts(filled(traceback, "/home/ana/.venv/lib/python3.12/site-packages", APP))
    name = exception[0].split(":", 1)[0]
    out = [f"{RED}{'-' * 75}{RESET}", f"{RED}{name}{RESET}{' ' * 30}Traceback (most recent call last)"]
    for file, line, func, source in frames:
        head = f"{CYAN}Cell In[3], line {line}{RESET}" if file == APP else f"File {GREEN}{file}:{line}{RESET}, in {func}(self)"
        out += ["", head, *(f"{GREEN}---> {line}{RESET} {code}" for code in source[:1])]
    first, *rest = exception
    kind, _, message = first.partition(":")
    return "\n".join([*out, "", f"{RED}{kind}{RESET}:{message}", *rest]) + "\n"


def pytest_long(traceback: str) -> str:
    """pytest's long format: ``path:line: in func`` after each frame's source, ``E`` lines, then the location."""
    frames, exception = _parts(filled(traceback, *UNIX_SITES["venv"]))
    out = ["_______________________________ test_load _______________________________", ""]
    for file, line, func, source in frames:
        where = "tests/test_app.py" if file == UNIX_SITES["venv"][1] else file
        called = "" if where.startswith("tests/") else f"in {func}"
        out += [*(f">   {code}" for code in source[:1]), "", f"{where}:{line}: {called}"]
        out.append("_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _")
    out += [f"E   {text}" for text in exception]
    last = frames[-1]
    out += ["", f"{last[0]}:{last[1]}: {exception[0].split(':', 1)[0].rsplit('.', 1)[-1]}"]
    return "\n".join(out) + "\n"


def issue_body(traceback: str) -> str:
    """A GitHub issue: prose, the traceback fenced (macOS paths), the environment."""
    text = filled(traceback, *UNIX_SITES["macos"])
    return (
        "### What happened\n\nFollowing the README, my script stops here:\n\n```pytb\n"
        f"{text}```\n\n### Environment\n\n- liquid-audio 1.3.0\n- macOS 15, M2\n"
    )


def chained(traceback: str) -> str:
    """The error re-raised by the user's harness: both tracebacks, with ``The above exception ...``."""
    text = filled(traceback, *UNIX_SITES["conda"])
    last = text.rstrip("\n").splitlines()[-1]
    return (
        f"{text}\nThe above exception was the direct cause of the following exception:\n\n"
        'Traceback (most recent call last):\n  File "/srv/harness/run.py", line 40, in load\n'
        "    raise LoadError(f'Failed to load: {exc}') from exc\n"
        f"harness.LoadError: Failed to load: {last}\n"
    )


FORMS = {
    **{
        f"plain-{name}": (lambda site, app: lambda traceback: filled(traceback, site, app))(*where)
        for name, where in UNIX_SITES.items()
    },
    "windows": windows,
    "ipython": ipython,
    "pytest": pytest_long,
    "issue-body": issue_body,
    "chained": chained,
}


if __name__ == "__main__":
    from lfmdoctor.bugs import CASES

    run = json.loads(Path(sys.argv[1]).read_text())
    REPRODUCED.write_text(json.dumps(regenerate(run, {case.id: case for case in CASES}), indent=2) + "\n")
