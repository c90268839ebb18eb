#!/usr/bin/env bash
# Builds `car` and runs it against the built-in loopback CAR server: no account, no
# network. The server checks every TC3 signature and parameter like the real service and
# answers with sample data made from spec/car.json.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== building car and the loopback server"
cargo build --quiet -p car-cli --bin car --example loopback_server
target=${CARGO_TARGET_DIR:-target}
car="$target/debug/car"

tmp=$(mktemp -d)
"$target/debug/examples/loopback_server" >"$tmp/server.out" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do grep -q '^endpoint=' "$tmp/server.out" 2>/dev/null && break; sleep 0.05; done
endpoint=$(sed -n 's/^endpoint=//p' "$tmp/server.out")

# Throw-away keys the loopback server accepts, in a private HOME.
mkdir -p "$tmp/home"
export HOME="$tmp/home" CAR_METADATA_ENDPOINT=off
export TENCENTCLOUD_SECRET_ID=$(sed -n 's/^TENCENTCLOUD_SECRET_ID=//p' "$tmp/server.out")
export TENCENTCLOUD_SECRET_KEY=$(sed -n 's/^TENCENTCLOUD_SECRET_KEY=//p' "$tmp/server.out")

run() {
  printf '\n$ car %s\n' "$*"
  "$car" "$@" --endpoint "$endpoint" 2>&1 || printf '(exit status %s)\n' "$?"
}

run describe-concurrent-count
run DescribeApplicationList --Offset 0 --Limit 10 --filter 'UserApplicationList[].ApplicationId'
run describe-cos-credential --application-id app-demo --output table
run create-session --user-id u-1 --user-ip 10.0.0.1 --client-session c2Vzc2lvbg== --dry-run
run describe-application-list --offset zero
