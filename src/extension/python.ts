/**
 * What a Python replay runs with in VS Code: the interpreter (the `eventscope.python.interpreter`
 * setting, else the Python extension's chosen one, else the runner's default `python3`), the
 * source roots for `sys.path` (`eventscope.python.path`, else the workspace folder and its `src/`),
 * the application class (`eventscope.python.app`) and its settings (`eventscope.python.envFile`,
 * else the folder's `.env`). Resolved when a replay opens, never stored with the panel: the
 * settings of a `.env` (a CIPHER_KEY…) only go to the Python runner.
 */

import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { parseDotEnv } from '../core/dotEnv';
import { EventscopeError, messageOf } from '../core/errors';
import type { PythonChoice } from '../core/projection/types';
import type { Log } from './log';

/** The part of the Python extension's API used here (`ms-python.python`, its `environments`). */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment(environment: { path: string } | string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

/** The interpreter the Python extension has chosen for the workspace, when it is installed. */
async function pythonExtensionInterpreter(folder: vscode.Uri | undefined, log: Log): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!extension) return undefined;
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const active = api.environments?.getActiveEnvironmentPath(folder);
    if (!active) return undefined;
    const resolved = await api.environments!.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath ?? active.path;
  } catch (error) {
    log.info(
      `The Python extension did not say which interpreter it uses (${messageOf(error)}); using eventscope.python.interpreter or python3.`,
    );
    return undefined;
  }
}

/** A setting's path: `${workspaceFolder}` expanded, relative to the folder. */
function folderPath(path: string, folder: string | undefined): string {
  const expanded = folder ? path.replace(/\$\{workspaceFolder\}/g, folder) : path;
  return folder && !isAbsolute(expanded) ? join(folder, expanded) : expanded;
}

/**
 * A Python choice completed from the settings (what it names itself wins: the demo names its own
 * source roots), and the application's `.env` file, whose values go in the choice unless
 * `readEnv` is false. Throws a sentence when that file can't be read.
 */
export async function resolvePythonChoice(
  choice: PythonChoice,
  log: Log,
  options: { readEnv?: boolean } = {},
): Promise<{ choice: PythonChoice; envFile?: string }> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const root = folder?.fsPath;
  const config = vscode.workspace.getConfiguration('eventscope.python', folder);
  const interpreter = choice.interpreter ?? (config.get<string>('interpreter')?.trim() || (await pythonExtensionInterpreter(folder, log)));
  const roots = config.get<string[]>('path') ?? [];
  const settingsRoots = roots.length
    ? roots.map((p) => folderPath(p, root))
    : root
      ? [root, join(root, 'src')].filter((p) => existsSync(p))
      : [];
  // The choice's own roots first (the demo's model), then the workspace's.
  const pythonPath = [...new Set([...(choice.pythonPath ?? []), ...settingsRoots])];
  const app = choice.app ?? (config.get<string>('app')?.trim() || undefined);
  const mutator = choice.mutator ?? (config.get<string>('mutator')?.trim() || undefined);
  const named = config.get<string>('envFile')?.trim();
  const envFile = named ? folderPath(named, root) : root && existsSync(join(root, '.env')) ? join(root, '.env') : undefined;
  let env = choice.env;
  if (!env && envFile && options.readEnv !== false) {
    try {
      env = parseDotEnv(readFileSync(envFile, 'utf8'));
    } catch (error) {
      throw new EventscopeError(
        `${envFile}: can't read the application's .env file (${messageOf(error)}); check eventscope.python.envFile.`,
        {
          cause: error,
        },
      );
    }
  }
  log.info(
    `Python replay: interpreter ${interpreter ?? '(default)'}, sys.path + ${pythonPath.join(', ') || '(none)'}${app ? `, app ${app}` : ''}${envFile && !choice.env ? `, settings from ${envFile} (${Object.keys(env ?? {}).join(', ')})` : ''}`,
  );
  return {
    choice: {
      ...choice,
      pythonPath,
      ...(interpreter ? { interpreter } : {}),
      ...(app ? { app } : {}),
      ...(mutator ? { mutator } : {}),
      ...(env ? { env } : {}),
    },
    ...(envFile ? { envFile } : {}),
  };
}
