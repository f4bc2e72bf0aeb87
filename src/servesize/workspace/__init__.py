"""servesize.workspace (filled in by its issue)."""
