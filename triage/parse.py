"""Read the errors out of text as people paste it: pure, standard library only.

Accepted forms: plain Python tracebacks (chained ones too), IPython/Jupyter (ANSI colours, ``Cell In[3],
line 5``, old and new frame styles), pytest output (long, short and ``--tb=line``, ``E`` lines, the
``FAILED ... - Error: ...`` summary), warnings lines (``path:line: FutureWarning: ...``), a GitHub issue body
(Markdown fences and quotes), and log lines with or without an exception type. Paths may be POSIX or Windows,
from any site-packages (venv, conda, uv, a user install) or a source checkout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PACKAGE_DIR = "/liquid_audio/"

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_TYPE = r"(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Warning|Exit|Interrupt)"
TRACEBACK_START = re.compile(r"^\s*(?:\S+\s+)?Traceback \(most recent call last\)")
CHAIN = re.compile(r"^\s*(?:During handling of the above exception|The above exception was the direct cause)")
PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>\S+))?')
IPY_FRAME = re.compile(r"^\s*File (?P<file>\S.*?\.pyw?):(?P<line>\d+)(?:, in (?P<func>[\w.<>]+))?")
IPY_CELL = re.compile(r"^\s*(?P<file>(?:Cell|Input) In ?\[\d*\]), line (?P<line>\d+)")
IPY_OLD_FRAME = re.compile(r"^\s*(?P<file>\S.*?\.pyw?) in (?P<func>[\w.<>]+)\(")
PYTEST_FRAME = re.compile(r"^(?P<file>\S.*?\.pyw?):(?P<line>\d+):(?: in (?P<func>\S+))?\s*$")
LOCATED = re.compile(rf"^(?P<file>\S.*?\.pyw?):(?P<line>\d+): (?P<type>{_TYPE})(?::\s?(?P<msg>.*))?$")
PYTEST_E = re.compile(r"^E(?: {2,}|\t)(?P<rest>.*)$|^E$")
PYTEST_SUMMARY = re.compile(r"^(?:FAILED|ERROR)\s+\S+\s+-\s+(?P<rest>.+)$")
EXCEPTION = re.compile(rf"^\s*(?P<type>{_TYPE})(?::[ \t]?(?P<msg>.*))?$")
EXCEPTION_IN_LINE = re.compile(rf"(?:^|[\s\[(:|])(?P<type>{_TYPE}):\s(?P<msg>.*)$")
FENCE = re.compile(r"^\s*(?:```|~~~)")
QUOTE = re.compile(r"^(?:\s{0,3}>)+ ?")
MAX_CONTINUATION = 30
MAX_LINE = 4000


@dataclass(frozen=True)
class Frame:
    """One stack frame as the text shows it."""

    file: str  # as written, with ``/`` separators
    line: int | None
    function: str | None  # the last dotted part (IPython writes ``Class.method``)

    @property
    def package_file(self) -> str | None:
        """The path inside the ``liquid_audio`` package (``processor.py``, ``model/lfm2_audio.py``), or None."""
        path = "/" + self.file.lstrip("/")
        at = path.rfind(PACKAGE_DIR)
        return path[at + len(PACKAGE_DIR) :] if at >= 0 else None

    def __str__(self) -> str:
        line = f":{self.line}" if self.line is not None else ""
        return f"{self.package_file or self.file}{line}" + (f" in {self.function}" if self.function else "")


@dataclass(frozen=True)
class Raised:
    """One error found in the text: an exception with its frames, or a log line with no exception type."""

    type: str | None  # the class name as written (``torch.OutOfMemoryError``); None for a bare log line
    message: str
    frames: tuple[Frame, ...]
    line: int  # where it is in the text (1-based)

    @property
    def name(self) -> str | None:
        return self.type.rsplit(".", 1)[-1] if self.type else None

    @property
    def package_frames(self) -> tuple[Frame, ...]:
        return tuple(frame for frame in self.frames if frame.package_file is not None)

    def headline(self) -> str:
        return f"{self.type}: {self.message}".rstrip(": ") if self.type else self.message


def clean(text: str) -> str:
    """Without terminal colours and carriage returns (progress bars), one line per line."""
    text = ANSI.sub("", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _frame(match: re.Match) -> Frame:
    groups = match.groupdict()
    function = groups.get("func")
    line = groups.get("line")
    return Frame(
        groups["file"].strip().replace("\\", "/"),
        int(line) if line else None,
        function.rsplit(".", 1)[-1] if function else None,
    )


def _frame_of(line: str) -> Frame | None:
    for pattern in (PY_FRAME, IPY_CELL, IPY_FRAME, IPY_OLD_FRAME):
        found = pattern.match(line)
        if found:
            return _frame(found)
    return None


def _lines(text: str) -> list[str]:
    """The text's lines with Markdown quotes and pytest's ``E`` prefixes taken off (fences become blank)."""
    out = []
    for raw in clean(text).split("\n"):
        line = QUOTE.sub("", raw[:MAX_LINE])
        if FENCE.match(line):
            line = ""
        else:
            e_line = PYTEST_E.match(line)
            if e_line:
                line = e_line.group("rest") or ""
        out.append(line.rstrip())
    return out


def _ends_message(line: str) -> bool:
    return (
        not line.strip()
        or bool(TRACEBACK_START.match(line) or CHAIN.match(line) or EXCEPTION.match(line) or LOCATED.match(line))
        or _frame_of(line) is not None
        or PYTEST_FRAME.match(line) is not None
    )


def parse(text: str) -> tuple[Raised, ...]:
    """Every error in ``text``, in the order they appear (a chain's causes first, as Python prints them)."""
    lines = _lines(text)
    found: list[Raised] = []
    frames: list[Frame] = []
    in_trace = False
    ended = -1  # the last line of the latest error
    i = 0
    while i < len(lines):
        line = lines[i]
        number = i + 1
        i += 1
        if not line.strip():
            continue
        if TRACEBACK_START.match(line) or CHAIN.match(line):
            frames, in_trace = [], TRACEBACK_START.match(line) is not None
            continue
        frame = _frame_of(line)
        if frame is None and (pytest_frame := PYTEST_FRAME.match(line)):
            frame = _frame(pytest_frame)
        if frame is not None:
            frames.append(frame)
            in_trace = True
            continue
        located = LOCATED.match(line)
        if located:
            here = _frame(located)
            last = found[-1] if found else None
            if last and last.name == located["type"].rsplit(".", 1)[-1] and number - ended <= 2 and not frames:
                continue  # pytest repeats the location of the error it just showed
            found.append(Raised(located["type"], (located["msg"] or "").strip(), (*frames, here), number))
            frames, in_trace, ended = [], False, number
            continue
        summary = PYTEST_SUMMARY.match(line)
        exception = EXCEPTION.match(summary["rest"] if summary else line)
        if exception:
            message = [exception["msg"] or ""]
            while in_trace and i < len(lines) and len(message) < MAX_CONTINUATION and not _ends_message(lines[i]):
                message.append(lines[i].strip())
                i += 1
            found.append(Raised(exception["type"], " ".join(m for m in message if m).strip(), tuple(frames), number))
            frames, in_trace, ended = [], False, i
            continue
        if in_trace:
            continue  # a frame's source line
        in_line = EXCEPTION_IN_LINE.search(line)
        if not any(char.isalnum() for char in line):
            continue  # a rule (-----, _ _ _)
        if in_line:
            found.append(Raised(in_line["type"], in_line["msg"].strip(), (), number))
        else:
            found.append(Raised(None, line.strip(), (), number))
    return tuple(found)
