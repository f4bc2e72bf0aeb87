"""Reports of a stored profile: HTML with charts, Markdown, JSON, CSV, Kubernetes, Azure ML
v2 (``azureml``) and the retired v1 deployment configuration (``azure-v1``).

>>> from servesize.report import ProfileView, render
>>> view = ProfileView("demo", "Succeeded", {"recommendedCpu": 0.5, "recommendedMemoryInGB": 0.75})
>>> print(render(view, "azure-v1"))  # doctest: +NORMALIZE_WHITESPACE
{ "computeType": "aci",
  "containerResourceRequirements": { "cpu": 0.5, "memoryInGB": 0.75 } }
"""

from servesize.report._compare import Comparison, ComparisonRow, compare, parse_threshold
from servesize.report._deploy import with_deployment
from servesize.report._exports import k8s_quantities
from servesize.report._facts import fmt, fmt_ms
from servesize.report._notebook import notebook_html
from servesize.report._plan import plan_summary
from servesize.report._render import FORMATS, default_filename, render, write_report
from servesize.report._summary import comparison_table, print_summary, summary_table
from servesize.report._view import ProfileView

__all__ = [
    "FORMATS",
    "Comparison",
    "ComparisonRow",
    "ProfileView",
    "compare",
    "comparison_table",
    "default_filename",
    "fmt",
    "fmt_ms",
    "k8s_quantities",
    "notebook_html",
    "parse_threshold",
    "plan_summary",
    "print_summary",
    "render",
    "summary_table",
    "with_deployment",
    "write_report",
]
