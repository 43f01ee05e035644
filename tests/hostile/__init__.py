"""Hostile inputs and faults: a generator of bad inputs, each with the outcome archreview must give."""
