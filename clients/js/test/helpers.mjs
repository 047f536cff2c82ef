// What the live tests share: the mesh they run against (from the environment), topic creation and publishing over
// HTTP, and bounded waiting. MESH_URL is the gateway's base URL (http://127.0.0.1:8080), MESH_TOKEN an API key or
// JWT allowed to create, publish to and stream the topics under MESH_TOPIC_PREFIX (default "js"), and not to stream
// other.* (without MESH_TOKEN the mesh must accept anonymous clients, as on a laptop).
import { randomUUID } from 'node:crypto';

export const MESH_URL = process.env.MESH_URL;
export const TOKEN = process.env.MESH_TOKEN || null;
export const PREFIX = process.env.MESH_TOPIC_PREFIX || 'js';
export const WS_URL = MESH_URL ? `${MESH_URL.replace(/^http/, 'ws')}/ws` : null;
/** A test waits at most this long for what it expects: bounds waiting, says nothing of speed. */
export const WAIT_MS = 30000;

if (!MESH_URL) {
  throw new Error('set MESH_URL to a running mesh (e.g. http://127.0.0.1:8080), and MESH_TOKEN where it needs one');
}

async function http(method, path, body) {
  const headers = { 'content-type': 'application/json' };
  if (TOKEN) {
    headers.authorization = `Bearer ${TOKEN}`;
  }
  const response = await fetch(`${MESH_URL}${path}`, { method, headers, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  }
  return JSON.parse(text);
}

/** Creates a topic with a unique name under the prefix; returns its name. */
export async function createTopic(name, partitions) {
  const topic = `${PREFIX}.${name}-${randomUUID().slice(0, 8)}`;
  await http('POST', '/topics', { name: topic, partitions });
  return topic;
}

/** Publishes events over HTTP (POST /events/publish/batch); every one must be accepted. */
export async function publishHttp(events) {
  const answer = await http('POST', '/events/publish/batch', { events });
  if (answer.failed) {
    throw new Error(`publish failed: ${JSON.stringify(answer)}`);
  }
  return answer.results;
}

/** Resolves once `check()` is true (polled); rejects after `ms` with `what` and the last state. */
export async function until(what, check, ms = WAIT_MS, state = () => '') {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`waited ${ms} ms for ${what}; ${state()}`);
    }
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

/** A promise that rejects after `ms` unless `promise` settles first. */
export function within(promise, what, ms = WAIT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A WebSocket class that remembers every socket it made, so a test can close one under the client. */
export function trackedWebSocket() {
  const sockets = [];
  class Tracked extends WebSocket {
    constructor(...args) {
      super(...args);
      sockets.push(this);
    }
  }
  return { WebSocket: Tracked, sockets };
}

/** Checks that frames of one subscription came in order with no gap and no repeat per partition (from `from`). */
export function contiguous(frames, from = {}) {
  const next = new Map(Object.entries(from).map(([p, o]) => [Number(p), o]));
  for (const f of frames) {
    const expected = next.get(f.partition) ?? 0;
    if (f.offset !== expected) {
      return `partition ${f.partition}: offset ${f.offset} where ${expected} was next`;
    }
    next.set(f.partition, f.offset + 1);
  }
  return null;
}
