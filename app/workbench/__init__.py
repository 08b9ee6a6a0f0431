"""The Training tab, a workbench: runs table, live curves, result cards, benchmark bars and the job dialogs;
jobs run in their own processes (``facerec train|eval|bench ... --json``)."""

from app.workbench.panel import Workbench

__all__ = ["Workbench"]
