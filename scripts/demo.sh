#!/usr/bin/env bash
# The README's first command: builds and starts the service on its default model, waits until it is ready, asks one
# question about samples/testsrc-4s.mp4 over REST, prints the answer and a few metrics, then stops the service.
#   scripts/demo.sh          one question, then stop
#   scripts/demo.sh --keep   leave the service running (REST/SSE/OpenAI :8080, /swagger, /metrics; gRPC :8081)
set -euo pipefail
cd "$(dirname "$0")/.."
keep="${1:-}"
scripts/prerequisites.sh >&2

echo "demo: building (Release)..." >&2
dotnet build src/VideoAutoR1.Service -c Release -v quiet -nologo >&2
log="$(mktemp "${TMPDIR:-/tmp}/videoautor1-demo.XXXXXX.log")"
dotnet src/VideoAutoR1.Service/bin/Release/net10.0/linux-x64/VideoAutoR1.Service.dll \
  --contentRoot "$PWD/src/VideoAutoR1.Service/bin/Release/net10.0/linux-x64" --Media:ServerPathRoot="$PWD/samples" >"$log" 2>&1 &
server=$!
stop() { if [ "$keep" != "--keep" ]; then kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; fi; }
trap stop EXIT

echo "demo: starting the service (log: $log); the first start writes the default model to ~/.cache/videoautor1" >&2
for _ in $(seq 1 300); do
  if curl -fsS http://localhost:8080/readyz >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$log" >&2; exit 1; fi
  sleep 1
done
curl -fsS http://localhost:8080/readyz >/dev/null || { echo "demo: service not ready after 300 s" >&2; cat "$log" >&2; exit 1; }
curl -sS http://localhost:8080/v1/models; echo

echo "demo: POST /v1/answers (multipart upload of samples/testsrc-4s.mp4)" >&2
samples/ask.sh http://localhost:8080

echo "demo: a few of the engine's metrics from /metrics" >&2
curl -sS http://localhost:8080/metrics | grep -E '^videoautor1_(requests_total|tokens_total|request_duration_seconds_count)' || true
if [ "$keep" = "--keep" ]; then
  echo "demo: the service keeps running as PID $server (Swagger UI: http://localhost:8080/swagger)" >&2
fi
