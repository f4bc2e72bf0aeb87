"""servesize.profiling (filled in by its issue)."""
