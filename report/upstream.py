"""What a LiquidAI maintainer receives: one issue and one pull request per bug, and an overview. Pure.

Written in upstream's words: what fails, where (``src/liquid_audio/...:line``), the smallest fix. No tool
vocabulary (fix strategies, outcome codes, module paths), no local paths, one footer line about the tool.
Each issue body stays under ``MAX_BODY`` characters so that its prefilled new-issue link stays under
``MAX_URL``; the parts that can go go first when a body is too long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lfmdoctor.bugs import get_bug
from lfmdoctor.bugs._spec import CONDITIONS, RESOURCES, Bug
from lfmdoctor.prose import sentence
from lfmdoctor.report.compose import REAL_MODEL, BugSection, CaseEvidence, ReportData
from lfmdoctor.report.handoff import MAX_URL, REPO, new_issue_url
from lfmdoctor.repro.emit import imports_for, names_used, probes
from lfmdoctor.results import EnvironmentFacts, Outcome

MAX_BODY = 3000
TAIL_LINES = 4  # of the traceback, shown outside <details>
SCRIPT = "repro.py"


@dataclass(frozen=True)
class Reproducer:
    text: str
    lines: dict[str, list[int]]  # pseudo-file of a case part ("<repro ID trigger>") -> line in ``text`` of each of its lines


@dataclass(frozen=True)
class Post:
    """A title and a body, as they go into GitHub's form."""

    title: str
    body: str

    @property
    def text(self) -> str:
        """The file lfmdoctor writes: the title line, a blank line, the body."""
        return f"{self.title}\n\n{self.body}"


# -- pieces ---------------------------------------------------------------------------------------------

HOISTED = re.compile(r"^import \w+$")  # a case's own standard-library import goes to the top of the snippet


def reproducer(case: CaseEvidence | object, model: str = REAL_MODEL) -> Reproducer:
    """The case as a short script against the real model: imports, the model id, the calls."""
    case = get_case(case)
    body = [f'MODEL = "{model}"', *probes(case)]
    if "MODEL_DIR" in names_used(case.setup + "\n" + case.trigger):
        body.append("MODEL_DIR = get_model_dir(MODEL)")
    body += [RESOURCES[need] for need in case.needs]
    hoisted: list[str] = []
    places: dict[str, list[int]] = {}  # body index (0-based) of each line of each part; -1: hoisted
    for part in ("setup", "trigger"):
        code = getattr(case, part)
        if not code:
            continue
        places[f"<repro {case.id} {part}>"] = index = []
        for line in code.splitlines():
            if HOISTED.match(line):
                hoisted.append(line)
                index.append(-1)
            else:
                index.append(len(body))
                body.append(line)
    imports = [*sorted(set(hoisted)), *imports_for("\n".join(body))]
    first = len(imports) + 2  # the body's first line, after the imports and a blank line
    lines = {part: [first + i if i >= 0 else 1 for i in index] for part, index in places.items()}
    return Reproducer("\n".join([*imports, "", *body]) + "\n", lines)


def get_case(case: CaseEvidence | object):
    from lfmdoctor.bugs import CASES

    wanted = getattr(case, "id", case)
    return next(c for c in CASES if c.id == wanted)


FRAME = re.compile(r'^  File "(?P<file><repro [^"]+>|reproducer)", line (?P<line>\d+)')


def traceback_for(case: CaseEvidence, script: Reproducer) -> str | None:
    """The recorded traceback with the reproducer's frames pointing at lines of ``script``."""
    if not case.traceback:
        return None
    trigger = f"<repro {case.id} trigger>"

    def renumber(match: re.Match) -> str:
        index = script.lines.get(match["file"]) or script.lines.get(trigger) or [1]
        number = int(match["line"])
        return f'  File "{SCRIPT}", line {index[min(number, len(index)) - 1]}'

    return "\n".join(_clip(FRAME.sub(renumber, line), 300) for line in case.traceback.splitlines())


FIXTURE_PATH = re.compile(r"[^\s'\"`]*/fixtures/[0-9a-f]{16}\b")  # <cache>/fixtures/<key>, wherever the cache is


def public(text: str) -> str:
    """``text`` as it reads with the real model: the tiny checkpoint's folder named as the model's."""
    return FIXTURE_PATH.sub("/path/to/LFM2.5-Audio-1.5B", text)


def _short_reason(text: str | None) -> str:
    """ "RuntimeError: Found no NVIDIA driver on your system. Please..." -> "Found no NVIDIA driver on your system"."""
    first = (text or "unknown").split(". ")[0].rstrip(".")
    return _first_line(first.split(": ", 1)[-1] if first.split(":", 1)[0].endswith("Error") else first, 60)


def environment(env: EnvironmentFacts, version: str | None) -> str:
    """Four lines: the release and platform, torch and the devices it sees, the libraries, the model used."""
    torch = env.torch
    cuda = "yes" if torch.cuda_available else f"no ({_short_reason(torch.cuda_unavailable_reason)})"
    packages = env.packages
    libraries = ", ".join(
        f"{name} {packages.get(name) or 'not installed'}" for name in ("transformers", "accelerate", "safetensors")
    )
    return "\n".join(
        [
            f"- liquid-audio {version or '?'}, Python {env.python}, {env.os} {env.arch}",
            f"- torch {torch.version or 'not importable'} ({torch.flavour or '?'}); CUDA: {cuda}; "
            f"MPS: {'yes' if torch.mps_available else 'no'}",
            f"- {libraries}",
            "- model: random weights in the real model's file layout (nothing downloaded)",
        ]
    )


def ran_on(env: EnvironmentFacts) -> str:
    """What the evidence covers, and what it does not."""
    ran = ["CPU"]
    missing = []
    (ran if env.torch.cuda_available else missing).append("CUDA")
    (ran if env.torch.mps_available else missing).append("MPS")
    return f"run on {', '.join(ran)}" + (f"; not run on {' or '.join(missing)}" if missing else "")


def threads(bug: Bug, brief: bool = False) -> str:
    """The upstream threads about the bug: what each says about it, or (``brief``) their numbers and states."""
    if brief:
        return ", ".join(f"#{t.number} ({t.state} on {t.as_of})" for t in bug.threads)
    lines = [
        f"- #{t.number} ({'PR' if t.kind == 'pr' else 'issue'}, {t.state} on {t.as_of}): {sentence(t.relation)}"
        for t in bug.threads
    ]
    return "\n".join(lines)


def footer(data: ReportData) -> str:
    return f"<sub>Checked with lfmdoctor {data.tool_version}: {ran_on(data.environment)}.</sub>"


def _fence(text: str, lang: str = "") -> str:
    ticks = "````" if "```" in text else "```"
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


def _details(summary: str, body: str) -> str:
    return f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>"


def shown_case(section: BugSection) -> CaseEvidence | None:
    reproduced = [c for c in section.cases if c.outcome is Outcome.REPRODUCED]
    return (reproduced or section.cases or [None])[0]


def exception_line(case: CaseEvidence | None) -> str | None:
    """The exception the case raised here, as it reads with the real model; None when it did not reproduce."""
    return public(case.exception or "") if case and case.outcome is Outcome.REPRODUCED else None


# -- the issue ------------------------------------------------------------------------------------------


def issue(section: BugSection, data: ReportData, diff: str) -> Post:
    """One bug's issue: summary, environment, reproducer, traceback, where, expected vs actual, fix, workaround."""
    bug = get_bug(section.id)
    case = shown_case(section)
    title = f"{bug.title} (liquid-audio {data.liquid_audio_version or '?'})"
    actual = exception_line(case)
    summary = what_fails(bug, actual)
    if not actual:
        where = section.upstream_location
        summary += f" Not reproduced on this machine: {why_not_here(case)}; the code at `{where}` shows it."
    others = [c for c in section.cases if c is not case and c.outcome is Outcome.REPRODUCED]
    script = reproducer(case) if case else None
    tb = traceback_for(case, script) if case and script else None
    required = [
        ("summary", summary),
        ("environment", "**Environment**\n\n" + environment(data.environment, data.liquid_audio_version)),
    ]
    if script:
        required.append(("reproducer", "**Reproducer**\n\n" + _fence(script.text, "python")))
    optional_tb = None
    if tb:
        tail = "\n".join(tb.splitlines()[-TAIL_LINES:])
        required.append(("traceback", _fence(tail, "pytb")))
        optional_tb = _details("Full traceback", _fence(tb, "pytb"))
    if others:
        listing = "; ".join(f"{c.summary} (`{_first_line(c.exception or '', 60)}`)" for c in others)
        required.append(("others", f"The same happens for: {listing}."))
    required += [
        ("where", f"**Where:** `{section.upstream_location}`"),
        (
            "expected",
            f"**Expected:** {sentence(bug.expected)}\n**Actual:** "
            + (
                f"the `{_kind(actual)}` above."
                if actual and tb
                else f"`{_first_line(actual, 100)}`"
                if actual
                else f"not seen on this machine. Where it shows: {sentence(bug.symptom)}"
            ),
        ),
    ]
    fix = f"**Suggested fix:** {sentence(bug.fix)}"
    diff_part = _fence(diff, "diff") if diff else ""
    workaround = f"**Workaround today:** {sentence(bug.workaround)}"
    ending = footer(data)

    def assemble(with_tb: bool, with_diff: bool, brief: bool) -> str:
        """``brief``: the threads by number and state only, no list of other failing inputs."""
        parts = [text for name, text in required if not (brief and name == "others")]
        if with_tb and optional_tb:
            parts.append(optional_tb)
        parts.append(fix + ("\n\n" + diff_part if with_diff and diff_part else ""))
        parts.append(workaround)
        related = threads(bug, brief)
        if related:
            parts.append("**Related**\n\n" + related)
        return "\n\n".join(parts) + "\n\n---\n" + ending + "\n"

    # what goes first when the body is too long: the full traceback, the threads' details, the diff
    for choice in ((True, True, False), (False, True, False), (False, True, True), (False, False, True)):
        body = public(assemble(*choice))
        if len(body) <= MAX_BODY and len(new_issue_url(title, body)) <= MAX_URL:
            break
    if diff_part and not choice[1]:
        fix += " The diff is in the pull request."
        body = public(assemble(*choice))
    return Post(title, body)


def _first_line(text: str, limit: int = 160) -> str:
    return _clip(text.strip().splitlines()[0] if text.strip() else text, limit)


def _clip(line: str, limit: int) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def why_not_here(case: CaseEvidence | None) -> str:
    needs = [CONDITIONS[name].shows_where for name in get_case(case).requires] if case else []
    return f"it shows only where {' and '.join(needs)}" if needs else "the call did not fail here"


def tested(section: BugSection, environment: EnvironmentFacts) -> str:
    """The PR's claim about the issue's reproducer: only what ran here, before and after the change."""
    rows = [row for c in section.cases for row in c.verify if row.strategy == "source"]
    one = len(section.cases) == 1
    scripts = "The reproducer from the issue" if one else f"The {len(section.cases)} reproducers (one per input named)"
    if not rows:
        return f"- {scripts}: not re-run with this change."
    if not any(row.before is Outcome.REPRODUCED for row in rows):
        why = why_not_here(shown_case(section))
        verb = "does" if one else "do"
        return f"- {scripts}: {verb} not show the bug on this machine: {why}. Not a test of this change here."
    fixed = all(row.after is not Outcome.REPRODUCED for row in rows)
    fail, work = ("fails", "works") if one else ("fail", "work")
    return f"- {scripts}, {ran_on(environment)}: {fail} before this change, " + (
        f"{work} after it." if fixed else f"still {fail} after it."
    )


def what_fails(bug: Bug, actual: str | None) -> str:
    """One sentence: the call, the exception it raises here (if it did), and why."""
    raised = f" with `{_kind(actual)}`" if actual else ""
    return f"{sentence(bug.trigger).removesuffix('.')} fails{raised}: {bug.root_cause}."


def _kind(exception: str) -> str:
    """ "HFValidationError: Repo id must..." -> "HFValidationError"."""
    return exception.split(":", 1)[0].strip()


# -- the pull request -----------------------------------------------------------------------------------


def pull_request(section: BugSection, data: ReportData, issue_number: int | None = None, ruff: str | None = None) -> Post:
    """Motivation / Changes / Testing, in upstream's style; the commits carry the diff."""
    bug = get_bug(section.id)
    case = shown_case(section)
    actual = exception_line(case)
    path = section.upstream_location.split(":")[0]
    link = f"Fixes #{issue_number}" if issue_number else None
    related = ", ".join(f"#{t.number} ({t.state})" for t in bug.threads)
    motivation = what_fails(bug, actual)
    changes = [
        f"- `{path}`: {sentence(bug.fix)}",
        f"- Behaviour: {sentence(bug.changes)}",
    ]
    if bug.after:
        changes.append(f"- Builds on the fix for: {', '.join(get_bug(other).title for other in bug.after)}.")
    testing = [tested(section, data.environment), f"- {ruff}" if ruff else "- ruff: not run."]
    parts = [p for p in (link,) if p]
    parts += ["## Motivation", motivation + (f"\n\nRelated: {related}" if related else "")]
    parts += ["## Changes", "\n".join(changes), "## Testing", "\n".join(testing)]
    body = public("\n\n".join(parts) + "\n")
    return Post(sentence(bug.fix).rstrip("."), body)


# -- the overview ---------------------------------------------------------------------------------------


def order(sections: list[BugSection]) -> list[BugSection]:
    """Upstream's order: bugs an existing thread already covers (comment there), then bugs that fail even when
    the caller passes ``device=``, then changes to defaults the maintainers declined before."""

    def rank(section: BugSection) -> int:
        bug = get_bug(section.id)
        if bug.default_change:
            return 2
        return 0 if any(t.kind == "issue" for t in bug.threads) else 1

    return sorted(sections, key=rank)


def action(section: BugSection) -> str:
    bug = get_bug(section.id)
    issue_threads = [t for t in bug.threads if t.kind == "issue"]
    if issue_threads:
        first = issue_threads[0]
        return f"comment on #{first.number} ({first.state}) with the evidence"
    if bug.default_change:
        return "file last: a default the maintainers declined to change before"
    return "file the issue, then the PR"


SHELL_HELPERS = f"""\
RUN=$PWD  # this folder
file_issue() {{ gh issue create --repo {REPO} --title "$(head -n 1 "$RUN/issues/$1.md")" \\
  --body-file <(tail -n +3 "$RUN/issues/$1.md"); }}
open_pr() {{ id=$1; shift; git switch -c "fix-$id" && git am "$@" && git push -u origin "fix-$id" &&
  gh pr create --repo {REPO} --title "$(head -n 1 "$RUN/prs/$id.md")" --body-file <(tail -n +3 "$RUN/prs/$id.md"); }}"""


def overview(data: ReportData, patches: dict[str, list[str]] | None = None) -> str:
    """The run folder's README: the findings, and for each bug what to do upstream, in order."""
    sections = order(data.bugs)
    rows = ["| bug | fails here | where | next step |", "|---|---|---|---|"]
    for section in sections:
        case = shown_case(section)
        here = f"`{_kind(case.exception or '')}`" if exception_line(case) else "not shown here"
        rows.append(f"| {section.title} | {here} | `{section.upstream_location}` | {action(section)} |")
    steps = []
    for number, section in enumerate(sections, 1):
        applied = " ".join(f'"$RUN"/{name}' for name in (patches or {}).get(section.id, [])) or '"$RUN"/series/*.patch'
        steps.append(f"{number}. `file_issue {section.id}`, then `open_pr {section.id} {applied}`")
    parts = [
        f"# liquid-audio {data.liquid_audio_version or '?'}: {len(sections)} bugs, ready to file",
        f"Checked against the installed code, {ran_on(data.environment)}:",
        environment(data.environment, data.liquid_audio_version),
        "\n".join(rows),
        "## Filing, in this order",
        "One issue (`issues/<id>.md`) and one PR (`prs/<id>.md`) per bug, each file a title line, a blank line "
        "and the body. `series/` holds one commit per bug, then the regression tests and a CI workflow, for "
        "`git am` on a fork at the release; a PR applies its own commit (after the one it builds on). "
        "`reproducers/` holds runnable scripts. In bash: define these in this folder, then run `file_issue` "
        "anywhere and `open_pr` in your fork's checkout of the release:",
        _fence(SHELL_HELPERS, "bash"),
        "\n".join(steps),
    ]
    return public("\n\n".join(parts) + "\n")
