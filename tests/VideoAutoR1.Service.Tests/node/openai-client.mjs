// Drives POST /v1/chat/completions with the official `openai` npm client, plain and streaming.
// Usage: node openai-client.mjs <base url> <video file> [api key]
import fs from 'node:fs';
import OpenAI from 'openai';

const [baseUrl, videoPath, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: apiKey ?? 'unused', maxRetries: 0, timeout: 120_000 });
const dataUri = `data:video/mp4;base64,${fs.readFileSync(videoPath).toString('base64')}`;
const messages = [{
  role: 'user',
  content: [
    { type: 'video_url', video_url: { url: dataUri } },
    { type: 'text', text: 'How many coloured bars are there?' },
  ],
}];

const models = await client.models.list();
const completion = await client.chat.completions.create({
  model: 'videoautor1', messages, max_tokens: 6, videoautor1: { task: 'numeric', mode: 'think' },
});

const chunks = [];
const stream = await client.chat.completions.create({ model: 'videoautor1', messages, max_tokens: 6, stream: true });
for await (const chunk of stream) {
  chunks.push(chunk);
}

let error = null;
try {
  await client.chat.completions.create({ model: 'videoautor1', messages, videoautor1: { threshold: 0 } });
} catch (e) {
  error = { status: e.status, body: e.error ?? null };
}

console.log(JSON.stringify({ models: models.data, completion, chunks, error }));
