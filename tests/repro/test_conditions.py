"""Machine conditions the reasons of a case stand on (issue 21 item 19)."""

from __future__ import annotations

from lfmdoctor.bugs import get_bug
from lfmdoctor.bugs._spec import CONDITIONS
from lfmdoctor.repro.classify import classify
from lfmdoctor.results import Outcome

PAST = "past-key-values"


def test_past_key_values_on_a_transformers_without_the_deprecation_says_so():
    """transformers 4.57 runs the case without a warning: the code is unchanged, transformers does not warn."""
    [case] = get_bug(PAST).cases
    condition = CONDITIONS["deprecates_past_key_values"]
    assert condition.name in case.requires
    older = eval(condition.holds, {"version_below": lambda distribution, bound: distribution == "transformers"})
    assert older is False  # 4.57 is below 5.24
    record = {"status": "unmet", "unmet": [condition.name], "duration_s": 0.1}
    result = classify(case, record, {})
    assert result.outcome is Outcome.NOT_REPRODUCED
    assert "handles it" not in result.reason
    assert result.reason.startswith("this transformers (before 5.24) does not deprecate `past_key_values`")
