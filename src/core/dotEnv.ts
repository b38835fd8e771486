/**
 * `.env` files, as python-dotenv and docker compose read them, and the event stores the
 * eventsourcing library's settings in them name: one per application (`BANKACCOUNTS_SQLITE_DBNAME`,
 * `BANKACCOUNTS_POSTGRES_DBNAME`, …), plus the one of the plain settings.
 */

/** `KEY=value` lines (an `export ` prefix allowed); quotes stripped; `#` comments ignored. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2];
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    out[m[1]] = value;
  }
  return out;
}

/** The library's settings that say where an application's events are and how to read them. */
const STORE_SETTINGS = [
  'PERSISTENCE_MODULE',
  'INFRASTRUCTURE_FACTORY',
  'FACTORY_TOPIC',
  'SQLITE_DBNAME',
  'CIPHER_KEY',
  'CIPHER_TOPIC',
  'COMPRESSOR_TOPIC',
  'POSTGRES_DBNAME',
  'POSTGRES_HOST',
  'POSTGRES_PORT',
  'POSTGRES_USER',
  'POSTGRES_PASSWORD',
  'POSTGRES_SCHEMA',
];

/** Prefixes that are not applications: Eventscope's own variables (`EVENTSCOPE_CIPHER_KEY`). */
const NOT_APPLICATIONS = new Set(['EVENTSCOPE']);

/** A store that a `.env` names for the eventsourcing library. */
export interface DotEnvStore {
  /** The application whose prefixed settings name it ("BankAccounts"); absent for the plain settings. */
  app?: string;
  kind: 'eventsourcing-sqlite' | 'eventsourcing-postgres';
  /** `SQLITE_DBNAME` as written (relative to the `.env`'s folder), or the PostgreSQL URL (no password in it). */
  location: string;
  cipherKey?: string;
  /** `POSTGRES_PASSWORD`. */
  password?: string;
}

/**
 * The applications a `.env` configures: the prefixes of the library's settings in it
 * (`BANKACCOUNTS_SQLITE_DBNAME` -> `BANKACCOUNTS`), in the order they first appear. The library
 * reads `NAME.upper() + "_" + SETTING` before `SETTING` (its `Environment.get`), so a prefix is
 * always upper case.
 */
export function dotEnvApplications(env: Record<string, string>): string[] {
  const apps = new Set<string>();
  for (const key of Object.keys(env)) {
    for (const setting of STORE_SETTINGS) {
      if (key.length <= setting.length + 1 || !key.endsWith(`_${setting}`)) continue;
      const prefix = key.slice(0, -setting.length - 1);
      if (prefix === prefix.toUpperCase() && !NOT_APPLICATIONS.has(prefix)) apps.add(prefix);
    }
  }
  return [...apps];
}

/** A setting as an application named `prefix` reads it (the library's `Environment.get`): its own, else the plain one. */
function settingOf(env: Record<string, string>, prefix: string | undefined, key: string): string | undefined {
  return (prefix !== undefined ? env[`${prefix}_${key}`] : undefined) ?? env[key];
}

/**
 * Which of the library's persistence modules the settings choose: `PERSISTENCE_MODULE` (or its
 * legacy names) as a module or a factory topic; without one, the module whose database is named
 * (`POSTGRES_DBNAME`, `SQLITE_DBNAME`), since the module is often set in code or the shell.
 * Undefined for any other module (`eventsourcing.popo`: in memory).
 */
function persistenceOf(get: (key: string) => string | undefined): DotEnvStore['kind'] | undefined {
  const module = get('PERSISTENCE_MODULE') || get('INFRASTRUCTURE_FACTORY') || get('FACTORY_TOPIC') || '';
  const named = module.split(':')[0];
  if (named === 'eventsourcing.postgres') return 'eventsourcing-postgres';
  if (named === 'eventsourcing.sqlite') return 'eventsourcing-sqlite';
  if (named) return undefined;
  if (get('POSTGRES_DBNAME')) return 'eventsourcing-postgres';
  if (get('SQLITE_DBNAME')) return 'eventsourcing-sqlite';
  return undefined;
}

/** The store of one application's settings (the plain ones without `prefix`), or undefined. */
function storeOf(env: Record<string, string>, prefix: string | undefined, app: string | undefined): DotEnvStore | undefined {
  const get = (key: string) => settingOf(env, prefix, key) || undefined;
  const kind = persistenceOf(get);
  let location: string;
  if (kind === 'eventsourcing-postgres') {
    const url = new URL('postgres://localhost');
    url.hostname = get('POSTGRES_HOST') ?? 'localhost';
    url.port = get('POSTGRES_PORT') ?? '5432';
    url.username = encodeURIComponent(get('POSTGRES_USER') ?? 'postgres');
    url.pathname = `/${encodeURIComponent(get('POSTGRES_DBNAME') ?? 'postgres')}`;
    // The library's tables are `<name lower-cased>_events`: what `?app=` names.
    if (prefix !== undefined) url.searchParams.set('app', prefix.toLowerCase());
    const schema = get('POSTGRES_SCHEMA');
    if (schema) url.searchParams.set('schema', schema);
    location = url.toString();
  } else if (kind === 'eventsourcing-sqlite') {
    const db = get('SQLITE_DBNAME');
    if (!db || db === ':memory:' || db.startsWith('file::memory:') || /[?&]mode=memory\b/.test(db)) return undefined;
    location = db;
  } else return undefined;
  const cipherKey = get('CIPHER_KEY');
  const password = kind === 'eventsourcing-postgres' ? get('POSTGRES_PASSWORD') : undefined;
  return {
    ...(app !== undefined ? { app } : {}),
    kind,
    location,
    ...(cipherKey ? { cipherKey } : {}),
    ...(password ? { password } : {}),
  };
}

/** A PostgreSQL URL without its `app` (the database it is in), or the SQLite file as written. */
function databaseOf(store: DotEnvStore): string {
  if (store.kind !== 'eventsourcing-postgres') return store.location;
  const url = new URL(store.location);
  url.searchParams.delete('app');
  return url.toString();
}

/**
 * The stores a `.env`'s eventsourcing settings name: one per application with settings of its own
 * (`dotEnvApplications`), each setting its own if it has one, else the plain one, as the library
 * reads them; then the store of the plain settings, unless an application's is in the same file or
 * database. `appNames` (class names found in the code, `BankAccounts`) give an application its
 * spelling; else it is named by its prefix.
 */
export function dotEnvStores(env: Record<string, string>, appNames: Iterable<string> = []): DotEnvStore[] {
  const spelling = new Map<string, string>();
  for (const name of appNames) if (!spelling.has(name.toUpperCase())) spelling.set(name.toUpperCase(), name);
  const stores: DotEnvStore[] = [];
  for (const prefix of dotEnvApplications(env)) {
    const store = storeOf(env, prefix, spelling.get(prefix) ?? prefix);
    if (store) stores.push(store);
  }
  const plain = storeOf(env, undefined, undefined);
  if (plain && !stores.some((s) => s.kind === plain.kind && databaseOf(s) === databaseOf(plain))) stores.push(plain);
  return stores;
}

/**
 * The eventsourcing applications a Python source defines (`class BankAccounts(Application):`,
 * a process application too): their class names, which give `.env` prefixes their spelling.
 */
export function applicationClassNames(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/^[ \t]*class[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(([^)]*)\)/gm)) {
    if (/Application\b/.test(m[2])) names.push(m[1]);
  }
  return names;
}
