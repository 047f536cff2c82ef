// A player's app in a few lines: its personal channel plus a shared topic on one socket, a publish with its ack.
// Against a mesh on a laptop (java -jar target/event-mesh.jar):
//   node --experimental-websocket clients/js/example.mjs        (Node 20; Node 22+ needs no flag)
// Elsewhere: MESH_URL=wss://mesh.example/ws MESH_TOKEN=<API key or JWT> node clients/js/example.mjs
import { MeshClient } from './mesh-client.js';

const client = new MeshClient({
  url: process.env.MESH_URL || 'ws://localhost:8080/ws',
  token: process.env.MESH_TOKEN, // sent as ?access_token=; give a function to hand a fresh JWT to every reconnect
});
client.on('reconnecting', r => console.log(`reconnecting in ${r.delayMs} ms (${r.code} ${r.reason || ''})`));

// Personal channel: only player p-1's events of the social topic (a mesh without `key` support answers 400).
const mine = client.subscribe({ id: 'me', topics: ['game.social.events'], key: { player_id: 'p-1' } },
  frame => console.log(`me    ${frame.topic}/${frame.partition}@${frame.offset} ${frame.event.data.text}`));
await mine.ready.catch(e => console.log(`personal channel refused: ${e.status} ${e.code}: ${e.message}`));

// A shared channel on the same socket (a mesh holding one subscription per socket answers 409 already_subscribed).
const chats = client.subscribe({ id: 'chat', topics: ['game.social.*'], eventTypes: ['social.chat.sent'] },
  frame => console.log(`chat  ${frame.event.player_id}: ${frame.event.data.text}`));
await chats.ready.catch(e => console.log(`shared channel refused: ${e.status} ${e.code}`));

for (const [player, text] of [['p-1', 'hello from p-1'], ['p-2', 'hello from p-2']]) {
  const ack = await client.publish({ topic: 'game.social.events', event_type: 'social.chat.sent', source: 'example',
    player_id: player, payload: { text } });
  console.log(`published ${ack.event_id} at ${ack.topic}/${ack.partition}@${ack.offset}`);
}
await new Promise(resolve => setTimeout(resolve, 1000));
console.log('resume point of "me":', JSON.stringify(mine.positions()).slice(0, 120), '…');
await client.close();
