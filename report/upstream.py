"""What a LiquidAI maintainer receives: per bug an issue and a pull request (or, where an open pull request
already fixes it, a comment offering it the test), and an overview. Pure.

Written the way upstream's own #26 is: short prose, the failing line, the fix. No tool vocabulary (fix
strategies, outcome codes, module paths), no local paths, no footer on each item (one line in the overview).
Each issue body stays under ``MAX_BODY`` characters so that its prefilled new-issue link stays under
``MAX_URL``; the parts that can go go first when a body is too long.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lfmdoctor.bugs import get_bug
from lfmdoctor.bugs._spec import CONDITIONS, RESOURCES, Bug, Thread
from lfmdoctor.prose import sentence
from lfmdoctor.report.compose import REAL_MODEL, BugSection, CaseEvidence, ReportData
from lfmdoctor.report.handoff import MAX_URL, new_issue_url
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
    about_paths = "MODEL_DIR" in names_used(case.setup + "\n" + case.trigger)
    local = "" if about_paths else "  # a local copy: pass Path(folder), not a str"
    body = [f'MODEL = "{model}"{local}', *probes(case)]
    if about_paths:
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
SHAPE = re.compile(r"torch\.Size\(\[[\d, ]*\]\)")  # sizes that come from the tiny checkpoint, not from the model
TEMPORARY = re.compile(r"[^\s'\"`]*/tmp[A-Za-z0-9_]{8}/")  # a case's own temporary folder (a trainer's output_dir)


def public(text: str) -> str:
    """``text`` as it reads with the real model: the tiny checkpoint's folder named as the model's, its sizes elided,
    a case's temporary folder named as the caller's output folder."""
    text = TEMPORARY.sub("/path/to/output_dir/", FIXTURE_PATH.sub("/path/to/LFM2.5-Audio-1.5B", text))
    return SHAPE.sub("torch.Size([...])", text)


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
            f"- the reproducer names {REAL_MODEL}; it ran here on a local checkpoint with random weights in that "
            "model's file layout (no download), which is where the output comes from",
        ]
    )


def ran_on(env: EnvironmentFacts) -> str:
    """What the evidence covers, and what it does not."""
    ran = ["CPU"]
    missing = []
    (ran if env.torch.cuda_available else missing).append("CUDA")
    (ran if env.torch.mps_available else missing).append("MPS")
    return f"run on {', '.join(ran)}" + (f"; not run on {' or '.join(missing)}" if missing else "")


def thread_line(thread: Thread, states: Mapping[int, str]) -> str:
    kind = "PR" if thread.kind == "pr" else "issue"
    return f"#{thread.number} ({kind}, {states.get(thread.number, thread.standing)}): {sentence(thread.relation)}"


def related(bugs: Sequence[Bug], states: Mapping[int, str]) -> str:
    """Each upstream thread the bugs cite, once: its freshest known state and how it bears on them."""
    seen: dict[int, str] = {}
    for bug in bugs:
        for thread in bug.threads:
            seen.setdefault(thread.number, thread_line(thread, states))
    return "\n".join(f"- {line}" for line in seen.values())


def _fence(text: str, lang: str = "") -> str:
    """A fenced block; a diff keeps every line as it is (a blank context line is a space, and git needs it)."""
    ticks = "````" if "```" in text else "```"
    body = text.rstrip("\n") if lang == "diff" else text.rstrip()
    return f"{ticks}{lang}\n{body}\n{ticks}"


def _details(summary: str, body: str) -> str:
    return f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>"


def shown_case(section: BugSection) -> CaseEvidence | None:
    reproduced = [c for c in section.cases if c.outcome is Outcome.REPRODUCED]
    return (reproduced or section.cases or [None])[0]


def exception_line(case: CaseEvidence | None) -> str | None:
    """The exception the case raised here, as it reads with the real model; None when it did not reproduce."""
    return public(case.exception or "") if case and case.outcome is Outcome.REPRODUCED else None


def _first_line(text: str, limit: int = 160) -> str:
    return _clip(text.strip().splitlines()[0] if text.strip() else text, limit)


def _clip(line: str, limit: int) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def why_not_here(case: CaseEvidence | None) -> str:
    needs = [CONDITIONS[name].shows_where for name in get_case(case).requires] if case else []
    return f"it shows only where {' and '.join(needs)}" if needs else "the call did not fail here"


def _kind(exception: str) -> str:
    """ "HFValidationError: Repo id must..." -> "HFValidationError"."""
    return exception.split(":", 1)[0].strip()


def _own_check(case: CaseEvidence) -> bool:
    """The case fails on a check of ours (a wrong result), not on an exception liquid-audio raises."""
    return get_case(case).expect.frame is None


def _call(bug: Bug) -> str:
    """The bug's trigger as the start of a sentence: code in backticks, prose as it is."""
    return f"`{bug.trigger}`" if "(" in bug.trigger and " " not in bug.trigger else sentence(bug.trigger).removesuffix(".")


EMPTY = " (empty message)"


def _as_raised(line: str) -> str:
    """The exception line as Python prints it: a bare ``AssertionError`` has nothing after its name."""
    return line.removesuffix(EMPTY)


def what_fails(section: BugSection) -> str:
    """The call, and the line it fails with here (or where it fails, when it did not run here)."""
    bug = get_bug(section.id)
    case = shown_case(section)
    actual = exception_line(case)
    call = _call(bug)
    if actual and case and _kind(actual).endswith("Warning"):
        line = _fence(_first_line(actual, 300))
        return f"{call} warns:\n\n{line}\n\n(The reproducer turns that warning into an error, to stop where it is raised.)"
    if actual and case and not _own_check(case):
        return f"{call} fails:\n\n{_fence(_as_raised(_first_line(actual, 300)))}"
    if actual and case:
        return f"{call} gives a wrong result: {case.summary}."
    where = why_not_here(case).removeprefix("it shows only where ")
    return f"{call} fails where {where}; that could not be run here. What it raises there: {sentence(bug.symptom)}"


def inputs_table(section: BugSection) -> str:
    """For a bug with several cases: each input and what it does here."""
    if len(section.cases) < 2:
        return ""
    rows = ["| input | what happens |", "|---|---|"]
    for case in section.cases:
        actual = exception_line(case)
        if not actual:
            what = "not run here" if case.outcome is not Outcome.NOT_REPRODUCED else "works"
        elif _own_check(case):
            what = f"no error, yet wrong: expected {case.expected.removesuffix('.')}"
        else:
            what = f"`{_as_raised(_first_line(actual, 90))}`" + (" with no message" if actual.endswith(EMPTY) else "")
        rows.append(f"| {case.summary} | {what} |")
    return "\n".join(rows)


def affected(section: BugSection) -> str | None:
    releases = section.affected_releases
    return f"Releases with this code: {releases}." if releases else None


# -- the issue ------------------------------------------------------------------------------------------


def issue(section: BugSection, data: ReportData, diff: str, also: Sequence[BugSection] = ()) -> Post:
    """One bug's issue (with ``also``: the bugs filed with it, whose fix is the same change)."""
    bug = get_bug(section.id)
    case = shown_case(section)
    title = bug.issue_title or bug.title
    script = reproducer(case) if case else None
    tb = traceback_for(case, script) if case and script else None
    cause = f"Cause (`{section.upstream_location}`): {sentence(bug.root_cause)}"
    required = [what_fails(section), cause]
    for other in also:
        other_bug = get_bug(other.id)
        line = exception_line(shown_case(other))
        seen = f" and fails the same way{f' (`{_first_line(line, 120)}`)' if line else ''}" if line else ""
        required.append(f"`{other_bug.trigger}` has the same default (`{other.upstream_location}`){seen}.")
    if bug.affects:
        required.append(bug.affects)
    table = inputs_table(section)
    if table:
        required.append(table)
    if script:
        required.append("Reproducer:\n\n" + _fence(script.text, "python"))
    optional_tb = _details("Traceback (from the run described below)", _fence(tb, "pytb")) if tb else ""
    fix = f"Suggested fix: {sentence(bug.fix)}"
    diff_part = _fence(diff, "diff") if diff else ""
    tail = [f"Workaround until then: {sentence(bug.workaround)}"]
    if bug.differs:
        tail.append(f"{sentence(bug.position)} {bug.differs}" if bug.position else bug.differs)
    releases = affected(section)
    if releases:
        tail.append(releases)
    facts = environment(data.environment, data.liquid_audio_version)
    env = _details("Environment", f"{sentence(ran_on(data.environment))}\n\n{facts}")

    def assemble(with_tb: bool, with_diff: bool, with_threads: bool) -> str:
        parts = list(required)
        if with_tb and optional_tb:
            parts.append(optional_tb)
        if diff_part and with_diff:
            parts.append(f"{fix}\n\n{diff_part}")
        else:
            parts.append(fix + (" The diff is in the pull request." if diff_part else ""))
        parts += tail
        threads = related([bug, *(get_bug(other.id) for other in also)], data.threads)
        if threads and with_threads:
            parts.append("Related:\n\n" + threads)
        elif threads:
            parts.append("Related: " + ", ".join(f"#{t.number}" for t in bug.threads))
        parts.append(env)
        return "\n\n".join(parts) + "\n"

    # what goes first when the body is too long: the traceback, the threads' details, the diff
    for choice in ((True, True, True), (False, True, True), (False, True, False), (False, False, False)):
        body = public(assemble(*choice))
        if len(body) <= MAX_BODY and len(new_issue_url(title, body)) <= MAX_URL:
            break
    return Post(title, body)


# -- a comment on the open pull request that already fixes the bug ----------------------------------------


def fixing_thread(bug: Bug) -> Thread | None:
    """The open pull request whose merge fixes the bug, where there is one."""
    return next((t for t in bug.threads if t.fixes and t.state == "open"), None)


def comment(section: BugSection, data: ReportData, test_path: str, test: str) -> str:
    """What to post on the open PR that fixes the bug: the failure, and a test for it, claiming only what ran."""
    bug = get_bug(section.id)
    case = shown_case(section)
    actual = exception_line(case)
    if actual:
        version = data.liquid_audio_version or "?"
        failure = f"{_call(bug)} fails on liquid-audio {version} (`{section.upstream_location}`):"
        failure += "\n\n" + _fence(_as_raised(_first_line(actual, 300)))
    else:
        where = why_not_here(case).removeprefix("it shows only where ")
        failure = f"{_call(bug)} fails where {where} (`{section.upstream_location}`); that could not be run here."
    return (
        "\n\n".join(
            [
                "This PR also fixes a bug that is still in the latest release. " + failure,
                *([bug.differs] if bug.differs else []),
                f"In case it is useful, a regression test for it (`{test_path}`). It uses the `tiny_checkpoint` fixture "
                "of the test-harness PR, which builds a small random checkpoint: no weights, no GPU.",
                _fence(test, "python"),
                tested(section, data.environment, "The failing call above")
                .removeprefix("- ")
                .replace("this change", f"the change ({bug.fix.removesuffix('.')})")
                + " Not run against this PR's branch.",
            ]
        )
        + "\n"
    )


# -- the pull request -----------------------------------------------------------------------------------


def tested(section: BugSection, environment: EnvironmentFacts, scripts: str = "") -> str:
    """The PR's claim about the issue's reproducer: only what ran here, before and after the change."""
    rows = [row for c in section.cases for row in c.verify if row.strategy == "source"]
    one = len(section.cases) == 1
    scripts = scripts or (
        "The reproducer from the issue" if one else f"The {len(section.cases)} reproducers (one per input named)"
    )
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


def pull_request(
    section: BugSection,
    data: ReportData,
    issue_number: int | None = None,
    ruff: str | None = None,
    also: Sequence[BugSection] = (),
    subject: str = "",
    tests: Sequence[str] = (),
) -> Post:
    """What changes and how it was tested, in upstream's style; ``Fixes #N`` where the issue is known."""
    from lfmdoctor.patches.series import subject as commit_subject

    bug = get_bug(section.id)
    bugs = [bug, *(get_bug(other.id) for other in also)]
    changes = [f"- `{s.upstream_location.split(':')[0]}`: {sentence(get_bug(s.id).changes)}" for s in (section, *also)]
    testing = [tested(s, data.environment, f"`{get_bug(s.id).trigger}`" if also else "") for s in (section, *also)]
    if tests:
        listed = ", ".join(f"`{t}`" for t in tests)
        testing.append(f"- Adds {listed}, which use the `tiny_checkpoint` fixture of the test-harness PR.")
    testing.append(f"- {ruff}" if ruff else "- ruff: not run.")
    parts = [f"Fixes #{issue_number}"] if issue_number else []
    parts.append(f"{sentence(bug.title).removesuffix('.')} (`{section.upstream_location}`).")
    if bug.differs:
        parts.append(bug.differs)
    parts += ["Changes:\n\n" + "\n".join(changes), "Testing:\n\n" + "\n".join(testing)]
    threads = sorted({t.number for b in bugs for t in b.threads})
    if threads:
        parts.append("Related: " + ", ".join(f"#{n}" for n in threads))
    return Post(subject or commit_subject(bug), public("\n\n".join(parts) + "\n"))


def harness_pull_request(data: ReportData, subject: str, files: Sequence[str]) -> Post:
    """The first pull request: the CPU test harness every fix's test uses."""
    body = "\n\n".join(
        [
            f"Adds {', '.join(f'`{f}`' for f in files)}: a `tiny_checkpoint` pytest fixture that builds a small, "
            "randomly initialised checkpoint with the file layout of LFM2.5-Audio-1.5B in a temporary folder. "
            "Tests that use it download no weights, need no GPU and run in seconds on a CPU.",
            "The repository has no tests yet; the fix PRs that follow each add one test file that uses this "
            "fixture. Run them with `uv run --frozen --with pytest pytest tests`.",
        ]
    )
    return Post(subject, body + "\n")


# -- the overview ---------------------------------------------------------------------------------------


def overview(data: ReportData, items: Sequence[object] = ()) -> str:
    """The run folder's README: upstream's failing quick-start first, what fails, and what to file, in order."""
    from lfmdoctor.report.plan import describe

    sections = {section.id: section for section in data.bugs}
    rows = ["| bug | fails here | where |", "|---|---|---|"]
    for item in items:
        for bug_id in getattr(item, "bugs", ()):
            section = sections[bug_id]
            case = shown_case(section)
            here = f"`{_kind(case.exception or '')}`" if exception_line(case) else "not shown here"
            rows.append(f"| {section.title} | {here} | `{section.upstream_location}` |")
    parts = [f"# liquid-audio {data.liquid_audio_version or '?'}: {len(data.bugs)} bugs to report upstream"]
    if data.quickstart:
        where, _, line = data.quickstart.partition(": ")
        parts.append(f"Upstream's own quick-start fails on every machine without CUDA: `{where}` (`{line}`) passes no device.")
    parts += [
        f"Checked against the installed code, {ran_on(data.environment)}:",
        environment(data.environment, data.liquid_audio_version),
        "\n".join(rows),
        "## Filing, in this order",
        "`lfmdoctor report file RUN_FOLDER` prints the plan. Run it in a checkout of your fork of "
        "Liquid4All/liquid-audio, at the base branch, with `--yes`: it files the next three items with `gh`, "
        "records them in `filed.json` here and says what is left; run it again for the next ones.",
        "\n".join(f"{number}. {describe(item)}" for number, item in enumerate(items, 1)),
        f"Each file is a title line, a blank line and the body. Written by lfmdoctor {data.tool_version}, "
        "claiming only what ran here.",
    ]
    return public("\n\n".join(parts) + "\n")
