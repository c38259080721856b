"""Render ReportData as a GitHub issue body or a pull-request body in upstream's style. Pure."""

from __future__ import annotations

import json

from lfmdoctor.report.compose import BugSection, CaseEvidence, ReportData
from lfmdoctor.results import EnvironmentFacts


def _sentence(text: str) -> str:
    """Capitalise prose, never code: 'add_audio accepts' stays as it is."""
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower():
        text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _fence(text: str, lang: str = "") -> str:
    ticks = "````" if "```" in text else "```"
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


def _details(summary: str, body: str) -> str:
    return f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>"


def _cuda(env: EnvironmentFacts) -> str:
    torch = env.torch
    if torch.cuda_available:
        return "available: " + (", ".join(torch.cuda_devices) or "yes")
    return f"unavailable ({torch.cuda_unavailable_reason or 'unknown reason'})"


def environment_table(env: EnvironmentFacts, dump: bool = True) -> str:
    pkg = env.packages
    rows = [
        ("liquid-audio", pkg.get("liquid-audio") or "not installed"),
        ("OS", f"{env.os} ({env.arch})"),
        ("Python", env.python),
        (
            "torch",
            f"{env.torch.version} ({env.torch.flavour})"
            if env.torch.version
            else f"does not import: {env.torch.import_error}",
        ),
        ("CUDA", _cuda(env)),
        ("MPS", f"built: {env.torch.mps_built}, available: {env.torch.mps_available}"),
        ("torchaudio", f"{env.torchaudio.version} ({'imports' if env.torchaudio.imports else 'does not import'})"),
        ("transformers / accelerate", f"{pkg.get('transformers')} / {pkg.get('accelerate')}"),
        ("safetensors / huggingface-hub", f"{pkg.get('safetensors')} / {pkg.get('huggingface-hub')}"),
        ("flash_attn", "installed" if env.flash_attn else "not installed"),
    ]
    table = "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    if not dump:
        return table
    full = _fence(json.dumps(env.to_json(), indent=2), "json")
    return table + "\n\n" + _details("Full environment (<code>lfmdoctor check --json</code>)", full)


def _evidence_table(bug: BugSection) -> str:
    strategies = sorted({row.strategy for case in bug.cases for row in case.verify})
    if not strategies:
        return ""
    rows = []
    for case in bug.cases:
        after = {row.strategy: row.after for row in case.verify}
        before = case.verify[0].before if case.verify else case.outcome
        rows.append(f"| `{case.id}` | {before} | " + " | ".join(after.get(s, "–") for s in strategies) + " |")
    head = "| case | without a fix | " + " | ".join(f"with the {s} fix" for s in strategies) + " |"
    return (
        "Every reproduction re-run with each fix active (`lfmdoctor patch verify`):\n\n"
        + head
        + "\n|---|---|"
        + "---|" * len(strategies)
        + "\n"
        + "\n".join(rows)
    )


def _bench_lines(data: ReportData) -> str:
    before, after = data.bench_before, data.bench_after
    if not (before or after):
        return ""
    lines = []
    if before and before.get("failure"):
        failure = before["failure"]
        lines.append(
            f"- ASR as the seed report wrote it (`lfmdoctor bench --strategy none`): stopped by "
            f"`{failure.get('bug_id') or 'an unknown error'}` ({failure['error_type']} at "
            f"{failure.get('where') or 'unknown'})"
        )
    if after and after.get("summary"):
        s = after["summary"]
        fig = []
        for key, label in (
            ("rtf", "RTF"),
            ("rtfx", "RTFx"),
            ("latency_s", "latency s"),
            ("first_token_s", "first token s"),
            ("tokens_per_s", "tokens/s"),
            ("peak_mem_mb", "peak RSS MB"),
        ):
            if s.get(key) is not None:
                fig.append(f"{label} {s[key]:.3g}")
        lines.append(
            f"- Same inputs with the call-site fix (`--strategy {s.get('strategy', 'callsite')}`): runs; "
            f"{', '.join(fig)} on {s.get('device')} / {s.get('dtype')} "
            f"({s.get('clips')} clips, {s.get('audio_s', 0):.1f} s of audio)"
        )
        if data.model == "fixture":
            lines.append(
                "- WER/CER are not meaningful here: the run used lfmdoctor's randomly initialised tiny "
                "checkpoint (the real weights were not available on this machine)."
            )
    return "\n".join(lines)


def _case_block(case: CaseEvidence, level: str, compact: bool = False) -> str:
    parts = [f"{level} Reproducer: {case.summary}"]
    if compact:
        name = "repro_" + case.id.replace(":", "_").replace("-", "_") + ".py"
        parts.append(f"`{name}`, written by `lfmdoctor run` beside this report (left out here for length).")
    else:
        parts += [
            "Self-contained; run it with the real model (`python repro.py`, or pass a local folder). "
            "Verified here on a 5 MB random checkpoint with the LFM2.5-Audio-1.5B layout, built by lfmdoctor.",
            _fence(case.script, "python"),
        ]
    if case.traceback:
        parts += [f"{level} Actual", _fence(case.traceback, "pytb")]
    elif case.exception:
        parts += [f"{level} Actual", _fence(case.exception)]
    parts += [f"{level} Expected", _sentence(case.expected)]
    return "\n\n".join(parts)


def bug_body(bug: BugSection, data: ReportData, level: str = "###", environment: str = "", compact: bool = False) -> str:
    reproduced = [c for c in bug.cases if c.outcome == "reproduced"]
    shown = reproduced[:1] or bug.cases[:1]
    others = [c for c in reproduced[1:]]
    where = bug.evidence.rsplit("/liquid_audio/", 1)[-1] if bug.evidence else None
    parts = [
        f"{level} Summary",
        f"{bug.trigger} fails: {bug.symptom}.",
    ]
    if shown and shown[0].exception and shown[0].outcome == "reproduced":
        seen = f"Reproduced here with the real liquid-audio code: `{shown[0].exception}`"
        parts[-1] += "\n\n" + seen + (f" at `{shown[0].where}`." if shown[0].where else ".")
    if environment:
        parts += [f"{level} Environment", environment]
    for case in shown:
        parts.append(_case_block(case, level, compact))
    if others:
        listing = "\n".join(f"- `{c.id}` ({c.summary}): `{c.exception}`" for c in others)
        parts.append(f"Other inputs that fail the same way:\n\n{listing}")
    parts += [
        f"{level} Root cause",
        f"`{bug.upstream_location}`" + (f" (installed: `liquid_audio/{where}`)" if where else "") + f": {bug.root_cause}.",
    ]
    if bug.affected_releases:
        parts += [f"{level} Affected releases", bug.affected_releases]
    parts += [f"{level} Suggested fix", _sentence(bug.fix)]
    if bug.diff:
        parts.append(_fence(bug.diff, "diff"))
    parts += [f"{level} Workaround until a release has the fix", _sentence(bug.workaround)]
    evidence = "\n\n".join(x for x in (_evidence_table(bug), _bench_lines(data)) if x)
    if evidence:
        parts += [f"{level} Evidence", evidence]
    if bug.upstream_refs:
        parts.append("Related: " + ", ".join(bug.upstream_refs))
    return "\n\n".join(parts)


def issue_title(data: ReportData) -> str:
    version = data.liquid_audio_version or "?"
    if len(data.bugs) == 1:
        return f"{data.bugs[0].title} (liquid-audio {version})"
    return f"liquid-audio {version}: {len(data.bugs)} bugs in {_files(data)}"


def _files(data: ReportData) -> str:
    """The upstream files the bugs are in, in report order: the titles name no bug set of their own."""
    return ", ".join(dict.fromkeys(bug.upstream_location.split(":")[0].removeprefix("src/liquid_audio/") for bug in data.bugs))


def _footer(data: ReportData) -> str:
    return (
        f"<sub>Generated by lfmdoctor {data.tool_version} (`lfmdoctor report`): environment from "
        "`lfmdoctor check`, reproductions run in isolated processes against the installed liquid-audio.</sub>"
    )


def issue_body(data: ReportData, compact: bool = False) -> str:
    """``compact`` leaves out the reproducer scripts and the full environment dump (for very long reports)."""
    if len(data.bugs) == 1:
        body = bug_body(data.bugs[0], data, environment=environment_table(data.environment))
        return body + "\n\n---\n" + _footer(data) + "\n"
    overview = ["| bug | what happens | where | here |", "|---|---|---|---|"]
    for bug in data.bugs:
        state = "reproduced" if bug.reproduced else ("present in code" if bug.present else "not reproduced")
        overview.append(f"| `{bug.id}` | {bug.title} | `{bug.upstream_location}` | {state} |")
    parts = [
        "### Summary",
        f"On machines without CUDA (CPU-only Linux, Apple Silicon) liquid-audio {data.liquid_audio_version} "
        "fails in several places; each is reproduced below with a minimal script and a suggested fix.",
        "\n".join(overview),
        "### Environment",
        environment_table(data.environment, dump=not compact),
    ]
    for bug in data.bugs:
        parts += [f"## `{bug.id}`: {bug.title}", bug_body(bug, data, level="####", compact=compact)]
    return "\n\n".join(parts) + "\n\n---\n" + _footer(data) + "\n"


def pr_title(data: ReportData) -> str:
    if len(data.bugs) == 1:
        return f"Fix {data.bugs[0].id}: {data.bugs[0].fix}"
    return f"Fix {len(data.bugs)} bugs in {_files(data)}"


def pr_body(data: ReportData) -> str:
    motivation = "\n".join(f"- **{b.id}**: {b.trigger} fails: {b.symptom.split(';')[0]}." for b in data.bugs)
    changes = "\n".join(f"- `{b.upstream_location.split(':')[0]}`: {b.fix}." for b in data.bugs)
    rows = []
    for bug in data.bugs:
        for case in bug.cases:
            for row in case.verify:
                if row.strategy == "source":
                    rows.append(f"| `{case.id}` | {row.before} | {row.after} |")
    testing = [
        f"- {data.ruff}" if data.ruff else "- ruff: not run",
        "- Each bug's reproducer, before → after this change, on CPU (`lfmdoctor patch verify --strategy source`):",
    ]
    if rows:
        testing.append("\n| case | before | after |\n|---|---|---|\n" + "\n".join(rows) + "\n")
    testing.append(
        "- CUDA behaviour is unchanged by construction: `device=None` resolves to `cuda` first whenever "
        "`torch.cuda.is_available()`, the code path CUDA users run today"
        + (
            " (checked on " + ", ".join(data.environment.torch.cuda_devices) + ")."
            if data.environment.torch.cuda_available
            else "; not re-run on a GPU for this PR."
        )
    )
    parts = [
        "Fixes #<issue>",
        "## Motivation",
        "Each of these calls fails today:\n\n" + motivation,
        "## Changes",
        changes,
        "## Testing",
        "\n".join(testing),
        "### Environment",
        environment_table(data.environment),
    ]
    if data.full_diff:
        parts.append(_details(f"Full diff ({data.patch_name or 'patch'})", _fence(data.full_diff, "diff")))
    return "\n\n".join(parts) + "\n\n---\n" + _footer(data) + "\n"
