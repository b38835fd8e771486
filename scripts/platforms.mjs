// The Marketplace targets Eventscope is packaged for, and the native parts each one carries
// (scripts/package.mjs builds them; test/package.test.ts checks them).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Per target: esbuild's platform package (`@esbuild/<esbuild>`, its binary at `binary`),
 * better-sqlite3's prebuilt addon (`prebuilds/<sqlite>.node`, the name its lib/binding.js loads on
 * that platform: `linuxmusl-*` on Alpine) and the KurrentDB client's native reader
 * (`@kurrent/bridge-<kurrent>`, its `index.node`: the name @neon-rs/load picks on that platform;
 * undefined where Kurrent publishes none, win32-arm64). `format` and `machine` say what the
 * binaries must be.
 */
export const TARGETS = {
  'linux-x64': {
    esbuild: 'linux-x64',
    binary: 'bin/esbuild',
    sqlite: 'linux-x64',
    kurrent: 'linux-x64-gnu',
    format: 'elf',
    machine: 'x64',
  },
  'linux-arm64': {
    esbuild: 'linux-arm64',
    binary: 'bin/esbuild',
    sqlite: 'linux-arm64',
    kurrent: 'linux-arm64-gnu',
    format: 'elf',
    machine: 'arm64',
  },
  'alpine-x64': {
    esbuild: 'linux-x64',
    binary: 'bin/esbuild',
    sqlite: 'linuxmusl-x64',
    kurrent: 'linux-x64-musl',
    format: 'elf',
    machine: 'x64',
  },
  'alpine-arm64': {
    esbuild: 'linux-arm64',
    binary: 'bin/esbuild',
    sqlite: 'linuxmusl-arm64',
    kurrent: 'linux-arm64-musl',
    format: 'elf',
    machine: 'arm64',
  },
  'darwin-x64': {
    esbuild: 'darwin-x64',
    binary: 'bin/esbuild',
    sqlite: 'darwin-x64',
    kurrent: 'darwin-x64',
    format: 'macho',
    machine: 'x64',
  },
  'darwin-arm64': {
    esbuild: 'darwin-arm64',
    binary: 'bin/esbuild',
    sqlite: 'darwin-arm64',
    kurrent: 'darwin-arm64',
    format: 'macho',
    machine: 'arm64',
  },
  'win32-x64': {
    esbuild: 'win32-x64',
    binary: 'esbuild.exe',
    sqlite: 'win32-x64',
    kurrent: 'win32-x64-msvc',
    format: 'pe',
    machine: 'x64',
  },
  'win32-arm64': {
    esbuild: 'win32-arm64',
    binary: 'esbuild.exe',
    sqlite: 'win32-arm64',
    kurrent: undefined,
    format: 'pe',
    machine: 'arm64',
  },
};

/** What `npm run package:all` builds (alpine-arm64 works too, with `--target alpine-arm64`). */
export const ALL_TARGETS = ['linux-x64', 'linux-arm64', 'alpine-x64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];

/** The folder of `npm run package:all`'s packages (the repo root keeps only eventscope.vsix). */
export const VSIX_DIR = 'vsix';

/** Where a target's package goes, relative to the repo. */
export function vsixPath(target) {
  return join(VSIX_DIR, `eventscope-${target}.vsix`);
}

/**
 * What a file's first bytes say it is: an executable or library of some OS and CPU (`format` and
 * `machine` as TARGETS names them), or undefined for nothing native.
 */
export function nativeKind(data) {
  if (data.length >= 20 && data.readUInt32BE(0) === 0x7f454c46) {
    const machine = data.readUInt16LE(18);
    return { format: 'elf', machine: machine === 0x3e ? 'x64' : machine === 0xb7 ? 'arm64' : `0x${machine.toString(16)}` };
  }
  if (data.length >= 8 && data.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = data.readUInt32LE(4);
    return { format: 'macho', machine: cpu === 0x01000007 ? 'x64' : cpu === 0x0100000c ? 'arm64' : `0x${cpu.toString(16)}` };
  }
  if (data.length >= 8 && (data.readUInt32BE(0) === 0xcafebabe || data.readUInt32LE(0) === 0xfeedface))
    return { format: 'macho', machine: 'fat or 32-bit' };
  if (data.length >= 64 && data.toString('latin1', 0, 2) === 'MZ') {
    const pe = data.readUInt32LE(0x3c);
    if (data.toString('latin1', pe, pe + 4) === 'PE\0\0') {
      const machine = data.readUInt16LE(pe + 4);
      return { format: 'pe', machine: machine === 0x8664 ? 'x64' : machine === 0xaa64 ? 'arm64' : `0x${machine.toString(16)}` };
    }
  }
  return undefined;
}

/** The Marketplace target of the machine this runs on, or undefined. */
export function currentTarget() {
  const { platform, arch } = process;
  const os = platform === 'linux' && isMusl() ? 'alpine' : platform;
  const target = `${os}-${arch}`;
  return target in TARGETS ? target : undefined;
}

function isMusl() {
  if (existsSync('/etc/alpine-release')) return true;
  const header = process.report?.getReport().header;
  return header ? !header.glibcVersionRuntime : false;
}
