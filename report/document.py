"""The finished document: format, title line, redaction and its footer. Pure given a redaction Context."""

from __future__ import annotations

import json
from dataclasses import dataclass

from lfmdoctor.report.compose import ReportData
from lfmdoctor.report.markdown import issue_body, issue_title, pr_body, pr_title
from lfmdoctor.report.redact import Context, redact

FORMATS = ("issue", "pr", "json")
# GitHub refuses issue bodies over 65,536 characters; leave room for the redaction footer.
MAX_BODY = 60_000


@dataclass
class Document:
    title: str
    body: str  # without the title line: what goes into the GitHub form
    text: str  # the whole document as written to --out / stdout
    redacted: int | None  # items removed; None with --no-redact


def render_document(data: ReportData, fmt: str, context: Context | None) -> Document:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "json":
        text = json.dumps({"title": issue_title(data), **data.to_json()}, indent=2, ensure_ascii=False)
        if context is None:
            return Document(issue_title(data), text, text + "\n", None)
        result = redact(text, context)
        payload = json.loads(result.text)
        payload["redactions"] = dict(result.counts)
        text = json.dumps(payload, indent=2, ensure_ascii=False)
        return Document(payload["title"], text, text + "\n", result.total)
    title, body = (issue_title(data), issue_body(data)) if fmt == "issue" else (pr_title(data), pr_body(data))
    if fmt == "issue" and len(body) > MAX_BODY:
        body = issue_body(data, compact=True)
    if context is None:
        return Document(title, body, f"# {title}\n\n{body}", None)
    result = redact(f"{title}\n\x00\n{body}", context)
    title, _, body = result.text.partition("\n\x00\n")
    body = body.rstrip("\n") + "\n\n" + result.footer() + "\n"
    return Document(title, body, f"# {title}\n\n{body}", result.total)
