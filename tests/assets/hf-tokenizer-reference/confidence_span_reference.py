"""Confidence spans as the official VideoAuto-R1 code selects them, for first answers of many shapes.

Runs the reference functions of lmms_eval/models/simple/early_exit.py (pass its path; they are used unmodified
except that the torch imports are dropped, which these functions do not need) with Hugging Face tokenizers
(through bench/hf-tokenizers/hf_tokenizers.js) as the tokenizer. Each case is a stage-1 generation
"<prefix>\\boxed{<content>}<suffix>"; the span is computed as the demo does (inference_demo.py: stage-1 text up to
<think> plus the pseudo-suffix "<think>\\n</think>\\boxed{}"), but without its .strip() of the stage-1 text.
usage: python3 confidence_span_reference.py early_exit.py hf_tokenizers.js tokenizer.json SEED COUNT > out.jsonl
"""
import json
import random
import subprocess
import sys

early_exit_path, script, tokenizer_json, seed, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
source = "\n".join(line for line in open(early_exit_path).read().splitlines() if not line.startswith("import torch"))
reference = {}
exec(source, reference)


class NodeTokenizer:
    def __init__(self):
        self.enc = subprocess.Popen(["node", script, "encode", tokenizer_json], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.dec = subprocess.Popen(["node", script, "decode", tokenizer_json], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def _ask(self, process, item):
        process.stdin.write(json.dumps(item) + "\n")
        process.stdin.flush()
        return json.loads(process.stdout.readline())

    def encode(self, text, add_special_tokens=False):
        return self._ask(self.enc, {"text": text})["ids"]

    def decode_skip_special(self, ids):
        return self._ask(self.dec, {"ids": ids})["skip"]


contents = ["A", "b", " B ", "C.", "(D)", "[a]", "A. red car", "B) blue", "E: yes", "AB", "A car", "Answer: A", "[12.3, 20.1]",
            "[0.0, 5.5]", "C <> [20.3, 30.8]", "A <> [1.0, 2.5]", "\\frac{1}{2}", "42", "3.14", "-7", "two leaves", "yes", "猫",
            "🦜", "café", "Let's analyze the problem step by step.", " Let's analyze it", "", " ", "B\n", "\nA"]
prefixes = ["", "", "", " ", "\n", "The answer is ", "B ", "A", "So: "]
suffixes = ["<think>", "<think>", "\n<think>", " <think>", "\n\n<think>"]

random.seed(seed)
tokenizer = NodeTokenizer()
for _ in range(count):
    content = random.choice(contents)
    if random.random() < 0.3:
        content = content + random.choice(contents)
    text = random.choice(prefixes) + "\\boxed{" + content + "}" + random.choice(suffixes)
    gen_ids = tokenizer.encode(text)
    stage1 = tokenizer.decode_skip_special(gen_ids).split("<think>")[0]
    answer = stage1 + "<think>\n</think>\\boxed{}"
    first = reference["extract_first_boxed_content"](answer)
    span = [0, 0]
    if first and not first[0].lstrip().startswith("Let's analyze"):
        found = reference["find_token_span_for_text"](gen_ids, reference["normalize_text"](first[0]), tokenizer, answer)
        if found is not None:
            s, e = max(0, min(found[0], len(gen_ids))), max(0, min(found[1], len(gen_ids)))
            if e > s:
                span = [s, e - s]
    print(json.dumps({"text": text, "ids": gen_ids, "a1": first[0] if first else None, "span": span}, ensure_ascii=True))
