"""The `archreview` command line: the one layer that imports both the pipeline and the flows."""

from archreview.cli.main import app

__all__ = ["app"]
