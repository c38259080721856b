"""How the ASR child process meets the liquid-audio bugs: the ``--strategy`` hook.

- ``none``: the child runs liquid-audio's documented usage, unpatched: ``from_pretrained`` without
  ``device=`` (liquid-audio's defaults: cuda, bfloat16) and numpy 1-D audio to ``ChatState.add_audio``.
  On a machine with the bugs the run stops, and the report names the bug.
- ``callsite``: the child runs the same steps through ``lfmdoctor.patches.callsite`` (explicit device,
  eval mode, ``to_chat_audio``). Nothing of liquid-audio is changed.
- ``runtime`` / ``source``: the child runs the user's code (as ``none``) in an environment where
  liquid-audio is patched, from ``lfmdoctor.patches.bootstrap.strategy_environment`` (a ``PYTHONPATH``
  entry that goes before the inherited one); where it cannot be provided, the strategy is unavailable
  (exit 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.patches.verify import STRATEGIES as FIXES
from lfmdoctor.pythonpath import prepend

STRATEGIES = ("none", *FIXES)


class StrategyUnavailable(LfmdoctorError):
    """The strategy cannot run here (one line, for exit code 2)."""


@dataclass(frozen=True)
class ChildSetup:
    strategy: str
    mode: str  # "user": the documented calls, unpatched; "callsite": through lfmdoctor.patches.callsite
    env: dict[str, str] = field(default_factory=dict)  # extra variables; PYTHONPATH is prepended
    callsite_file: str | None = None

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The child's full environment: ``base`` (default os.environ) with ``env`` applied."""
        extra = dict(self.env)
        path = extra.pop("PYTHONPATH", "")
        merged = prepend([path], base)
        merged.update(extra)
        return merged


def child_setup(strategy: str, python: str) -> ChildSetup:
    if strategy not in STRATEGIES:
        raise StrategyUnavailable(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if strategy == "none":
        return ChildSetup(strategy, "user")
    from lfmdoctor.patches import bootstrap

    if strategy == "callsite":
        return ChildSetup(strategy, "callsite", callsite_file=str(bootstrap.CALLSITE_FILE))
    try:
        env = bootstrap.strategy_environment(strategy, python)
    except LookupError as exc:
        raise StrategyUnavailable(f"strategy {strategy} is not available: {exc}") from None
    return ChildSetup(strategy, "user", env={str(k): str(v) for k, v in dict(env).items()})
