/**
 * A stand-in KurrentDB for the tests: a gRPC server (grpc-js) that serves the official client's
 * own generated service definitions (`@kurrent/kurrentdb-client/generated/…/streams_grpc_pb`) over
 * an in-memory log. It answers what a reader asks of a KurrentDB node — `Streams.Read` on a
 * stream or on `$all` (both directions, counts, positions, stream/event-type filters, link
 * resolution, subscriptions with catch-up and live events) and `ServerFeatures` — the way the
 * server does, so the real client (its native reader and its gRPC subscriptions) talks to it
 * unchanged. It is not a KurrentDB: tests on it verify the adapter at the protocol level only.
 */

import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import type * as grpcTypes from '@grpc/grpc-js';

const require = createRequire(__filename);
const GENERATED = '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1';
// The client's own copies: the generated code checks message classes from its google-protobuf.
const clientRequire = createRequire(require.resolve('@kurrent/kurrentdb-client'));
const grpc = clientRequire('@grpc/grpc-js') as typeof grpcTypes;
/* eslint-disable @typescript-eslint/no-explicit-any -- generated protobuf classes, untyped here */
const streamsGrpc = require(`${GENERATED}/streams_grpc_pb`) as any;
const streamsPb = require(`${GENERATED}/streams_pb`) as any;
const sharedPb = require(`${GENERATED}/shared_pb`) as any;
const featuresGrpc = require(`${GENERATED}/serverfeatures_grpc_pb`) as any;
const featuresPb = require(`${GENERATED}/serverfeatures_pb`) as any;

/** One record of the log, as the server keeps it. */
export interface StoredRecord {
  stream: string;
  revision: number;
  type: string;
  data: Buffer;
  metadata: Buffer;
  contentType: 'application/json' | 'application/octet-stream';
  id: string;
  /** Milliseconds since the Unix epoch. */
  created: number;
  /** Commit = prepare position (as for appends of one event). */
  position: number;
}

export interface AppendOptions {
  data?: unknown;
  metadata?: unknown;
  /** Raw bytes (not JSON): stored with content type application/octet-stream. */
  bytes?: Buffer;
  created?: number;
}

export interface KurrentServerOptions {
  /** Keep `$streams` (the system projection) as links to each new stream's first event. */
  systemProjections?: boolean;
  /** Demand these credentials (basic auth) on every call. */
  credentials?: { username: string; password: string };
}

/** What the client asked for, for tests that check how the adapter pages. */
export interface ReadCall {
  target: string;
  direction: 'forwards' | 'backwards';
  count: number | 'subscription';
  filter?: string;
}

const FIRST_POSITION = 1_000;
/** Positions are byte offsets in a real log: never contiguous. */
const POSITION_STEP = 173;

export class KurrentServer {
  readonly log: StoredRecord[] = [];
  readonly calls: ReadCall[] = [];
  private server?: grpcTypes.Server;
  private subscribers = new Set<(record: StoredRecord) => void>();
  port = 0;

  constructor(private readonly options: KurrentServerOptions = {}) {}

  get connectionString(): string {
    return `kurrentdb://127.0.0.1:${this.port}?tls=false`;
  }

  async start(port = 0): Promise<void> {
    const server = new grpc.Server();
    server.addService(streamsGrpc.StreamsService, {
      read: (call: any) => this.read(call),
      append: unimplemented,
      delete: unimplemented,
      tombstone: unimplemented,
      batchAppend: unimplemented,
    });
    server.addService(featuresGrpc.ServerFeaturesService, {
      getSupportedMethods: (_call: unknown, done: (error: null, reply: unknown) => void) => {
        const methods = new featuresPb.SupportedMethods();
        const read = new featuresPb.SupportedMethod();
        read.setMethodName('read');
        read.setServiceName('event_store.client.streams.streams');
        methods.setMethodsList([read]);
        methods.setEventStoreServerVersion('24.10.0');
        done(null, methods);
      },
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    this.server = server;
  }

  /** Stops at once, cutting open calls (a server that dies). `start(port)` brings it back. */
  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }

  append(stream: string, type: string, options: AppendOptions = {}): StoredRecord {
    const last = this.log.at(-1);
    const revision = this.log.filter((r) => r.stream === stream).length;
    const record: StoredRecord = {
      stream,
      revision,
      type,
      data: options.bytes ?? Buffer.from(JSON.stringify(options.data ?? {})),
      metadata: options.metadata === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(options.metadata)),
      contentType: options.bytes ? 'application/octet-stream' : 'application/json',
      id: randomUUID(),
      created: options.created ?? Date.UTC(2026, 0, 1) + this.log.length * 1000,
      position: last ? last.position + POSITION_STEP : FIRST_POSITION,
    };
    this.log.push(record);
    for (const notify of this.subscribers) notify(record);
    if (revision === 0 && this.options.systemProjections && !stream.startsWith('$')) {
      this.append('$streams', '$>', { bytes: Buffer.from(`0@${stream}`) });
    }
    return record;
  }

  private authorized(call: any): boolean {
    const wanted = this.options.credentials;
    if (!wanted) return true;
    const header = String(call.metadata.get('authorization')[0] ?? '');
    const expected = `Basic ${Buffer.from(`${wanted.username}:${wanted.password}`).toString('base64')}`;
    return header === expected;
  }

  private read(call: any): void {
    if (!this.authorized(call)) {
      call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'Bad credentials' });
      return;
    }
    const options = call.request.getOptions();
    const backwards = options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS;
    const subscription = options.hasSubscription();
    const count = subscription ? Infinity : Number(options.getCount());
    const resolve = options.getResolveLinks();
    const send = (records: StoredRecord[]) => {
      for (const record of records) call.write(this.eventMessage(record, resolve));
    };
    if (options.hasStream()) {
      const stream = Buffer.from(options.getStream().getStreamIdentifier().getStreamName()).toString('utf8');
      this.calls.push({ target: stream, direction: backwards ? 'backwards' : 'forwards', count: subscription ? 'subscription' : count });
      const records = this.log.filter((r) => r.stream === stream);
      if (!records.length && !subscription) {
        const notFound = new streamsPb.ReadResp.StreamNotFound();
        notFound.setStreamIdentifier(identifier(stream));
        call.write(new streamsPb.ReadResp().setStreamNotFound(notFound));
        call.end();
        return;
      }
      const revisions = options.getStream();
      const from = revisions.hasRevision() ? Number(revisions.getRevision()) : revisions.hasEnd() ? Infinity : backwards ? Infinity : 0;
      const chosen = backwards ? records.filter((r) => r.revision <= from).reverse() : records.filter((r) => r.revision >= from);
      if (subscription) return this.subscribe(call, chosen, (r) => r.stream === stream, revisions.hasRevision(), resolve);
      send(chosen.slice(0, count));
      call.end();
      return;
    }
    const all = options.getAll();
    const filter = options.hasFilter() ? matcherOf(options.getFilter()) : undefined;
    this.calls.push({
      target: '$all',
      direction: backwards ? 'backwards' : 'forwards',
      count: subscription ? 'subscription' : count,
      ...(filter ? { filter: filter.description } : {}),
    });
    const keep = (r: StoredRecord) => !filter || filter.matches(r);
    let chosen: StoredRecord[];
    if (all.hasPosition()) {
      const at = Number(all.getPosition().getCommitPosition());
      if (!subscription && !this.log.some((r) => r.position === at) && at !== this.endPosition()) {
        // A real node refuses positions that are not record boundaries.
        call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: `Invalid position ${at}` });
        return;
      }
      chosen = backwards
        ? this.log.filter((r) => r.position < at).reverse()
        : this.log.filter((r) => (subscription ? r.position > at : r.position >= at));
    } else if (all.hasEnd()) {
      chosen = backwards ? [...this.log].reverse() : [];
    } else {
      chosen = backwards ? [] : [...this.log];
    }
    chosen = chosen.filter(keep);
    if (subscription) return this.subscribe(call, chosen, keep, false, resolve);
    send(chosen.slice(0, count));
    call.end();
  }

  private endPosition(): number {
    const last = this.log.at(-1);
    return last ? last.position + POSITION_STEP : FIRST_POSITION;
  }

  private subscribe(call: any, past: StoredRecord[], keep: (r: StoredRecord) => boolean, _exclusive: boolean, resolve: boolean): void {
    const confirmation = new streamsPb.ReadResp.SubscriptionConfirmation();
    confirmation.setSubscriptionId(randomUUID());
    call.write(new streamsPb.ReadResp().setConfirmation(confirmation));
    for (const record of past) call.write(this.eventMessage(record, resolve));
    call.write(new streamsPb.ReadResp().setCaughtUp(new streamsPb.ReadResp.CaughtUp()));
    const notify = (record: StoredRecord) => {
      if (keep(record)) call.write(this.eventMessage(record, resolve));
    };
    this.subscribers.add(notify);
    const stop = () => this.subscribers.delete(notify);
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop);
  }

  private eventMessage(record: StoredRecord, resolve: boolean): unknown {
    const read = new streamsPb.ReadResp.ReadEvent();
    const target = resolve && record.type === '$>' ? this.linkTarget(record) : undefined;
    if (target) {
      read.setEvent(recorded(target));
      read.setLink(recorded(record));
    } else {
      read.setEvent(recorded(record));
    }
    read.setCommitPosition(String(record.position));
    return new streamsPb.ReadResp().setEvent(read);
  }

  private linkTarget(link: StoredRecord): StoredRecord | undefined {
    const text = link.data.toString('utf8');
    const at = text.indexOf('@');
    const revision = Number(text.slice(0, at));
    const stream = text.slice(at + 1);
    return this.log.find((r) => r.stream === stream && r.revision === revision);
  }
}

function unimplemented(_call: unknown, done: (error: Partial<grpcTypes.StatusObject>) => void): void {
  done({ code: grpc.status.UNIMPLEMENTED, details: 'read-only test server' });
}

function identifier(stream: string): unknown {
  const id = new sharedPb.StreamIdentifier();
  id.setStreamName(Buffer.from(stream, 'utf8'));
  return id;
}

function recorded(record: StoredRecord): unknown {
  const message = new streamsPb.ReadResp.ReadEvent.RecordedEvent();
  const id = new sharedPb.UUID();
  id.setString(record.id);
  message.setId(id);
  message.setStreamIdentifier(identifier(record.stream));
  message.setStreamRevision(String(record.revision));
  message.setPreparePosition(String(record.position));
  message.setCommitPosition(String(record.position));
  const metadata = message.getMetadataMap();
  metadata.set('type', record.type);
  metadata.set('content-type', record.contentType);
  // .NET ticks (100 ns) since the Unix epoch, as the server sends them.
  metadata.set('created', String(BigInt(record.created) * 10_000n));
  message.setCustomMetadata(record.metadata);
  message.setData(record.data);
  return message;
}

/** The server-side filter of a `$all` read: a regex or prefixes over the stream name or the event type. */
function matcherOf(filter: any): { matches: (r: StoredRecord) => boolean; description: string } {
  const onStream = filter.hasStreamIdentifier();
  const expression = onStream ? filter.getStreamIdentifier() : filter.getEventType();
  const field = (r: StoredRecord) => (onStream ? r.stream : r.type);
  const regex = expression.getRegex() as string;
  const prefixes = expression.getPrefixList() as string[];
  const pattern = regex ? new RegExp(regex) : undefined;
  return {
    matches: (r) => (pattern ? pattern.test(field(r)) : prefixes.some((p) => field(r).startsWith(p))),
    description: `${onStream ? 'stream' : 'type'} ${regex ? `/${regex}/` : prefixes.join('|')}`,
  };
}
