"""servesize.serving (filled in by its issue)."""
