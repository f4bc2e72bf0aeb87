"""servesize: profile a model served as a web service, recommend CPU and memory."""

from servesize.errors import ServesizeError

__version__ = "0.1.0"

__all__ = ["ServesizeError", "__version__"]
