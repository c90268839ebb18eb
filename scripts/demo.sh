#!/usr/bin/env bash
# Builds `car` and runs it on the built-in emulator (`car --local`): no account, no
# network. Each command starts the emulator in its own process on one data directory,
# so what one command creates, the next one sees.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== building car"
cargo build --quiet -p car-cli --bin car
target=${CARGO_TARGET_DIR:-target}
car="$target/debug/car"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A private HOME (no tccli profile or keys of yours are read) and a throw-away data dir.
mkdir -p "$tmp/home"
export HOME="$tmp/home" CAR_METADATA_ENDPOINT=off
data="$tmp/emulator"

run() {
  printf '\n$ car --local %s\n' "$*" >&2
  "$car" --local --data-dir "$data" "$@" || printf '(exit status %s)\n' "$?" >&2
}

app=$(run create-application --application-name demo-game --application-type Application3D \
  --filter ApplicationId --output text)
echo "$app"
run describe-application-list --offset 0 --limit 10 --output table
run create-application-version --application-id "$app" --application-file-name game.zip \
  --filter 'Version.[ApplicationVersionId,ApplicationVersionStatus]' --output text
run describe-cos-credential --application-id "$app" --application-file-name game.zip \
  --filter '{bucket: CosBucket, region: CosRegion, path: Path}'
run create-application-version --application-id "$app" --application-file-name other.zip
run describe-application-list --offset zero
