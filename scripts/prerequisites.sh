#!/usr/bin/env bash
# Installs what the service and its tests need beyond the .NET SDK, only when missing:
# ffmpeg/ffprobe and prometheus (Debian packages; prometheus brings promtool) and the Node packages of the tests (npm):
# the interoperability clients and the Kubernetes schema validator. kubectl is optional: without it the deploy tests
# that render the kustomize overlays are skipped, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# ffmpeg/ffprobe decode videos; prometheus is the real scraper of the metrics integration test.
missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v prometheus >/dev/null || missing+=(prometheus)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "prerequisites: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for dir in tests/*/node bench/node; do
  if [ -f "$dir/package.json" ] && [ ! -d "$dir/node_modules" ]; then
    echo "prerequisites: npm install in $dir" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
