"""Calls the loopback test server with Tencent's official Python SDK.

Usage: python official_sdk_calls.py HOST:PORT SECRET_ID SECRET_KEY
Prints one JSON line per call: {"action": ..., "ok": bool, "response"|"code": ...}.
"""
import json
import sys

from tencentcloud.car.v20220110 import car_client, models
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile


def main():
    endpoint, secret_id, secret_key = sys.argv[1:4]
    http = HttpProfile(protocol="http", endpoint=endpoint, reqMethod="POST")
    profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http)
    client = car_client.CarClient(credential.Credential(secret_id, secret_key), "ap-singapore", profile)
    bad = car_client.CarClient(credential.Credential(secret_id, "wrong-key"), "ap-singapore", profile)

    calls = [
        ("DescribeApplicationList", client, {"Offset": 0, "Limit": 10, "Filters": [{"Name": "ApplicationId", "Values": ["app-1"]}]}),
        ("CreateSession", client, {"UserId": "u-1", "UserIp": "10.0.0.1", "ClientSession": "c2Vzc2lvbg==", "RunMode": "RunWithoutClient"}),
        ("DescribeCosCredential", client, {"ApplicationId": "app-1", "ApplicationFileName": "game.zip"}),
        ("CreateApplication", client, {"ApplicationName": "\u4e91\u6e32\u67d3 \u2713", "ApplicationType": "Application3D"}),
        ("DescribeApplicationList", bad, {"Offset": 0, "Limit": 10}),
    ]
    for action, c, params in calls:
        req = getattr(models, action + "Request")()
        req.from_json_string(json.dumps(params))
        try:
            resp = getattr(c, action)(req)
            print(json.dumps({"action": action, "ok": True, "response": json.loads(resp.to_json_string())}))
        except TencentCloudSDKException as e:
            print(json.dumps({"action": action, "ok": False, "code": e.get_code(), "request_id": e.get_request_id()}))


if __name__ == "__main__":
    main()
