/**
 * Whether this runs as the single-file executable (`npm run sea`, scripts/sea.mjs, entry
 * src/cli/seaEntry.ts), which has neither better-sqlite3 nor the KurrentDB client.
 */
export function isSingleExecutable(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- not every host has node:sea (an older Electron)
    return (require('node:sea') as typeof import('node:sea')).isSea();
  } catch {
    return false;
  }
}
