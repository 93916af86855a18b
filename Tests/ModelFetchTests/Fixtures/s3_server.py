"""A real S3-compatible server for ModelFetchTests: moto's server on
127.0.0.1 with a free port, with request authentication ON (moto checks
SigV4 signatures, access keys and IAM policies only when
INITIAL_NO_AUTH_ACTION_COUNT is finite). The first five actions (unsigned
IAM calls) create a user, its access key and an s3:* policy, and a role that a
web identity may assume with the same policy; everything after them must be
signed with that key, or with temporary credentials from STS
AssumeRoleWithWebIdentity for that role. Seeds bucket `models` (plus argv[2] as real/model.onnx) and writes
{"port", "stsPort", "accessKeyId", "secretAccessKey", "roleArn"} as JSON to argv[1]; runs until killed.

STS front door (stsPort): AWS STS takes AssumeRoleWithWebIdentity unsigned (the
token is the proof), but moto, once its authentication is on, wants every call
signed. The front door takes the unsigned form POST, signs the same body with
the test user's key (botocore's SigV4Auth), sends it to moto's STS, and relays
moto's status and XML unchanged.

Platform credentials (metadataPort), temporary credentials for the same role minted
by moto's STS (AssumeRole, signed with the test user's key) at each request:
  PUT /latest/api/token (with X-aws-ec2-metadata-token-ttl-seconds) -> a session token;
  GET /latest/meta-data/iam/security-credentials/ -> the role's name, and
  GET /latest/meta-data/iam/security-credentials/<name> -> {"Code": "Success", "AccessKeyId",
      "SecretAccessKey", "Token", "Expiration", ...}, both only with X-aws-ec2-metadata-token
      (IMDSv2, an EC2 instance profile);
  GET /v1/credentials with `Authorization: pod-identity-token` -> {"AccessKeyId",
      "SecretAccessKey", "Token", "AccountId", "Expiration"} (the EKS Pod Identity agent);
      401 without it.

Object contents are pattern(n, seed) below; the Swift test computes the same.
"""
import json
import os
import signal
import sys
import time

os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "5"
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import threading  # noqa: E402
import urllib.request  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

import boto3  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402


def sts_front_door(endpoint, key):
    """A loopback server that relays unsigned STS form POSTs to moto, signed."""
    credentials = Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            request = AWSRequest(method="POST", url=endpoint + "/", data=body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
            SigV4Auth(credentials, "sts", "us-east-1").add_auth(request)
            forwarded = urllib.request.Request(endpoint + "/", data=body, method="POST", headers=dict(request.headers.items()))
            try:
                with urllib.request.urlopen(forwarded) as response:
                    status, payload = response.status, response.read()
            except urllib.error.HTTPError as e:
                status, payload = e.code, e.read()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


IMDS_TOKEN = "imds-session-token"
POD_IDENTITY_TOKEN = "pod-identity-token"


def metadata_server(endpoint, key, role_arn):
    """IMDSv2 and the EKS Pod Identity agent, handing out moto's temporary credentials for the role."""
    sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])

    def minted():
        c = sts.assume_role(RoleArn=role_arn, RoleSessionName="platform")["Credentials"]
        return {"AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"], "Token": c["SessionToken"],
                "Expiration": c["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")}

    class Handler(BaseHTTPRequestHandler):
        def answer(self, status, body, content_type="text/plain"):
            payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_PUT(self):
            if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.answer(200, IMDS_TOKEN)
            return self.answer(400, "missing X-aws-ec2-metadata-token-ttl-seconds")

        def do_GET(self):
            prefix = "/latest/meta-data/iam/security-credentials/"
            if self.path.startswith(prefix):
                if self.headers.get("X-aws-ec2-metadata-token") != IMDS_TOKEN:
                    return self.answer(401, "")
                name = self.path[len(prefix):]
                if name == "":
                    return self.answer(200, "model-reader\n")
                if name != "model-reader":
                    return self.answer(404, "")
                return self.answer(200, dict(minted(), Code="Success", Type="AWS-HMAC",
                                             LastUpdated="2026-01-01T00:00:00Z"), "application/json")
            if self.path == "/v1/credentials":
                if self.headers.get("Authorization") != POD_IDENTITY_TOKEN:
                    return self.answer(401, {"Message": "invalid token"}, "application/json")
                return self.answer(200, dict(minted(), AccountId="123456789012"), "application/json")
            return self.answer(404, "")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def pattern(n, seed):
    return bytes((i * 31 + seed) % 251 for i in range(n))


def main():
    out = sys.argv[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://127.0.0.1:{port}"
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    iam.create_user(UserName="model-reader")
    key = iam.create_access_key(UserName="model-reader")["AccessKey"]
    # The user may also call STS: the front door below signs web-identity calls with its key.
    iam.put_user_policy(UserName="model-reader", PolicyName="s3", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRole"], "Resource": "*"}]}))
    role = iam.create_role(RoleName="model-reader", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.example"},
                       "Action": "sts:AssumeRoleWithWebIdentity"},
                      # The metadata stand-in mints the role's credentials with the user's key.
                      {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/model-reader"},
                       "Action": "sts:AssumeRole"}]}))["Role"]
    iam.put_role_policy(RoleName="model-reader", PolicyName="s3", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="single/model.onnx", Body=pattern(300_000, 1))
    s3.put_object(Bucket="models", Key="pair/model.onnx", Body=pattern(5_000, 2))
    s3.put_object(Bucket="models", Key="pair/model.onnx.data", Body=pattern(200_000, 3))
    s3.put_object(Bucket="models", Key="pair/sub/extra weights.bin", Body=pattern(1_000, 4))
    # argv[2], when given: a real ONNX model for `serve --model s3://models/real/`.
    if len(sys.argv) > 2:
        with open(sys.argv[2], "rb") as f:
            s3.put_object(Bucket="models", Key="real/model.onnx", Body=f.read())
    with open(out + ".tmp", "w") as f:
        json.dump({"port": port, "stsPort": sts_front_door(endpoint, key), "accessKeyId": key["AccessKeyId"],
                   "secretAccessKey": key["SecretAccessKey"], "roleArn": role["Arn"],
                   "metadataPort": metadata_server(endpoint, key, role["Arn"])}, f)
    os.rename(out + ".tmp", out)
    signal.signal(signal.SIGTERM, lambda *_: (server.stop(), sys.exit(0)))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
