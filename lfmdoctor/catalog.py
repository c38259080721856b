"""Where the bug catalogue used to live; it is now ``lfmdoctor.bugs``, one module per bug."""

from lfmdoctor.bugs import BUG_IDS, BUGS, get_bug
from lfmdoctor.bugs._spec import Bug

__all__ = ["BUGS", "BUG_IDS", "Bug", "get_bug"]
