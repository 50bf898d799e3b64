#!/usr/bin/env python3
"""A moto S3 server on loopback for Tessera's tests, with signatures checked.

Starts moto's server on 127.0.0.1 and a free port, then, during the first few
requests that moto lets through without authentication
(INITIAL_NO_AUTH_ACTION_COUNT), creates an IAM user allowed everything, an
access key for it and one bucket. From then on moto checks every request's
SigV4 signature against that key, so a wrong secret really fails.

Prints one JSON line on stdout: {"endpoint", "bucket", "region",
"access_key_id", "secret_access_key"}. Runs until stdin closes (the test
process that started it ended, however it ended), then stops.
"""
import json
import os
import sys

# The user, its policy, its key and the bucket: four actions without auth.
# MOTO_CHECK_SIGNATURES=0 leaves every request unchecked: restic's S3 client
# sends prefix=data%2F, which moto's signature check wrongly rejects, so the
# benchmark (scripts/bench/s3.sh) runs both tools that way.
SETUP_ACTIONS = 4
if os.environ.get("MOTO_CHECK_SIGNATURES", "1") != "0":
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(SETUP_ACTIONS)
os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")

import boto3  # noqa: E402  (moto reads the environment on import)
from moto.server import ThreadedMotoServer  # noqa: E402

REGION = "us-east-1"
BUCKET = "tessera-tests"

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
endpoint = f"http://{host}:{port}"

bootstrap = {"endpoint_url": endpoint, "region_name": REGION,
             "aws_access_key_id": "bootstrap", "aws_secret_access_key": "bootstrap"}
iam = boto3.client("iam", **bootstrap)
iam.create_user(UserName="tessera")
iam.put_user_policy(UserName="tessera", PolicyName="everything", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}))
key = iam.create_access_key(UserName="tessera")["AccessKey"]
boto3.client("s3", **bootstrap).create_bucket(Bucket=BUCKET)

print(json.dumps({
    "endpoint": endpoint, "bucket": BUCKET, "region": REGION,
    "access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"],
}), flush=True)

sys.stdin.read()
server.stop()
