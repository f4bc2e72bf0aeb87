"""A plain-stdlib HTTP server: ``python stdlib_server.py PORT``; POST /predict, GET /health.

MODE=unhealthy answers 503 to /health forever (a server that never becomes ready).
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from burn import score

UNHEALTHY = os.environ.get("MODE") == "unhealthy"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/health":
            self._send(503 if UNHEALTHY else 200, {"healthy": not UNHEALTHY})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/predict":
            self._send(200, score(body))
        else:
            self._send(404, {"error": "not found"})

    def log_message(self, format: str, *args: object) -> None:
        pass  # a log line per request would cost more than the request


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("listening", flush=True)  # a test that starts it waits for this line
    server.serve_forever()
