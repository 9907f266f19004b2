// Types of memhook-receiver (lib/index.js). The body's fields: policies/payload.schema.json.

import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type EventKind =
  | 'entered' | 'left' | 'remaining' | 'normal'
  | 'limit_changed' | 'oom_kill' | 'target_lost' | 'target_found';

/** A level: its number (0 is normal) or its name in memhook's policy ("high"). */
export type Level = number | string;

export interface MemhookSample {
  usage_bytes: number;
  limit_bytes: number;
  local_free_bytes: number;
  local_free_percent: number;
  host_available_bytes: number;
  host_total_bytes: number;
  usage: 'current' | 'working_set' | 'anon';
  working_set_bytes?: number;
  anon_bytes?: number;
  psi?: Record<string, number>;
  events?: Record<string, number>;
  trend?: Record<string, unknown>;
}

/** One memhook event: the webhook body, or the data of one /events message. */
export interface MemhookEvent {
  event: EventKind;
  level: number;
  level_name: string | null;
  previous_level: number;
  previous_level_name: string | null;
  seq: number;
  instance: string;
  /** Events memhook dropped for this endpoint before this one (webhooks only). */
  dropped_before?: number;
  timestamp: string;
  /** limit_changed only. */
  old_limit_bytes?: number;
  /** limit_changed only. */
  new_limit_bytes?: number;
  target: { cgroup: string | null; pid: number | null };
  sample: MemhookSample | null;
  hostname: string;
  pod?: { name: string | null; namespace: string | null };
  memhook_version: string;
}

/** The second argument of every handler: aborted when an async handler passes its time limit. */
export interface HandlerContext {
  signal: AbortSignal;
}

export type Handler = (event: MemhookEvent, context: HandlerContext) => void | Promise<unknown>;

export interface HandlerOptions {
  /** This handler's time limit (ms); default: the receiver's handlerTimeoutMs. */
  timeoutMs?: number;
}

export interface RemainingOptions extends HandlerOptions {
  /** Call at most once per this many seconds (Satella's call_no_more_often_than). */
  every?: number;
  /** The same as every, by Satella's name. */
  callNoMoreOftenThan?: number;
}

/** What every registration returns. */
export interface Registration {
  cancel(): void;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ReceiverOptions {
  /**
   * Secrets, several while keys rotate: "whsec_<base64>" (the key is the decoded bytes) or any
   * other string (its UTF-8 bytes); a string holds several separated by spaces. Default:
   * $MEMHOOK_SECRET. Without one, webhooks are refused (401) and only subscribe() works.
   */
  secrets?: string | ReadonlyArray<string | Uint8Array> | Uint8Array;
  /** How long an early event waits for the ones before it (ms); default 1000; 0: never. */
  holdMs?: number;
  /** The receiver's clock in Unix milliseconds (tests); default Date.now. */
  now?: () => number;
  /** Handler calls waiting at most; one more drops the oldest; default 256. */
  queueMax?: number;
  /** A handler's time limit (ms); default 5000. */
  handlerTimeoutMs?: number;
  /** Where the receiver logs; default: stderr lines "memhook-receiver: ...". */
  logger?: Logger;
  /** A larger body is answered 413; default 65536. */
  maxBodyBytes?: number;
  /** V8's heap limit in bytes (tests); default v8.getHeapStatistics().heap_size_limit. */
  heapLimitBytes?: () => number;
}

export type Outcome = 'accept' | 'duplicate' | 'late' | 'reject';

export interface ReceiveResult {
  /** The HTTP status to answer: 204, or 401 / 400 when rejected. */
  status: number;
  outcome: Outcome;
  reason?: string;
}

export interface DroppedInfo { instance: string; seq: number; count: number }
export interface MissingInfo { instance: string; from: number; to: number; seq: number }
export interface InstanceInfo { instance: string; previous: string | null; seq: number }
export interface LostInfo { lost: number; instance: string }
export interface RejectedInfo { status: number; reason: string }
export interface HeapWarning {
  heapLimitBytes: number;
  limitBytes: number;
  suggestedMaxOldSpaceMb: number;
  message: string;
}

export interface SubscribeOptions {
  /** The first reconnection's delay (ms), doubled per failure in a row; default 1000. */
  reconnectMs?: number;
  /** The longest delay (ms); default 30000. */
  maxReconnectMs?: number;
  /** Reconnect when nothing (not even memhook's 15 s ping) came for this long (ms); default 45000. */
  idleTimeoutMs?: number;
  /** More request headers. */
  headers?: Record<string, string>;
  /** Resume after this event id (seq). */
  lastEventId?: string | number;
}

export class Subscription extends EventEmitter {
  readonly url: URL;
  /** The id of the last message read: sent as Last-Event-ID on reconnection. */
  lastEventId: string | undefined;
  /** Resolves at the first connection answered 200. */
  readonly ready: Promise<void>;
  close(): void;
  on(event: 'connected', listener: (info: { lastEventId?: string }) => void): this;
  on(event: 'disconnected', listener: (info: { reason: string; delayMs: number }) => void): this;
  on(event: 'closed', listener: () => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

type Listener<T> = (payload: T, context: HandlerContext) => void | Promise<unknown>;

/**
 * Receives memhook's events: verifies, deduplicates, applies them in seq order, and calls the
 * handlers from a bounded queue. Its listeners run from that queue too, with the same time limit.
 */
export class MemhookReceiver extends EventEmitter {
  constructor(options?: ReceiverOptions);

  /** The level of the last event applied (Satella's severity_level). */
  readonly severityLevel: number;

  /** For node:http (http.createServer(r.handler)) and Express (app.post(path, r.handler)). */
  readonly handler: (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

  onEntered(level: Level, fn: Handler, options?: HandlerOptions): Registration;
  onLeft(level: Level, fn: Handler, options?: HandlerOptions): Registration;
  onRemaining(level: Level, fn: Handler, options?: RemainingOptions): Registration;
  onNormal(fn: Handler, options?: HandlerOptions): Registration;
  onLimitChanged(fn: Handler, options?: HandlerOptions): Registration;
  onLimitChanged(level: Level, fn: Handler, options?: HandlerOptions): Registration;
  onOomKill(fn: Handler, options?: HandlerOptions): Registration;
  onOomKill(level: Level, fn: Handler, options?: HandlerOptions): Registration;
  onTargetLost(fn: Handler, options?: HandlerOptions): Registration;
  onTargetFound(fn: Handler, options?: HandlerOptions): Registration;
  /** One handler for kind at level (undefined: any level). */
  register(kind: EventKind, level: Level | undefined, fn: Handler, options?: RemainingOptions): Registration;

  registerOnEnteredSeverity(level: Level, fn: Handler): Registration;
  registerOnEnteredSeverity(level: Level): (fn: Handler) => Registration;
  registerOnLeftSeverity(level: Level, fn: Handler): Registration;
  registerOnLeftSeverity(level: Level): (fn: Handler) => Registration;
  registerOnRemainingInSeverity(level: Level, callNoMoreOftenThan: number, fn: Handler): Registration;
  registerOnRemainingInSeverity(level: Level, fn: Handler): Registration;
  registerOnRemainingInSeverity(level: Level, callNoMoreOftenThan?: number): (fn: Handler) => Registration;
  registerOnMemoryNormal(fn: Handler): Registration;
  cleanupOnEntered<T extends object>(level: Level, obj: T, collector?: (obj: T) => unknown): Registration;

  /** One webhook request: its headers (any case) and raw body. Never throws for bad input. */
  receive(headers: Record<string, string | string[] | undefined>, body: Buffer | string): ReceiveResult;
  /** Reads memhook's /events stream instead of serving. */
  subscribe(url: string | URL, options?: SubscribeOptions): Subscription;
  /** Resolves once nothing is held for order and no handler is queued or running. */
  idle(): Promise<void>;
  /** Applies what is held, stops the streams and the order timer. */
  close(): void;

  on(event: EventKind | 'event', listener: Listener<MemhookEvent>): this;
  on(event: 'dropped', listener: Listener<DroppedInfo>): this;
  on(event: 'missing', listener: Listener<MissingInfo>): this;
  on(event: 'instance', listener: Listener<InstanceInfo>): this;
  on(event: 'duplicate' | 'late', listener: Listener<MemhookEvent>): this;
  on(event: 'rejected', listener: Listener<RejectedInfo>): this;
  on(event: 'lost', listener: Listener<LostInfo>): this;
  on(event: 'heap_warning', listener: Listener<HeapWarning>): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: EventKind | 'event', listener: Listener<MemhookEvent>): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

export const KINDS: ReadonlyArray<EventKind>;
export const HOLD_MS: number;
export const MAX_BODY_BYTES: number;
/** "entered 1", "left 3" (the level left), "normal": an event as its handler call. */
export function callWords(event: MemhookEvent): string;
/** The HMAC keys of secrets, as the receiver takes them; throws on a bad whsec_ secret. */
export function parseSecrets(secrets: string | ReadonlyArray<string | Uint8Array> | Uint8Array): Uint8Array[];
/** null when a heap limited to heapLimitBytes fits under limitBytes, else the warning. */
export function heapCheck(heapLimitBytes: number, limitBytes: number | null): HeapWarning | null;

export interface SseMessage {
  /** The message's own id field, if it had one. */
  id: string | undefined;
  event: string;
  data: string;
}
/** The event-stream format: push() text as it arrives; false when a line grew over 1 MiB. */
export class SseParser {
  constructor(onMessage: (message: SseMessage) => void, onRetry?: (ms: number) => void);
  push(text: string): boolean;
}
