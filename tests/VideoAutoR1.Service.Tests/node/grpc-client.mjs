// Drives videoqa.v1.VideoQaService with @grpc/grpc-js + @grpc/proto-loader (a client nobody here wrote).
// Usage: node grpc-client.mjs <host:port> <protos dir> <video file> [api key]
// Prints one JSON object with the outcome of each call; the xunit test asserts on it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [address, protoRoot, videoPath, apiKey] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
const loadOptions = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };
const videoqa = grpc.loadPackageDefinition(
  protoLoader.loadSync('videoqa/v1/video_qa.proto', { ...loadOptions, includeDirs: [protoRoot] })).videoqa.v1;
const health = grpc.loadPackageDefinition(protoLoader.loadSync(path.join(here, 'health.proto'), loadOptions)).grpc.health.v1;

const client = new videoqa.VideoQaService(address, grpc.credentials.createInsecure());
const healthClient = new health.Health(address, grpc.credentials.createInsecure());
const metadata = () => {
  const m = new grpc.Metadata();
  if (apiKey) m.set('x-api-key', apiKey);
  return m;
};
const deadline = () => new Date(Date.now() + 120_000);
const video = fs.readFileSync(videoPath);
const question = { text: 'What pattern is shown?', options: ['Colour bars', 'A face', 'Text', 'Nothing'], task: 'TASK_KIND_MULTIPLE_CHOICE' };
const generation = { mode: 'ANSWER_MODE_THINK', maxNewTokens: 6 };

const unary = (method, request) => new Promise((resolve) =>
  client[method](request, metadata(), { deadline: deadline() }, (error, response) =>
    resolve(error ? { error: describe(error) } : { response })));

function describe(error) {
  return { code: error.code, details: error.details, hasStatusDetails: error.metadata.get('grpc-status-details-bin').length > 0 };
}

const stream = (request) => new Promise((resolve) => {
  const events = [];
  const call = client.AnswerStream(request, metadata(), { deadline: deadline() });
  call.on('data', (message) => events.push({ kind: message.event, message: message[message.event] }));
  call.on('error', (error) => resolve({ events, error: describe(error) }));
  call.on('end', () => resolve({ events }));
});

const upload = () => new Promise((resolve) => {
  const call = client.UploadAndAnswer(metadata(), { deadline: deadline() }, (error, response) =>
    resolve(error ? { error: describe(error) } : { response }));
  call.write({ header: { question, generation, fileName: path.basename(videoPath) } });
  for (let offset = 0; offset < video.length; offset += 4096) {
    call.write({ chunk: video.subarray(offset, offset + 4096) });
  }
  call.end();
});

const check = (service) => new Promise((resolve) =>
  healthClient.Check({ service }, metadata(), (error, response) => resolve(error ? { error: describe(error) } : response)));

const result = {
  health: await check('videoqa.v1.VideoQaService'),
  models: await unary('ListModels', {}),
  unary: await unary('Answer', { video: { content: video }, question, generation }),
  stream: await stream({ video: { content: video }, question, generation }),
  upload: await upload(),
  badThreshold: await unary('Answer', { video: { content: video }, question, generation: { ...generation, threshold: 1.5 } }),
  missingVideo: await unary('Answer', { question, generation }),
};
result.healthAfter = await check('');
client.close();
healthClient.close();
console.log(JSON.stringify(result));
