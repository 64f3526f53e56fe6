"""The claims report: a static HTML site (and Markdown) rebuilt from the run store.

    from neuralab.report import build_report
    build_report(RunStore(), "report")   # -> report/index.html

See :mod:`neuralab.report.site` for what it shows, :mod:`neuralab.report.figures` for the
figures and :mod:`neuralab.report.families` for the pages of sweeps.
"""

from neuralab.report.families import collect_families
from neuralab.report.site import build_report, collect

__all__ = ["build_report", "collect", "collect_families"]
