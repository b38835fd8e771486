/**
 * A throwaway redis-server for tests: started on a free loopback port with no persistence
 * (`--save '' --appendonly no`) in a temp folder, optionally with `--requirepass`; `halt()` kills
 * it (its data goes with it) and `start()` brings it back on the same port, empty; `stop()` kills
 * it and deletes the folder. Undefined when there is no redis-server on PATH.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/core/freePort';

export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:PORT` (never with the password). */
  url: string;
  password?: string;
  /** Kills the server (SIGKILL) and waits until it is gone; its data is lost. */
  halt(): Promise<void>;
  /** Starts it again on the same port (empty) and waits until it answers. */
  start(): Promise<void>;
  /** Kills it and deletes its folder. */
  stop(): Promise<void>;
}

export const NO_REDIS = '(skipped: no redis-server on PATH; apt-get install redis-server)';

/** The redis-server program on PATH, or undefined. */
export function redisServerProgram(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() ? found.stdout.trim() : undefined;
}

/** Whether something on the port answers a PING (with PONG, or NOAUTH when it wants a password). */
function answers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (up: boolean) => {
      socket.destroy();
      done(up);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => finish(data[0] === 0x2b /* + */ || data[0] === 0x2d /* - */));
  });
}

export async function startRedis(options: { password?: string } = {}): Promise<RedisServer | undefined> {
  const program = redisServerProgram();
  if (!program) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'eventscope-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  const halt = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };

  const start = async () => {
    output = '';
    const args = ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
    if (options.password !== undefined) args.push('--requirepass', options.password);
    const started = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    started.stdout!.on('data', keep);
    started.stderr!.on('data', keep);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (started.exitCode !== null || started.signalCode !== null) {
        throw new Error(`redis-server on port ${port} exited at start:\n${output}`);
      }
      if (await answers(port)) return;
      if (Date.now() > deadline) {
        await halt();
        throw new Error(`redis-server on port ${port} did not answer PING within 15 s:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    ...(options.password !== undefined ? { password: options.password } : {}),
    halt,
    start,
    stop: async () => {
      try {
        await halt();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
