// A WebSocket client of the mesh that is not Java: subscribes to a topic from its beginning, reads `count` events,
// publishes one event over the same socket, and prints every frame it got as one JSON line. Exits 1 on a timeout,
// an error frame or an unexpected close.
//
//   node ws-client.mjs ws://127.0.0.1:8080/ws <topic> <count>
import WebSocket from 'ws';

const [url, topic, count] = process.argv.slice(2);
const wanted = Number(count);
const ws = new WebSocket(url);
let events = 0;

const fail = (why) => {
  console.error(why);
  process.exit(1);
};
setTimeout(() => fail(`timed out after ${events} events`), 60_000).unref();

ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', id: 'node', topics: [topic], start: 'earliest' })));
ws.on('message', (data, isBinary) => {
  if (isBinary) fail('binary frame');
  const frame = JSON.parse(data.toString());
  console.log(JSON.stringify(frame));
  if (frame.type === 'error') fail(`error frame: ${JSON.stringify(frame.error)}`);
  if (frame.type === 'event' && ++events === wanted) {
    ws.send(JSON.stringify({
      op: 'publish', ref: 'from-node',
      event: { event_type: 'game.chat', topic, source: 'node-client', payload: { text: 'hello from node' } },
    }));
  }
  if (frame.type === 'ack') ws.close(1000, 'done');
});
ws.on('close', (code) => (code === 1000 && events >= wanted ? process.exit(0) : fail(`closed with ${code}`)));
ws.on('error', (e) => fail(`socket error: ${e.message}`));
