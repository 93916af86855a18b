"""Sends malformed and oversized v2 infer requests at rate and counts the answers.

Each worker thread keeps one HTTP/1.1 connection and cycles through the cases
(reconnecting when the server closes it, as it may after a 413). Prints the
figures; exits 1 when any answer is a 5xx, a 200 (none of these requests is
valid) or a dropped connection (except while an oversized body is sent).

Usage: bad_requests.py --port P --path /v2/models/M/infer --seconds S --threads T --oversize-bytes N
"""
import argparse
import http.client
import json
import threading
import time
from collections import Counter


def cases(oversize):
    good_input = {"name": "input_ids", "shape": [1, 4], "datatype": "INT64", "data": [1, 2, 3, 4]}
    return [
        ("not-json", b"{\"inputs\": [", {}),
        ("not-object", b"[1,2,3]", {}),
        ("bad-datatype", json.dumps({"inputs": [{**good_input, "datatype": "FP128"}]}).encode(), {}),
        ("shape-mismatch", json.dumps({"inputs": [{**good_input, "shape": [1, 5]}]}).encode(), {}),
        ("huge-shape", json.dumps({"inputs": [{**good_input, "shape": [1 << 40, 1 << 40]}]}).encode(), {}),
        ("negative-shape", json.dumps({"inputs": [{**good_input, "shape": [-1, 4]}]}).encode(), {}),
        ("deep-nesting", ("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":" + "[" * 5000 + "1" + "]" * 5000 + "}]}").encode(), {}),
        ("binary-past-end", json.dumps({"inputs": [{**{k: v for k, v in good_input.items() if k != "data"},
                                                     "parameters": {"binary_data_size": 1 << 30}}]}).encode(), {}),
        ("header-length-past-body", b"{}", {"Inference-Header-Content-Length": "999999"}),
        ("header-length-not-number", b"{}", {"Inference-Header-Content-Length": "abc"}),
        ("oversized", b"{\"inputs\":[" + b" " * oversize + b"]}", {}),
    ]


def worker(port, path, deadline, table, counts, lock, errors):
    connection = None
    index = 0
    while time.monotonic() < deadline:
        name, body, headers = table[index % len(table)]
        index += 1
        try:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("POST", path, body=body, headers={"Content-Type": "application/json", **headers})
            response = connection.getresponse()
            response.read()
            key = (name, response.status)
            if response.will_close:
                connection.close()
                connection = None
        except (ConnectionError, http.client.HTTPException, OSError) as error:
            key = (name, "dropped")
            if connection is not None:
                connection.close()
            connection = None
            with lock:
                errors.append(f"{name}: {error!r}")
        with lock:
            counts[key] += 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--oversize-bytes", type=int, default=2 << 20)
    args = parser.parse_args()
    table = cases(args.oversize_bytes)
    counts, lock, errors = Counter(), threading.Lock(), []
    deadline = time.monotonic() + args.seconds
    threads = [threading.Thread(target=worker, args=(args.port, args.path, deadline, table, counts, lock, errors))
               for _ in range(args.threads)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    total = sum(counts.values())
    by_status = Counter()
    for (name, status), n in counts.items():
        by_status[status] += n
    print(f"bad-requests: {total} requests in {elapsed:.1f} s ({total / elapsed:.0f}/s), answers {dict(sorted(by_status.items(), key=str))}")
    for name, *_ in table:
        statuses = {status: n for (case, status), n in counts.items() if case == name}
        print(f"  {name}: {statuses}")
    # A server may answer 413 and close while an oversized body is still being
    # sent; the client then sees a reset. That is a refusal, not a failure.
    bad = [key for key in counts if (key[1] == "dropped" and key[0] != "oversized")
           or key[1] == 200 or (isinstance(key[1], int) and key[1] >= 500)]
    if bad:
        print("FAILED: answers that are not 4xx:", bad, errors[:5])
        raise SystemExit(1)


if __name__ == "__main__":
    main()
