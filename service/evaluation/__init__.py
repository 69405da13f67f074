"""Offline evaluation: replay labelled traffic through the service's engine and measure how many
attacks it catches, how early, with which reasons, and how many honest customers it freezes.

:func:`evaluate` is the entry point (``acctguard eval`` and the tests call it); it returns a
plain, JSON-ready report dict. :mod:`service.evaluation.figures` draws that report.
"""

from service.evaluation.report import evaluate

__all__ = ["evaluate"]
