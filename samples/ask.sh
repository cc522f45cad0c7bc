#!/usr/bin/env bash
# Asks the running service a question about a video, as a multipart upload, and prints the JSON answer.
# Usage: samples/ask.sh [base-url] [video] [request-json]
#   samples/ask.sh                                   the pattern question below about samples/testsrc-4s.mp4
#   samples/ask.sh http://localhost:8080 samples/world/count-....mp4 '{"question":"...","task":"numeric"}'
# testsrc-4s.mp4 is 4 s of ffmpeg's testsrc pattern (colour bars with a counter), made with:
#   ffmpeg -f lavfi -i testsrc=duration=4:size=320x240:rate=10 -c:v libx264 -pix_fmt yuv420p -crf 30 -movflags +faststart testsrc-4s.mp4
# samples/world/ holds clips of the default model's synthetic world (samples/world/items.jsonl: their questions).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
base="${1:-http://localhost:8080}"
video="${2:-$here/testsrc-4s.mp4}"
request="${3:-{\"question\":\"What is shown in the video?\",\"options\":[\"colour bars\",\"a test pattern with a counter\",\"a fractal\",\"a cellular automaton\"]\}}"
curl -sS --fail-with-body -X POST "$base/v1/answers" \
  -F "request=$request;type=application/json" \
  -F "video=@$video;type=video/mp4"
echo
