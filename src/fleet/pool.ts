/**
 * Issue 16 item 2: judges many captures on all cores (worker_threads), and hands the results over in input order
 * whatever the scheduling. A capture that is slow, damaged or crashes its worker holds up no other.
 */

import { Worker } from 'node:worker_threads';
import type { AnalyzeOptions } from '../analyze.js';
import { internalFailure, judgeFile, type FileResult } from './judge.js';
import type { WorkerJob } from './worker.js';

export interface PoolEvents {
  /** A capture was handed to a worker (or started in this thread). */
  started?: (index: number) => void;
  /** A capture is done, in completion order (for progress). */
  settled?: (index: number, result: FileResult) => void;
  /** Every result, in input order: result i is given only after results 0 … i−1. */
  result: (index: number, result: FileResult) => void;
}

/** Hands results over in input order, holding only those that finished ahead of an earlier one. */
class InOrder {
  private next = 0;
  private readonly held = new Map<number, FileResult>();
  private readonly emit: (index: number, result: FileResult) => void;
  constructor(emit: (index: number, result: FileResult) => void) {
    this.emit = emit;
  }
  put(index: number, result: FileResult): void {
    this.held.set(index, result);
    for (let r = this.held.get(this.next); r !== undefined; r = this.held.get(this.next)) {
      this.held.delete(this.next);
      this.emit(this.next++, r);
    }
  }
}

/** The worker threads' code (worker.ts); tests give judgeAll one that fails on purpose. */
const WORKER_SCRIPT = new URL('./worker.js', import.meta.url);

/**
 * --jobs is the number of cores a run may keep busy. With `atOnce` captures read at the same time, a large capture's
 * SHA-256 runs on a thread of its own (beside its parse, as a single capture has it) only when a core is left over for
 * it; otherwise that thread would take a core from another capture, and each capture is hashed in the pass that reads it.
 */
export function hashOnOwnThread(jobs: number, atOnce: number): boolean {
  return jobs >= 2 * atOnce;
}

/**
 * Judges `paths` with at most `jobs` worker threads. Standard input ('-') is read in this thread, where the
 * stream is; with one job or one capture no worker is started at all (a single capture costs what it did).
 */
export async function judgeAll(paths: string[], options: AnalyzeOptions, jobs: number, events: PoolEvents, script: URL = WORKER_SCRIPT): Promise<void> {
  const order = new InOrder(events.result);
  // A failure of the caller's handlers (a bug) must not be thrown inside a worker's message event, where nothing
  // would catch it: it is kept, and thrown once every capture is settled.
  let failure: { e: unknown } | null = null;
  const done = (i: number, r: FileResult): void => {
    try {
      events.settled?.(i, r);
      order.put(i, r);
    } catch (e) {
      failure ??= { e };
    }
  };
  const pooled = jobs > 1 && paths.length > 1;
  const fromStdin = paths.filter((p) => p === '-').length;
  const workers = pooled ? Math.min(jobs, paths.length - fromStdin) : 0;
  const atOnce = pooled ? workers + fromStdin : 1;
  const perCapture: AnalyzeOptions = { ...options, read: { ...options.read, hashThread: hashOnOwnThread(jobs, atOnce) } };
  const inline = async (i: number): Promise<void> => {
    events.started?.(i);
    done(i, await judgeFile(paths[i]!, perCapture));
  };
  const queue: number[] = [];
  const local: Promise<void>[] = [];
  for (let i = 0; i < paths.length; i++) {
    if (pooled && paths[i] !== '-') queue.push(i);
    else if (pooled) local.push(inline(i));
    else await inline(i);
  }
  const runners: Promise<void>[] = [];
  for (let w = 0; w < workers; w++) runners.push(runWorker(script, queue, paths, perCapture, events, done));
  await Promise.all([...runners, ...local]);
  if (failure !== null) throw (failure as { e: unknown }).e;
}

/**
 * Young generation of a worker's heap, in MiB. V8 sizes it for throughput (up to 48 MiB on 64-bit), and it is most of
 * what a worker's memory grows by while it reads a capture, since the analysis keeps little per packet. At 32 MiB a
 * fleet run took no more time than at 48 (at 16, about 5 % more CPU), and a worker on a 1 GiB capture stays well under
 * 100 MB of RSS (docs/performance.md, "Fleet").
 */
const WORKER_YOUNG_GENERATION_MB = 32;

/** One worker taking captures from the shared queue until it is empty; a worker that dies is replaced. */
async function runWorker(script: URL, queue: number[], paths: string[], options: AnalyzeOptions, events: PoolEvents, done: (i: number, r: FileResult) => void): Promise<void> {
  while (queue.length > 0) {
    const worker = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    await new Promise<void>((resolve) => {
      let current = -1;
      const take = (): void => {
        current = queue.shift() ?? -1;
        if (current < 0) {
          void worker.terminate().then(() => resolve());
          return;
        }
        events.started?.(current);
        const job: WorkerJob = { index: current, path: paths[current]!, options };
        worker.postMessage(job);
      };
      worker.on('message', (m: { index: number; result: FileResult }) => {
        done(m.index, m.result);
        take();
      });
      // Out of memory or a crash in the worker: that capture fails (exit 4), the next worker takes the rest.
      const died = (why: string): void => {
        if (current >= 0) done(current, internalFailure(paths[current]!, why));
        current = -1;
        worker.removeAllListeners();
        resolve();
      };
      worker.on('error', (e) => died(`worker thread failed: ${e.message}`));
      worker.on('exit', (c) => {
        if (current >= 0) died(`worker thread stopped (exit code ${c})`);
      });
      take();
    });
  }
}
