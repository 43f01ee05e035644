"""`python -m archreview`: the command line."""

from archreview.cli import app

app()
