"""archreview: review code from screenshots and spoken or typed instructions into a versioned JSON report.

The design card's folders live at the repository root and install under this one namespace:
`archreview.schemas`, `archreview.encoders`, `archreview.pipeline`, `archreview.flows`, and the CLI on top,
`archreview.cli`.
"""
