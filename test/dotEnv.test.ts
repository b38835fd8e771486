import assert from 'node:assert/strict';
import { applicationClassNames, dotEnvApplications, dotEnvStores, parseDotEnv } from '../src/core/dotEnv';

describe('.env files', () => {
  it('reads KEY=value lines, quotes, export prefixes and comments', () => {
    const text = [
      '# the app',
      'PERSISTENCE_MODULE=eventsourcing.sqlite',
      'export SQLITE_DBNAME = "data/bank.db"',
      "CIPHER_KEY='ZXZlbnRzb3VyY2luZy1maXh0dXJlLWtleS0zMmJ5dGU='",
      'COMPRESSOR_TOPIC=eventsourcing.compressor:ZlibCompressor # zlib',
      'not a line',
      'EMPTY=',
    ].join('\r\n');
    assert.deepEqual(parseDotEnv(text), {
      PERSISTENCE_MODULE: 'eventsourcing.sqlite',
      SQLITE_DBNAME: 'data/bank.db',
      CIPHER_KEY: 'ZXZlbnRzb3VyY2luZy1maXh0dXJlLWtleS0zMmJ5dGU=',
      COMPRESSOR_TOPIC: 'eventsourcing.compressor:ZlibCompressor',
      EMPTY: '',
    });
  });
});

describe('.env files: the stores of the eventsourcing library’s settings', () => {
  const env = (...lines: string[]) => parseDotEnv(lines.join('\n'));

  it('the plain settings: one store, SQLite or PostgreSQL, as before', () => {
    assert.deepEqual(dotEnvStores(env('SQLITE_DBNAME=data/bank.db', 'CIPHER_KEY=k0')), [
      { kind: 'eventsourcing-sqlite', location: 'data/bank.db', cipherKey: 'k0' },
    ]);
    assert.deepEqual(
      dotEnvStores(
        env('POSTGRES_DBNAME=bank', 'POSTGRES_HOST=db.internal', 'POSTGRES_USER=es', 'POSTGRES_PASSWORD=pw', 'POSTGRES_SCHEMA=es'),
      ),
      [{ kind: 'eventsourcing-postgres', location: 'postgres://es@db.internal:5432/bank?schema=es', password: 'pw' }],
    );
    // PERSISTENCE_MODULE alone names PostgreSQL (every setting defaulted).
    assert.deepEqual(dotEnvStores(env('PERSISTENCE_MODULE=eventsourcing.postgres')), [
      { kind: 'eventsourcing-postgres', location: 'postgres://postgres@localhost:5432/postgres' },
    ]);
    assert.deepEqual(dotEnvStores(env('COMPRESSOR_TOPIC=eventsourcing.compressor:ZlibCompressor')), [], 'no database named');
  });

  it('one store per application prefix (the class name upper-cased), its own setting winning over the plain one', () => {
    const text = env(
      'PERSISTENCE_MODULE=eventsourcing.sqlite',
      'SQLITE_DBNAME=other.db',
      'CIPHER_KEY=k0',
      'BANKACCOUNTS_SQLITE_DBNAME=accounts.db',
      'BANKACCOUNTS_CIPHER_KEY=k1',
      'STATISTICS_SQLITE_DBNAME=stats.db',
    );
    assert.deepEqual(dotEnvApplications(text), ['BANKACCOUNTS', 'STATISTICS']);
    assert.deepEqual(dotEnvStores(text, ['BankAccounts', 'Statistics', 'Unrelated']), [
      { app: 'BankAccounts', kind: 'eventsourcing-sqlite', location: 'accounts.db', cipherKey: 'k1' },
      { app: 'Statistics', kind: 'eventsourcing-sqlite', location: 'stats.db', cipherKey: 'k0' },
      { kind: 'eventsourcing-sqlite', location: 'other.db', cipherKey: 'k0' },
    ]);
    // Without the code's class names, an application is named by its prefix.
    assert.deepEqual(
      dotEnvStores(text).map((s) => s.app),
      ['BANKACCOUNTS', 'STATISTICS', undefined],
    );
  });

  it('an application with only some settings of its own reads the others plain; the plain store in the same file is not offered twice', () => {
    assert.deepEqual(dotEnvStores(env('SQLITE_DBNAME=bank.db', 'BANKACCOUNTS_CIPHER_KEY=k1'), ['BankAccounts']), [
      { app: 'BankAccounts', kind: 'eventsourcing-sqlite', location: 'bank.db', cipherKey: 'k1' },
    ]);
    // An empty setting of its own is a value (the library's get): no cipher key for this one.
    assert.deepEqual(dotEnvStores(env('SQLITE_DBNAME=bank.db', 'CIPHER_KEY=k0', 'BANKACCOUNTS_CIPHER_KEY='), ['BankAccounts']), [
      { app: 'BankAccounts', kind: 'eventsourcing-sqlite', location: 'bank.db' },
    ]);
  });

  it('PERSISTENCE_MODULE tells SQLite from PostgreSQL per application; a PostgreSQL application’s prefix is its ?app=', () => {
    const text = env(
      'PERSISTENCE_MODULE=eventsourcing.sqlite',
      'SQLITE_DBNAME=local.db',
      'BANKACCOUNTS_PERSISTENCE_MODULE=eventsourcing.postgres',
      'POSTGRES_HOST=db.internal',
      'POSTGRES_PORT=5433',
      'POSTGRES_USER=es',
      'POSTGRES_PASSWORD=pw',
      'POSTGRES_DBNAME=bank',
      'BANKACCOUNTS_POSTGRES_PASSWORD=pw2',
      'BANKACCOUNTS_POSTGRES_SCHEMA=accounts',
    );
    assert.deepEqual(dotEnvStores(text, ['BankAccounts']), [
      {
        app: 'BankAccounts',
        kind: 'eventsourcing-postgres',
        location: 'postgres://es@db.internal:5433/bank?app=bankaccounts&schema=accounts',
        password: 'pw2',
      },
      { kind: 'eventsourcing-sqlite', location: 'local.db' },
    ]);
  });

  it('PostgreSQL applications of one database: one store each; the plain one only where no application is', () => {
    const text = env(
      'PERSISTENCE_MODULE=eventsourcing.postgres:Factory',
      'POSTGRES_DBNAME=shop',
      'POSTGRES_PASSWORD=pw',
      'ORDERS_POSTGRES_DBNAME=shop',
      'STATISTICS_CIPHER_KEY=k1',
    );
    assert.deepEqual(dotEnvStores(text, ['Orders', 'Statistics']), [
      { app: 'Orders', kind: 'eventsourcing-postgres', location: 'postgres://postgres@localhost:5432/shop?app=orders', password: 'pw' },
      {
        app: 'Statistics',
        kind: 'eventsourcing-postgres',
        location: 'postgres://postgres@localhost:5432/shop?app=statistics',
        cipherKey: 'k1',
        password: 'pw',
      },
    ]);
    // Another database beside them: the plain settings' store is offered too.
    assert.deepEqual(
      dotEnvStores(env('POSTGRES_DBNAME=shop', 'ORDERS_POSTGRES_DBNAME=orders')).map((s) => s.location),
      ['postgres://postgres@localhost:5432/orders?app=orders', 'postgres://postgres@localhost:5432/shop'],
    );
  });

  it('reads the legacy module names and module topics; other modules and in-memory databases name no store', () => {
    assert.deepEqual(
      dotEnvStores(env('INFRASTRUCTURE_FACTORY=eventsourcing.sqlite:Factory', 'SQLITE_DBNAME=a.db')).map((s) => s.kind),
      ['eventsourcing-sqlite'],
    );
    assert.deepEqual(
      dotEnvStores(env('FACTORY_TOPIC=eventsourcing.postgres:Factory')).map((s) => s.kind),
      ['eventsourcing-postgres'],
    );
    // The explicit module wins over the settings present.
    assert.deepEqual(
      dotEnvStores(env('PERSISTENCE_MODULE=eventsourcing.sqlite', 'SQLITE_DBNAME=a.db', 'POSTGRES_DBNAME=b')).map((s) => s.kind),
      ['eventsourcing-sqlite'],
    );
    assert.deepEqual(dotEnvStores(env('PERSISTENCE_MODULE=eventsourcing.popo', 'SQLITE_DBNAME=a.db')), []);
    assert.deepEqual(dotEnvStores(env('PERSISTENCE_MODULE=eventsourcing_kurrentdb', 'SQLITE_DBNAME=a.db')), []);
    assert.deepEqual(dotEnvStores(env('BANKACCOUNTS_PERSISTENCE_MODULE=eventsourcing.popo', 'SQLITE_DBNAME=a.db'), ['BankAccounts']), [
      { kind: 'eventsourcing-sqlite', location: 'a.db' },
    ]);
    for (const db of [':memory:', 'file::memory:?cache=shared', 'file:bank?mode=memory&cache=shared'])
      assert.deepEqual(dotEnvStores(env(`SQLITE_DBNAME=${db}`), []), [], db);
  });

  it('prefixes the library would not read are no applications: mixed case, Eventscope’s own variables', () => {
    const text = env('SQLITE_DBNAME=a.db', 'BankAccounts_SQLITE_DBNAME=b.db', 'EVENTSCOPE_CIPHER_KEY=k', 'POSTGRES_PASSWORD=x');
    assert.deepEqual(dotEnvApplications(text), []);
    assert.deepEqual(dotEnvStores(text), [{ kind: 'eventsourcing-sqlite', location: 'a.db' }]);
  });

  it('finds the application classes of Python code, which spell the prefixes', () => {
    const source = [
      'from eventsourcing.application import Application',
      'from eventsourcing.system import ProcessApplication',
      '',
      'class BankAccounts(Application):',
      '    pass',
      '',
      'class Counters(ProcessApplication[UUID]):',
      '    pass',
      '',
      'class Reports(',
      '    eventsourcing.application.Application,',
      '):',
      '    pass',
      '',
      'class Dog(Aggregate):',
      '    class Registered(Aggregate.Created): ...',
      'class Recorder(ApplicationRecorder): ...',
    ].join('\n');
    assert.deepEqual(applicationClassNames(source), ['BankAccounts', 'Counters', 'Reports']);
  });
});
