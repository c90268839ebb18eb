"""Uploads one big file to the emulator the way a CAR user would, with Tencent's SDKs:
CreateApplication, CreateApplicationVersion, DescribeCosCredential, then
cos-python-sdk-v5's multipart upload_file to the granted path. Prints one JSON line with
the size and the seconds the upload took.

Usage: python upload_big.py ENDPOINT COS_ENDPOINT SECRET_ID SECRET_KEY FILE PART_MB THREADS
"""
import json
import os
import sys
import time

from qcloud_cos import CosConfig, CosS3Client
from tencentcloud.car.v20220110 import car_client, models
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile


def call(client, action, params):
    req = getattr(models, action + "Request")()
    req.from_json_string(json.dumps(params))
    return json.loads(getattr(client, action)(req).to_json_string())


def main():
    endpoint, cos_endpoint, secret_id, secret_key, path, part_mb, threads = sys.argv[1:8]
    http = HttpProfile(protocol="http", endpoint=endpoint, reqMethod="POST")
    client = car_client.CarClient(credential.Credential(secret_id, secret_key), "ap-singapore",
                                  ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http))
    app = call(client, "CreateApplication", {"ApplicationName": "bench", "ApplicationType": "Application3D"})["ApplicationId"]
    call(client, "CreateApplicationVersion", {"ApplicationId": app, "ApplicationFileName": "big.zip"})
    cred = call(client, "DescribeCosCredential", {"ApplicationId": app, "ApplicationFileName": "big.zip"})
    cos = CosS3Client(CosConfig(Region=cred["CosRegion"], SecretId=cred["SecretID"], SecretKey=cred["SecretKey"],
                                Token=cred["SessionToken"], Scheme="http", Domain=cos_endpoint))
    started = time.monotonic()
    cos.upload_file(Bucket=cred["CosBucket"], Key=cred["Path"], LocalFilePath=path,
                    PartSize=int(part_mb), MAXThread=int(threads))
    seconds = time.monotonic() - started
    head = {k.lower(): v for k, v in cos.head_object(Bucket=cred["CosBucket"], Key=cred["Path"]).items()}
    print(json.dumps({"size": os.path.getsize(path), "stored": int(head["content-length"]),
                      "crc64": head.get("x-cos-hash-crc64ecma"), "seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main()
