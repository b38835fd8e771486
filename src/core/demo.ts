/**
 * The demo store: a small bank (and a dog school) written in exactly the `eventsourcing` SQLite
 * format, with a bug worth finding: one account's balance goes negative because a payment was
 * debited twice (a retried `Debited` event carrying the same transaction id).
 */

import { transcoded } from './codecs/eventsourcing';
import type { SqliteEngine } from './sqlite/drivers';
import { EventsourcingSqliteWriter, type StoredEventInput } from './stores/eventsourcingSqliteWriter';

const ACCOUNT = 'bankapp.domainmodel:BankAccount';
const DOG = 'dogschool.domainmodel:Dog';
const SNAPSHOT = 'eventsourcing.domain:Snapshot';

/** What the demo's story is, so tests (and the walkthrough) can check it is found. */
export const DEMO_STORY = {
  accountName: 'Dana Whitfield',
  eventType: `${ACCOUNT}.Debited`,
  explanation: 'a card payment was debited twice (the retry carries the same transaction_id), taking the balance below zero',
};

/** Deterministic pseudo-random numbers (mulberry32), so every demo store is the same story. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidHex(next: () => number): string {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += Math.floor(next() * 16).toString(16);
  // version 4, variant 10xx, like uuid4()
  return `${hex.slice(0, 12)}4${hex.slice(13, 16)}${'89ab'[Math.floor(next() * 4)]}${hex.slice(17)}`;
}

function cents(amount: number): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Python's `datetime.isoformat()` of an aware UTC datetime with microseconds. */
function isoMicros(ms: number, micros: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.${String((ms % 1000) * 1000 + micros).padStart(6, '0')}+00:00`;
}

interface Account {
  id: string;
  name: string;
  email: string;
  version: number;
  balance: number;
  overdraft: number;
  createdOn: string;
  modifiedOn: string;
  lastDebit?: { amount: number; transactionId: string };
}

const NAMES = [
  'Alice Smith',
  'Bob Jones',
  'Carol Müller',
  DEMO_STORY.accountName,
  'Emeka Okafor',
  'Fatima Zahra',
  'Gustav Lindqvist',
  'Hana Sato',
  'Ivan Petrov',
  'Jonas Weber',
  'Keira O’Neill',
  'Luis García',
];
const DOGS = ['Fido', 'Rex 🐶', 'Bella', 'Luna', 'Max', 'Ærø'];
const TRICKS = ['sit', 'roll over', 'play dead', 'fetch ball', 'shake hands', 'spin', 'stay'];

/** Writes the demo store to a new file at `path` (which must not exist). */
export function writeDemoStore(path: string, options: { engine?: SqliteEngine } = {}): { events: number; streams: number } {
  const next = seededRandom(20260302);
  const writer = new EventsourcingSqliteWriter(path, { engine: options.engine });
  let clock = Date.UTC(2026, 2, 2, 9, 0, 0);
  const now = () => {
    clock += 1000 + Math.floor(next() * 40 * 60_000);
    return isoMicros(clock, Math.floor(next() * 1000));
  };
  let events = 0;
  const write = (e: StoredEventInput) => {
    writer.append([e]);
    events++;
  };

  const accounts: Account[] = NAMES.map((name) => ({
    id: uuidHex(next),
    name,
    email: `${name
      .split(' ')[0]
      .toLowerCase()
      .replace(/[^a-z]/g, '')}@example.com`,
    version: 0,
    balance: 0,
    overdraft: 0,
    createdOn: '',
    modifiedOn: '',
  }));
  const dana = accounts[NAMES.indexOf(DEMO_STORY.accountName)];

  const event = (a: Account, name: string, fields: Record<string, unknown>) => {
    const ts = now();
    a.version++;
    if (a.version === 1) a.createdOn = ts;
    a.modifiedOn = ts;
    write({
      originatorId: a.id,
      version: a.version,
      topic: `${ACCOUNT}.${name}`,
      state: { timestamp: transcoded.datetime(ts), ...fields },
    });
    if (a.version % 10 === 0) {
      writer.snapshot({
        originatorId: a.id,
        version: a.version,
        topic: SNAPSHOT,
        state: {
          timestamp: transcoded.datetime(ts),
          topic: ACCOUNT,
          state: {
            _created_on: transcoded.datetime(a.createdOn),
            _modified_on: transcoded.datetime(a.modifiedOn),
            full_name: a.name,
            email_address: a.email,
            balance: transcoded.decimal(cents(a.balance)),
            overdraft_limit: transcoded.decimal(cents(a.overdraft)),
            is_closed: false,
          },
        },
      });
    }
  };
  const credit = (a: Account, amount: number) => {
    a.balance += amount;
    event(a, 'Credited', { amount: transcoded.decimal(cents(amount)), transaction_id: transcoded.uuid(uuidHex(next)) });
  };
  const debit = (a: Account, amount: number, transactionId = uuidHex(next)) => {
    a.balance -= amount;
    a.lastDebit = { amount, transactionId };
    event(a, 'Debited', { amount: transcoded.decimal(cents(amount)), transaction_id: transcoded.uuid(transactionId) });
  };

  for (const a of accounts) {
    event(a, 'Opened', { originator_topic: ACCOUNT, full_name: a.name, email_address: a.email });
    credit(a, 5_000 + Math.floor(next() * 150_000));
  }
  for (const a of accounts) {
    if (a !== dana && next() < 0.4) {
      a.overdraft = 10_000 * (1 + Math.floor(next() * 5));
      event(a, 'OverdraftLimitSet', { overdraft_limit: transcoded.decimal(cents(a.overdraft)) });
    }
  }

  const dogs = DOGS.map((name, i) => ({ id: uuidHex(next), name, owner: accounts[(i * 5) % accounts.length], version: 0 }));
  const dogEvent = (d: (typeof dogs)[number], name: string, fields: Record<string, unknown>) => {
    d.version++;
    write({ originatorId: d.id, version: d.version, topic: `${DOG}.${name}`, state: { timestamp: transcoded.datetime(now()), ...fields } });
  };
  for (const d of dogs) {
    dogEvent(d, 'Registered', {
      originator_topic: DOG,
      name: d.name,
      owner_id: transcoded.uuid(d.owner.id),
      born_on: transcoded.datetime(isoMicros(Date.UTC(2019 + Math.floor(next() * 5), Math.floor(next() * 12), 1, 12, 30), 0)),
    });
  }

  // Everyday business: credits, tricks and debits that never take a balance below zero (the
  // overdraft limits are granted but unused), so the one negative balance is the bug's.
  const doubleDebitAt = 190;
  for (let step = 0; events < 330; step++) {
    if (step === doubleDebitAt) {
      // The bug: Dana pays most of her balance by card, and the payment service retries it.
      if (dana.balance < 60_000) credit(dana, 60_000);
      const amount = dana.balance - 4_000;
      debit(dana, amount);
      debit(dana, amount, dana.lastDebit!.transactionId);
      credit(dana, 2_500);
      continue;
    }
    const r = next();
    if (r < 0.2) {
      const d = dogs[Math.floor(next() * dogs.length)];
      if (next() < 0.7) dogEvent(d, 'TrickAdded', { trick: TRICKS[Math.floor(next() * TRICKS.length)] });
      else dogEvent(d, 'WeightRecorded', { weight: transcoded.decimal((8 + next() * 30).toFixed(1)), unit: 'kg', class_version: 2 });
      continue;
    }
    const a = accounts[Math.floor(next() * accounts.length)];
    if (a === dana && step > doubleDebitAt - 40) continue; // keep Dana's story readable around the bug
    if (r < 0.55) credit(a, 500 + Math.floor(next() * 40_000));
    else {
      const amount = Math.min(a.balance, 300 + Math.floor(next() * 25_000));
      if (amount > 0) debit(a, amount);
    }
  }
  writer.close();
  return { events, streams: accounts.length + dogs.length };
}
