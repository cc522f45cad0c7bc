"""Random texts (mode "text") or random id sequences (mode "ids") that stress the Qwen tokenizer.
usage: python3 generate_stress.py text SEED COUNT > texts.jsonl | python3 generate_stress.py ids SEED COUNT > ids.jsonl"""
import json, random, sys, unicodedata
mode, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(seed)
pools = [
 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", "'''sStTrReEvVmMlLdD", " \t\n\r\u00a0\u2028\u3000\u2009\u000b\u000c\u0085",
 "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~", "你好世界视频问题答案的一是在不了有和人这中大为上个国", "مرحبا بالعالم", "नमस्ते दुनिया", "ἀβγδ Ωμέγα",
 "ſKÅﬁﬀ", "e\u0301a\u0300o\u0308\u0338<>=", "😀🎉👍🏽‍♂️🇯🇵", "𝐀𝐁𝐂𝟙𝟚𝟘𝔸𝕏", "\U0001F9D1\u200d\U0001F4BB", "\ue000\U000F0000\U0010FFFD\u0378\U0001FFFF",
 "ÀÉÎÕÜçñß", "ãƒ\u00e2\u0080\u0099", "\ufeff\u200b\u00ad",
]
specials = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|vision_start|>", "<|video_pad|>", "<think>", "</think>", "<|im_", "<think", "|>", "<tool_call>"]
words = ["the","video","boxed","\\boxed{A}","Let's","analyze"," [12.3, 20.1]","A <> [1.0, 2.5]","don't","I'LL","it's","'re"]
out = []
if mode == "ids":
    # byte tokens that split UTF-8 characters, braces, think/special tokens, and anything else
    pool = [123918, 250, 35702, 13989, 59, 79075, 90, 92, 151667, 151668, 151643, 151644, 151645, 151656, 220, 198, 33, 11162, 99,
            119505, 119448, 126, 227] + list(range(128, 260))
    for i in range(count):
        ids = [random.choice(pool) if random.random() < 0.7 else random.randint(0, 151668) for _ in range(random.randint(0, 12))]
        out.append(json.dumps({"ids": ids}))
    print("\n".join(out))
    sys.exit()
for i in range(count):
    parts = []
    for _ in range(random.randint(0, 12)):
        r = random.random()
        if r < 0.1: parts.append(random.choice(specials))
        elif r < 0.3: parts.append(random.choice(words))
        else:
            pool = random.choice(pools)
            parts.append("".join(random.choice(pool) for _ in range(random.randint(1, 8))))
    text = "".join(parts)
    if random.random() < 0.2: text = unicodedata.normalize("NFD", text)
    out.append(json.dumps({"text": text, "n": i}))
print("\n".join(out))
