# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 10's web app: a tiny calculator service with a deliberate code-injection bug.

    python3 webapp.py ADDRESS PORT

GET /health answers "ok"; GET /time runs /bin/date (a legitimate exec, no shell);
GET /calc?expr=6*7 answers "42" -- by handing the expression to eval(). That is the bug:
an expression such as __import__('os').system('...') runs a shell command on the server.
"""

import subprocess
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/health":
            self.reply(200, "ok")
        elif url.path == "/time":
            self.reply(200, subprocess.run(["/bin/date", "-u"], capture_output=True, text=True).stdout.strip())
        elif url.path == "/calc":
            try:
                self.reply(200, str(eval(query.get("expr", ["0"])[0])))  # the bug: never eval() user input
            except Exception as exc:
                self.reply(400, f"error: {exc}")
        else:
            self.reply(404, "not found")

    def reply(self, status, text):
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


if __name__ == "__main__":
    HTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
