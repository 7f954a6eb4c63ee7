"""report.html (placeholder until the full report lands)."""
import html


def render(run) -> str:
    return "<!doctype html><title>gpu2mlu report</title><pre>%s</pre>" % html.escape(run.input)
