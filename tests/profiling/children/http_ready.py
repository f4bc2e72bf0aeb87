"""Answer GET / with 200 on 127.0.0.1 after a short delay; write the port to argv[1]."""

import http.server
import os
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "7")
        self.end_headers()
        self.wfile.write(b"Healthy")

    def log_message(self, format: str, *args: object) -> None:
        pass


time.sleep(0.3)  # like a real init(): not ready at once
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as handle:
    handle.write(str(server.server_address[1]))
os.replace(tmp, sys.argv[1])
server.serve_forever()
