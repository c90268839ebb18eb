#!/usr/bin/env bash
# Builds `car` and runs the main job on the built-in emulator (`car --local`): no
# account, no network. It ships a version of an application (scripts/demo/demo-game.zip,
# a tiny package) with `car app release`. Each command starts the emulator in its own
# process on one data directory, so what one command creates, the next one sees.
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

# The job that matters most: ship a new version of an application.
app=$(run create-application --application-name demo-game --application-type Application3D \
  --filter ApplicationId --output text)
echo "$app"
run modify-application-base-info --application-id "$app" \
  --application-exe-path 'DemoGame\Binaries\DemoGame.exe' --application-inter-list '' \
  --application-base-info '{"WindowUseType":"ApplicationWindow","WindowName":"DemoGame","WindowClassName":"DemoGame","WindowCaptureMode":"HOOK"}' \
  --filter RequestId --output text
# Creates the version, gets COS keys with DescribeCosCredential, uploads the package
# (CRC-64 checked), processes it, checks the launch path is in it, and puts it live.
run app release scripts/demo/demo-game.zip --application-id "$app" --online
# State persists from command to command: the version is live.
run describe-application-version --application-id "$app" --output table
run describe-application-path-list --application-id "$app"
# Bad input is refused before anything is sent or created.
run app release scripts/demo.sh --application-id "$app"
