"""How the ASR child process meets the liquid-audio bugs: the ``--strategy`` hook.

- ``none``: the child runs the user's code from the seed report as written: ``from_pretrained`` without
  ``device=`` (liquid-audio's defaults: cuda, bfloat16) and numpy 1-D audio to ``ChatState.add_audio``.
  On a machine with the bugs the run stops, and the report names the bug.
- ``callsite``: the child runs the same steps through ``lfmdoctor.patches.callsite`` (explicit device,
  eval mode, ``to_chat_audio``). Nothing of liquid-audio is changed.
- ``runtime`` / ``source``: the child runs the user's code (as ``none``) in an environment where
  liquid-audio is patched. That environment comes from ``lfmdoctor.patches``, which provides it by
  defining::

      def strategy_environment(strategy: str, python: str) -> Mapping[str, str]:
          '''Extra environment variables for the ASR child run by interpreter ``python``.
          A ``PYTHONPATH`` value is prepended to the inherited PYTHONPATH. Raise LookupError
          when ``strategy`` is not one it can provide.'''

  Until it does, those strategies are reported as not available (exit 2).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

STRATEGIES = ("none", "callsite", "runtime", "source")
PATCHED = ("runtime", "source")
HOOK = "strategy_environment"


class StrategyUnavailable(Exception):
    """The strategy cannot run here (one line, for exit code 2)."""


@dataclass(frozen=True)
class ChildSetup:
    strategy: str
    mode: str  # "user": the seed's calls; "callsite": through lfmdoctor.patches.callsite
    env: dict[str, str] = field(default_factory=dict)  # extra variables; PYTHONPATH is prepended
    callsite_file: str | None = None

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The child's full environment: ``base`` (default os.environ) with ``env`` applied."""
        merged = dict(os.environ if base is None else base)
        for key, value in self.env.items():
            if key == "PYTHONPATH" and merged.get("PYTHONPATH"):
                merged[key] = os.pathsep.join([value, merged["PYTHONPATH"]])
            else:
                merged[key] = value
        return merged


def child_setup(strategy: str, python: str) -> ChildSetup:
    if strategy not in STRATEGIES:
        raise StrategyUnavailable(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if strategy == "none":
        return ChildSetup(strategy, "user")
    if strategy == "callsite":
        from lfmdoctor.patches import callsite

        return ChildSetup(strategy, "callsite", callsite_file=str(Path(callsite.__file__).resolve()))
    patches = importlib.import_module("lfmdoctor.patches")
    provider = getattr(patches, HOOK, None)
    if provider is None:
        raise StrategyUnavailable(f"strategy {strategy} is not available yet; use --strategy callsite or none")
    try:
        env = provider(strategy, python)
    except LookupError as exc:
        raise StrategyUnavailable(f"strategy {strategy} is not available: {exc}") from None
    return ChildSetup(strategy, "user", env={str(k): str(v) for k, v in dict(env).items()})
