/**
 * Where a cursor stands in JSON being typed: in which object (by the keys down to it) and whether
 * a key goes there. Reads the text up to the cursor only and never fails: the rest may not be
 * written yet.
 */

export interface JsonCursor {
  /** The keys from the top object down to the object the cursor is in. */
  path: string[];
  /** The keys that object has before the cursor. */
  keys: string[];
  /** Where the key being typed starts (its opening quote, when it has one); the cursor when none is begun. */
  start: number;
  quoted: boolean;
}

interface Frame {
  object: boolean;
  /** The key this container stands under in its parent object (undefined under an array). */
  under?: string;
  keys: string[];
  /** The last key read (objects). */
  key?: string;
  expect: 'key' | 'colon' | 'value' | 'comma';
}

const DELIMITER = /[\s,:[\]{}"]/;

/** The key position the end of `json` stands at, or undefined when it is not where a key goes (a value, an array, outside). */
export function jsonKeyAt(json: string): JsonCursor | undefined {
  const stack: Frame[] = [];
  const top = () => stack[stack.length - 1];
  const afterValue = () => {
    const frame = top();
    if (frame) frame.expect = 'comma';
  };
  let i = 0;
  while (i < json.length) {
    const c = json[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      const frame = top();
      if (j >= json.length) {
        // An open string at the cursor: a key being typed, or a value.
        if (frame?.object && frame.expect === 'key') return cursorIn(stack, i, true);
        return undefined;
      }
      if (frame?.object && frame.expect === 'key') {
        let key: string;
        try {
          key = JSON.parse(json.slice(i, j + 1)) as string;
        } catch {
          key = json.slice(i + 1, j);
        }
        frame.key = key;
        frame.keys.push(key);
        frame.expect = 'colon';
      } else afterValue();
      i = j + 1;
    } else if (c === '{' || c === '[') {
      const parent = top();
      stack.push({ object: c === '{', under: parent?.object ? parent.key : undefined, keys: [], expect: c === '{' ? 'key' : 'value' });
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      afterValue();
      i++;
    } else if (c === ':') {
      const frame = top();
      if (frame) frame.expect = 'value';
      i++;
    } else if (c === ',') {
      const frame = top();
      if (frame) frame.expect = frame.object ? 'key' : 'value';
      i++;
    } else {
      let j = i + 1;
      while (j < json.length && !DELIMITER.test(json[j])) j++;
      const frame = top();
      if (j >= json.length) return frame?.object && frame.expect === 'key' ? cursorIn(stack, i, false) : undefined;
      afterValue();
      i = j;
    }
  }
  const frame = top();
  return frame?.object && frame.expect === 'key' ? cursorIn(stack, json.length, false) : undefined;
}

function cursorIn(stack: Frame[], start: number, quoted: boolean): JsonCursor | undefined {
  const path: string[] = [];
  for (let k = 1; k < stack.length; k++) {
    const under = stack[k].under;
    if (under === undefined) return undefined; // inside an array: fields are known through objects only
    path.push(under);
  }
  return { path, keys: stack[stack.length - 1].keys, start, quoted };
}
