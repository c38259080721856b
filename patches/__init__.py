"""lfmdoctor.patches: three ways around the liquid-audio bugs.

- call site (change your code): ``load_processor``, ``load_model``, and the helpers each bug module
  declares in ``Callsite.helpers`` (``to_chat_audio``, ``drop_end_of_audio``, ...), exported here by name;
- runtime (change nothing): ``apply()``, ``revert()``, ``with patched(): ...``, or
  ``lfmdoctor exec -- python your_script.py``;
- source (fix the installed files): ``lfmdoctor patch apply`` with the diffs stored here.
"""

from lfmdoctor.bugs import callsite_helpers
from lfmdoctor.patches.bootstrap import strategy_environment
from lfmdoctor.patches.callsite import load_model, load_processor
from lfmdoctor.patches.runtime import RuntimePatchWarning, apply, patched, revert

_HELPERS = callsite_helpers()
globals().update(_HELPERS)

__all__ = [
    "RuntimePatchWarning",
    "apply",
    "load_model",
    "load_processor",
    "patched",
    "revert",
    "strategy_environment",
    *sorted(_HELPERS),
]
