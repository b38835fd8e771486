/**
 * The stores the language server knows and their catalogs: each store opened with the core, its
 * catalog read in the background once, then extended when the store says it has new events (or,
 * for stores without a feed, when asked again after a while). What the features ask for merges
 * every ready store's catalog.
 */

import { CatalogBuilder, readCatalog, type EventCatalog, type FieldInfo, type StreamEntry, type TypeInfo } from '../core/catalog';
import { parseCipherKey } from '../core/codecs/eventsourcing';
import { readTranscodingSetting } from '../core/codecs/transcodings';
import { messageOf } from '../core/errors';
import { typeMatches } from '../core/events';
import { openStore } from '../core/stores/open';
import type { EventStore } from '../core/stores/types';
import type { CatalogPhase, CatalogResult, StoreCatalogState, StoreRef } from './protocol';

/** How long after a store's change note its catalog is read on (changes come in bursts). */
const SETTLE_MS = 500;
/** How often a store without a feed is asked for new events (when a feature uses its catalog). */
const STALE_MS = 10_000;

/** A store's type in the merged view. */
export interface KnownType {
  store: string;
  info: TypeInfo;
  /** The store's catalog is not whole (its read stopped at its limit): its counts are of the events read. */
  partial?: { events: number };
}

export interface KnownStream {
  store: string;
  stream: StreamEntry;
}

class StoreCatalog {
  phase: CatalogPhase = 'reading';
  message?: string;
  catalog?: EventCatalog;
  events = 0;
  private store?: EventStore;
  private builder?: CatalogBuilder;
  private feed?: { close(): void };
  private reading?: Promise<void>;
  private again = false;
  private settle?: NodeJS.Timeout;
  private readAt = 0;
  private closed = false;

  constructor(
    readonly ref: StoreRef,
    private readonly changed: () => void,
    private readonly log: (line: string) => void,
  ) {}

  start(): Promise<void> {
    try {
      const cipherKey = this.ref.cipherKey ? parseCipherKey(this.ref.cipherKey) : undefined;
      const { mapping } = readTranscodingSetting(this.ref.transcodings);
      this.store = openStore(this.ref.location, {
        ...(cipherKey ? { cipherKey } : {}),
        ...(this.ref.password !== undefined ? { password: this.ref.password } : {}),
        ...(Object.keys(mapping).length ? { transcodings: mapping } : {}),
      });
      this.builder = new CatalogBuilder(this.store.location);
      this.feed = this.store.watch?.(
        () => this.soon(),
        (error) => this.log(`${this.ref.name}: the feed of new events stopped: ${messageOf(error)}`),
      );
    } catch (error) {
      this.fail(error);
      return Promise.resolve();
    }
    return this.read();
  }

  /** Reads on from where the catalog stopped (once at a time; a request meanwhile reads again after). */
  read(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    const store = this.store;
    const builder = this.builder;
    if (!store || !builder || this.closed) return Promise.resolve();
    const started = Date.now();
    this.reading = readCatalog(store, builder, {
      onProgress: (events) => {
        this.events = events;
      },
    })
      .then((catalog) => {
        if (this.closed) return;
        const first = this.phase !== 'ready';
        // Streams come with events: nothing new when the head stayed.
        const same = !first && this.catalog?.head === catalog.head;
        this.catalog = catalog;
        this.phase = 'ready';
        this.message = undefined;
        this.events = catalog.events;
        this.readAt = Date.now();
        if (first)
          this.log(`${this.ref.name}: ${catalog.events} events of ${catalog.types.length} types read in ${Date.now() - started} ms`);
        if (!same) this.changed();
      })
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.reading = undefined;
        if (this.again && !this.closed) {
          this.again = false;
          void this.read();
        }
      });
    return this.reading;
  }

  /** When the read in progress (if any) is over. */
  settled(): Promise<void> {
    return this.reading ?? Promise.resolve();
  }

  /** Reads on soon (a burst of change notes reads once). */
  private soon(): void {
    clearTimeout(this.settle);
    this.settle = setTimeout(() => void this.read(), SETTLE_MS);
  }

  /** For stores without a feed: reads on when the catalog is older than STALE_MS. */
  touch(): void {
    if (!this.feed && this.phase === 'ready' && Date.now() - this.readAt > STALE_MS) void this.read();
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.phase = 'failed';
    this.message = messageOf(error);
    this.log(`${this.ref.name}: cannot read its event catalog: ${this.message}`);
    this.changed();
  }

  state(): StoreCatalogState {
    return {
      name: this.ref.name,
      phase: this.phase,
      events: this.events,
      ...(this.catalog ? { types: this.catalog.types.length } : {}),
      ...(this.message ? { message: this.message } : {}),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.settle);
    this.feed?.close();
    await this.store?.close().catch(() => undefined);
  }
}

export class Catalogs {
  private entries: StoreCatalog[] = [];
  private listeners: (() => void)[] = [];

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  /** Called whenever a catalog is read, fails or the stores change. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private fire(): void {
    for (const listener of this.listeners) listener();
  }

  /** Reads these stores from now on (a store already known by the same name and settings is kept as it is). */
  set(refs: StoreRef[]): void {
    const key = (ref: StoreRef) => JSON.stringify(ref);
    const keep = new Map(this.entries.map((e) => [key(e.ref), e]));
    const next: StoreCatalog[] = [];
    for (const ref of refs) {
      const known = keep.get(key(ref));
      if (known) {
        keep.delete(key(ref));
        next.push(known);
      } else {
        const entry = new StoreCatalog(ref, () => this.fire(), this.log);
        next.push(entry);
        void entry.start();
      }
    }
    for (const gone of keep.values()) void gone.close();
    this.entries = next;
    this.fire();
  }

  /** The ready catalogs, by store name (stores without a feed read on when stale). */
  ready(): { name: string; catalog: EventCatalog }[] {
    const out: { name: string; catalog: EventCatalog }[] = [];
    for (const e of this.entries) {
      e.touch();
      if (e.catalog) out.push({ name: e.ref.name, catalog: e.catalog });
    }
    return out;
  }

  /** Every type of every ready store. */
  types(): KnownType[] {
    return this.ready().flatMap(({ name, catalog }) =>
      catalog.types.map((info) => ({ store: name, info, ...(catalog.complete ? {} : { partial: { events: catalog.events } }) })),
    );
  }

  /** The types a key (as written in a `.events` header or a handler key) names, in every store. */
  typesFor(key: string): KnownType[] {
    return this.types().filter(({ info }) => typeMatches(info.type, key));
  }

  streams(): KnownStream[] {
    return this.ready().flatMap(({ name, catalog }) => catalog.streams.map((stream) => ({ store: name, stream })));
  }

  /**
   * The fields seen under `path` (`[]`: the payload's own) in events of the types a key names, in
   * every store, merged by name; `looked`: how many events they were counted over in all.
   */
  fieldsFor(key: string, path: readonly string[]): { fields: FieldInfo[]; looked: number } {
    const byName = new Map<string, FieldInfo>();
    let looked = 0;
    for (const { info } of this.typesFor(key)) {
      looked += info.looked;
      for (const field of info.fields) {
        if (field.path.length !== path.length + 1 || path.some((p, i) => field.path[i] !== p)) continue;
        const name = field.path[path.length];
        const known = byName.get(name);
        if (!known) byName.set(name, { ...field, samples: [...field.samples], kinds: [...field.kinds] });
        else {
          known.count += field.count;
          for (const s of field.samples) if (known.samples.length < 3 && !known.samples.includes(s)) known.samples.push(s);
          for (const k of field.kinds) if (!known.kinds.includes(k)) known.kinds.push(k);
        }
      }
    }
    return { fields: [...byName.values()], looked };
  }

  states(): StoreCatalogState[] {
    return this.entries.map((e) => e.state());
  }

  /** The catalogs (after every read in progress, when `wait`). */
  async result(name?: string, wait = false): Promise<CatalogResult> {
    const entries = this.entries.filter((e) => name === undefined || e.ref.name === name);
    if (wait) {
      // A read in progress may start another (a change came meanwhile): wait until none is.
      while (entries.some((e) => e.phase === 'reading')) await Promise.all(entries.map((e) => e.settled()));
    }
    return {
      catalogs: entries.map((e) => ({
        name: e.ref.name,
        phase: e.phase,
        ...(e.catalog ? { catalog: e.catalog } : {}),
        ...(e.message ? { message: e.message } : {}),
      })),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.entries.map((e) => e.close()));
    this.entries = [];
  }
}
