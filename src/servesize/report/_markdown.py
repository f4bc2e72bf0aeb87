"""The report as Markdown tables, for pull requests and wikis."""

from __future__ import annotations

from servesize.report import _facts
from servesize.report._facts import FactTable
from servesize.report._view import ProfileView


def _cell(text: str) -> str:
    # A pipe or a newline would break the table row; user text may contain either.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def table(facts: FactTable, empty: str = "_not recorded_") -> str:
    if not facts.rows:
        return empty
    headers = [_cell(h) or " " for h in facts.headers]
    align = ["---"] + ["--:" if len(facts.headers) > 2 else "---"] * (len(headers) - 1)
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in facts.rows]
    return "\n".join(lines)


def render_markdown(view: ProfileView) -> str:
    """Every fact of the profile as Markdown."""
    out = [f"# Profile `{_cell(view.name)}`", "", f"**{_cell(view.headline())}**", ""]
    if view.state != "Succeeded" and view.error_message:
        out += ["```text", view.error_message.replace("```", "'''"), "```", ""]
    verdict = view.validity or view.state.upper()
    out.append(f"Verdict: **{verdict}**")
    out += [f"- {_cell(reason)}" for reason in view.validity_reasons]
    out.append("")
    if view.figures.limits_enforced is False:
        note = view.figures.limits_note or "the machine did not allow it"
        out += [f"> **Note:** CPU and memory limits were not enforced ({_cell(str(note))}).", ""]
    if view.figures.oom_killed:
        out += ["> **Note:** the service was killed for lack of memory.", ""]
    for facts in _facts.all_tables(view):
        out += [f"## {facts.title}", "", table(facts), ""]
    out.append(f"Service log: `{view.log_location}`" if view.log_location else "No service log.")
    return "\n".join(out) + "\n"
