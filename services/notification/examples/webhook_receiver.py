"""A local webhook receiver that verifies the TIC Platform's signatures: a starting point for a subscriber.

    TIC_WEBHOOK_SECRET=whsec_... python services/notification/examples/webhook_receiver.py [--port 8199]

Subscribe it (the response shows the secret once):

    curl -s -X POST http://127.0.0.1:8104/api/v1/subscriptions \
      -H "Authorization: Bearer $(./tic token --role bureau_admin)" -H "Content-Type: application/json" \
      -d '{"url": "http://127.0.0.1:8199/webhook", "event_types": ["tic.registry.*"]}'

Verification: recompute HMAC-SHA256(secret, f"{X-TIC-Timestamp}." + raw body), compare it in constant time
with `X-TIC-Signature` (`sha256=<hex>`), refuse a timestamp more than 5 minutes off (a replayed request), and
dedupe on the CloudEvent `id` (a delivery may be retried after a timeout that hid a success).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_S = 300
seen: set[str] = set()


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    try:
        if abs(now - int(timestamp)) > TOLERANCE_S:
            return False
    except ValueError:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


class Handler(BaseHTTPRequestHandler):
    secret = ""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        timestamp = self.headers.get("X-TIC-Timestamp", "")
        signature = self.headers.get("X-TIC-Signature", "")
        if not verify(self.secret, timestamp, body, signature, time.time()):
            self.send_response(401)
            self.end_headers()
            print("refused: bad or stale signature")
            return
        event = json.loads(body)
        duplicate = event["id"] in seen
        seen.add(event["id"])
        print(f"{'duplicate ' if duplicate else ''}{event['type']} {event.get('subject')} ({event['id']})")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8199)
    parser.add_argument("--secret", default=os.environ.get("TIC_WEBHOOK_SECRET", ""))
    args = parser.parse_args()
    if not args.secret:
        parser.error("give the subscription's secret: --secret or TIC_WEBHOOK_SECRET")
    Handler.secret = args.secret
    print(f"listening on http://127.0.0.1:{args.port}/webhook")
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
