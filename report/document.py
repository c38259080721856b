"""The finished documents: format, title line and redaction. Pure given a redaction Context.

What the tool has to tell the user (how many items were redacted, how to file) is not part of a
document: the CLI prints it on the terminal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lfmdoctor.report import upstream
from lfmdoctor.report.compose import ReportData
from lfmdoctor.report.redact import Context, redact

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
        title = f"liquid-audio {data.liquid_audio_version or '?'}: {len(data.bugs)} bugs, ready to file"
        return upstream.Post(title, upstream.overview(data))
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
    """The post redacted (unless ``context`` is None) as a document."""
    if context is None:
        return Document(post.title, post.body, post.text, None)
    result = redact(f"{post.title}\n\x00\n{post.body}", context)
    title, _, body = result.text.partition("\n\x00\n")
    return Document(title, body, f"{title}\n\n{body}", result.total)


def per_bug(data: ReportData, context: Context | None, issue_numbers: dict[str, int] | None = None) -> dict[str, tuple]:
    """{bug id: (issue document, PR document)} for the run folder's ``issues/`` and ``prs/``."""
    documents = {}
    for section in data.bugs:
        number = (issue_numbers or {}).get(section.id)
        issue = finish(upstream.issue(section, data, section.diff), context)
        pr = finish(upstream.pull_request(section, data, number, data.ruff), context)
        documents[section.id] = (issue, pr)
    return documents
