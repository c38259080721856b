"""From a text to the known bugs it matches, ranked, with their fixes and threads: pure given its inputs."""

from __future__ import annotations

from lfmdoctor.bugs._signature import signatures_of
from lfmdoctor.report.redact import Context

from .draft import draft_issue
from .match import Evidence, best
from .parse import parse
from .result import Fix, Hit, Triage
from .threads import ThreadState

EXEC = "lfmdoctor exec -- python your_script.py"
PATCH = "lfmdoctor patch apply"


def _hit(bug, found: Evidence, threads: dict[int, ThreadState]) -> Hit:
    return Hit(
        bug=bug.id,
        title=bug.title,
        score=found.score,
        matched=list(found.parts),
        error=found.raised.headline(),
        line=found.raised.line,
        message=found.message,
        frame=str(found.frame) if found.frame else None,
        mentions=found.mention,
        signature=found.signature.source,
        cause=bug.root_cause,
        fix=Fix(bug.workaround, EXEC if bug.runtime else None, PATCH if bug.edits else None),
        threads=[threads[t.number] for t in bug.threads if t.number in threads],
    )


def _where(bug) -> str:
    frames = sorted({frame for signature in signatures_of(bug) for frame in signature.frames})
    return " or ".join(frames) if frames else "no liquid-audio frame of its own"


def explain_tie(ranked: list[Evidence], bugs_by_id: dict) -> str | None:
    """Why the first matches score the same, and what would tell them apart."""
    tied = [found for found in ranked if found.score == ranked[0].score]
    if len(tied) < 2:
        return None
    names = ", ".join(found.bug for found in tied)
    parts = " + ".join(tied[0].parts)
    apart = "; ".join(f"{found.bug} fails in {_where(bugs_by_id[found.bug])}" for found in tied)
    return (
        f"{names} match equally ({parts}): the same error comes from each of them, and the text has no liquid-audio "
        f"frame that tells them apart. {apart}: the full traceback decides."
    )


def triage(text: str, bugs, threads: dict[int, ThreadState], context: Context, note: str | None = None) -> Triage:
    """The known bugs ``text`` matches, best first; a draft new issue where it matches none."""
    errors = parse(text)
    ranked = best(bugs, errors, text)
    by_id = {bug.id: bug for bug in bugs}
    headlines = [raised.headline() for raised in errors if raised.type]
    result = Triage(headlines, [_hit(by_id[found.bug], found, threads) for found in ranked], explain_tie(ranked, by_id), note)
    if not ranked:
        result.draft = draft_issue(text, headlines, context)
    return result
