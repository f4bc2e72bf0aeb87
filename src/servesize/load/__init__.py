"""servesize.load (filled in by its issue)."""
