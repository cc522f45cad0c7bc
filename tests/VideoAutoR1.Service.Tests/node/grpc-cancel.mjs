// Starts a long AnswerStream and cancels it when a line arrives on stdin, as a client that goes away mid-stream (the
// test sends the line once it sees the sequence decoding, so a slow machine cannot make the cancel come too early).
// Usage: node grpc-cancel.mjs <host:port> <protos dir> <video file>
// Prints {"code": <gRPC status code seen by the client>} (1 = CANCELLED).
import fs from 'node:fs';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [address, protoRoot, videoPath] = process.argv.slice(2);
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
  process.stdin.once('data', () => call.cancel());
});
client.close();
process.stdin.destroy();
console.log(JSON.stringify({ code }));
