/**
 * Export from a replay panel: the session (events, the state after each, and what each changed) as
 * one JSON document, streamed to the file step by step; and the state at the cursor. Values keep
 * their exact form (`stringifyExact`: integers beyond 2^53 as digits).
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { eventToJSON } from '../../core/events';
import { stringifyExact } from '../../core/json/exact';
import type { ReplaySession } from '../../core/projection/session';
import { EXPORT_STEP_LIMIT, type SummaryView } from '../../shared/replayProtocol';
import type { Log } from '../log';

/** Replaced at build time by the esbuild options (package.json's version). */
declare const EVENTSCOPE_VERSION: string;

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/\.[a-z]+$/, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'replay'
  );
}

function defaultFolder(): vscode.Uri {
  return vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
}

function projectionName(summary: SummaryView): string {
  return summary.projection.kind === 'generic' ? 'generic' : summary.projection.name;
}

async function askTarget(title: string, name: string): Promise<vscode.Uri | undefined> {
  return vscode.window.showSaveDialog({
    title,
    defaultUri: vscode.Uri.joinPath(defaultFolder(), name),
    filters: { JSON: ['json'] },
    saveLabel: 'Export',
  });
}

function offerToOpen(message: string, uri: vscode.Uri): void {
  void vscode.window.showInformationMessage(message, 'Open').then((choice) => {
    if (choice === 'Open') void vscode.window.showTextDocument(uri);
  });
}

/**
 * Exports steps `from`…`from + EXPORT_STEP_LIMIT - 1`. When the replay is longer than that, asks
 * whether to start at the first step or around the cursor (unless `from` is given).
 */
export async function exportSession(
  session: ReplaySession,
  summary: SummaryView,
  cursor: number,
  log: Log,
  to?: vscode.Uri,
  from?: number,
): Promise<vscode.Uri | undefined> {
  const steps = summary.steps;
  let start = from ?? 0;
  const limit = EXPORT_STEP_LIMIT.toLocaleString('en-US');
  if (from === undefined && steps > EXPORT_STEP_LIMIT && !to) {
    const around = Math.max(0, Math.min(cursor - EXPORT_STEP_LIMIT / 2, steps - EXPORT_STEP_LIMIT));
    const picked = await vscode.window.showQuickPick(
      [
        { label: `The first ${limit} steps`, start: 0 },
        {
          label: `${limit} steps around step ${cursor + 1}`,
          description: `steps ${around + 1}–${around + EXPORT_STEP_LIMIT}`,
          start: around,
        },
      ],
      { title: `Export Session: the replay has ${steps.toLocaleString('en-US')} steps; an export holds at most ${limit}` },
    );
    if (!picked) return undefined;
    start = picked.start;
  }
  start = Math.max(0, Math.min(start, steps));
  const count = Math.min(EXPORT_STEP_LIMIT, steps - start);
  const uri = to ?? (await askTarget('Export Session', `replay-${slug(projectionName(summary))}.json`));
  if (!uri) return undefined;

  const truncated = count < steps;
  const header = {
    exportedBy: `Eventscope ${EVENTSCOPE_VERSION}`,
    exportedAt: new Date().toISOString(),
    source: summary.source,
    projection: summary.projection,
    steps,
    from: start,
    count,
    ...(truncated
      ? {
          note: `Steps ${start + 1}–${start + count} of ${steps}: an export holds at most ${limit} steps. Export again around another step for more.`,
        }
      : {}),
    ...(summary.stopped ? { stopped: summary.stopped } : {}),
    errors: summary.errors.filter((m) => m.index >= start && m.index < start + count),
    breaks: summary.breaks.filter((m) => m.index >= start && m.index < start + count),
  };
  const completed = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Exporting ${count.toLocaleString('en-US')} steps`, cancellable: true },
    async (progress, token) => {
      const out = createWriteStream(uri.fsPath, { encoding: 'utf8' });
      const write = async (text: string) => {
        if (!out.write(text)) await once(out, 'drain');
      };
      try {
        const head = stringifyExact(header, 2);
        await write(
          `${head.slice(0, -2)},\n  "initialState": ${indent(stringifyExact((await session.stateAfter(start)) ?? null, 2))},\n  "records": [`,
        );
        let reported = 0;
        for (let i = start; i < start + count; i++) {
          if (token.isCancellationRequested) return false;
          const record = await session.step(i);
          const entry = {
            index: record.index,
            event: eventToJSON(record.event),
            stateAfter: record.stateAfter ?? null,
            changes: record.changes ?? null,
            ...(record.error !== undefined ? { error: record.error } : {}),
            ...(record.invariantFailure !== undefined ? { invariantFailure: record.invariantFailure } : {}),
            elapsedMs: record.elapsedMs,
            output: record.output,
          };
          await write(`${i === start ? '' : ','}\n    ${stringifyExact(entry)}`);
          const done = i - start + 1;
          if (done - reported >= count / 50) {
            progress.report({ increment: ((done - reported) / count) * 100, message: `${done} of ${count}` });
            reported = done;
          }
        }
        await write('\n  ]\n}\n');
        return true;
      } finally {
        out.end();
        await once(out, 'close').catch(() => undefined);
      }
    },
  );
  if (!completed) {
    log.info(`Export of the session to ${uri.fsPath} cancelled (the file is incomplete)`);
    void vscode.window.showWarningMessage(`The export was cancelled: ${vscode.workspace.asRelativePath(uri)} is incomplete.`);
    return undefined;
  }
  log.info(`Exported steps ${start + 1}–${start + count} of ${steps} to ${uri.fsPath}`);
  offerToOpen(
    `Exported ${count.toLocaleString('en-US')} steps to ${vscode.workspace.asRelativePath(uri)}${truncated ? ` (of ${steps.toLocaleString('en-US')}; an export holds at most ${limit})` : ''}.`,
    uri,
  );
  return uri;
}

/** Two more spaces before every line but the first (a value nested one level in the document). */
function indent(text: string): string {
  return text.replace(/\n/g, '\n  ');
}

/** Writes the state after the cursor's step. */
export async function exportState(
  session: ReplaySession,
  summary: SummaryView,
  cursor: number,
  to?: vscode.Uri,
): Promise<vscode.Uri | undefined> {
  const uri = to ?? (await askTarget('Export State', `${slug(projectionName(summary))}-state-step-${cursor + 1}.json`));
  if (!uri) return undefined;
  const state = await session.stateAfter(cursor + 1);
  await writeFile(uri.fsPath, `${stringifyExact(state ?? null, 2)}\n`, 'utf8');
  offerToOpen(`Saved the state after step ${cursor + 1} to ${vscode.workspace.asRelativePath(uri)}.`, uri);
  return uri;
}
