"""``python -m lfmdoctor`` and the ``lfmdoctor`` console script. Ctrl-C while the CLI is still loading (torch,
typer: up to seconds) is one line and exit 130, never a traceback: nothing has been written yet."""

import os
import signal

from lfmdoctor.errors import ExitCode

EARLY_INTERRUPT = b"lfmdoctor: error: interrupted while starting; nothing was written; run the same command again\n"


def _interrupted_early(signum: int, frame: object) -> None:
    os.write(2, EARLY_INTERRUPT)
    os._exit(ExitCode.INTERRUPTED)


def run() -> None:
    signal.signal(signal.SIGINT, _interrupted_early)
    from lfmdoctor.cli import main

    main()  # sets its own SIGINT handler first


if __name__ == "__main__":
    run()
