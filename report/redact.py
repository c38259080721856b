"""Remove personal and secret data from report text before it leaves the machine. Pure given a Context."""

from __future__ import annotations

import getpass
import os
import re
import socket
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# Environment variables whose values may appear in a report as they are.
ALLOWED_ENV = frozenset(
    {
        "CUDA_VISIBLE_DEVICES",
        "HIP_VISIBLE_DEVICES",
        "PYTORCH_ENABLE_MPS_FALLBACK",
        "PYTORCH_CUDA_ALLOC_CONF",
        "PYTORCH_NVML_BASED_CUDA_CHECK",
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "LANG",
        "LC_ALL",
        "TERM",
        "SHELL",
        "PYTHONHASHSEED",
        "CI",
        "TZ",
        "PWD",
        "OLDPWD",
        "HOME",
        "USER",
        "LOGNAME",
        "PATH",
        "PYTHONPATH",
        "VIRTUAL_ENV",
        "_",
        "SHLVL",
        "COLUMNS",
        "LINES",
    }
)
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

    @classmethod
    def from_machine(cls) -> Context:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = ""
        return cls(home=str(Path.home()), user=user, host=socket.gethostname(), env=dict(os.environ))


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
            if name not in ALLOWED_ENV and len(value) >= MIN_SECRET_LENGTH and not value.isdigit()
        ),
        key=lambda item: -len(item[1]),
    )
    for name, value in secrets:
        if value in (context.home, context.user, context.host) or value.startswith(("/", ".")):
            continue  # paths are handled below, keeping their useful tail
        sub(re.escape(value), f"<${name}>", "environment variable value")
    sub(EMAIL, "<email>", "e-mail address")
    if context.home and context.home not in ("/", ""):
        sub(re.escape(context.home) + r"(?=[/\\\s'\":]|$)", "~", "home directory")
    for pattern in HOME_PATTERNS:
        sub(pattern, "~", "home directory")
    for value, label, kind in ((context.user, "<user>", "user name"), (context.host, "<host>", "host name")):
        if len(value) >= 3 and value.lower() not in NEVER_A_NAME:
            sub(r"(?<![\w.-])" + re.escape(value) + r"(?![\w-])", label, kind)
    return Redacted(text, counts)
