/**
 * A throwaway PostgreSQL for tests: `initdb` into a temp folder, `pg_ctl start` on a free port
 * (loopback only, password authentication for TCP), a database and a password for the `eventscope`
 * role, and `stop()` to end it and delete the folder. As root the server runs as the `postgres`
 * user (initdb refuses root), through `runuser`. Undefined when the binaries are missing.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { freePort } from '../../src/core/freePort';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface PostgresServer {
  port: number;
  /** `postgres://eventscope@127.0.0.1:PORT/DB` (no password: it is `password`). */
  url(database?: string): string;
  password: string;
  /** Runs SQL as the superuser (through psql on the socket). */
  psql(sql: string, database?: string): string;
  /** Stops the server (keeping its data) until `start()`. */
  halt(): void;
  start(): void;
  stop(): void;
}

/** Where PostgreSQL's server programs are: on PATH, or Debian's /usr/lib/postgresql/<version>/bin. */
function binaries(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' });
  if (onPath.status === 0) return dirname(onPath.stdout.trim());
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => join('/usr/lib/postgresql', v, 'bin')).find((dir) => existsSync(join(dir, 'pg_ctl')));
}

export async function startPostgres(): Promise<PostgresServer | undefined> {
  const bin = binaries();
  if (!bin || !existsSync(join(bin, 'initdb'))) return undefined;
  const program = (name: string) => (existsSync(join(bin, name)) ? join(bin, name) : name);
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'eventscope-pg-'));
  const data = join(dir, 'data');
  const socket = dir;
  if (root) {
    chmodSync(dir, 0o755);
    const pg = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const group = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, pg, group);
  }
  const as = (name: string, args: string[], command = program(name)) =>
    root
      ? execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8', stdio: 'pipe' })
      : execFileSync(command, args, { encoding: 'utf8', stdio: 'pipe' });
  const port = await freePort();
  as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  // TCP needs a password (as a user's server would); the socket is trusted for the test's own setup.
  writeFileSync(join(dir, 'hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n');
  if (root) execFileSync('chown', ['postgres', join(dir, 'hba.conf')]);
  const start = () =>
    as('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-o',
      `-p ${port} -k ${socket} -c listen_addresses=127.0.0.1 -c hba_file=${join(dir, 'hba.conf')} -c fsync=off`,
      'start',
    ]);
  start();
  const password = 'eventscope-test-password';
  const psql = (sql: string, database = 'postgres') =>
    as('psql', ['-h', socket, '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql]);
  psql(`CREATE ROLE eventscope LOGIN PASSWORD '${password}'`);
  psql('CREATE DATABASE bank OWNER eventscope');
  return {
    port,
    password,
    url: (database = 'bank') => `postgres://eventscope@127.0.0.1:${port}/${database}`,
    psql,
    halt: () => as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']),
    start,
    stop: () => {
      try {
        as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Copies a SQLite fixture's tables into PostgreSQL in the library's layout for application `app`. */
export async function loadFixture(server: PostgresServer, sqlitePath: string, app: string, schema = 'public'): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'eventscope', password: server.password, database: 'bank' });
  await client.connect();
  try {
    const t = (name: string) => `"${schema}"."${app}_${name}"`;
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`CREATE TABLE ${t('events')} (originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text, state bytea,
      notification_id bigserial, PRIMARY KEY (originator_id, originator_version))`);
    await client.query(`CREATE UNIQUE INDEX ON ${t('events')} (notification_id ASC)`);
    await client.query(`CREATE TABLE ${t('snapshots')} (originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text, state bytea,
      PRIMARY KEY (originator_id, originator_version))`);
    await client.query(
      `CREATE TABLE ${t('tracking')} (application_name text, notification_id bigint, PRIMARY KEY (application_name, notification_id))`,
    );
    const db = new Database(sqlitePath, { readonly: true });
    const rows = (sql: string) => db.prepare(sql).raw().all() as string[][];
    for (const [rowid, id, version, topic, hex] of rows(
      'SELECT rowid, originator_id, originator_version, topic, hex(state) FROM stored_events ORDER BY rowid',
    ))
      await client.query(`INSERT INTO ${t('events')} VALUES ($1::uuid, $2, $3, decode($4, 'hex'), $5)`, [id, version, topic, hex, rowid]);
    for (const [id, version, topic, hex] of rows('SELECT originator_id, originator_version, topic, hex(state) FROM stored_snapshots'))
      await client.query(`INSERT INTO ${t('snapshots')} VALUES ($1::uuid, $2, $3, decode($4, 'hex'))`, [id, version, topic, hex]);
    db.close();
  } finally {
    await client.end();
  }
}
