#!/usr/bin/env bash
# Measures `car` as a user feels it: the median wall time of one call against a
# loopback server, of `car --help`, and the size of the stripped release binary.
#
#   car-cli/scripts/bench.sh [RUNS]        (default 200 runs per command)
#
# Also measures a tccli-style line (globals after the action, an unfolded argument), so
# the argument pass is timed on the common path too. CAR_TCCLI names a tccli to compare
# with; otherwise one is installed into a throw-away venv when possible.
#
# Uses hyperfine when it is there (installed with apt-get when possible), otherwise a
# shell loop timed with `date +%s%N`.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-200}

echo "== building (release)"
cargo build --quiet --release -p car-cli --bin car
cargo build --quiet --release -p car-emulator --example scripted_server
target=${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}
car="$target/release/car"

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"$target/release/examples/scripted_server" >"$tmp/server.out" &
server_pid=$!
for _ in $(seq 100); do
  grep -q '^endpoint=' "$tmp/server.out" 2>/dev/null && break
  sleep 0.05
done
endpoint=$(sed -n 's/^endpoint=//p' "$tmp/server.out")
[ -n "$endpoint" ] || { echo "the loopback server did not start" >&2; exit 1; }

# A sealed environment: test keys, no profile, no metadata service.
mkdir -p "$tmp/home"
export HOME="$tmp/home" CAR_METADATA_ENDPOINT=off
export TENCENTCLOUD_SECRET_ID=$(sed -n 's/^TENCENTCLOUD_SECRET_ID=//p' "$tmp/server.out")
export TENCENTCLOUD_SECRET_KEY=$(sed -n 's/^TENCENTCLOUD_SECRET_KEY=//p' "$tmp/server.out")
unset TENCENTCLOUD_REGION TENCENTCLOUD_TOKEN TCCLI_PROFILE SSL_CERT_FILE 2>/dev/null || true

call=("$car" describe-application-list --offset 0 --limit 10 --endpoint "$endpoint")
"${call[@]}" >/dev/null || { echo "the call failed" >&2; exit 1; }

if ! command -v hyperfine >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing hyperfine"
  apt-get install -y -qq hyperfine >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq hyperfine >/dev/null 2>&1) || true
fi

# Prints the median wall time of a command in milliseconds.
median_ms() {
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 10 --runs "$runs" --export-json "$tmp/h.json" -- "$(printf '%q ' "$@")" >/dev/null 2>&1
    python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$tmp/h.json"
  else
    for _ in $(seq 10); do "$@" >/dev/null; done
    for _ in $(seq "$runs"); do
      s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( e - s ))
    done | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f\n", a[int((NR + 1) / 2)] / 1e6 }'
  fi
}

tool=loop; command -v hyperfine >/dev/null && tool="hyperfine $(hyperfine --version | cut -d' ' -f2)"
echo "== measuring ($runs runs each, $tool)"
call_ms=$(median_ms "${call[@]}")
tccli_style=("$car" DescribeApplicationList --cli-unfold-argument --Offset 0 --Limit 10 --Filters.0.Name ApplicationId --Filters.0.Values app-1 --endpoint "$endpoint" --output json)
if "${tccli_style[@]}" >/dev/null 2>&1; then
  style_ms=$(median_ms "${tccli_style[@]}")
else
  style_ms="n/a (this build does not take --cli-unfold-argument)"
fi
help_ms=$(median_ms "$car" --help)
cp "$car" "$tmp/car-stripped"
strip "$tmp/car-stripped" 2>/dev/null || true
size=$(stat -c %s "$tmp/car-stripped")

printf 'car describe-application-list (loopback)   median %s ms\n' "$call_ms"
printf 'car DescribeApplicationList, tccli style    median %s ms\n' "$style_ms"
printf 'car --help                                 median %s ms\n' "$help_ms"
printf 'release binary, stripped                   %s bytes (%.1f MiB)\n' "$size" "$(echo "$size / 1048576" | bc -l 2>/dev/null || python3 -c "print($size/1048576)")"

# The same call through tccli (CAR_TCCLI, else installed into a throw-away venv): tccli
# speaks only HTTPS, so both tools go through a TLS server with a self-signed certificate
# they are told to trust.
echo "== comparing with tccli-intl-en over HTTPS"
tccli=${CAR_TCCLI:-}
if [ -z "$tccli" ] && python3 -m venv "$tmp/venv" >/dev/null 2>&1 && "$tmp/venv/bin/python" -m pip install --quiet "tccli-intl-en==3.1.193.1" >/dev/null 2>&1; then
  tccli="$tmp/venv/bin/tccli"
fi
if [ -n "$tccli" ]; then
  "$target/release/examples/scripted_server" --tls "$tmp/ca.pem" >"$tmp/tls.out" &
  tls_pid=$!
  trap 'kill $tls_pid 2>/dev/null || true; cleanup' EXIT
  for _ in $(seq 100); do grep -q '^endpoint=' "$tmp/tls.out" 2>/dev/null && break; sleep 0.05; done
  tls_endpoint=$(sed -n 's/^endpoint=//p' "$tmp/tls.out")
  tls_host=${tls_endpoint#https://}
  # The Tencent SDK under tccli trusts only certifi's bundle (it ignores
  # REQUESTS_CA_BUNDLE); a `certifi` module first on PYTHONPATH points it at the test CA.
  mkdir -p "$tmp/shim/certifi"
  printf 'def where():\n    return %s\n\ndef contents():\n    return open(where()).read()\n' "'$tmp/ca.pem'" >"$tmp/shim/certifi/__init__.py"
  export PYTHONPATH="$tmp/shim"
  car_tls=("$car" describe-application-list --offset 0 --limit 10 --endpoint "$tls_endpoint" --ca-bundle "$tmp/ca.pem")
  tccli_call=("$tccli" car DescribeApplicationList --Offset 0 --Limit 10 --endpoint "$tls_host" --region ap-singapore)
  "${car_tls[@]}" >/dev/null
  "${tccli_call[@]}" >/dev/null || { echo "tccli call failed" >&2; exit 1; }
  tls_runs=$runs; [ "$tls_runs" -gt 30 ] && tls_runs=30
  runs=$tls_runs
  car_tls_ms=$(median_ms "${car_tls[@]}")
  tccli_ms=$(median_ms "${tccli_call[@]}")
  printf 'car   DescribeApplicationList over HTTPS   median %s ms\n' "$car_tls_ms"
  printf 'tccli DescribeApplicationList over HTTPS   median %s ms\n' "$tccli_ms"
  printf 'tccli / car                                %.0fx\n' "$(python3 -c "print($tccli_ms/$car_tls_ms)")"
else
  echo "tccli-intl-en could not be installed: comparison skipped"
fi
