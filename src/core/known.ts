/**
 * What a store knows, for filters that match nothing: an unknown category or event type is a
 * sentence that names the known ones, closest first (`--category bankaccount` -> BankAccount), the
 * same from every command and face.
 */

import { closestFirst } from './closest';
import { EventscopeError } from './errors';
import { qualifiedName, typeMatches } from './events';
import { pagesOf, type EventStore } from './stores/types';

/** How many known names a sentence lists. */
const SHOWN = 8;
/** The most events read to learn a store's event types. */
const TYPE_SCAN = 200_000;

function listOf(word: string, names: string[]): string {
  const sorted = closestFirst(word, names);
  return `${sorted.slice(0, SHOWN).join(', ')}${sorted.length > SHOWN ? `, … (${sorted.length} in all)` : ''}`;
}

/** Throws when no stream of the store is of this category (by name or topic); the sentence lists the categories. */
export async function checkCategory(store: EventStore, category: string): Promise<void> {
  const categories = await store.categories();
  if (categories.some((c) => c.name === category || c.topic === category)) return;
  throw new EventscopeError(
    categories.length
      ? `${store.location} has no category "${category}"; its categories, closest first: ${listOf(
          category,
          categories.map((c) => c.name),
        )}.`
      : `${store.location} has no category "${category}": it has no streams.`,
  );
}

/** The store's event types (from a read of its log, up to TYPE_SCAN events). */
export async function eventTypes(store: EventStore): Promise<string[]> {
  const types = new Set<string>();
  const read = (fromPosition: number | undefined, limit: number | undefined) => store.readAll({ fromPosition, limit });
  for await (const items of pagesOf(read, { limit: TYPE_SCAN, pageSize: 5000 })) for (const e of items) types.add(e.type);
  return [...types];
}

/** A sentence when none of the type keys names an event type of the store (listing its types), else undefined. */
export async function unknownTypes(store: EventStore, keys: readonly string[]): Promise<EventscopeError | undefined> {
  const types = await eventTypes(store);
  if (keys.some((k) => types.some((t) => typeMatches(t, k)))) return undefined;
  const names = [...new Set(types.map(qualifiedName))];
  const what = keys.length === 1 ? `type "${keys[0]}"` : `types ${keys.map((k) => `"${k}"`).join(', ')}`;
  return new EventscopeError(
    names.length
      ? `${store.location} has no events of ${what}; its event types, closest first: ${listOf(keys[0], names)}.`
      : `${store.location} has no events of ${what}: it has no events.`,
  );
}
