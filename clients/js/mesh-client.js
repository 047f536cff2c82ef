// A client of the NECP Event Mesh's WebSocket protocol (/ws) for browsers and Node >= 20. One ES module, no
// dependency, no build step; its types are in mesh-client.d.ts. The protocol is described in the README's
// "WebSocket (/ws)" section; this file does what a careful client of it must do:
//
//  - connects with a token (as ?access_token=, the one way a browser can pass credentials on a WebSocket);
//  - holds several subscriptions ("channels") on one socket, each with its id, topic globs, event types, filter,
//    key and start, and hands every event frame to each of its subscriptions that matches it (the mesh sends an
//    event once per socket, without saying for which subscription);
//  - keeps, per subscription, the next offset of every partition, and after a disconnect reconnects with capped
//    exponential backoff and jitter and subscribes again from those offsets: nothing lost, nothing twice;
//  - publishes with acknowledgements (a Promise per event, or one per batch), pings, and closes.

/** The addressed fields a `key` may name by default: name -> path in the envelope (`websocket.channel_fields`). */
export const DEFAULT_CHANNEL_FIELDS = Object.freeze({
  player_id: 'player_id',
  session_id: 'session_id',
  match_id: 'data.match_id',
});

/** Refs the library puts on its own frames start with this; a subscription id may not. */
const RESERVED = '~';
const PUBLISH_PREFIX = `${RESERVED}p`;
const PING_PREFIX = `${RESERVED}k`;

/**
 * A refusal from the mesh (an `error` frame: `status` is the HTTP status it would have had), or a failure of the
 * connection (`status` 0: `disconnected`, `closed`, `queue_full`, `timeout`).
 */
export class MeshError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {unknown} [details]
   * @param {string | number | null} [ref]
   * @param {number} [index]
   */
  constructor(status, code, message, details, ref, index) {
    super(message);
    this.name = 'MeshError';
    this.status = status;
    this.code = code;
    this.details = details ?? null;
    this.ref = ref ?? null;
    this.index = index;
  }

  /** @param {any} frame an `error` frame */
  static of(frame) {
    const e = frame.error || {};
    return new MeshError(frame.status ?? 0, e.code ?? 'error', e.message ?? 'refused by the mesh', e.details,
      frame.ref, frame.index);
  }
}

/**
 * Whether a topic matches a glob as the mesh matches it (its TopicGlob): `*` any run of characters, dots included;
 * `?` one character; anything else itself. Star-backtracking, so a hostile glob costs at most |topic| x |glob|.
 * @param {string} glob
 * @param {string} topic
 * @returns {boolean}
 */
export function globMatches(glob, topic) {
  let g = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < topic.length) {
    if (g < glob.length && (glob[g] === '?' || glob[g] === topic[t])) {
      g++;
      t++;
    } else if (g < glob.length && glob[g] === '*') {
      star = g++;
      resume = t;
    } else if (star >= 0) {
      g = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') {
    g++;
  }
  return g === glob.length;
}

/**
 * Whether any glob matches the topic; Kafka's own `__` topics never match (as in the mesh).
 * @param {readonly string[]} globs
 * @param {string} topic
 */
export function topicMatches(globs, topic) {
  return typeof topic === 'string' && !topic.startsWith('__') && globs.some(glob => globMatches(glob, topic));
}

/**
 * The value at a dotted path of an envelope (`data.match_id`), or undefined.
 * @param {unknown} envelope
 * @param {string} path
 */
export function fieldAt(envelope, path) {
  let at = /** @type {any} */ (envelope);
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object') {
      return undefined;
    }
    at = at[part];
  }
  return at;
}

/** A minimal listener registry that works the same in browsers and Node. */
class Listeners {
  /** @type {Map<string, Set<Function>>} */
  #byType = new Map();

  /**
   * Calls `listener` for every `type` emitted; returns a function that removes it.
   * @param {string} type
   * @param {Function} listener
   * @returns {() => void}
   */
  on(type, listener) {
    let set = this.#byType.get(type);
    if (!set) {
      set = new Set();
      this.#byType.set(type, set);
    }
    set.add(listener);
    return () => this.off(type, listener);
  }

  /** @param {string} type @param {Function} listener */
  off(type, listener) {
    this.#byType.get(type)?.delete(listener);
  }

  /** @param {string} type */
  listens(type) {
    return (this.#byType.get(type)?.size ?? 0) > 0;
  }

  /**
   * A listener that throws does not break the client: its error is rethrown on its own task, as an EventTarget
   * does (the browser's console, Node's uncaught exception).
   * @param {string} type
   * @param {...unknown} args
   */
  emit(type, ...args) {
    const set = this.#byType.get(type);
    if (!set) {
      return;
    }
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    }
  }
}

/** A promise with its settlers, marked handled so that one nobody awaits does not end a Node process. */
function deferred() {
  /** @type {(value: any) => void} */
  let resolve = () => {};
  /** @type {(error: any) => void} */
  let reject = () => {};
  const promise = new Promise((yes, no) => {
    resolve = yes;
    reject = no;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/**
 * One subscription ("channel") on a {@link MeshClient}: made by `client.subscribe(...)`, subscribed again after
 * every reconnect from the offsets it reached, until it is unsubscribed, ends (a stream with `end`), is refused, or
 * the client closes.
 *
 * Which events it gets: those of the socket's event frames whose topic matches one of its globs, whose `event_type`
 * is one of its `event_types` (when given) and whose addressed field equals its `key` (when given). A `filter` is
 * applied by the mesh alone: when a socket holds several subscriptions the mesh sends an event once if it passes at
 * least one of them, so a subscription with a filter also gets events that match its topics, types and key but not
 * its filter, when another subscription of the same socket asked for them. Give such a subscription a socket of its
 * own (another MeshClient) where that matters, or check the filter's condition in the listener.
 */
export class Subscription {
  #client;
  #listeners = new Listeners();
  #globs;
  /** @type {Set<string> | null} */
  #types;
  /** @type {{ name: string, path: string, value: unknown } | null} */
  #key;
  /** topic -> partition -> next offset */
  /** @type {Map<string, Map<number, number>>} */
  #next = new Map();
  #positioned = false;
  #ready = deferred();
  #finished = deferred();
  /** @type {{ resolve: (v: any) => void, reject: (e: any) => void, promise: Promise<any> } | null} */
  #unsubscribing = null;

  /**
   * @param {MeshClient} client
   * @param {string | number} id
   * @param {Record<string, unknown>} request what the subscribe frame carries besides op and id
   * @param {Record<string, string>} channelFields
   */
  constructor(client, id, request, channelFields) {
    this.#client = client;
    /** The id naming this subscription on its socket. */
    this.id = id;
    /** @type {Readonly<Record<string, unknown>>} */
    this.request = Object.freeze({ ...request });
    /** 'pending' (subscribe sent or to be sent), 'active', or a final 'ended' | 'unsubscribed' | 'failed' | 'closed'. */
    this.state = 'pending';
    /** Every `gaps` entry the mesh reported for this subscription (offsets that no longer existed). */
    this.gaps = /** @type {any[]} */ ([]);
    /** Events handed to this subscription's listeners. */
    this.received = 0;
    /** Events dropped because this subscription had already seen their offset (a resume that overlapped). */
    this.duplicates = 0;
    /** @type {MeshError | null} the refusal that ended it, when state is 'failed' */
    this.error = null;
    const shared = typeof request.subscription === 'string';
    this.#globs = shared ? null : /** @type {string[]} */ (request.topics);
    const types = /** @type {string[] | undefined} */ (request.event_types);
    this.#types = types && types.length ? new Set(types) : null;
    const key = /** @type {Record<string, unknown> | undefined} */ (request.key);
    if (key !== undefined) {
      const names = Object.keys(key);
      if (names.length !== 1) {
        throw new TypeError(`key: expected one entry such as {"player_id": "p-1"}, got ${names.length}`);
      }
      const path = channelFields[names[0]];
      if (!path) {
        throw new TypeError(`key: unknown channel field "${names[0]}"; known: ${Object.keys(channelFields).join(', ')}`
          + ' (the mesh\'s websocket.channel_fields; pass channelFields to the client for others)');
      }
      this.#key = { name: names[0], path, value: key[names[0]] };
    } else {
      this.#key = null;
    }
  }

  /** Resolves with the first `subscribed` frame; rejects when the mesh refuses the subscription. */
  get ready() {
    return this.#ready.promise;
  }

  /**
   * Resolves once the subscription is over: `{reason: 'ended', positions}` after an `end` frame, `'unsubscribed'`,
   * `'failed'` (with `error`) when the mesh refused it, `'closed'` when the client closed.
   */
  get finished() {
    return this.#finished.promise;
  }

  /**
   * `event` (frame), `subscribed` (frame; again after every reconnect), `gaps` (entries), `skipped` (frame),
   * `end` (frame), `error` (MeshError). Returns a function that removes the listener.
   * @param {string} type
   * @param {Function} listener
   */
  on(type, listener) {
    return this.#listeners.on(type, listener);
  }

  /** The next offset to read per topic and partition: what a resume starts from. */
  positions() {
    /** @type {Record<string, Record<string, number>>} */
    const out = {};
    for (const [topic, partitions] of this.#next) {
      out[topic] = {};
      for (const [partition, next] of partitions) {
        out[topic][String(partition)] = next;
      }
    }
    return out;
  }

  /** Stops it: resolves when the mesh confirmed (at once when not connected). */
  unsubscribe() {
    return this.#client._unsubscribe(this);
  }

  /** Whether an event frame is for this subscription (topic, event type, key); the offset is not looked at. */
  /** @param {any} frame */
  matches(frame) {
    if (this.#globs && !topicMatches(this.#globs, frame.topic)) {
      return false;
    }
    const event = frame.event;
    if (this.#types && !(event && this.#types.has(event.event_type))) {
      return false;
    }
    return !this.#key || fieldAt(event, this.#key.path) === this.#key.value;
  }

  /** @internal the subscribe frame to send now: from the offsets reached once the mesh has positioned it. */
  _frame() {
    /** @type {Record<string, unknown>} */
    const frame = { op: 'subscribe', id: this.id, ...this.request };
    if (this.#positioned && !('subscription' in this.request)) {
      frame.start = { offsets: this.positions(), otherwise: this.#client.resumeOtherwise };
    }
    return frame;
  }

  /** @internal @param {any} frame */
  _subscribed(frame) {
    for (const [topic, partitions] of Object.entries(frame.positions || {})) {
      for (const [partition, next] of Object.entries(/** @type {Record<string, number>} */ (partitions))) {
        this.#position(topic, Number(partition)).set(Number(partition), next);
      }
    }
    this.#positioned = true;
    this.state = 'active';
    const gaps = Array.isArray(frame.gaps) ? frame.gaps : [];
    this.gaps.push(...gaps);
    this.#ready.resolve(frame);
    this.#listeners.emit('subscribed', frame);
    if (gaps.length) {
      this.#listeners.emit('gaps', gaps);
    }
  }

  /** @internal hands an event frame over when it is for this subscription and new to it */
  /** @param {any} frame */
  _event(frame) {
    if (this.state !== 'active' || !this.matches(frame)) {
      return;
    }
    if (this.#advance(frame)) {
      this.received++;
      this.#listeners.emit('event', frame);
    }
  }

  /** @internal a record that is not an event still moves the position of the subscriptions of its topic */
  /** @param {any} frame */
  _skipped(frame) {
    if (this.state === 'active' && (!this.#globs || topicMatches(this.#globs, frame.topic)) && this.#advance(frame)) {
      this.#listeners.emit('skipped', frame);
    }
  }

  /** Records offset + 1 as the next of its partition; false (and counted) when the offset was already seen. */
  /** @param {any} frame */
  #advance(frame) {
    const partitions = this.#position(frame.topic, frame.partition);
    const next = partitions.get(frame.partition);
    if (next !== undefined && frame.offset < next) {
      this.duplicates++;
      return false;
    }
    partitions.set(frame.partition, frame.offset + 1);
    return true;
  }

  /** @param {string} topic @param {number} partition */
  #position(topic, partition) {
    let partitions = this.#next.get(topic);
    if (!partitions) {
      partitions = new Map();
      this.#next.set(topic, partitions);
    }
    return partitions;
  }

  /** @internal the socket closed: subscribe again on the next one */
  _disconnected() {
    if (this.state === 'active') {
      this.state = 'pending';
    }
    if (this.#unsubscribing) {
      this._finish('unsubscribed'); // a closed socket holds no subscription
    }
  }

  /** @internal @param {MeshError} error */
  _refused(error) {
    this.error = error;
    this.#ready.reject(error);
    this.#listeners.emit('error', error);
    this._finish('failed');
  }

  /** @internal @param {any} frame */
  _ended(frame) {
    this.#listeners.emit('end', frame);
    this._finish('ended', frame.positions);
  }

  /** @internal */
  _unsubscribing() {
    this.#unsubscribing ??= deferred();
    return this.#unsubscribing.promise;
  }

  /**
   * @internal
   * @param {'ended' | 'unsubscribed' | 'failed' | 'closed'} reason
   * @param {Record<string, Record<string, number>>} [positions]
   */
  _finish(reason, positions) {
    if (['ended', 'unsubscribed', 'failed', 'closed'].includes(this.state)) {
      return;
    }
    this.state = reason;
    this.#client._forget(this);
    if (reason !== 'failed') {
      this.#ready.reject(new MeshError(0, reason, `the subscription ${reason} before the mesh confirmed it`));
    }
    this.#unsubscribing?.resolve(undefined);
    this.#finished.resolve({ reason, positions: positions ?? this.positions(), error: this.error });
  }
}

/**
 * A connection to the mesh's `/ws`, kept open until {@link MeshClient#close}: reconnects with capped exponential
 * backoff and jitter, subscribes again from where each subscription was, and keeps the socket alive with pings.
 *
 * Events: `open`, `close` ({code, reason, wasClean}), `reconnecting` ({attempt, delayMs}), `error` (a MeshError for a
 * refusal the library could not tie to a publish or subscription, or an Error of the connection), `frame` (every
 * frame received, parsed).
 */
export class MeshClient {
  #listeners = new Listeners();
  #url;
  #token;
  #WebSocket;
  #channelFields;
  #backoff;
  #pingIntervalMs;
  #pongTimeoutMs;
  #maxQueued;
  /** @type {any} the current socket */
  #ws = null;
  /** 'idle' | 'connecting' | 'open' | 'closed' */
  #state = 'idle';
  #closing = false;
  #failures = 0;
  /** @type {any} */
  #retryTimer = null;
  /** @type {any} */
  #pingTimer = null;
  #lastHeard = 0;
  #refs = 0;
  /** @type {Map<string | number, Subscription>} */
  #subscriptions = new Map();
  /** publish frames waiting for an open socket (made while connecting) */
  /** @type {Array<{ ref: string, text: string }>} */
  #queue = [];
  /** ref -> the promises of one publish frame */
  /** @type {Map<string, { batch: boolean, settlers: Array<{resolve: Function, reject: Function} | null>, open: number, sent: boolean }>} */
  #publishes = new Map();
  /** @type {Map<string, { resolve: Function, reject: Function, at: number }>} */
  #pings = new Map();
  /** @type {ReturnType<typeof deferred> | null} */
  #opened = null;
  /** @type {ReturnType<typeof deferred> | null} */
  #closed = null;

  /**
   * @param {import('./mesh-client.d.ts').MeshClientOptions} options
   */
  constructor(options) {
    if (!options || typeof options.url !== 'string') {
      throw new TypeError('MeshClient: options.url is required, e.g. "ws://localhost:8080/ws"');
    }
    socketUrl(options.url, null); // a URL that cannot be a socket's fails here, not on every reconnect
    this.#url = options.url;
    this.#token = options.token ?? null;
    this.#WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof this.#WebSocket !== 'function') {
      throw new TypeError('MeshClient: no WebSocket: run Node >= 22, or Node 20 with --experimental-websocket, '
        + 'or pass options.WebSocket (e.g. the ws package\'s)');
    }
    this.#channelFields = { ...DEFAULT_CHANNEL_FIELDS, ...(options.channelFields || {}) };
    this.#backoff = { initialMs: 500, maxMs: 30000, factor: 2, ...(options.backoff || {}) };
    this.#pingIntervalMs = options.pingIntervalMs ?? 20000;
    this.#pongTimeoutMs = options.pongTimeoutMs ?? 10000;
    this.#maxQueued = options.maxQueuedFrames ?? 10000;
    /** Where a resumed subscription starts on partitions its offsets do not list (new ones): `earliest`. */
    this.resumeOtherwise = options.resumeOtherwise ?? 'earliest';
    /** Connections opened so far (1 after the first). */
    this.connections = 0;
  }

  /** 'idle' (never connected), 'connecting' (also between attempts), 'open', 'closed' (by close()). */
  get state() {
    return this.#state;
  }

  /** @param {string} type @param {Function} listener @returns {() => void} */
  on(type, listener) {
    return this.#listeners.on(type, listener);
  }

  /** Opens the connection (once); resolves when a socket is open. Subscribing or publishing calls it. */
  connect() {
    if (this.#closing) {
      return Promise.reject(new MeshError(0, 'closed', 'the client was closed'));
    }
    if (this.#state === 'open') {
      return Promise.resolve();
    }
    this.#opened ??= deferred();
    if (this.#state === 'idle') {
      this.#state = 'connecting';
      this.#open();
    }
    return this.#opened.promise;
  }

  /**
   * Subscribes; the subscription is kept across reconnects. `onEvent`, if given, is its `event` listener.
   * @param {import('./mesh-client.d.ts').SubscribeOptions} options
   * @param {(frame: import('./mesh-client.d.ts').EventFrame, subscription: Subscription) => void} [onEvent]
   */
  subscribe(options, onEvent) {
    if (this.#closing) {
      throw new MeshError(0, 'closed', 'the client was closed');
    }
    const { id: given, eventTypes, ...rest } = options;
    const id = given ?? this.#nextSubscriptionId();
    if (typeof id === 'string' && id.startsWith(RESERVED)) {
      throw new TypeError(`subscription ids starting with "${RESERVED}" are the library's`);
    }
    if (this.#subscriptions.has(id)) {
      throw new TypeError(`this client already has a subscription "${id}"`);
    }
    /** @type {Record<string, unknown>} */
    const request = { ...rest };
    if (eventTypes !== undefined) {
      request.event_types = eventTypes;
    }
    for (const name of Object.keys(request)) {
      if (request[name] === undefined) {
        delete request[name];
      }
    }
    if (typeof request.subscription !== 'string' && !(Array.isArray(request.topics) && request.topics.length)) {
      throw new TypeError('subscribe: expected topics (globs such as "game.*") or subscription (a websocket '
        + 'subscription\'s id)');
    }
    const subscription = new Subscription(this, id, request, this.#channelFields);
    if (onEvent) {
      subscription.on('event', (/** @type {any} */ frame) => onEvent(frame, subscription));
    }
    this.#subscriptions.set(id, subscription);
    if (this.#state === 'open') {
      this.#sendNow(subscription._frame());
    } else {
      this.connect().catch(() => {});
    }
    return subscription;
  }

  /** The client's subscriptions now. */
  get subscriptions() {
    return [...this.#subscriptions.values()];
  }

  /**
   * Publishes one event; resolves with its `ack` (topic, partition, offset, event_id) once Kafka has it, rejects with
   * a MeshError from its `error` frame, or with `disconnected` when the socket closed before the answer (it may or
   * may not have been published).
   * @param {import('./mesh-client.d.ts').PublishEvent} event
   */
  publish(event) {
    return this.publishEach([event])[0];
  }

  /**
   * Publishes several events in one frame (at most the mesh's http.max_batch_events); a promise per event.
   * @param {import('./mesh-client.d.ts').PublishEvent[]} events
   */
  publishEach(events) {
    if (events.length === 0) {
      return [];
    }
    const ref = `${PUBLISH_PREFIX}${++this.#refs}`;
    const settlers = events.map(() => deferred());
    this.#publishes.set(ref, { batch: false, settlers: settlers.map(d => ({ resolve: d.resolve, reject: d.reject })),
      open: events.length, sent: false });
    this.#enqueue(ref, events.length === 1 ? { op: 'publish', ref, event: events[0] } : { op: 'publish', ref, events });
    return settlers.map(d => d.promise);
  }

  /**
   * Publishes events in one frame with `ack: "batch"`: resolves with the `acks` frame ({published, failed, results
   * in order}) once every event was answered; rejects when the whole frame is refused or the socket closes first.
   * @param {import('./mesh-client.d.ts').PublishEvent[]} events
   */
  publishBatch(events) {
    const ref = `${PUBLISH_PREFIX}${++this.#refs}`;
    const done = deferred();
    this.#publishes.set(ref, { batch: true, settlers: [{ resolve: done.resolve, reject: done.reject }], open: 1,
      sent: false });
    this.#enqueue(ref, { op: 'publish', ref, ack: 'batch', events });
    return done.promise;
  }

  /** Sends `{"op":"ping"}`; resolves with the round trip in ms when the `pong` comes. */
  ping() {
    if (this.#state !== 'open') {
      return Promise.reject(new MeshError(0, 'disconnected', 'not connected'));
    }
    const ref = `${PING_PREFIX}${++this.#refs}`;
    const done = deferred();
    this.#pings.set(ref, { resolve: done.resolve, reject: done.reject, at: Date.now() });
    this.#sendNow({ op: 'ping', ref });
    return done.promise;
  }

  /**
   * Closes for good: no more reconnects; unanswered publishes reject with `closed`, subscriptions finish with
   * `closed`. Resolves when the socket is closed.
   */
  close(code = 1000, reason = 'client closed') {
    this.#closed ??= deferred();
    if (this.#closing) {
      return this.#closed.promise;
    }
    this.#closing = true;
    clearTimeout(this.#retryTimer);
    this.#stopPinging();
    const ws = this.#ws;
    this.#failAll(new MeshError(0, 'closed', 'the client was closed'));
    for (const subscription of [...this.#subscriptions.values()]) {
      subscription._finish('closed');
    }
    this.#opened?.reject(new MeshError(0, 'closed', 'the client was closed'));
    this.#opened = null;
    if (ws && ws.readyState === 1) {
      ws.close(code, reason);
      // the close event ends it; a socket that never tells (a dead peer) is let go after a while all the same
      const fallback = setTimeout(() => this.#onClose(ws, { code: 1006, reason: 'closed', wasClean: false }), 3000);
      /** @type {any} */ (fallback).unref?.();
    } else {
      this.#ws = null;
      if (ws && ws.readyState === 0) {
        try {
          ws.close(code, reason); // still connecting: abandoned at once
        } catch {
          // some implementations refuse to close a connecting socket; it is not used any more either way
        }
      }
      this.#becomeClosed();
    }
    return this.#closed.promise;
  }

  /** @internal @param {Subscription} subscription */
  _unsubscribe(subscription) {
    const done = subscription._unsubscribing();
    if (this.#state === 'open') { // its subscribe went out on this socket: the mesh confirms
      this.#sendNow({ op: 'unsubscribe', id: subscription.id });
    } else {
      subscription._finish('unsubscribed');
    }
    return done;
  }

  /** @internal @param {Subscription} subscription */
  _forget(subscription) {
    if (this.#subscriptions.get(subscription.id) === subscription) {
      this.#subscriptions.delete(subscription.id);
    }
  }

  #nextSubscriptionId() {
    let n = this.#subscriptions.size + 1;
    while (this.#subscriptions.has(`s${n}`)) {
      n++;
    }
    return `s${n}`;
  }

  async #open() {
    let token = null;
    try {
      token = typeof this.#token === 'function' ? await this.#token() : this.#token;
    } catch (e) {
      this.#listeners.emit('error', e);
      this.#retry(0, 'token unavailable');
      return;
    }
    if (this.#closing) {
      return;
    }
    let ws;
    try {
      ws = new this.#WebSocket(socketUrl(this.#url, token));
    } catch (e) {
      this.#listeners.emit('error', e);
      this.#retry(0, String(e));
      return;
    }
    this.#ws = ws;
    this.connections++;
    ws.onopen = () => this.#onOpen(ws);
    ws.onmessage = (/** @type {{ data: unknown }} */ message) => this.#onMessage(ws, message.data);
    ws.onclose = (/** @type {{ code: number, reason: string, wasClean: boolean }} */ e) => this.#onClose(ws, e);
    // The close event that follows an error says what happened; but Node's WebSocket (undici) fires only an error
    // when the upgrade is refused (401, 403, 503), and the socket stays CONNECTING: that is a close too.
    ws.onerror = () => {
      if (ws.readyState !== 1) {
        this.#onClose(ws, { code: 1006, reason: 'connection failed', wasClean: false });
      }
    };
  }

  /** @param {any} ws */
  #onOpen(ws) {
    if (ws !== this.#ws) {
      return;
    }
    this.#state = 'open';
    this.#lastHeard = Date.now();
    this.#startPinging();
    for (const subscription of this.#subscriptions.values()) {
      this.#sendNow(subscription._frame());
    }
    const queued = this.#queue;
    this.#queue = [];
    for (const { ref, text } of queued) {
      this.#markSent(ref);
      ws.send(text);
    }
    this.#opened?.resolve(undefined);
    this.#opened = null;
    this.#listeners.emit('open');
  }

  /** @param {any} ws @param {unknown} data */
  #onMessage(ws, data) {
    if (ws !== this.#ws || typeof data !== 'string') {
      return; // the mesh sends text frames only
    }
    this.#lastHeard = Date.now();
    this.#failures = 0; // the mesh answers: the next disconnect starts backing off from the start
    let frame;
    try {
      frame = JSON.parse(data);
    } catch (e) {
      this.#listeners.emit('error', new MeshError(0, 'malformed_frame', `the mesh sent a frame that is not JSON: ${e}`));
      return;
    }
    this.#listeners.emit('frame', frame);
    switch (frame.type) {
      case 'event':
        for (const subscription of [...this.#subscriptions.values()]) {
          subscription._event(frame);
        }
        break;
      case 'skipped':
        for (const subscription of [...this.#subscriptions.values()]) {
          subscription._skipped(frame);
        }
        break;
      case 'subscribed':
        this.#subscriptions.get(frame.id)?._subscribed(frame);
        break;
      case 'end':
        this.#subscriptions.get(frame.id)?._ended(frame);
        break;
      case 'unsubscribed':
        if (frame.id === undefined || frame.id === null) {
          [...this.#subscriptions.values()].filter(s => s.state === 'active').forEach(s => s._finish('unsubscribed'));
        } else {
          this.#subscriptions.get(frame.id)?._finish('unsubscribed');
        }
        break;
      case 'ack':
        this.#settle(frame.ref, frame.index ?? 0, true, frame);
        break;
      case 'acks':
        this.#settle(frame.ref, 0, true, frame);
        break;
      case 'pong':
        this.#pong(frame.ref);
        break;
      case 'error':
        this.#onError(frame);
        break;
      default:
        break;
    }
  }

  /** @param {any} frame */
  #onError(frame) {
    const error = MeshError.of(frame);
    const publish = this.#publishes.get(frame.ref);
    if (publish) {
      if (frame.index === undefined || frame.index === null || publish.batch) {
        for (let i = 0; i < publish.settlers.length; i++) {
          this.#settle(frame.ref, i, false, error);
        }
      } else {
        this.#settle(frame.ref, frame.index, false, error);
      }
      return;
    }
    const subscription = frame.ref === undefined ? undefined : this.#subscriptions.get(frame.ref);
    if (subscription && error.code === 'not_subscribed') {
      subscription._finish('unsubscribed'); // it was not (or no longer) there: unsubscribed all the same
    } else if (subscription && subscription.state === 'pending') {
      subscription._refused(error);
    } else {
      this.#listeners.emit('error', error);
    }
  }

  /** @param {string} ref @param {number} index @param {boolean} ok @param {unknown} value */
  #settle(ref, index, ok, value) {
    const publish = this.#publishes.get(ref);
    const settler = publish?.settlers[index];
    if (!publish || !settler) {
      return;
    }
    publish.settlers[index] = null;
    if (ok) {
      settler.resolve(value);
    } else {
      settler.reject(value);
    }
    if (--publish.open === 0) {
      this.#publishes.delete(ref);
    }
  }

  /** @param {string} ref */
  #pong(ref) {
    const ping = this.#pings.get(ref);
    if (ping) {
      this.#pings.delete(ref);
      ping.resolve(Date.now() - ping.at);
    }
  }

  /** @param {any} ws @param {{ code: number, reason: string, wasClean: boolean }} event */
  #onClose(ws, event) {
    if (ws !== this.#ws) {
      return;
    }
    this.#ws = null;
    this.#stopPinging();
    const lost = new MeshError(0, 'disconnected', `the socket closed (${event.code} ${event.reason || ''}) before `
      + 'the mesh answered; the event may or may not have been published');
    for (const [ref, publish] of [...this.#publishes]) {
      if (publish.sent) {
        publish.settlers.forEach((_, i) => this.#settle(ref, i, false, lost));
      }
    }
    for (const [ref, ping] of this.#pings) {
      this.#pings.delete(ref);
      ping.reject(lost);
    }
    for (const subscription of [...this.#subscriptions.values()]) {
      subscription._disconnected();
    }
    this.#listeners.emit('close', { code: event.code, reason: event.reason, wasClean: event.wasClean });
    if (this.#closing) {
      this.#becomeClosed();
    } else {
      this.#retry(event.code, event.reason);
    }
  }

  /** @param {number} code @param {string} reason */
  #retry(code, reason) {
    this.#state = 'connecting';
    const { initialMs, maxMs, factor } = this.#backoff;
    const ceiling = Math.min(maxMs, initialMs * factor ** this.#failures);
    const delayMs = Math.round(ceiling / 2 + Math.random() * ceiling / 2); // equal jitter: herds spread out
    this.#failures++;
    this.#listeners.emit('reconnecting', { attempt: this.#failures, delayMs, code, reason });
    this.#retryTimer = setTimeout(() => this.#open(), delayMs);
  }

  #becomeClosed() {
    this.#state = 'closed';
    this.#closed?.resolve(undefined);
  }

  /**
   * Each ping interval, a `ping` frame if the mesh was quiet for that long; a ping still unanswered (nothing at all
   * heard since it went) at a later tick, after the pong timeout: the socket is dead. Only an unanswered ping counts,
   * so a timer that runs late (a loaded machine, a background tab) delays the check but never fails a live socket.
   */
  #startPinging() {
    this.#stopPinging();
    if (!(this.#pingIntervalMs > 0)) {
      return;
    }
    let pingedAt = 0;
    this.#pingTimer = setInterval(() => {
      const ws = this.#ws;
      if (!ws || this.#state !== 'open') {
        return;
      }
      const now = Date.now();
      if (pingedAt > this.#lastHeard) {
        if (now - pingedAt > this.#pongTimeoutMs) {
          ws.close(4000, 'no answer from the mesh');
          this.#onClose(ws, { code: 4000, reason: 'no answer to a ping', wasClean: false });
        }
        return;
      }
      if (now - this.#lastHeard >= this.#pingIntervalMs / 2) {
        pingedAt = now;
        this.ping().catch(() => {});
      }
    }, this.#pingIntervalMs);
    this.#pingTimer.unref?.(); // a Node process does not stay up for pings alone
  }

  #stopPinging() {
    clearInterval(this.#pingTimer);
    this.#pingTimer = null;
  }

  /** @param {string} ref @param {Record<string, unknown>} frame */
  #enqueue(ref, frame) {
    const text = JSON.stringify(frame);
    if (this.#closing) {
      this.#failRef(ref, new MeshError(0, 'closed', 'the client was closed'));
    } else if (this.#state === 'open') {
      this.#markSent(ref);
      this.#ws.send(text);
    } else if (this.#queue.length >= this.#maxQueued) {
      this.#failRef(ref, new MeshError(0, 'queue_full', `${this.#maxQueued} frames already wait for a connection`));
    } else {
      this.#queue.push({ ref, text });
      this.connect().catch(() => {});
    }
  }

  /** @param {string} ref */
  #markSent(ref) {
    const publish = this.#publishes.get(ref);
    if (publish) {
      publish.sent = true;
    }
  }

  /** @param {string} ref @param {MeshError} error */
  #failRef(ref, error) {
    const publish = this.#publishes.get(ref);
    publish?.settlers.forEach((_, i) => this.#settle(ref, i, false, error));
  }

  /** @param {MeshError} error */
  #failAll(error) {
    for (const ref of [...this.#publishes.keys()]) {
      this.#failRef(ref, error);
    }
    this.#queue = [];
    for (const [ref, ping] of this.#pings) {
      this.#pings.delete(ref);
      ping.reject(error);
    }
  }

  /** @param {Record<string, unknown>} frame */
  #sendNow(frame) {
    this.#ws?.send(JSON.stringify(frame));
  }
}

/**
 * The socket's URL: relative URLs against the page, http(s) as ws(s), the token as `access_token` (a browser cannot
 * set headers on a WebSocket; the mesh reads this parameter on /ws only).
 * @param {string} url
 * @param {string | null | undefined} token
 */
export function socketUrl(url, token) {
  const base = /** @type {any} */ (globalThis).location?.href;
  const u = new URL(url, base);
  if (u.protocol === 'http:') {
    u.protocol = 'ws:';
  } else if (u.protocol === 'https:') {
    u.protocol = 'wss:';
  }
  if (token) {
    u.searchParams.set('access_token', token);
  }
  return u.toString();
}
