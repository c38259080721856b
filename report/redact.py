"""Remove personal and secret data from text written for others, before it leaves the machine. Pure given a Context.

The one rule for every such file (``redact_file``): prose and captured output (environment text, tracebacks,
logs) lose secrets, e-mail addresses, home paths, and user and host names; Python code loses them only inside
its string literals; diffs and patch files (commit headers included) are never touched. A value counts as a
secret by its pattern (tokens, keys) or because an environment variable whose name says so holds it.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# Environment variables whose values are secrets by their name: only these values are looked for in text.
SECRET_NAME = re.compile(r"(?i)token|secret|passw|api_?key|access_?key|credential|auth|private_?key|session")
NEVER_A_NAME = frozenset({"root", "user", "admin", "runner", "ubuntu", "debian", "localhost", "python", "main"})
MIN_SECRET_LENGTH = 6

TOKEN_PATTERNS = {
    "Hugging Face token": r"\bhf_[A-Za-z0-9]{20,}\b",
    "GitHub token": r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b",
    "AWS key": r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    "Google API key": r"\bAIza[0-9A-Za-z_\-]{35}\b",
    "Slack token": r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b",
    "API key": r"\bsk-[A-Za-z0-9_\-]{20,}\b",
    "bearer token": r"(?i)\bbearer\s+[A-Za-z0-9._\-]{16,}",
    "secret assignment": r"(?i)\b(?:token|secret|password|passwd|api[_-]?key|access[_-]?key)\b\s*[=:]\s*['\"]?[^\s'\"]{6,}",
}
EMAIL = r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b"
HOME_PATTERNS = (r"/home/[^/\s'\"]+", r"/Users/[^/\s'\"]+", r"[A-Za-z]:\\Users\\[^\\\s'\"]+")


@dataclass(frozen=True)
class Context:
    """What counts as personal on this machine."""

    home: str = ""
    user: str = ""
    host: str = ""
    env: dict[str, str] = field(default_factory=dict)
    folders: tuple[str, ...] = ()  # private folders the user named (a custom --model): each becomes <model folder>

    @classmethod
    def from_machine(cls, folders: tuple[str, ...] = ()) -> Context:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = ""
        return cls(home=str(Path.home()), user=user, host=socket.gethostname(), env=dict(os.environ), folders=folders)


@dataclass
class Redacted:
    text: str
    counts: Counter

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def footer(self) -> str:
        if not self.total:
            return "_lfmdoctor found nothing to redact in this report._"
        kinds = ", ".join(f"{kind} ×{n}" for kind, n in sorted(self.counts.items()))
        return (
            f"_lfmdoctor redacted {self.total} item{'s' if self.total != 1 else ''} from this report "
            f"({kinds}); check it before posting._"
        )


def redact(text: str, context: Context) -> Redacted:
    counts: Counter = Counter()

    def sub(pattern: str, replacement: str, kind: str, flags: int = 0) -> None:
        nonlocal text
        text, n = re.subn(pattern, replacement, text, flags=flags)
        if n:
            counts[kind] += n

    for kind, pattern in TOKEN_PATTERNS.items():
        sub(pattern, f"<{kind.replace(' ', '-')}>", kind)
    secrets = sorted(
        (
            (name, value)
            for name, value in context.env.items()
            if SECRET_NAME.search(name) and len(value) >= MIN_SECRET_LENGTH and not value.isdigit()
        ),
        key=lambda item: -len(item[1]),
    )
    for name, value in secrets:
        sub(re.escape(value), f"<${name}>", "environment variable value")
    sub(EMAIL, "<email>", "e-mail address")
    for folder in sorted(context.folders, key=len, reverse=True):
        if len(folder) > 1:
            sub(re.escape(folder.rstrip("/\\")) + r"(?=[/\\\s'\":]|$)", "<model folder>", "model folder")
    if context.home and context.home not in ("/", ""):
        sub(re.escape(context.home) + r"(?=[/\\\s'\":]|$)", "~", "home directory")
    for pattern in HOME_PATTERNS:
        sub(pattern, "~", "home directory")
    for value, label, kind in ((context.user, "<user>", "user name"), (context.host, "<host>", "host name")):
        if len(value) >= 3 and value.lower() not in NEVER_A_NAME:
            sub(r"(?<![\w.-])" + re.escape(value) + r"(?![\w-])", label, kind)
    return Redacted(text, counts)


FENCE = re.compile(r"^(?P<ticks>`{3,})(?P<lang>[\w+-]*)[^\n]*\n.*?^(?P=ticks)[ \t]*$", re.MULTILINE | re.DOTALL)


def redact_markdown(text: str, context: Context) -> Redacted:
    """Markdown for others: prose and output blocks in full, ``python`` blocks in their string literals only,
    ``diff`` blocks untouched."""
    counts: Counter = Counter()
    out: list[str] = []
    last = 0
    for block in FENCE.finditer(text):
        out.append(_counted(redact(text[last : block.start()], context), counts))
        lang = block["lang"].lower()
        whole = block.group(0)
        if lang in ("diff", "patch"):
            out.append(whole)
        elif lang in ("python", "py"):
            opening, _, rest = whole.partition("\n")
            code, _, closing = rest.rpartition("\n")
            out.append(f"{opening}\n{_counted(redact_python(code, context), counts)}\n{closing}")
        else:
            out.append(_counted(redact(whole, context), counts))
        last = block.end()
    out.append(_counted(redact(text[last:], context), counts))
    return Redacted("".join(out), counts)


def redact_python(source: str, context: Context) -> Redacted:
    """Python source (or a fenced block of it) with only its string literals redacted: names and code stay."""
    counts: Counter = Counter()
    spans = _string_spans(source)
    out: list[str] = []
    last = 0
    for start, end in spans:
        out.append(source[last:start])
        out.append(_counted(redact(source[start:end], context), counts))
        last = end
    out.append(source[last:])
    return Redacted("".join(out), counts)


def _string_spans(source: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the string literals in ``source``; broken code yields those before the break."""
    import io
    import tokenize

    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    spans: list[tuple[int, int]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                (row, col), (end_row, end_col) = token.start, token.end
                spans.append((starts[row - 1] + col, starts[end_row - 1] + end_col))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return spans


def redact_file(name: str, text: str, context: Context) -> Redacted:
    """The one rule, by the kind of file: patches untouched, Python in string literals, Markdown by block."""
    if name.endswith((".patch", ".diff")):
        return Redacted(text, Counter())
    if name.endswith(".py"):
        return redact_python(text, context)
    if name.endswith(".md"):
        return redact_markdown(text, context)
    return redact(text, context)


def _counted(result: Redacted, counts: Counter) -> str:
    counts.update(result.counts)
    return result.text
