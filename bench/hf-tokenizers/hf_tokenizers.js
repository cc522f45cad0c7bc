// Hugging Face's Rust `tokenizers` (npm binding), used as the reference and the baseline of the `tokenizer` benchmark.
//   node hf_tokenizers.js encode <tokenizer.json>            JSONL {"text"} on stdin -> same objects + "ids", "decoded"
//   node hf_tokenizers.js decode <tokenizer.json>            JSONL {"ids"} on stdin -> same objects + "keep", "skip"
//        (decoded with special tokens kept / skipped)
//   node hf_tokenizers.js bench <tokenizer.json> <docs.json> <seconds>
//        docs.json: a JSON array of strings. Prints one JSON line with the MB/s of encodeBatch (set
//        TOKENIZERS_PARALLELISM=false for one thread) and of one encode() call per document.
'use strict';
const fs = require('fs');
const readline = require('readline');
const { Tokenizer } = require('tokenizers');

async function encodeJsonl(tokenizer) {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const item = JSON.parse(line);
    const ids = (await tokenizer.encode(item.text, null, { addSpecialTokens: false })).getIds();
    item.ids = ids;
    item.decoded = ids.length === 0 ? '' : await tokenizer.decode(ids, false);
    process.stdout.write(JSON.stringify(item) + '\n');
  }
}

async function decodeJsonl(tokenizer) {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const item = JSON.parse(line);
    item.keep = item.ids.length === 0 ? '' : await tokenizer.decode(item.ids, false);
    item.skip = item.ids.length === 0 ? '' : await tokenizer.decode(item.ids, true);
    process.stdout.write(JSON.stringify(item) + '\n');
  }
}

// Repeats `pass` until `seconds` have elapsed (at least once) and returns MB/s over all passes.
async function throughput(bytes, seconds, pass) {
  await pass(); // warm-up: caches, lazy init
  let passes = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    await pass();
    passes++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < seconds);
  return { mbPerSecond: (bytes * passes) / 1e6 / elapsed, passes, seconds: elapsed };
}

async function bench(tokenizer, docsPath, seconds) {
  const docs = JSON.parse(fs.readFileSync(docsPath, 'utf8'));
  const bytes = docs.reduce((sum, d) => sum + Buffer.byteLength(d, 'utf8'), 0);
  let tokens = 0;
  for (const encoding of await tokenizer.encodeBatch(docs, { addSpecialTokens: false })) tokens += encoding.getIds().length;
  const batch = await throughput(bytes, seconds, () => tokenizer.encodeBatch(docs, { addSpecialTokens: false }));
  const single = await throughput(bytes, seconds, async () => {
    for (const d of docs) await tokenizer.encode(d, null, { addSpecialTokens: false });
  });
  process.stdout.write(JSON.stringify({ bytes, documents: docs.length, tokens, encodeBatch: batch, encodeEach: single }) + '\n');
}

async function main() {
  const [mode, tokenizerPath, ...rest] = process.argv.slice(2);
  const tokenizer = Tokenizer.fromFile(tokenizerPath);
  if (mode === 'encode') await encodeJsonl(tokenizer);
  else if (mode === 'decode') await decodeJsonl(tokenizer);
  else if (mode === 'bench') await bench(tokenizer, rest[0], Number(rest[1] ?? 3));
  else throw new Error('usage: hf_tokenizers.js encode|decode|bench <tokenizer.json> ...');
}

main().catch((error) => { console.error(error); process.exit(1); });
