"""A loopback stand-in for the Hugging Face Hub's resolve API, plus an
S3-style path that misbehaves, for ModelFetchTests. Writes its port to argv[1].

  HEAD/GET /{org}/{repo}/resolve/{revision}/{path}
    org/public:   model.onnx is an "LFS" file: 302 to http://localhost:<port>/cdn/<sha256> with
                  X-Linked-Etag (sha256) and X-Linked-Size; config.json is a
                  plain git file served directly (ETag = a 40-hex blob id).
    org/private:  the same, but 401 (X-Error-Code: RepoNotFound... as the Hub
                  does for private repos) without `Authorization: Bearer secret-token`.
    org/tampered: model.onnx redirects with an X-Linked-Etag that does not
                  match the bytes the CDN serves.
    org/real:     (with argv[2], a real ONNX model) that file as model.onnx, LFS-style,
                  behind the same token as org/private, for the operator's end-to-end test.
    Every answer from resolve carries X-Repo-Commit (the commit `main` points at); that
    commit's 40-hex id resolves like `main`.
    anything else: 404 with X-Error-Code: EntryNotFound.
  GET /cdn/<sha256>: the bytes; answers 400 if an Authorization header arrives
                  (the token must not leak to the CDN).
  GET /broken/truncated.onnx: announces 100000 bytes, sends 40000, closes.
  GET /broken/corrupt.onnx:   an MD5 ETag that does not match the body.
  GET /broken/resumable.onnx: the first plain GET breaks off after 50000 of
                  120000 bytes; a GET with Range and the right If-Range gets 206.
  GET /_requests: the request lines and Range headers seen so far (JSON).

Usage: hub_server.py PORT_FILE [REAL_MODEL]
"""
import hashlib
import http.server
import json
import sys


def pattern(n, seed):
    return bytes((i * 31 + seed) % 251 for i in range(n))


MODEL = pattern(150_000, 7)
CONFIG = b'{"architectures": ["Test"]}\n'
TAMPERED = pattern(10_000, 8)
RESUMABLE = pattern(120_000, 9)
TOKEN = "secret-token"
BLOBS = {hashlib.sha256(MODEL).hexdigest(): MODEL, "tampered": TAMPERED}
COMMIT = "3c6e2f1a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e"  # what `main` points at
REAL = None  # argv[2]'s bytes
SEEN = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.handle_request(head=True)

    def do_GET(self):
        self.handle_request(head=False)

    def reply(self, status, body=b"", headers=None, head=False):
        self.send_response(status)
        if getattr(self, "commit", None):
            self.send_header("X-Repo-Commit", self.commit)
            self.commit = None
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def handle_request(self, head):
        SEEN.append({"method": self.command, "path": self.path, "range": self.headers.get("Range"),
                     "authorization": self.headers.get("Authorization") is not None})
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts == ["_requests"]:
            return self.reply(200, json.dumps(SEEN).encode(), {"Content-Type": "application/json"})
        if parts[0] == "cdn" and len(parts) == 2:
            if self.headers.get("Authorization"):
                return self.reply(400, b"token sent to the CDN", head=head)
            blob = BLOBS.get(parts[1])
            if blob is None:
                return self.reply(404, head=head)
            return self.reply(200, blob, {"ETag": '"cdn-etag"'}, head=head)
        if parts[0] == "broken":
            return self.broken(parts[1] if len(parts) > 1 else "", head)
        if len(parts) >= 5 and parts[2] == "resolve":
            org, repo, _, revision = parts[:4]
            path = "/".join(parts[4:])
            return self.resolve(org, repo, revision, path, head)
        return self.reply(404, head=head)

    def resolve(self, org, repo, revision, path, head):
        if repo in ("private", "real") and self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self.reply(401, headers={"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"}, head=head)
        if revision not in ("main", COMMIT) or repo not in ("public", "private", "tampered", "real") \
                or (repo == "real" and REAL is None):
            return self.reply(404, headers={"X-Error-Code": "RevisionNotFound"}, head=head)
        self.commit = COMMIT
        if path == "model.onnx" and repo == "real":
            sha = hashlib.sha256(REAL).hexdigest()
            return self.reply(302, headers={"Location": f"http://localhost:{self.server.server_port}/cdn/{sha}",
                                            "X-Linked-Etag": f'"{sha}"', "X-Linked-Size": str(len(REAL))}, head=head)
        if path == "model.onnx":
            if repo == "tampered":
                wrong = hashlib.sha256(b"something else").hexdigest()
                return self.reply(302, headers={"Location": "/cdn/tampered", "X-Linked-Etag": f'"{wrong}"',
                                                "X-Linked-Size": str(len(TAMPERED))}, head=head)
            sha = hashlib.sha256(MODEL).hexdigest()
            # Another authority for the same server, as the real CDN is another host.
            return self.reply(302, headers={"Location": f"http://localhost:{self.server.server_port}/cdn/{sha}",
                                            "X-Linked-Etag": f'"{sha}"', "X-Linked-Size": str(len(MODEL))}, head=head)
        if path == "config.json":
            return self.reply(200, CONFIG, {"ETag": '"' + "a" * 40 + '"'}, head=head)
        return self.reply(404, headers={"X-Error-Code": "EntryNotFound", "X-Error-Message": f"{path} does not exist"}, head=head)

    def broken(self, name, head):
        if name == "truncated.onnx":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(pattern(40_000, 5))
            self.wfile.flush()
            self.close_connection = True
            return
        if name == "corrupt.onnx":
            body = pattern(30_000, 6)
            return self.reply(200, body, {"ETag": '"' + hashlib.md5(b"other").hexdigest() + '"'}, head=head)
        if name == "resumable.onnx":
            etag = '"' + hashlib.md5(RESUMABLE).hexdigest() + '"'
            requested = self.headers.get("Range")
            if requested and self.headers.get("If-Range") == etag and requested.startswith("bytes=") and requested.endswith("-"):
                start = int(requested[len("bytes="):-1])
                rest = RESUMABLE[start:]
                return self.reply(206, rest, {"ETag": etag, "Content-Range": f"bytes {start}-{len(RESUMABLE) - 1}/{len(RESUMABLE)}"}, head=head)
            self.send_response(200)
            self.send_header("Content-Length", str(len(RESUMABLE)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(RESUMABLE[:50_000])
            self.wfile.flush()
            self.close_connection = True
            return
        return self.reply(404, b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
                          {"Content-Type": "application/xml"}, head=head)


def main():
    global REAL
    if len(sys.argv) > 2:
        with open(sys.argv[2], "rb") as f:
            REAL = f.read()
        BLOBS[hashlib.sha256(REAL).hexdigest()] = REAL
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_port))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
