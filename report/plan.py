"""What to file upstream, in order, as data (pure): the run folder's ``plan.json`` and its README's steps.

First the pull request that adds the CPU test harness; then, per bug group in upstream's filing order
(``lfmdoctor.bugs.filing_groups``), either a comment on the open pull request that already fixes it (offering
the test) or an issue and a pull request that applies the group's one commit on the base branch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lfmdoctor.bugs import filing_groups, get_bug
from lfmdoctor.results import JsonMixin

HARNESS = "harness"
PLAN_FILE = "plan.json"


@dataclass
class Item(JsonMixin):
    """One thing to file: ``kind`` is "pr" (the harness), "issue+pr" or "comment"."""

    key: str  # the lead bug's id, or HARNESS
    kind: str
    title: str  # the issue's title (the PR's for the harness; the thread's number for a comment)
    bugs: list[str] = field(default_factory=list)
    issue: str | None = None  # run-folder file with the issue (title line, blank line, body)
    pr: str | None = None  # run-folder file with the PR (title line, blank line, body)
    patch: str | None = None  # run-folder patch file the PR applies: one commit
    branch: str | None = None
    thread: int | None = None  # the open PR to comment on
    comment: str | None = None  # run-folder file with the comment body


def branch_for(key: str) -> str:
    return "test-harness" if key == HARNESS else f"fix-{key}"


def plan(bug_ids: Sequence[str], patches: Mapping[str, str], titles: Mapping[str, str]) -> list[Item]:
    """The items for the bugs reported (``bug_ids``), given their patch files and issue titles by lead id."""
    from lfmdoctor.report.upstream import fixing_thread

    items: list[Item] = []
    chosen = [get_bug(bug_id) for bug_id in bug_ids]
    for group in filing_groups(chosen):
        lead = group[0]
        thread = fixing_thread(lead)
        if thread is not None:
            items += [
                Item(bug.id, "comment", f"#{thread.number}", [bug.id], thread=thread.number, comment=f"comments/{bug.id}.md")
                for bug in group
            ]
            continue
        items.append(
            Item(
                lead.id,
                "issue+pr",
                titles.get(lead.id, lead.title),
                [bug.id for bug in group],
                issue=f"issues/{lead.id}.md",
                pr=f"prs/{lead.id}.md",
                patch=patches.get(lead.id),
                branch=branch_for(lead.id),
            )
        )
    if any(item.kind == "issue+pr" for item in items) and HARNESS in patches:
        harness = Item(HARNESS, "pr", "", pr=f"prs/{HARNESS}.md", patch=patches[HARNESS], branch=branch_for(HARNESS))
        items.insert(0, harness)
    return items


def describe(item: Item) -> str:
    """One line: what filing the item does."""
    if item.kind == "comment":
        return f"comment on {item.title} (open; it already fixes {', '.join(item.bugs)}) with the regression test"
    patch = f" ({item.patch})" if item.patch else ""
    if item.kind == "pr":
        return f"the test harness: a pull request from branch {item.branch}{patch}"
    return f"issue `{item.issue}`, then a pull request from branch {item.branch}{patch} that fixes it"
