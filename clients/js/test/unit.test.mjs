// The client's logic without a mesh: a fake WebSocket plays the mesh's side of the protocol, so routing, resume,
// backoff, acknowledgements and keep-alive are checked fast and deterministically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshClient, MeshError, globMatches, topicMatches, fieldAt, socketUrl } from '../mesh-client.js';

/** A WebSocket that sends nowhere: the test opens it, hands it frames and closes it. */
function fakeSockets() {
  const sockets = [];
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      sockets.push(this);
    }
    send(text) {
      assert.equal(this.readyState, 1, 'sent only on an open socket');
      this.sent.push(JSON.parse(text));
    }
    close(code = 1000, reason = '') {
      if (this.readyState < 2) {
        this.readyState = 3;
        queueMicrotask(() => this.onclose?.({ code, reason, wasClean: true }));
      }
    }
    // the mesh's side
    open() {
      this.readyState = 1;
      this.onopen?.({});
    }
    receive(frame) {
      this.onmessage?.({ data: JSON.stringify(frame) });
    }
    drop(code = 1006) {
      this.readyState = 3;
      this.onclose?.({ code, reason: '', wasClean: false });
    }
    refuse() { // as Node's WebSocket does when the upgrade is answered 401: an error, no close, still CONNECTING
      this.onerror?.({});
    }
  }
  return { FakeWebSocket, sockets };
}

const tick = (ms = 0) => new Promise(resolve => setTimeout(resolve, ms));
const eventFrame = (topic, partition, offset, event) => ({ type: 'event', topic, partition, offset,
  timestamp: 0, event: { event_type: 'game.kill', ...event } });

async function until(what, check, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    assert.ok(Date.now() < deadline, `waited ${ms} ms for ${what}`);
    await tick(2);
  }
}

function connected(options = {}) {
  const { FakeWebSocket, sockets } = fakeSockets();
  const client = new MeshClient({ url: 'ws://mesh.test/ws', WebSocket: FakeWebSocket, backoff: { initialMs: 1,
    maxMs: 4 }, pingIntervalMs: 0, ...options });
  return { client, sockets };
}

test('topic globs match as the mesh matches them', () => {
  const cases = [
    ['game.*', 'game.combat.events', true], ['game.*', 'game.', true], ['game.*', 'game', false],
    ['*', 'anything.at.all', true], ['g?me.*', 'game.x', true], ['g?me.*', 'gme.x', false],
    ['*.events', 'game.combat.events', true], ['*.events', 'game.combat.event', false],
    ['a*b*c', 'aXXbYYc', true], ['a*b*c', 'aXXcYYb', false], ['*?*?', 'ab', true], ['*?*?', 'a', false],
    ['game.combat.events', 'game.combat.events', true], ['game.combat.events', 'game.combat.eventsX', false],
  ];
  for (const [glob, topic, expected] of cases) {
    assert.equal(globMatches(glob, topic), expected, `${glob} ~ ${topic}`);
  }
  assert.equal(topicMatches(['*'], '__consumer_offsets'), false, 'Kafka\'s own topics never match');
  assert.equal(fieldAt({ data: { match_id: 'm-1' } }, 'data.match_id'), 'm-1');
  assert.equal(fieldAt({ data: null }, 'data.match_id'), undefined);
  assert.equal(socketUrl('http://h:8080/ws', 'a&b'), 'ws://h:8080/ws?access_token=a%26b');
  assert.equal(socketUrl('wss://h/ws', null), 'wss://h/ws');
});

test('an event reaches every subscription it matches (topic, type, key), once; repeats are dropped', async () => {
  const { client, sockets } = connected();
  const got = { all: [], kills: [], mine: [], match: [] };
  client.subscribe({ id: 'all', topics: ['game.*'] }, f => got.all.push(f.offset));
  client.subscribe({ id: 'kills', topics: ['game.combat.*'], eventTypes: ['game.kill'] }, f => got.kills.push(f.offset));
  client.subscribe({ id: 'mine', topics: ['game.*'], key: { player_id: 'p-1' } }, f => got.mine.push(f.offset));
  client.subscribe({ id: 'match', topics: ['match-events'], key: { match_id: 'm-9' } }, f => got.match.push(f.offset));
  await until('a socket', () => sockets.length === 1);
  const ws = sockets[0];
  ws.open();
  assert.deepEqual(ws.sent.map(f => [f.op, f.id]), [['subscribe', 'all'], ['subscribe', 'kills'],
    ['subscribe', 'mine'], ['subscribe', 'match']]);
  assert.deepEqual(ws.sent[1].event_types, ['game.kill']);
  assert.deepEqual(ws.sent[2].key, { player_id: 'p-1' });
  for (const id of ['all', 'kills', 'mine', 'match']) {
    ws.receive({ type: 'subscribed', id, positions: {}, gaps: [] });
  }
  ws.receive(eventFrame('game.combat.events', 0, 0, { player_id: 'p-1' }));
  ws.receive(eventFrame('game.combat.events', 0, 1, { player_id: 'p-2', event_type: 'game.heal' }));
  ws.receive(eventFrame('game.social.events', 1, 0, { player_id: 'p-1', event_type: 'game.chat' }));
  ws.receive(eventFrame('match-events', 0, 5, { data: { match_id: 'm-9' } }));
  ws.receive(eventFrame('match-events', 0, 6, { data: { match_id: 'm-8' } }));
  ws.receive(eventFrame('game.combat.events', 0, 1, { player_id: 'p-2', event_type: 'game.heal' })); // a repeat
  ws.receive(eventFrame('__consumer_offsets', 0, 0, {}));
  assert.deepEqual(got, { all: [0, 1, 0], kills: [0], mine: [0, 0], match: [5] });
  const all = client.subscriptions.find(s => s.id === 'all');
  assert.equal(all.duplicates, 1);
  assert.deepEqual(all.positions(), { 'game.combat.events': { 0: 2 }, 'game.social.events': { 1: 1 } });
  await client.close();
});

test('after a drop it reconnects and subscribes again from the offsets it reached', async () => {
  const { client, sockets } = connected();
  const got = [];
  const sub = client.subscribe({ id: 's', topics: ['t'], eventTypes: ['game.kill'], start: 'latest' },
    f => got.push(f.offset));
  const never = client.subscribe({ id: 'later', topics: ['u'], start: 'earliest' });
  await until('a socket', () => sockets.length === 1);
  sockets[0].open();
  sockets[0].receive({ type: 'subscribed', id: 's', positions: { t: { 0: 10, 1: 20 } }, gaps: [] });
  sockets[0].receive(eventFrame('t', 0, 10, {}));
  sockets[0].receive(eventFrame('t', 0, 11, {}));
  sockets[0].receive({ type: 'skipped', topic: 't', partition: 1, offset: 20, reason: 'not a JSON object' });
  sockets[0].drop(1008);
  assert.equal(sub.state, 'pending');

  await until('a second socket', () => sockets.length === 2);
  sockets[1].open();
  const again = sockets[1].sent.find(f => f.id === 's');
  assert.deepEqual(again, { op: 'subscribe', id: 's', topics: ['t'], event_types: ['game.kill'],
    start: { offsets: { t: { 0: 12, 1: 21 } }, otherwise: 'earliest' } });
  assert.equal(sockets[1].sent.find(f => f.id === 'later').start, 'earliest', 'never positioned: as first asked');

  const gaps = [];
  sub.on('gaps', g => gaps.push(...g));
  const gap = { topic: 't', partition: 1, requested: 21, from: 30, reason: 'deleted by retention' };
  sockets[1].receive({ type: 'subscribed', id: 's', positions: { t: { 0: 12, 1: 30 } }, gaps: [gap] });
  sockets[1].receive(eventFrame('t', 0, 11, {})); // already seen before the drop
  sockets[1].receive(eventFrame('t', 0, 12, {}));
  sockets[1].receive(eventFrame('t', 1, 30, {}));
  assert.deepEqual(got, [10, 11, 12, 30]);
  assert.deepEqual(gaps, [gap]);
  assert.deepEqual(sub.gaps, [gap]);
  assert.equal(sub.duplicates, 1);
  assert.equal(never.state, 'pending');
  await client.close();
  assert.equal((await sub.finished).reason, 'closed');
});

test('backoff grows exponentially with jitter, capped', async () => {
  const { FakeWebSocket, sockets } = fakeSockets();
  const client = new MeshClient({ url: 'ws://mesh.test/ws', WebSocket: FakeWebSocket, pingIntervalMs: 0,
    backoff: { initialMs: 2, maxMs: 16, factor: 2 } });
  const delays = [];
  client.on('reconnecting', r => delays.push(r.delayMs));
  client.connect().catch(() => {});
  while (delays.length < 7) {
    await until('a socket', () => sockets.length === delays.length + 1);
    if (delays.length % 2) {
      sockets.at(-1).drop(1006); // the upgrade failed
    } else {
      sockets.at(-1).refuse();
    }
  }
  const ceilings = [2, 4, 8, 16, 16, 16, 16];
  delays.forEach((d, i) => assert.ok(d >= ceilings[i] / 2 - 0.5 && d <= ceilings[i] + 0.5,
    `attempt ${i + 1}: ${d} ms within [${ceilings[i] / 2}, ${ceilings[i]}]`));

  await until('another socket', () => sockets.length === 8);
  sockets.at(-1).open();
  sockets.at(-1).receive({ type: 'pong' }); // the mesh answered: the next drop backs off from the start
  sockets.at(-1).drop(1001);
  assert.ok(delays.at(-1) <= 2);
  await until('a socket still connecting', () => sockets.length === 9);
  await client.close(); // resolves though a connecting socket never reports its close
  assert.equal(client.state, 'closed');
  await tick(10);
  assert.equal(sockets.length, 9, 'a closed client does not reconnect');
});

test('publishes: a promise per event settled by its ack or error; a lost socket rejects what was sent', async () => {
  const { client, sockets } = connected();
  const early = client.publish({ topic: 't', event_type: 'a.b' }); // before the socket is open: sent once it is
  await until('a socket', () => sockets.length === 1);
  const ws = sockets[0];
  ws.open();
  const [first] = ws.sent;
  assert.equal(first.op, 'publish');
  assert.deepEqual(first.event, { topic: 't', event_type: 'a.b' });
  ws.receive({ type: 'ack', ref: first.ref, index: 0, event_id: 'e1', topic: 't', partition: 0, offset: 7 });
  assert.equal((await early).offset, 7);

  const [ok, bad] = client.publishEach([{ topic: 't' }, { topic: 'x' }]);
  const frame = ws.sent.at(-1);
  assert.equal(frame.events.length, 2);
  ws.receive({ type: 'error', ref: frame.ref, index: 1, status: 403,
    error: { code: 'forbidden', message: 'no', details: null } });
  ws.receive({ type: 'ack', ref: frame.ref, index: 0, event_id: 'e2', topic: 't', partition: 1, offset: 1 });
  assert.equal((await ok).event_id, 'e2');
  await assert.rejects(bad, e => e instanceof MeshError && e.status === 403 && e.code === 'forbidden');

  const whole = client.publishEach([{ topic: 't' }, { topic: 't' }]);
  ws.receive({ type: 'error', ref: ws.sent.at(-1).ref, status: 413, error: { code: 'too_many_events', message: 'm' } });
  for (const p of whole) {
    await assert.rejects(p, e => e.code === 'too_many_events');
  }

  const batch = client.publishBatch([{ topic: 't' }]);
  assert.equal(ws.sent.at(-1).ack, 'batch');
  ws.receive({ type: 'acks', ref: ws.sent.at(-1).ref, published: 1, failed: 0, results: [{ index: 0 }] });
  assert.equal((await batch).published, 1);

  const lost = client.publish({ topic: 't' });
  ws.drop(1011);
  await assert.rejects(lost, e => e.code === 'disconnected');
  await client.close();
  await assert.rejects(client.publish({ topic: 't' }), e => e.code === 'closed');
});

test('a refused subscription rejects, tells its listeners, and is not subscribed again', async () => {
  const { client, sockets } = connected();
  const errors = [];
  const sub = client.subscribe({ id: 'x', topics: ['secret.*'] });
  sub.on('error', e => errors.push(e.code));
  const unrelated = [];
  client.on('error', e => unrelated.push(e.code));
  await until('a socket', () => sockets.length === 1);
  sockets[0].open();
  sockets[0].receive({ type: 'error', ref: 'x', status: 403, error: { code: 'forbidden', message: 'no' } });
  await assert.rejects(sub.ready, e => e.status === 403);
  assert.deepEqual(errors, ['forbidden']);
  sockets[0].receive({ type: 'error', ref: null, status: 400, error: { code: 'malformed_json', message: 'm' } });
  assert.deepEqual(unrelated, ['malformed_json'], 'an error for nothing the client sent goes to the client');
  sockets[0].drop();
  await until('a second socket', () => sockets.length === 2);
  sockets[1].open();
  assert.deepEqual(sockets[1].sent, []);
  assert.throws(() => client.subscribe({ id: '~p1', topics: ['t'] }), TypeError);
  assert.throws(() => client.subscribe({ topics: ['t'], key: { guild_id: 'g' } }), /unknown channel field/);
  await client.close();
});

test('pings keep the socket alive; a silent mesh is given up and reconnected', async () => {
  const { client, sockets } = connected({ pingIntervalMs: 10, pongTimeoutMs: 10 });
  client.connect().catch(() => {});
  await until('a socket', () => sockets.length === 1);
  sockets[0].open();
  await until('a ping', () => sockets[0].sent.some(f => f.op === 'ping'));
  const ping = sockets[0].sent.find(f => f.op === 'ping');
  sockets[0].receive({ type: 'pong', ref: ping.ref });
  await until('the silent socket given up', () => sockets.length === 2, 2000);
  assert.equal(sockets[0].readyState, 3);
  await client.close();
});
