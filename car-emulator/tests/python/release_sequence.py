"""Drives the emulator with Tencent's own Python SDKs, which nobody here wrote:
tencentcloud-sdk-python-intl-en signs the CAR calls (TC3) and cos-python-sdk-v5 signs the
COS upload (q-sign-algorithm=sha1), so the emulator's verifiers are checked against
independent code.

Usage: python release_sequence.py ENDPOINT COS_ENDPOINT SECRET_ID SECRET_KEY WORK_DIR EXAMPLES_FILE
ENDPOINT and COS_ENDPOINT are host:port on loopback (plain HTTP).

Prints one JSON object per line:
  {"step": name, ...facts}              for each step of the release sequence
  {"action": name, "ok": bool, "code"}  for one call of each action in EXAMPLES_FILE
"""
import json
import os
import random
import sys
import time
import zipfile

from qcloud_cos import CosConfig, CosS3Client
from tencentcloud.car.v20220110 import car_client, models
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

EXE = "Game/Binaries/Game.exe"


def emit(**fields):
    print(json.dumps(fields), flush=True)


def call(client, action, params):
    req = getattr(models, action + "Request")()
    req.from_json_string(json.dumps(params))
    resp = getattr(client, action)(req)
    return json.loads(resp.to_json_string())


def build_package(work_dir):
    """A real zip a little over 3 MiB (stored, random bytes) so that a 1 MiB part size
    makes the SDK upload it in four parts."""
    path = os.path.join(work_dir, "game.zip")
    rng = random.Random(20221010)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(EXE, bytes(rng.getrandbits(8) for _ in range(3 * 1024 * 1024 + 12345)))
        z.writestr("Game/Content/readme.txt", "hello from the release sequence\n")
        z.writestr("Tools/Setup.exe", b"MZ" + bytes(100))
    return path


def release(client, cos_endpoint, work_dir):
    app_id = call(client, "CreateApplication", {"ApplicationName": "sdk-release", "ApplicationType": "Application3D"})["ApplicationId"]
    emit(step="CreateApplication", application_id=app_id)
    call(client, "ModifyApplicationBaseInfo", {
        "ApplicationId": app_id, "ApplicationExePath": EXE, "ApplicationInterList": "",
        "ApplicationBaseInfo": {"WindowUseType": "ApplicationWindow", "WindowName": "Game", "WindowClassName": "UnrealWindow", "WindowCaptureMode": "HOOK"},
    })
    version = call(client, "CreateApplicationVersion", {"ApplicationId": app_id, "ApplicationFileName": "game.zip"})["Version"]
    version_id = version["ApplicationVersionId"]
    emit(step="CreateApplicationVersion", version_id=version_id, status=version.get("ApplicationVersionStatus"))

    cred = call(client, "DescribeCosCredential", {"ApplicationId": app_id, "ApplicationFileName": "game.zip"})
    emit(step="DescribeCosCredential", bucket=cred["CosBucket"], region=cred["CosRegion"], path=cred["Path"],
         start=cred["StartTime"], expired=cred["ExpiredTime"])

    package = build_package(work_dir)
    cos = CosS3Client(CosConfig(Region=cred["CosRegion"], SecretId=cred["SecretID"], SecretKey=cred["SecretKey"],
                                Token=cred["SessionToken"], Scheme="http", Domain=cos_endpoint))
    # Multipart above 1 MiB; the SDK picks the parts and signs every request itself.
    cos.upload_file(Bucket=cred["CosBucket"], Key=cred["Path"], LocalFilePath=package, PartSize=1, MAXThread=2)
    # Header names are case-insensitive; the SDK hands them back as received.
    head = {k.lower(): v for k, v in cos.head_object(Bucket=cred["CosBucket"], Key=cred["Path"]).items()}
    emit(step="upload", package=package, size=int(head["content-length"]), crc64=head.get("x-cos-hash-crc64ecma"),
         etag=head.get("etag"))

    # Keys are scoped to the version's path: another key in the bucket is refused.
    try:
        cos.put_object(Bucket=cred["CosBucket"], Key=cred["Path"].replace(version_id, "ver-other"), Body=b"x")
        emit(step="scope", refused=False)
    except Exception as e:  # CosServiceError
        emit(step="scope", refused=True, code=getattr(e, "get_error_code", lambda: None)())

    call(client, "CreateApplicationSnapshot", {"ApplicationId": app_id, "ApplicationDownloadUrl": ""})
    status, deadline = None, time.time() + 120
    while time.time() < deadline:
        versions = call(client, "DescribeApplicationVersion", {"ApplicationId": app_id})["Versions"]
        mine = [v for v in versions if v["ApplicationVersionId"] == version_id]
        status = mine[0]["ApplicationVersionStatus"] if mine else None
        if status in ("Normal", "Usable", "CreateFailed"):
            break
        time.sleep(0.2)
    emit(step="DescribeApplicationVersion", status=status)

    paths = call(client, "DescribeApplicationPathList", {"ApplicationId": app_id, "ApplicationVersionId": version_id})["PathList"]
    emit(step="DescribeApplicationPathList", paths=paths)
    info = call(client, "DescribeApplicationFileInfo", {"ApplicationId": app_id, "FilePathList": [EXE, "Game/Missing.exe"]})["FileInfoList"]
    emit(step="DescribeApplicationFileInfo", files=info)
    online = call(client, "SetApplicationVersionOnline", {"ApplicationId": app_id, "ApplicationVersionId": version_id})
    emit(step="SetApplicationVersionOnline",
         statuses={v["ApplicationVersionId"]: v["ApplicationVersionStatus"] for v in online.get("Versions") or []})


def every_action(client, examples_file):
    with open(examples_file) as f:
        examples = json.load(f)
    for action in sorted(examples):
        params = examples[action][0]["request"]
        try:
            call(client, action, params)
            emit(action=action, ok=True)
        except TencentCloudSDKException as e:
            emit(action=action, ok=False, code=e.get_code())


def main():
    endpoint, cos_endpoint, secret_id, secret_key, work_dir, examples_file = sys.argv[1:7]
    http = HttpProfile(protocol="http", endpoint=endpoint, reqMethod="POST")
    profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http)
    client = car_client.CarClient(credential.Credential(secret_id, secret_key), "ap-singapore", profile)
    release(client, cos_endpoint, work_dir)
    every_action(client, examples_file)


if __name__ == "__main__":
    main()
