"""``lfmdoctor report``: the GitHub issue or PR body for liquid-audio's maintainers, with the evidence; and
``lfmdoctor report file RUN``: file a run folder upstream, a few items at a time (dry run unless ``--yes``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import click
import typer

from lfmdoctor import render
from lfmdoctor.cli._common import (
    ModelOpt,
    PythonOpt,
    ReplaceOpt,
    check_bug_ids,
    check_output,
    resolve_python,
    write_outputs,
)
from lfmdoctor.errors import UsageError

app = typer.Typer(invoke_without_command=True)


@app.callback()
def report(
    ctx: typer.Context,
    format_: Annotated[
        str, typer.Option("--format", click_type=click.Choice(["issue", "pr", "json"]), help="What to write.")
    ] = "issue",
    bug: Annotated[
        list[str] | None, typer.Option("--bug", help="That bug's issue (or PR); repeat. Default: the overview.")
    ] = None,
    issue: Annotated[
        int | None, typer.Option("--issue", min=1, help="The upstream issue the PR fixes (writes 'Fixes #N').")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write here instead of standard output (an issue or PR also to OUT.body.md).")
    ] = None,
    force: ReplaceOpt = False,
    no_redact: Annotated[bool, typer.Option("--no-redact", help="Keep paths, names and secrets as they are.")] = False,
    model: ModelOpt = "fixture",
    verify: Annotated[bool, typer.Option(help="Re-run the reproductions with each fix for the evidence.")] = True,
    python: PythonOpt = None,
) -> None:
    """Write what goes to liquid-audio's maintainers: one bug's issue, the overview of all, the PR, or the facts as JSON.

    'report file RUN' files a run folder upstream (see 'lfmdoctor report file --help')."""
    if ctx.invoked_subcommand:
        return
    from lfmdoctor.job import investigate
    from lfmdoctor.report.document import render_document
    from lfmdoctor.report.handoff import handoff
    from lfmdoctor.report.redact import Context
    from lfmdoctor.repro.models import private_folders

    check_bug_ids(bug)
    if out is not None and out.is_dir():
        raise UsageError(f"--out {out} is a folder; pass a file name such as {out / 'issue.md'}")
    if out is not None:
        check_output(out, force=force, also=() if format_ == "json" else (body_path(out),))
    target = resolve_python(python)
    err = render.console(stderr=True)
    data = investigate(target, model, bug_ids=bug, verify=verify, progress=render.StepNames(err)).report
    if not data.bugs:
        err.print("nothing to report: no known liquid-audio bug is present or reproduces here")
        return
    context = None if no_redact else Context.from_machine(private_folders(model))
    document = render_document(data, format_, context, issue_number=issue)
    body_file = None
    if out is not None:
        files = {out: document.text}
        if format_ != "json":
            body_file = body_path(out)
            files[body_file] = document.body
        write_outputs(files)
        err.print(f"wrote {out}")
    else:
        sys.stdout.write(document.text)
    if document.redacted is not None:
        err.print(f"redacted {document.redacted} item(s); --no-redact keeps them")
    if format_ == "issue" and len(data.bugs) == 1:
        err.print(handoff(document.title, document.body, str(body_file) if body_file else None), soft_wrap=True)
    if format_ != "json":
        err.print("check the text before posting it")


def body_path(out: Path) -> Path:
    """Where an issue or PR written to ``out`` keeps its body alone (for gh's --body-file)."""
    return out.with_suffix(".body.md")


@app.command("file")
def file_(
    run: Annotated[Path, typer.Argument(help="The folder 'lfmdoctor run --out' wrote.")],
    yes: Annotated[bool, typer.Option("--yes", help="File for real; without it, print the plan only.")] = False,
    checkout: Annotated[Path, typer.Option(help="Your fork's checkout, at the base branch.")] = Path("."),
    remote: Annotated[str, typer.Option(help="The git remote of your fork in that checkout.")] = "origin",
    fork_owner: Annotated[str | None, typer.Option(help="Your fork's owner (default: read from the remote).")] = None,
    base: Annotated[str, typer.Option(help="Upstream's base branch.")] = "main",
    repo: Annotated[str, typer.Option(help="Upstream's repository.")] = "Liquid4All/liquid-audio",
    batch: Annotated[int, typer.Option(min=1, help="How many items to file in this call.")] = 3,
) -> None:
    """File the run folder's issues, PRs and comments upstream in order, a few at a time, recorded in filed.json."""
    from lfmdoctor.report.filing import Filing, environment_ok, file_next

    out = render.console()
    filing = Filing(run.resolve(), checkout.resolve(), repo, base, remote, fork_owner, batch)
    if yes:
        environment_ok(filing.checkout)
    steps, left = file_next(filing, dry_run=not yes)
    if not steps:
        out.print(f"nothing left to file: every item of {run} is in {run / 'filed.json'}")
        return
    for number, step in enumerate(steps, 1):
        done = ", ".join(f"{key} {value}" for key, value in step.done.items() if key != "done")
        out.print(f"{number}. {step.key}: {step.what}" + (f" → {done}" if done else ""), soft_wrap=True)
    verb = "filed" if yes else "would file (add --yes to file them)"
    out.print(f"{verb} {len(steps)}; {left} left" + ("; run this again for the next ones" if left else ""))
