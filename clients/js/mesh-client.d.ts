// Types of mesh-client.js: a client of the NECP Event Mesh's WebSocket protocol (/ws). Hand-written; the module
// itself is plain JavaScript with no build step.

/** The envelope of an event as the mesh stores and streams it. */
export interface Envelope {
  event_id: string;
  event_type: string;
  timestamp: string;
  version?: string;
  source?: string;
  correlation_id?: string | null;
  session_id?: string | null;
  player_id?: string | null;
  data: Record<string, unknown>;
  metadata?: { priority?: string; ttl?: number; retry_count?: number; [k: string]: unknown };
  [field: string]: unknown;
}

/** `{"type":"event"}`: one record of a topic, in order per partition. */
export interface EventFrame {
  type: 'event';
  topic: string;
  partition: number;
  offset: number;
  /** the record's timestamp, epoch ms */
  timestamp: number;
  event: Envelope;
}

/** The next offset to read, per topic and partition: `{"game.combat.events": {"0": 1042}}`. */
export type Positions = Record<string, Record<string, number>>;

/** An offset a resume asked for that no longer existed, and where reading started instead. */
export interface Gap {
  topic: string;
  partition: number;
  requested: number;
  from: number;
  reason: string;
  [field: string]: unknown;
}

export interface SubscribedFrame {
  type: 'subscribed';
  id: string | number;
  positions: Positions;
  gaps: Gap[];
}

export interface EndFrame {
  type: 'end';
  id: string | number;
  positions: Positions;
}

/** A record that is not a JSON object: its position still moves. */
export interface SkippedFrame {
  type: 'skipped';
  topic: string;
  partition: number;
  offset: number;
  reason: string;
}

/** Where a subscription starts: the mesh's `start`. */
export type Start =
  | 'latest'
  | 'earliest'
  | { timestamp: string | number }
  | { offsets: Positions; otherwise?: 'latest' | 'earliest' | { timestamp: string | number } };

/** Where a bounded stream ends (a replay to the socket, closed by an `end` frame). */
export type End = 'latest' | { timestamp: string | number };

export interface SubscribeOptions {
  /** Names the subscription on its socket; `s1`, `s2`, … when not given. May not start with `~`. */
  id?: string | number;
  /** Topic globs: `*` any run of characters (dots included), `?` one character. */
  topics?: string[];
  /** Only these event types (also accepted as `event_types`). */
  eventTypes?: string[];
  event_types?: string[];
  /**
   * A filter as for subscriptions, applied by the mesh only: on a socket with several subscriptions, one with a
   * filter also gets events that match its topics, types and key that another subscription asked for.
   */
  filter?: Record<string, unknown>;
  /** One addressed field and its value, e.g. `{player_id: "p-1"}`: a personal, party or match channel. */
  key?: Record<string, string | number | boolean>;
  /** Where it starts the first time (default `latest`); after a reconnect it resumes from its offsets. */
  start?: Start;
  end?: End;
  /** A `websocket` subscription's id instead of topics: its events shared among its sockets (not resumed by offsets). */
  subscription?: string;
}

/** What `publish` takes: the body of `POST /events/publish`. */
export interface PublishEvent {
  event_type?: string;
  topic?: string;
  source?: string;
  payload?: Record<string, unknown> | string;
  priority?: string;
  is_replayable?: boolean;
  correlation_id?: string;
  session_id?: string;
  player_id?: string;
  [field: string]: unknown;
}

/** `{"type":"ack"}`: the event is in Kafka. */
export interface Ack {
  type: 'ack';
  ref: string;
  index: number;
  event_id: string;
  topic: string;
  partition: number;
  offset: number;
  [field: string]: unknown;
}

/** `{"type":"acks"}` of a `publishBatch`: every event answered, in order. */
export interface BatchAck {
  type: 'acks';
  ref: string;
  published: number;
  failed: number;
  results: Array<
    | { index: number; event_id: string; topic: string; partition: number; offset: number; [field: string]: unknown }
    | { index: number; status: number; error: { code: string; message: string; details: unknown } }
  >;
}

/** A refusal by the mesh (`status`: the HTTP status it would have had) or of the connection (`status` 0). */
export class MeshError extends Error {
  constructor(status: number, code: string, message: string, details?: unknown, ref?: string | number | null,
    index?: number);
  readonly status: number;
  /** e.g. `forbidden`, `invalid_subscription`, `already_subscribed`; with status 0: `disconnected`, `closed`, `queue_full` */
  readonly code: string;
  readonly details: unknown;
  readonly ref: string | number | null;
  readonly index: number | undefined;
  static of(frame: unknown): MeshError;
}

export interface Backoff {
  /** The first retry waits between half of this and this (default 500 ms). */
  initialMs?: number;
  /** The cap (default 30000 ms). */
  maxMs?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
}

/** Anything constructed like the standard WebSocket: `new WebSocket(url)`, with onopen/onmessage/onclose. */
export type WebSocketConstructor = new (url: string) => {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
  onerror: ((event: unknown) => void) | null;
};

export interface MeshClientOptions {
  /** `ws://host:8080/ws`, `wss://…`; `http(s)` and, in a page, relative URLs (`/ws`) work too. */
  url: string;
  /**
   * An API key or JWT, sent as `?access_token=` (a browser cannot set headers on a WebSocket). A function is asked
   * again on every connection: give one that returns a fresh JWT, since the mesh closes a socket when its token expires.
   */
  token?: string | null | (() => string | null | Promise<string | null>);
  /** The WebSocket class (default: the global one; Node 20 needs --experimental-websocket, Node 22+ has it). */
  WebSocket?: WebSocketConstructor;
  /** Key names beyond the mesh's defaults, as in its `websocket.channel_fields`: name -> path in the envelope. */
  channelFields?: Record<string, string>;
  backoff?: Backoff;
  /** A `ping` frame this often when the mesh was quiet (default 20000 ms; 0: none). */
  pingIntervalMs?: number;
  /** A ping unanswered this long, seen at the next interval (default 10000 ms): the socket is dead, reconnect. */
  pongTimeoutMs?: number;
  /** Publishes waiting for a connection at most (default 10000); more reject with `queue_full`. */
  maxQueuedFrames?: number;
  /** Where a resumed subscription starts on partitions its offsets do not list (appeared since): default `earliest`. */
  resumeOtherwise?: 'latest' | 'earliest' | { timestamp: string | number };
}

export type SubscriptionState = 'pending' | 'active' | 'ended' | 'unsubscribed' | 'failed' | 'closed';

export interface Finished {
  reason: 'ended' | 'unsubscribed' | 'failed' | 'closed';
  positions: Positions;
  error: MeshError | null;
}

export interface SubscriptionEvents {
  event: (frame: EventFrame) => void;
  subscribed: (frame: SubscribedFrame) => void;
  gaps: (gaps: Gap[]) => void;
  skipped: (frame: SkippedFrame) => void;
  end: (frame: EndFrame) => void;
  error: (error: MeshError) => void;
}

/**
 * One subscription ("channel"): subscribed again after every reconnect from the offsets it reached. It gets each
 * event frame of the socket whose topic matches its globs, whose type is one of its event types and whose key field
 * equals its key, once (a repeated offset is dropped and counted in `duplicates`).
 */
export class Subscription {
  readonly id: string | number;
  readonly request: Readonly<Omit<SubscribeOptions, 'id' | 'eventTypes'>>;
  readonly state: SubscriptionState;
  readonly gaps: Gap[];
  readonly received: number;
  readonly duplicates: number;
  readonly error: MeshError | null;
  /** The first `subscribed` frame; rejects with the mesh's refusal. */
  readonly ready: Promise<SubscribedFrame>;
  readonly finished: Promise<Finished>;
  on<K extends keyof SubscriptionEvents>(type: K, listener: SubscriptionEvents[K]): () => void;
  /** The next offset to read per topic and partition. */
  positions(): Positions;
  matches(frame: EventFrame): boolean;
  unsubscribe(): Promise<void>;
}

export interface ClientEvents {
  open: () => void;
  close: (event: { code: number; reason: string; wasClean: boolean }) => void;
  reconnecting: (event: { attempt: number; delayMs: number; code: number; reason: string }) => void;
  error: (error: MeshError | Error) => void;
  frame: (frame: { type: string; [field: string]: unknown }) => void;
}

/** A connection to `/ws`, kept open (reconnecting with capped exponential backoff and jitter) until `close()`. */
export class MeshClient {
  constructor(options: MeshClientOptions);
  readonly state: 'idle' | 'connecting' | 'open' | 'closed';
  /** Sockets opened so far. */
  readonly connections: number;
  resumeOtherwise: 'latest' | 'earliest' | { timestamp: string | number };
  readonly subscriptions: Subscription[];
  on<K extends keyof ClientEvents>(type: K, listener: ClientEvents[K]): () => void;
  /** Resolves when a socket is open; subscribe and publish connect by themselves. */
  connect(): Promise<void>;
  subscribe(options: SubscribeOptions, onEvent?: (frame: EventFrame, subscription: Subscription) => void): Subscription;
  /** Resolves with the event's ack; rejects with its error, or `disconnected` if the socket closed first. */
  publish(event: PublishEvent): Promise<Ack>;
  /** Several events in one frame (at most the mesh's `http.max_batch_events`): a promise per event. */
  publishEach(events: PublishEvent[]): Promise<Ack>[];
  /** Several events in one frame with `ack: "batch"`: one answer for all. */
  publishBatch(events: PublishEvent[]): Promise<BatchAck>;
  /** The round trip of a `ping` frame, in ms. */
  ping(): Promise<number>;
  /** For good: no reconnect; unanswered publishes reject with `closed`. */
  close(code?: number, reason?: string): Promise<void>;
}

export const DEFAULT_CHANNEL_FIELDS: Readonly<Record<'player_id' | 'session_id' | 'match_id', string>>;
/** Whether a topic matches a glob as the mesh's TopicGlob does. */
export function globMatches(glob: string, topic: string): boolean;
/** Whether any glob matches; Kafka's own `__` topics never do. */
export function topicMatches(globs: readonly string[], topic: string): boolean;
/** The value at a dotted path of an envelope, or undefined. */
export function fieldAt(envelope: unknown, path: string): unknown;
/** The socket URL a client connects to: ws(s), the token as `access_token`. */
export function socketUrl(url: string, token: string | null | undefined): string;
