"""The draft of a new upstream issue for an error no known bug matches: pure given a redaction context."""

from __future__ import annotations

from lfmdoctor.report.redact import Context, redact

from .parse import clean
from .threads import REPO

MAX_LINES = 150  # of the error text kept in the draft (its end: where the error is)
CHECKLIST = (
    "what you ran: the few lines that load the model or processor and make the call that fails",
    "the liquid-audio, torch (and its CUDA build), transformers and Python versions, the OS and the GPU, if any",
    'whether it fails with `device="cpu"` passed to `from_pretrained` too',
    "what you expected to happen instead",
)


def draft_issue(text: str, errors: list[str], context: Context) -> str:
    """A new issue's body: summary, environment note, the redacted error, and a checklist of what to add."""
    lines = clean(text).strip("\n").splitlines()
    kept = "\n".join(lines[-MAX_LINES:])
    cut = f"\n(the first {len(lines) - MAX_LINES} lines are left out)" if len(lines) > MAX_LINES else ""
    shown = redact(kept, context)
    summary = errors[-1] if errors else "describe the error"
    fence = "````" if "```" in shown.text else "```"
    checks = "\n".join(f"- [ ] {item}" for item in CHECKLIST)
    return (
        f"## Summary\n\n<!-- one sentence: what fails, and when -->\n{redact(summary, context).text}\n\n"
        "## Environment\n\nRun `lfmdoctor check` in the environment where it failed and paste its output here "
        "(it lists the liquid-audio, torch, CUDA and transformers versions and the known bugs present).\n\n"
        f"## Error\n\n{fence}text\n{shown.text}\n{fence}{cut}\n\n{shown.footer()}\n\n"
        f"## Before posting\n\n{checks}\n\nOpen it at https://github.com/{REPO}/issues/new\n"
    )
