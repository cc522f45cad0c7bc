#!/usr/bin/env bash
# Asks the running service (default http://localhost:8080) a question about the sample video, as a multipart upload.
# Usage: samples/ask.sh [base-url]       e.g. samples/ask.sh http://localhost:8080
# The sample is 4 s of ffmpeg's testsrc pattern (colour bars, counter), made with:
#   ffmpeg -f lavfi -i testsrc=duration=4:size=320x240:rate=10 -c:v libx264 -pix_fmt yuv420p -crf 30 -movflags +faststart testsrc-4s.mp4
set -euo pipefail
base="${1:-http://localhost:8080}"
here="$(cd "$(dirname "$0")" && pwd)"
curl -sS --fail-with-body -X POST "$base/v1/answers" \
  -F 'request={"question":"What is shown in the video?","options":["Colour test bars","A person walking","A city at night","A page of text"],"max_new_tokens":64};type=application/json' \
  -F "video=@$here/testsrc-4s.mp4;type=video/mp4"
echo
