#!/usr/bin/env bash
# The README's first command: builds and starts the service on its default model (videoauto-r1-mini), waits until it
# is ready, asks two questions over REST and prints the answers and a few metrics, then stops the service:
#   - what samples/testsrc-4s.mp4 shows: answered at once (a1 with its confidence, early exit);
#   - how many screens of a sample counting clip are green: the model doubts a1, thinks, and answers again (a2).
#   scripts/demo.sh          two questions, then stop
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

echo "demo: starting the service (log: $log)" >&2
for _ in $(seq 1 300); do
  if curl -fsS http://localhost:8080/readyz >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$log" >&2; exit 1; fi
  sleep 1
done
curl -fsS http://localhost:8080/readyz >/dev/null || { echo "demo: service not ready after 300 s" >&2; cat "$log" >&2; exit 1; }
curl -sS http://localhost:8080/v1/models; echo

echo "demo: POST /v1/answers: what is shown in samples/testsrc-4s.mp4? (answered at once)" >&2
samples/ask.sh http://localhost:8080

count=samples/world/count-0c343c51dcb3.mp4
echo "demo: POST /v1/answers: how many of the screens in $count are green? (the model thinks, then answers again)" >&2
samples/ask.sh http://localhost:8080 "$count" \
  '{"question":"The video shows a sequence of coloured screens, one per second. How many of them are green?","task":"numeric"}'

echo "demo: a few of the engine's metrics from /metrics" >&2
curl -sS http://localhost:8080/metrics | grep -E '^videoautor1_(requests_total|a1_decisions_total|tokens_total|request_duration_seconds_count)' || true
if [ "$keep" = "--keep" ]; then
  echo "demo: the service keeps running as PID $server (Swagger UI: http://localhost:8080/swagger)" >&2
fi
