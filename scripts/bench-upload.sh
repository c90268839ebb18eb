#!/usr/bin/env bash
# Upload throughput and peak RSS, side by side in one run, to the emulator's COS router on
# loopback: one `curl -T` PUT (the one-stream ceiling), car-release's uploader and
# cos-python-sdk-v5's upload_file, once with car-release's defaults (8 MiB parts, 4 threads)
# and once with its own (1 MiB parts, 5 threads).
# Usage: scripts/bench-upload.sh [SIZE_MIB]   (default 1024)
# COS_PYTHON=/path/to/python with qcloud_cos installed skips creating the pinned venv.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
work=$(mktemp -d)
cleanup() { [ -n "${server:-}" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cargo build --release -q -p car-release --example cos_bench
bin=${CARGO_TARGET_DIR:-target}/release/examples/cos_bench

head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$work/pkg.zip"
mkdir "$work/data"
"$bin" serve "$work/data" > "$work/serve.json" 2> "$work/serve.log" &
server=$!
while [ ! -s "$work/serve.json" ]; do
  kill -0 "$server" || { cat "$work/serve.log"; exit 1; }
  sleep 0.05
done
info=$(head -n1 "$work/serve.json")

# The server's CPU seconds so far (user+system), to charge each client its share.
tick=$(getconf CLK_TCK)
server_cpu() { awk -v t="$tick" '{printf "%.2f", ($14 + $15) / t}' "/proc/$server/stat"; }

srv0=$(server_cpu)
mapfile -t curl_args < <("$bin" curl-args "$info" bench/curl.zip "$work/pkg.zip")
/usr/bin/time -f '%e %M %U %S' -o "$work/curl.time" \
  curl -sS --fail -o /dev/null -T "$work/pkg.zip" "${curl_args[@]}"
srv_curl=$(server_cpu)
/usr/bin/time -f '%e %M %U %S' -o "$work/car.time" \
  "$bin" upload "$info" bench/car.zip "$work/pkg.zip" > "$work/car.json"
srv_car=$(server_cpu)

py=${COS_PYTHON:-}
if [ -z "$py" ]; then
  venv=${CARGO_TARGET_DIR:-target}/bench-venv
  [ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q cos-python-sdk-v5==1.9.44; }
  py=$venv/bin/python
fi
# cos-python-sdk-v5 twice: with car-release's settings (8 MiB parts, 4 threads), and with
# the settings upload_file uses when given none (1 MiB parts, 5 threads).
python_upload() { # name key extra-kwargs
  /usr/bin/time -f '%e %M %U %S' -o "$work/$1.time" "$py" - "$info" "$work/pkg.zip" "$2" "$3" <<'PY'
import json, sys
from urllib.parse import urlparse
from qcloud_cos import CosConfig, CosS3Client
s = json.loads(sys.argv[1])
u = urlparse(s["endpoint"])
cfg = CosConfig(Region=s["region"], SecretId=s["secret_id"], SecretKey=s["secret_key"],
                Token=s["token"], Scheme="http", IP=u.hostname, Port=u.port)
kwargs = json.loads(sys.argv[4])
CosS3Client(cfg).upload_file(Bucket=s["bucket"], Key=sys.argv[3], LocalFilePath=sys.argv[2],
                             **kwargs)
PY
}
python_upload py bench/py.zip '{"PartSize": 8, "MAXThread": 4}'
srv_py=$(server_cpu)
python_upload pydef bench/py-defaults.zip '{}'
srv_pydef=$(server_cpu)
server_peak_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$server/status")
echo "$srv0 $srv_curl" > "$work/curl.srv"
echo "$srv_curl $srv_car" > "$work/car.srv"
echo "$srv_car $srv_py" > "$work/py.srv"
echo "$srv_py $srv_pydef" > "$work/pydef.srv"

# CPU-s: the client's own user+system seconds; server-CPU-s: the emulator's during it.
printf '%-30s %8s %10s %12s %8s %14s\n' client seconds MiB/s peakRSS-MiB CPU-s server-CPU-s
for side in "curl:curl -T (1 stream)" "car:car-release upload" "py:cos-python-sdk-v5 8M/4" "pydef:cos-python-sdk-v5 default"; do
  read -r s kb user sys < "$work/${side%%:*}.time"
  read -r before after < "$work/${side%%:*}.srv"
  awk -v n="${side#*:}" -v s="$s" -v k="$kb" -v u="$user" -v y="$sys" -v m="$size_mib" \
    -v b="$before" -v a="$after" \
    'BEGIN{printf "%-30s %8.2f %10.1f %12.1f %8.2f %14.2f\n", n, s, m/s, k/1024, u+y, a-b}'
done
awk -v k="$server_peak_kb" 'BEGIN{printf "emulator peak RSS over all four: %.1f MiB\n", k/1024}'
echo "car-release report: $(cat "$work/car.json")"
