// Prints the default model's per-family evidence as Markdown, from the summaries scripts/evaluate-default-model.sh
// wrote into DIR: auto / think / direct on the test split, auto on the fresh clips, and the calibration's choice.
//   node scripts/evidence-table.mjs DIR
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
const read = (name) => JSON.parse(readFileSync(join(dir, name), "utf8"));
const modes = Object.fromEntries(["auto", "think", "direct", "fresh-auto"].map((m) => [m, read(`${m}-summary.json`)]));
const pct = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(1)}`);
const num = (v) => (v === null || v === undefined ? "–" : v.toFixed(1));
const categories = (summary) => Object.fromEntries(summary.benchmarks.flatMap((b) => b.categories).map((c) => [c.name, c.metrics]));
const by = Object.fromEntries(Object.entries(modes).map(([m, s]) => [m, categories(s)]));
// Accuracy, or for grounding (no right/wrong) R@0.5, the share of answers with IoU >= 0.5.
const score = (m, key) => (m[key] ?? m["r@0.5"]);

const lines = [];
lines.push(`Held-out test split, ${modes.auto.overall.items} clips (seed 7), and ${modes["fresh-auto"].overall.items} fresh clips (seed 99); τ = ${modes.auto.threshold}.`);
lines.push("Accuracy in % (grounding: R@0.5, mIoU in brackets); tokens = mean generated tokens.");
lines.push("");
lines.push("| family | auto final | auto think rate | auto tokens | think a1 | think a2 | think final | think tokens | direct a1 | direct tokens | fresh clips, auto final |");
lines.push("|---|---|---|---|---|---|---|---|---|---|---|");
const families = Object.keys(by.auto).sort();
for (const f of [...families, "all"]) {
  const pick = (m) => (f === "all" ? modes[m].overall : by[m][f]);
  const [a, t, d, x] = ["auto", "think", "direct", "fresh-auto"].map(pick);
  const final = (m) => (m.accuracy_final ?? null) === null && m.mean_iou !== null && m.mean_iou !== undefined
    ? `${pct(m["r@0.5"])} (${pct(m.mean_iou)})` : pct(m.accuracy_final);
  lines.push(`| ${f} | ${final(a)} | ${pct(a.think_rate)} | ${num(a.mean_generated_tokens)} | ${pct(t.accuracy_a1)} | ${pct(t.accuracy_a2)} | ${final(t)} | ${num(t.mean_generated_tokens)} | ${pct(score(d, "accuracy_a1"))} | ${num(d.mean_generated_tokens)} | ${final(x)} |`);
}
const calibration = join(dir, "calibration", "calibration.csv");
if (existsSync(calibration)) {
  lines.push("");
  lines.push(`Auto mode over τ (replayed from the think run): \`calibration/calibration.csv\`, \`calibration/calibration.png\`.`);
}
console.log(lines.join("\n"));
