#!/usr/bin/env bash
# Measures car-emulator and prints the numbers (issue 10's closing-note figures):
#  1. requests/s for a read-only action (DescribeApplicationList) with 16 keep-alive
#     connections on loopback (wrk replaying one signed request), side by side with the
#     stateless loopback test server answering the same request;
#  2. time from starting `car emulator` to its first stdout line (median of 20 starts);
#  3. the emulator's peak RSS while receiving a 1 GiB multipart upload made by
#     cos-python-sdk-v5 (installed into a venv under target/).
# Needs wrk (installed with apt-get when missing) and python3. Release builds.
# BENCH_PARTS="rate startup rss" (the default) picks the measurements; BENCH_SECONDS the
# length of each rate run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
secs=${BENCH_SECONDS:-10}
parts=" ${BENCH_PARTS:-rate startup rss} "

if ! command -v wrk >/dev/null; then
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
venv=$target/bench-venv
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet "tencentcloud-sdk-python-intl-en==3.1.193" "cos-python-sdk-v5==1.9.44"
fi

cargo build --quiet --release -p car-cli --bin car
cargo build --quiet --release -p car-emulator --example wrk_request --example scripted_server
car=$target/release/car
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

json_field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"; }
host_of() { sed -E 's#^https?://##; s#/$##'; }
first_line() { for _ in $(seq 200); do [[ -s $1 ]] && head -n1 "$1" | grep -q . && return 0; sleep 0.05; done; return 1; }

rate() { # name endpoint-host secret-id secret-key
  "$target/release/examples/wrk_request" "$2" "$3" "$4" >"$tmp/$1.lua"
  wrk -t2 -c16 -d"${secs}s" -s "$tmp/$1.lua" "http://$2/" >"$tmp/$1.wrk"
  local rps errors
  rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/$1.wrk")
  errors=$(awk '/Non-2xx/ {print $NF}' "$tmp/$1.wrk")
  printf '%-28s %10s req/s  (non-2xx: %s)\n' "$1" "$rps" "${errors:-0}"
}

echo "== 1. request rate, 16 keep-alive connections, ${secs}s each"
"$target/release/examples/scripted_server" >"$tmp/ts.out" &
pids+=($!)
first_line "$tmp/ts.out"
ts_host=$(sed -n 's/^endpoint=//p' "$tmp/ts.out" | host_of)
ts_id=$(sed -n 's/^TENCENTCLOUD_SECRET_ID=//p' "$tmp/ts.out")
ts_key=$(sed -n 's/^TENCENTCLOUD_SECRET_KEY=//p' "$tmp/ts.out")
"$car" emulator --listen 127.0.0.1:0 --data-dir "$tmp/data" >"$tmp/emu.out" 2>"$tmp/emu.err" &
emu=$!
pids+=($emu)
first_line "$tmp/emu.out"
info=$(head -n1 "$tmp/emu.out")
emu_host=$(json_field endpoint <<<"$info" | host_of)
cos_host=$(json_field cos_endpoint <<<"$info" | host_of)
emu_id=$(json_field secret_id <<<"$info")
emu_key=$(json_field secret_key <<<"$info")
# Some state, so the listing reads real rows.
for i in 1 2 3; do
  TENCENTCLOUD_SECRET_ID=$emu_id TENCENTCLOUD_SECRET_KEY=$emu_key HOME=$tmp CAR_METADATA_ENDPOINT=off \
    "$car" create-application --application-name "bench-$i" --application-type Application3D \
    --endpoint "http://$emu_host" >/dev/null
done
if [[ $parts == *" rate "* ]]; then
  rate "stateless scripted server" "$ts_host" "$ts_id" "$ts_key"
  rate "car-emulator (stateful)" "$emu_host" "$emu_id" "$emu_key"
fi

if [[ $parts == *" startup "* ]]; then
echo "== 2. start-up: \`car emulator\` to its first stdout line (20 starts)"
python3 - "$car" "$tmp" <<'PY'
import os, subprocess, sys, time, statistics
car, tmp = sys.argv[1], sys.argv[2]
times = []
for i in range(20):
    t = time.monotonic()
    p = subprocess.Popen([car, "emulator", "--listen", "127.0.0.1:0", "--data-dir", os.path.join(tmp, f"start{i}")],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    p.stdout.readline()
    times.append((time.monotonic() - t) * 1000)
    p.terminate(); p.wait()
print(f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")
PY
fi

if [[ $parts == *" rss "* ]]; then
echo "== 3. peak RSS of the emulator receiving a 1 GiB multipart upload (cos-python-sdk-v5)"
head -c $((1024 * 1024 * 1024)) /dev/urandom >"$tmp/big.zip"
"$venv/bin/python" scripts/bench/upload_big.py "$emu_host" "$cos_host" "$emu_id" "$emu_key" "$tmp/big.zip" 64 4
rss=$(awk '/VmHWM/ {print $2}' "/proc/$emu/status")
echo "emulator peak RSS: $((rss / 1024)) MiB (VmHWM over the whole run)"
fi
