#!/usr/bin/env python3
"""An HTTP proxy on loopback that injects faults, for Tessera's tests.

    fault-proxy.py UPSTREAM_URL [--rate R] [--seed S]

Forwards every request to UPSTREAM_URL (Host header unchanged, so SigV4
signatures stay valid) and, with probability R per request, injects one of:

  500, 503 or 429 (with Retry-After: 1)     the request never reaches upstream
  drop-before                               the connection closes, request unsent
  drop-after                                upstream did the work; the answer is lost
  slow                                      the answer comes 0.5 s late

Prints {"endpoint": "http://127.0.0.1:PORT"} on stdout when ready. Reads
commands on stdin, one per line: "rate R", "down" (every request fails with
a dropped connection), "up" (back to the rate), "fail METHOD" (every request
of that method gets a 500, e.g. the part uploads of a multipart upload),
"hang" (every request waits 60 s before it is answered: a stalled server). Stops at end of input.
After each command (any line, e.g. "stats"), prints to stderr one JSON line:
{"requests": N, "methods": {"GET": N, ...}, "injected": {"500": N, ...}}.
"""
import http.client
import json
import random
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
KINDS = ["500", "503", "429", "drop-before", "drop-after", "slow"]


class State:
    def __init__(self, rate, seed):
        self.lock = threading.Lock()
        self.rate = rate
        self.down = False
        self.random = random.Random(seed)
        self.injected = {kind: 0 for kind in KINDS}
        self.requests = 0
        self.methods = {}
        self.failing_method = None
        self.hang = False

    def draw(self, method):
        with self.lock:
            self.requests += 1
            self.methods[method] = self.methods.get(method, 0) + 1
            if self.down:
                self.injected["drop-before"] += 1
                return "drop-before"
            if self.hang:
                return "hang"
            if method == self.failing_method:
                self.injected["500"] += 1
                return "500"
            if self.random.random() >= self.rate:
                return None
            kind = self.random.choice(KINDS)
            self.injected[kind] += 1
            return kind


def main():
    upstream = urlsplit(sys.argv[1])
    rate, seed = 0.0, 1
    args = sys.argv[2:]
    while args:
        flag, value, args = args[0], args[1], args[2:]
        if flag == "--rate":
            rate = float(value)
        elif flag == "--seed":
            seed = int(value)
    state = State(rate, seed)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def drop(self):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            fault = state.draw(self.command)
            if fault == "drop-before":
                return self.drop()
            if fault in ("500", "503", "429"):
                payload = b"<Error><Code>InjectedFault</Code><Message>fault proxy</Message></Error>"
                self.send_response(int(fault))
                if fault == "429":
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            if fault == "slow":
                time.sleep(0.5)
            if fault == "hang":
                time.sleep(60)
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=120)
            try:
                connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                        connection.putheader(name, value)
                connection.putheader("Content-Length", str(len(body)))
                connection.endheaders(body)
                response = connection.getresponse()
                payload = response.read()
            finally:
                connection.close()
            if fault == "drop-after":
                return self.drop()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            if self.command == "HEAD":
                self.send_header("Content-Length", response.getheader("Content-Length") or "0")
            else:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"endpoint": f"http://127.0.0.1:{server.server_address[1]}"}), flush=True)

    for line in sys.stdin:
        command = line.split()
        with state.lock:
            if command[:1] == ["rate"] and len(command) == 2:
                state.rate = float(command[1])
            elif command == ["down"]:
                state.down = True
            elif command == ["up"]:
                state.down = False
                state.failing_method = None
                state.hang = False
            elif command == ["hang"]:
                state.hang = True
            elif command[:1] == ["fail"] and len(command) == 2:
                state.failing_method = command[1]
            print(json.dumps({"requests": state.requests, "methods": state.methods, "injected": state.injected}),
                  file=sys.stderr, flush=True)
    server.shutdown()


if __name__ == "__main__":
    main()
