#!/usr/bin/env bash
# Runs the whole test suite and ends with one line: "N passed, N failed, N skipped".
# Usage: scripts/test.sh [Debug|Release]   (installs ffmpeg and the Node test clients first if they are missing)
set -euo pipefail
cd "$(dirname "$0")/.."
configuration="${1:-Release}"

scripts/prerequisites.sh

results="$(mktemp -d "${TMPDIR:-/tmp}/videoautor1-tests.XXXXXX")"
trap 'rm -rf "$results"' EXIT

status=0
dotnet build VideoAutoR1.Service.sln -c "$configuration" || exit 1

# One project at a time, each into its own results folder, so no report overwrites another.
projects=(tests/*.Tests/*.Tests.csproj)
for project in "${projects[@]}"; do
  name="$(basename "$project" .csproj)"
  dotnet test "$project" -c "$configuration" --no-build \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results/$name" \
    --blame-hang-timeout 20m || status=$?
done

# Sum the counters of every test assembly's TRX report.
read -r passed failed skipped < <(
  cat "$results"/*/*.trx 2>/dev/null \
    | grep -o '<Counters [^>]*>' \
    | awk '{
        for (i = 1; i <= NF; i++) {
          split($i, kv, "=");
          gsub(/[^0-9]/, "", kv[2]);
          c[kv[1]] = kv[2] + 0;
        }
        passed += c["passed"]; failed += c["failed"] + c["error"] + c["timeout"] + c["aborted"];
        skipped += c["notExecuted"] + c["inconclusive"];
      }
      END { printf "%d %d %d\n", passed, failed, skipped }'
)
reports=$(ls "$results"/*/*.trx 2>/dev/null | wc -l)
if [ "$reports" -lt "${#projects[@]}" ]; then
  echo "only $reports of ${#projects[@]} test projects produced a report (a test host crashed or did not build)" >&2
  failed=$((failed + ${#projects[@]} - reports))
  status=1
fi
if [ "$failed" -gt 0 ]; then status=1; fi

echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
