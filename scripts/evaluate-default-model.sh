#!/usr/bin/env bash
# Regenerates the default model's evidence (its model card and the README quote the figures it prints):
#   scripts/evaluate-default-model.sh [MODEL_DIR] [OUT_DIR]
# 1. renders the world's held-out test split (30 clips per family, seed 7) and a second test set with another seed
#    (seed 99: other clips, sizes, frame rates), never seen in training;
# 2. answers the first in auto, think and direct mode and the second in auto mode, with the engine the service runs;
# 3. replays auto mode over a τ grid from the think run (calibration.csv / calibration.png);
# 4. writes OUT_DIR/results.md, the per-family table of the model card.
# MODEL_DIR defaults to the shipped default model; OUT_DIR to models/videoauto-r1-mini/evaluation.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-}"
out="${2:-models/videoauto-r1-mini/evaluation}"
per_family="${PER_FAMILY:-30}"
scripts/prerequisites.sh >&2
dotnet build src/VideoAutoR1.Cli -c Release -v quiet -nologo >&2
cli=(dotnet src/VideoAutoR1.Cli/bin/Release/net10.0/linux-x64/videoautor1.dll)
model_args=()
if [ -n "$model" ]; then model_args=(--model "$model"); fi
clips="$(mktemp -d "${TMPDIR:-/tmp}/videoautor1-evidence.XXXXXX")"
trap 'rm -rf "$clips"' EXIT
mkdir -p "$out"

"${cli[@]}" world --out "$clips/test" --split test --per-family "$per_family" --seed 7 >/dev/null
"${cli[@]}" world --out "$clips/fresh" --split test --per-family "$per_family" --seed 99 >/dev/null
for mode in auto think direct; do
  echo "evidence: $mode mode on the test split" >&2
  "${cli[@]}" eval "${model_args[@]}" --data "$clips/test/items.jsonl" --video-root "$clips/test" --mode "$mode" \
    --out "$out/$mode.jsonl" --summary "$out/$mode-summary.json" --no-progress
done
echo "evidence: auto mode on fresh clips (seed 99)" >&2
"${cli[@]}" eval "${model_args[@]}" --data "$clips/fresh/items.jsonl" --video-root "$clips/fresh" --mode auto \
  --out "$out/fresh-auto.jsonl" --summary "$out/fresh-auto-summary.json" --no-progress
"${cli[@]}" calibrate "$out/think.jsonl" --out "$out/calibration" --target best
node scripts/evidence-table.mjs "$out" > "$out/results.md"
cat "$out/results.md"
