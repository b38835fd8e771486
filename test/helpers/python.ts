/**
 * Python for the tests of replays through the user's own Python code: the environment that makes
 * the `eventsourcing` library importable (installed, or its source folder in
 * EVENTSCOPE_EVENTSOURCING_SRC, which .ci/run points at the shared vendor copy), and the library's
 * own view of a store, to compare every step with.
 */

import { execFileSync } from 'node:child_process';
import { delimiter, resolve } from 'node:path';

/** The dog school's domain code that wrote the fixtures (on sys.path for their replays). */
export const FIXTURE_PYTHON = resolve(__dirname, '..', 'fixtures', 'eventsourcing', 'python');

/** What a test that needs the library prints when it skips. */
export const NO_EVENTSOURCING =
  '(skipped: no importable eventsourcing; pip install eventsourcing==9.2.22, or set EVENTSCOPE_EVENTSOURCING_SRC)';

/** The environment that makes `eventsourcing` importable by python3, or undefined when nothing does. */
export function eventsourcingEnv(): NodeJS.ProcessEnv | undefined {
  const src = process.env.EVENTSCOPE_EVENTSOURCING_SRC;
  const env = src ? { ...process.env, PYTHONPATH: [src, process.env.PYTHONPATH].filter(Boolean).join(delimiter) } : process.env;
  try {
    execFileSync('python3', ['-c', 'import eventsourcing.application'], { env, stdio: 'ignore' });
    return env;
  } catch {
    return undefined;
  }
}

/**
 * What the library itself says each event of a store made of its aggregate: for every stored event
 * in notification order, `repository.get(id, version)` of the application (with `settings` as its
 * environment), its attributes as the runner shows them (id, version, times, then its own), as
 * JSON through the application's transcoder.
 */
export function libraryView(
  env: NodeJS.ProcessEnv,
  db: string,
  options: { app?: string; settings?: Record<string, string>; path?: string[] } = {},
): { position: number; id: string; version: number; state: string }[] {
  const script = `
import json, sys
sys.path[:0] = json.loads(sys.argv[4])
from eventsourcing.application import Application
from eventsourcing.utils import resolve_topic
cls = resolve_topic(sys.argv[2]) if sys.argv[2] else Application
app = cls(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": sys.argv[1], **json.loads(sys.argv[3])})
out = []
for n in app.recorder.select_notifications(start=1, limit=100000):
    a = app.repository.get(n.originator_id, version=n.originator_version)
    own = dict(vars(a))
    fields = {}
    for name in ("id", "version", "created_on", "modified_on"):
        fields[name] = own.pop("_" + name)
    own.pop("_pending_events", None)
    fields.update(own)
    out.append({"position": n.id, "id": str(n.originator_id), "version": n.originator_version,
                "state": app.mapper.transcoder.encode(fields).decode("utf8")})
print(json.dumps(out))
`;
  const output = execFileSync(
    'python3',
    ['-c', script, db, options.app ?? '', JSON.stringify(options.settings ?? {}), JSON.stringify(options.path ?? [FIXTURE_PYTHON])],
    { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  return JSON.parse(output);
}
