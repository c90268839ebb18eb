#!/usr/bin/env bash
# Mutation testing of the code that guards money and secrets: signing, retry
# classification and back-off, the rate limiter, redaction, parameter checks and
# credential caching. Each mutant the tests do not catch is a change to that code that
# the suite would let through.
#
# Usage: scripts/mutants.sh [NAME...]   (names below; default: all of them)
# Env:   MUTANTS_SINCE=REV mutates only the lines changed since REV (cargo-mutants
#        --in-diff), for re-checking a change to code whose full run is already clean;
#        MUTANTS_TIMEOUT seconds per test run (default 60: the slowest target, faults,
#        takes about 5 s; a mutant that makes a loop spin should not cost minutes)
#
# It mutates a copy of HEAD's tracked files under target/mutants/src (never your working
# tree) in place, one mutant at a time, and keeps one target dir for all runs, so each
# mutant is an incremental build (a copy per job would rebuild everything).
# Results: target/mutants/out/<NAME>/mutants.out/{caught,missed,timeout,unviable}.txt
set -euo pipefail

VERSION=27.1.0
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! cargo mutants --version 2>/dev/null | grep -qx "cargo-mutants $VERSION"; then
  cargo install --locked cargo-mutants --version "$VERSION"
fi

# name | file | regex of mutant names to keep ("" = all) | cargo test arguments
targets=(
  "signing|car-api/src/signing.rs||--lib --test signing_vectors --test signing_keys --test signing_verify"
  "retry|car-api/src/retry.rs||--lib --test faults"
  "classify|car-api/src/client.rs|classify_answer|send_failure|call_raw|--lib --test faults --test trace_output --test responses"
  "rate_limit|car-api/src/rate_limit.rs||--lib --test faults"
  "redact|car-api/src/redact.rs||--lib --test redaction --test responses --test examples_roundtrip --test client_roundtrip"
  "params|car-api/src/params.rs||--lib --test params --test params_sites --test responses"
  "cache|car-api/src/credentials/cache.rs||--lib --test credentials"
)

work=$root/target/mutants
src=$work/src
rm -rf "$src"
mkdir -p "$src" "$work/out"
# -m: files get the current time, not the commit's, or cargo would keep binaries built
# from the last mutant of an earlier run as if they were up to date.
git archive HEAD | tar -x -m -C "$src"
export CARGO_TARGET_DIR=$work/target

wanted=("$@")
summary=()
for t in "${targets[@]}"; do
  IFS='|' read -r -a f <<<"$t"
  name=${f[0]}
  file=${f[1]}
  # The regex may itself contain `|`: everything between the file and the last field.
  re=$(IFS='|'; echo "${f[*]:2:${#f[@]}-3}")
  tests=${f[${#f[@]}-1]}
  if ((${#wanted[@]})) && [[ " ${wanted[*]} " != *" $name "* ]]; then
    continue
  fi
  args=(--in-place --dir "$src" --package car-api --test-package car-api --file "$file" --all-features
    --timeout "${MUTANTS_TIMEOUT:-60}"
    --output "$work/out/$name")
  [[ -n $re ]] && args+=(--re "$re")
  if [[ -n ${MUTANTS_SINCE:-} ]]; then
    git diff "$MUTANTS_SINCE" HEAD -- "$file" >"$work/$name.diff"
    args+=(--in-diff "$work/$name.diff")
  fi
  echo "== $name: cargo mutants ${args[*]} ($tests)"
  # Exit status 2 (missed mutants) and 3 (timeouts) are reported below; anything else
  # (bad usage, a failing baseline) stops the script.
  status=0
  # The test targets go to every cargo call (--cargo-arg), so each mutant builds only those.
  for a in $tests; do args+=("--cargo-arg=$a"); done
  cargo mutants "${args[@]}" || status=$?
  if ((status != 0 && status != 2 && status != 3)); then
    echo "cargo mutants failed for $name (exit $status)" >&2
    exit "$status"
  fi
  out=$work/out/$name/mutants.out
  count() { if [[ -f $out/$1.txt ]]; then grep -c . "$out/$1.txt" || true; else echo 0; fi; }
  summary+=("$(printf '%-11s caught %3s  missed %3s  unviable %3s  timeout %3s' \
    "$name" "$(count caught)" "$(count missed)" "$(count unviable)" "$(count timeout)")")
  if [[ -s $out/missed.txt ]]; then
    echo "missed in $name:"
    cat "$out/missed.txt"
  fi
done

echo "== summary"
printf '%s\n' "${summary[@]}"
