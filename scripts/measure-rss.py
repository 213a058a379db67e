#!/usr/bin/env python3
"""How a running `rapport serve` process's resident memory splits into its own memory (RssAnon) and the database
file mapped into it (RssFile), after ingesting EVENTS realistic track messages through /v1/batch.

Usage: scripts/measure-rss.py URL WRITE_KEY PID [EVENTS] [CLIENTS]
"""
import base64
import json
import sys
import threading
import urllib.request
import uuid

def status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                fields[key] = int(value.split()[0]) // 1024
    return fields

def main():
    url, key, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    events = int(sys.argv[4]) if len(sys.argv) > 4 else 500_000
    clients = int(sys.argv[5]) if len(sys.argv) > 5 else 4
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    context = {"library": {"name": "analytics.js", "version": "2.11.1"}, "page": {"path": "/products/42",
               "url": "https://shop.example.com/products/42", "referrer": "https://www.google.com/",
               "title": "Blue mug"}, "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 " * 3,
               "ip": "203.0.113.7", "locale": "en-GB"}
    batches = events // 100
    lock = threading.Lock()
    state = {"next": 0, "failed": 0}
    print("before:", status(pid), flush=True)

    def worker():
        while True:
            with lock:
                n = state["next"]
                state["next"] += 1
            if n >= batches:
                return
            batch = [{"type": "track", "messageId": str(uuid.uuid4()), "userId": f"user-{(n * 100 + i) % 20000}",
                      "event": "Product Viewed", "properties": {"product_id": f"p-{i}", "price": 12.5,
                      "category": "Kitchen", "name": "Blue mug"}, "context": context} for i in range(100)]
            request = urllib.request.Request(url + "/v1/batch", data=json.dumps({"batch": batch}).encode(),
                                             headers={"Authorization": auth, "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    response.read()
            except Exception:
                with lock:
                    state["failed"] += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"after {events} events ({state['failed']} failed batches):", status(pid), flush=True)

if __name__ == "__main__":
    main()
