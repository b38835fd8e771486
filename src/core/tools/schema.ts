/**
 * The JSON Schemas of the agent tools' arguments and answers, and the one check of arguments
 * against them (the subset the tools use: objects of strings, integers, booleans and string
 * arrays), so that a wrong argument is one sentence naming it, from the MCP server and from VS Code.
 */

import { EventscopeError } from '../errors';

export interface JsonSchema {
  type?:
    | 'object'
    | 'string'
    | 'integer'
    | 'number'
    | 'boolean'
    | 'array'
    | 'null'
    | ('string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null')[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  enum?: string[];
  default?: unknown;
}

export const str = (description: string, extra: Partial<JsonSchema> = {}): JsonSchema => ({ type: 'string', description, ...extra });
export const int = (description: string, extra: Partial<JsonSchema> = {}): JsonSchema => ({ type: 'integer', description, ...extra });
export const bool = (description: string): JsonSchema => ({ type: 'boolean', description });
export const strings = (description: string): JsonSchema => ({ type: 'array', items: { type: 'string' }, description });
export const obj = (properties: Record<string, JsonSchema>, required: string[] = [], description?: string): JsonSchema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  ...(required.length ? { required } : {}),
});
/** Any JSON value (a state, an event's data). */
export const anyValue = (description: string): JsonSchema => ({ description });

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The arguments, checked against the tool's input schema: a sentence naming the first wrong one. */
export function checkArguments(tool: string, schema: JsonSchema, args: unknown): Record<string, unknown> {
  const given = args ?? {};
  if (typeOf(given) !== 'object') throw new EventscopeError(`${tool} takes an object of arguments (got ${typeOf(given)}).`);
  const record = given as Record<string, unknown>;
  const properties = schema.properties ?? {};
  for (const name of schema.required ?? []) {
    if (record[name] === undefined || record[name] === null) throw new EventscopeError(`${tool} needs the argument "${name}".`);
  }
  for (const [name, value] of Object.entries(record)) {
    const property = properties[name];
    if (!property) {
      throw new EventscopeError(`${tool} has no argument "${name}"; its arguments are ${Object.keys(properties).join(', ')}.`);
    }
    if (value === null || value === undefined) continue;
    const actual = typeOf(value);
    const wanted = property.type;
    const fits = (t: string) => t === actual || (t === 'number' && actual === 'integer');
    if (wanted && !(Array.isArray(wanted) ? wanted.some(fits) : fits(wanted))) {
      throw new EventscopeError(
        `${tool}'s argument "${name}" must be ${Array.isArray(wanted) ? wanted.join(' or ') : `a ${wanted === 'integer' ? 'whole number' : wanted}`} (got ${actual}).`,
      );
    }
    if (actual === 'array' && property.items?.type === 'string' && (value as unknown[]).some((v) => typeof v !== 'string')) {
      throw new EventscopeError(`${tool}'s argument "${name}" must be a list of strings.`);
    }
    if (typeof value === 'number') {
      if (property.minimum !== undefined && value < property.minimum)
        throw new EventscopeError(`${tool}'s argument "${name}" must be at least ${property.minimum} (got ${value}).`);
      if (property.maximum !== undefined && value > property.maximum)
        throw new EventscopeError(`${tool}'s argument "${name}" must be at most ${property.maximum} (got ${value}).`);
    }
    if (typeof value === 'string') {
      if (property.minLength !== undefined && value.length < property.minLength)
        throw new EventscopeError(`${tool}'s argument "${name}" must not be empty.`);
      if (property.enum && !property.enum.includes(value))
        throw new EventscopeError(`${tool}'s argument "${name}" must be one of ${property.enum.join(', ')} (got "${value}").`);
    }
  }
  return record;
}
