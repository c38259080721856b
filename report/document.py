"""The finished documents: format, title line and redaction. Pure given a redaction Context.

What the tool has to tell the user (how many items were redacted, how to file) is not part of a
document: the CLI prints it on the terminal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lfmdoctor.bugs import get_bug
from lfmdoctor.report import upstream
from lfmdoctor.report.compose import ReportData
from lfmdoctor.report.redact import Context, redact, redact_markdown

FORMATS = ("issue", "pr", "json")


@dataclass
class Document:
    title: str
    body: str  # without the title line: what goes into the GitHub form
    text: str  # the whole document as written to --out / stdout: the title line, a blank line, the body
    redacted: int | None  # items removed; None with --no-redact


def _post(data: ReportData, fmt: str, issue_number: int | None) -> upstream.Post:
    if fmt == "issue":
        if len(data.bugs) == 1:
            return upstream.issue(data.bugs[0], data, data.bugs[0].diff)
        from lfmdoctor.report.plan import plan

        title = f"liquid-audio {data.liquid_audio_version or '?'}: {len(data.bugs)} bugs to report upstream"
        titles = {section.id: get_bug(section.id).issue_title or section.title for section in data.bugs}
        return upstream.Post(title, upstream.overview(data, plan([s.id for s in data.bugs], {}, titles)))
    prs = [upstream.pull_request(section, data, issue_number, data.ruff) for section in data.bugs]
    if len(prs) == 1:
        return prs[0]
    return upstream.Post(prs[0].title, "\n\n---\n\n".join(f"# {pr.title}\n\n{pr.body}" for pr in prs))


def render_document(data: ReportData, fmt: str, context: Context | None, issue_number: int | None = None) -> Document:
    """``issue``: one bug's issue, or the overview of several; ``pr``: the pull request(s); ``json``: the facts."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "json":
        text = json.dumps({"title": _post(data, "issue", None).title, **data.to_json()}, indent=2, ensure_ascii=False)
        if context is None:
            return Document(json.loads(text)["title"], text, text + "\n", None)
        result = redact(text, context)
        payload = json.loads(result.text)
        payload["redactions"] = dict(result.counts)
        text = json.dumps(payload, indent=2, ensure_ascii=False)
        return Document(payload["title"], text, text + "\n", result.total)
    return finish(_post(data, fmt, issue_number), context)


def finish(post: upstream.Post, context: Context | None) -> Document:
    """The post redacted by the one rule (unless ``context`` is None) as a document: diffs and code untouched."""
    if context is None:
        return Document(post.title, post.body, post.text, None)
    title = redact(post.title, context)
    body = redact_markdown(post.body, context)
    return Document(title.text, body.text, f"{title.text}\n\n{body.text}", title.total + body.total)


def run_files(data: ReportData, context: Context | None, patches: dict[str, str]) -> tuple[dict[str, str], list]:
    """The run folder's texts for upstream ({relative path: text}) and the filing plan they follow: per item an
    issue and a PR (``issues/``, ``prs/``), or a comment for the open PR that already fixes the bug
    (``comments/``), and the harness PR."""
    from lfmdoctor.patches.series import first_party_last, test_path
    from lfmdoctor.patches.series.messages import HARNESS_SUBJECT, group_subject
    from lfmdoctor.patches.series.regression_tests import BUILDER, CONFTEST
    from lfmdoctor.report.plan import plan

    sections = {section.id: section for section in data.bugs}
    titles = {bug_id: (get_bug(bug_id).issue_title or get_bug(bug_id).title) for bug_id in sections}
    items = plan(list(sections), patches, titles)
    files: dict[str, str] = {}
    for item in items:
        if item.kind == "comment":
            bug = get_bug(item.key)
            text = upstream.comment(sections[item.key], data, test_path(bug), first_party_last(bug.regression_test))
            files[item.comment] = finish(upstream.Post("", text), context).body
        elif item.kind == "pr":
            post = upstream.harness_pull_request(data, HARNESS_SUBJECT, [CONFTEST, BUILDER])
            files[item.pr] = finish(post, context).text
        else:
            lead, *also = (sections[bug_id] for bug_id in item.bugs)
            group = tuple(get_bug(bug_id) for bug_id in item.bugs)
            files[item.issue] = finish(upstream.issue(lead, data, lead.diff, also), context).text
            tests = [test_path(bug) for bug in group]
            pr = upstream.pull_request(lead, data, None, data.ruff, also, group_subject(group), tests)
            files[item.pr] = finish(pr, context).text
    return files, items
