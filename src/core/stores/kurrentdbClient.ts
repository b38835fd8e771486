/**
 * The official KurrentDB client, bundled on its own as dist/kurrentdb.js and loaded only when a
 * KurrentDB connection is used (see `loadKurrentClient` in kurrentdb.ts): its gRPC stack is large
 * and its read path is a per-platform native module (`@kurrent/bridge-<platform>`, kept outside
 * the bundle and packaged per Marketplace target).
 */

export {
  KurrentDBClient,
  excludeSystemEvents,
  eventTypeFilter,
  streamNameFilter,
  START,
  END,
  FORWARDS,
  BACKWARDS,
} from '@kurrent/kurrentdb-client';
