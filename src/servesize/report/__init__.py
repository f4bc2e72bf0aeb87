"""servesize.report (filled in by its issue)."""
