// Starts a long AnswerStream and cancels it after <delay ms>, as a client that goes away mid-stream.
// Usage: node grpc-cancel.mjs <host:port> <protos dir> <video file> <delay ms>
// Prints {"code": <gRPC status code seen by the client>} (1 = CANCELLED).
import fs from 'node:fs';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [address, protoRoot, videoPath, delay] = process.argv.slice(2);
const videoqa = grpc.loadPackageDefinition(protoLoader.loadSync('videoqa/v1/video_qa.proto', {
  keepCase: false, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [protoRoot],
})).videoqa.v1;
const client = new videoqa.VideoQaService(address, grpc.credentials.createInsecure());

const code = await new Promise((resolve) => {
  const call = client.AnswerStream({
    video: { content: fs.readFileSync(videoPath) },
    question: { text: 'What pattern is shown?' },
    generation: { mode: 'ANSWER_MODE_THINK', maxNewTokens: 4000 },
  });
  call.on('data', () => {});
  call.on('error', (error) => resolve(error.code));
  call.on('end', () => resolve(0));
  setTimeout(() => call.cancel(), Number(delay));
});
client.close();
console.log(JSON.stringify({ code }));
