/**
 * What the extension and the language server (src/server) say to each other beyond LSP, declared
 * once: the stores whose catalogs the server reads, how far it got, the catalogs themselves (for
 * tests and tools), and the command the projection CodeLenses run. Other LSP clients give the
 * stores as initialization options (`{stores: StoreRef[]}`) or `--store` arguments instead.
 */

import type { EventCatalog } from '../core/catalog';

/** A message of the protocol: its method and, as types only, what it carries. */
export interface Message<P, R = void> {
  readonly method: string;
  /** Never set: keeps the parameter and result types. */
  readonly types?: { params: P; result: R };
}

const message = <P, R = void>(method: string): Message<P, R> => ({ method });

/** A store the server reads: a connection's name, its path or URL, and what opens it. */
export interface StoreRef {
  name: string;
  location: string;
  /** The cipher key's text (as the library's CIPHER_KEY: base64). */
  cipherKey?: string;
  password?: string;
  /** Application transcodings to decode as a known kind. */
  transcodings?: Record<string, string>;
}

export interface SetStoresParams {
  stores: StoreRef[];
}

export type CatalogPhase = 'reading' | 'ready' | 'failed';

export interface StoreCatalogState {
  name: string;
  phase: CatalogPhase;
  /** Events read so far. */
  events: number;
  /** Event types found (when ready). */
  types?: number;
  /** Why it failed: one sentence. */
  message?: string;
}

export interface CatalogStateParams {
  stores: StoreCatalogState[];
}

export interface CatalogParams {
  /** Only this store's (by name); undefined: every store's. */
  name?: string;
  /** Wait until every (named) store's catalog is read (or failed). */
  wait?: boolean;
}

export interface CatalogResult {
  catalogs: { name: string; phase: CatalogPhase; catalog?: EventCatalog; message?: string }[];
}

/** The client tells the server which stores to read (again, whenever the connections change). */
export const SetStores = message<SetStoresParams>('eventscope/setStores');
/** The server tells the client how its catalogs are coming along. */
export const CatalogState = message<CatalogStateParams>('eventscope/catalogState');
/** The catalogs the server has. */
export const Catalog = message<CatalogParams, CatalogResult>('eventscope/catalog');

/** The command a projection's CodeLenses run: `[{action, path}]`. */
export const PROJECTION_LENS_COMMAND = 'eventscope.projectionLens';
export type ProjectionLensAction = 'replay' | 'debug' | 'findFirstFailure';
export interface ProjectionLensArgs {
  action: ProjectionLensAction;
  /** The projection file. */
  path: string;
}
