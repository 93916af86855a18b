"""A real S3-compatible server for ModelFetchTests: moto's server on
127.0.0.1 with a free port, with request authentication ON (moto checks
SigV4 signatures, access keys and IAM policies only when
INITIAL_NO_AUTH_ACTION_COUNT is finite). The first three actions (unsigned
IAM calls) create a user, its access key and an s3:* policy; everything after
them must be signed with that key. Seeds bucket `models` (plus argv[2] as real/model.onnx) and writes
{"port", "accessKeyId", "secretAccessKey"} as JSON to argv[1]; runs until killed.

Object contents are pattern(n, seed) below; the Swift test computes the same.
"""
import json
import os
import signal
import sys
import time

os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402


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
    iam.put_user_policy(UserName="model-reader", PolicyName="s3", PolicyDocument=json.dumps({
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
        json.dump({"port": port, "accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]}, f)
    os.rename(out + ".tmp", out)
    signal.signal(signal.SIGTERM, lambda *_: (server.stop(), sys.exit(0)))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
