"""A small webhook receiver for an organisation's own system: checks the Standard Webhooks
signature of each message from Expertteam, skips messages it has seen (``webhook-id``), then
fetches the details through the API (the message carries ids only).

    WEBHOOK_SECRET=whsec_... python examples/webhook_receiver.py 8080

Standard library only. In production run it behind HTTPS (Expertteam sends only to https://).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ.get("WEBHOOK_SECRET", "")
TOLERANCE = 300  # seconds between the sender's clock and ours
seen: set[str] = set()  # use your database in real life: messages may come more than once


def verify(secret: str, msg_id: str, timestamp: str, signatures: str, body: bytes) -> bool:
    """True when one of the ``v1,`` signatures is HMAC-SHA256 of ``id.timestamp.body`` with the
    decoded secret, and the timestamp is recent (no replay of old messages)."""
    try:
        if abs(time.time() - int(timestamp)) > TOLERANCE:
            return False
    except ValueError:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(digest).decode()
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures.split())


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        msg_id = self.headers.get("webhook-id", "")
        if not verify(SECRET, msg_id, self.headers.get("webhook-timestamp", ""),
                      self.headers.get("webhook-signature", ""), body):
            self.send_response(401)
            self.end_headers()
            return
        if msg_id not in seen:
            seen.add(msg_id)
            event = json.loads(body)
            # e.g. type nl.expertteam.action.assigned, dataref https://…/api/v1/actions/12:
            # fetch the action with the client's bearer token and create it in your own system.
            print(event["type"], event["subject"], event["dataref"], flush=True)
        self.send_response(204)  # any 2xx: delivered; anything else: Expertteam retries later
        self.end_headers()


if __name__ == "__main__":
    if not SECRET.startswith("whsec_"):
        sys.exit("set WEBHOOK_SECRET to the endpoint's signing secret (whsec_...)")
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()
