/** The messages between a replay session (host) and its worker; structured-cloned. */

import type { EventKey } from '../events';
import type { LabelRules } from '../labels';

/** How many marks (errors, failures, breakpoint hits) a replay keeps of each kind: the first ones. */
export const MARK_LIMIT = 10_000;

import type { Mark } from './replay';
import type { Breakpoint } from './replay';
import type { ProjectionSpec } from './load';
import type { ReplaySourceSpec } from './source';
import type { EngineKind } from './engine';

/** What a step record carries across to the host (states can be tens of MB). */
export interface StepOptions {
  /** Include the state before the step (default: no; `changes` says what changed). */
  before?: boolean;
  /** Leave both states out when the state after is bigger than this, serialized. */
  maxStateBytes?: number;
}

export interface OpenRequest {
  op: 'open';
  id: number;
  source: ReplaySourceSpec;
  projection: ProjectionSpec;
  /** Run the first pass over at most this many steps (after a step overran its budget). */
  limit?: number;
  interval?: number;
  /** The `eventscope.streamLabels` rules the stream labels follow. */
  labelRules?: LabelRules;
}

export type WorkerRequest =
  | OpenRequest
  | { op: 'events'; id: number; from: number; count: number }
  | { op: 'step'; id: number; index: number; options?: StepOptions }
  | { op: 'state'; id: number; count: number }
  | { op: 'scan'; id: number; breakpoints: Breakpoint[]; from?: number }
  | { op: 'filter'; id: number; text: string }
  | { op: 'labels'; id: number; streamIds: string[] }
  | { op: 'locate'; id: number; key: EventKey }
  | { op: 'find'; id: number; from: number; expression?: string }
  | { op: 'describe'; id: number; index: number; fn?: number }
  | { op: 'close'; id: number };

/** What the first pass found. */
export interface OpenResult {
  steps: number;
  source: string;
  projection: { name: string; kind: EngineKind };
  hasInvariant: boolean;
  errors: Mark[];
  failures: Mark[];
  elapsedMs: number;
  keyframeInterval: number;
  keyframes: number;
}

export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; message: string; userFacing: boolean; stack?: string }
  | { progress: number };
