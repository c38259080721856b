"""Command-line interface: one thin module per command (parse, call the library, render, exit code).

This module builds the typer app from them and holds ``main``, whose guard turns every error lfmdoctor
reports as one line (``lfmdoctor.errors``: its own, the library's, OSError, UnicodeError) into that line
on stderr and exit code 2, never a traceback.
"""

# ruff: noqa: E402 (the warning filters are set before click and typer are imported)
from __future__ import annotations

import os
import signal
import sys
import traceback
import warnings
from typing import Annotated

# PYTHONWARNINGS=error (or -W error) is for the user's code, which exec and the workers run in processes of their
# own; in lfmdoctor's process a library's warning (click deprecating a name typer imports) stays a warning.
warnings.filters[:] = [entry for entry in warnings.filters if entry[0] != "error"]

import click
import typer

from lfmdoctor import render
from lfmdoctor.cli import bench, check, fixture, matrix, patch, report, repro, run, threads, triage, version
from lfmdoctor.cli import exec as exec_command
from lfmdoctor.errors import ExitCode, one_line
from lfmdoctor.files import private_temporaries

app = typer.Typer(
    help="Diagnose, reproduce, patch and report liquid-audio (LFM2.5-Audio) device and input bugs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=version.show_version,
            help="Print lfmdoctor's version and the liquid-audio and torch it sees, and exit.",
        ),
    ] = False,
) -> None:
    """Diagnose, reproduce, patch and report liquid-audio (LFM2.5-Audio) device and input bugs."""


app.command()(check.check)
app.command()(repro.repro)
app.add_typer(fixture.app, name="fixture")
app.command()(matrix.matrix)
app.add_typer(patch.app, name="patch")
app.command("exec", context_settings=exec_command.CONTEXT, options_metavar="[OPTIONS] -- COMMAND [ARGS]...")(
    exec_command.exec_
)
app.command()(bench.bench)
app.add_typer(report.app, name="report")
app.command()(run.run)
app.command()(triage.triage)
app.command()(threads.threads)

BROKEN_PIPE_EXIT = ExitCode.PROBLEMS  # what rich does when stdout's reader has gone, whichever way the output went


def _quiet_broken_pipe() -> None:
    """stdout's reader has gone (`lfmdoctor check | head -1`): leave quietly, as rich does, and keep Python
    from complaining when it flushes stdout at exit."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(BROKEN_PIPE_EXIT)


INTERRUPTED_LINE = (
    "interrupted; nothing half-written was left (lfmdoctor writes each file and folder whole or not at all); "
    "run the same command again"
)


INTERRUPTS: list[int] = []  # the SIGINTs this command got (exec's child gets its own, not these)


def _interrupt(signum: int, frame: object) -> None:
    INTERRUPTS.append(signum)
    raise KeyboardInterrupt


def _run(argv: list[str] | None) -> int:
    """Run the app; click's own outcomes (help, a usage error, Ctrl-C, typer.Exit) become an exit code."""
    try:
        code = app(args=argv, prog_name="lfmdoctor", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        help_text = exc.format_message()  # typer's rich help has been printed already; plain click's has not
        if help_text.strip():
            click.echo(help_text)
        return ExitCode.USAGE
    except click.UsageError as exc:
        hint = f"; see '{exc.ctx.command_path} --help'" if exc.ctx else ""
        render.fail(f"{exc.format_message().rstrip('.')}{hint}")
        return ExitCode.USAGE
    except click.exceptions.Abort:
        render.fail(INTERRUPTED_LINE)
        return ExitCode.INTERRUPTED
    except typer.Exit as exc:
        return exc.exit_code
    if code == ExitCode.INTERRUPTED and INTERRUPTS:  # typer turns Ctrl-C into a silent exit 130
        render.fail(INTERRUPTED_LINE)
    return code if isinstance(code, int) else ExitCode.OK


TERMINATED_EXIT = ExitCode.TERMINATED
DEBUG_ENV = "LFMDOCTOR_DEBUG"  # set to 1: an error reported as one line shows its traceback first


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM: end every process the command started, remove what is being assembled (a run's staging folder,
    the command's temporary folder), say so, and leave. Raising an exception here instead could land inside the
    import machinery and deadlock the process; nothing else needs undoing (the next command removes what a kill
    leaves)."""
    from lfmdoctor.files import remove_temporaries
    from lfmdoctor.processes import end_descendants

    end_descendants()
    remove_temporaries()
    os.write(2, b"lfmdoctor: error: terminated; nothing half-written was left\n")
    os._exit(TERMINATED_EXIT)


def main(argv: list[str] | None = None) -> None:
    """The console script: run the app; an error lfmdoctor knows is one line on stderr, never a traceback."""
    render.prepare_streams()
    try:
        signal.signal(signal.SIGTERM, _terminate)
        signal.signal(signal.SIGINT, _interrupt)
    except (ValueError, OSError):  # not the main thread
        pass
    try:
        with private_temporaries():
            code = _run(argv)
        sys.stdout.flush()  # here, where a closed pipe or a full disk is still caught
    except KeyboardInterrupt:  # between typer's own handling and the exit
        render.fail(INTERRUPTED_LINE)
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        _quiet_broken_pipe()
    except Exception as exc:
        reported = one_line(exc)
        if reported is None:
            raise  # not an error lfmdoctor knows: a bug in lfmdoctor, whose traceback is wanted
        message, code = reported
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            traceback.print_exc()  # what the one line stands for, for whoever debugs it
        render.fail(message)
    sys.exit(code)


if __name__ == "__main__":
    main()
