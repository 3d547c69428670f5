/** The worker pool (src/fleet/pool.ts): its use of cores, and a capture whose worker dies holding up no other. */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { FileResult } from '../../../src/fleet/judge.js';
import { hashOnOwnThread, judgeAll } from '../../../src/fleet/pool.js';
import { ROOT } from '../../helpers/inputs.js';
import { testTempDir } from '../../helpers/temp.js';

describe('hashOnOwnThread', () => {
  it('gives one capture on two or more cores its hashing thread, as verify on a single capture has it', () => {
    expect(hashOnOwnThread(2, 1)).toBe(true);
    expect(hashOnOwnThread(8, 1)).toBe(true);
  });
  it('keeps to --jobs: one core, or every core already reading a capture, hashes in the reading pass', () => {
    expect(hashOnOwnThread(1, 1)).toBe(false);
    expect(hashOnOwnThread(2, 2)).toBe(false);
    expect(hashOnOwnThread(4, 3)).toBe(false);
  });
  it('uses the cores left over when fewer captures than half the jobs are read at once', () => {
    expect(hashOnOwnThread(4, 2)).toBe(true);
    expect(hashOnOwnThread(5, 2)).toBe(true);
  });
});

describe('a worker that dies', () => {
  /**
   * A worker as worker.ts is (the built judgeFile, dist/fleet/judge.js), except that for a path naming it, it ends the
   * thread (`#exit`) or throws outside any handler (`#throw`), as an out-of-memory or a bug in da-audit would.
   */
  function dyingWorker(): URL {
    const path = join(testTempDir('da-pool-'), 'dying-worker.mjs');
    writeFileSync(path, `
      import { parentPort } from 'node:worker_threads';
      const { judgeFile } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/fleet/judge.js')).href)});
      parentPort.on('message', (job) => {
        if (job.path.endsWith('#exit')) process.exit(7);
        if (job.path.endsWith('#throw')) throw new Error('boom');
        void judgeFile(job.path, job.options).then((result) => parentPort.postMessage({ index: job.index, result }));
      });
    `);
    return pathToFileURL(path);
  }
  const sample = join(ROOT, 'fixtures/captures/sample-directaccess.pcapng');
  const clear = join(ROOT, 'fixtures/captures/verify-clear.pcapng');

  it('fails that capture alone (an internal error), judges the others in a new worker, hands every result over in input order', async () => {
    const paths = [sample, `${clear}#exit`, clear, `${sample}#throw`, sample];
    const results: [number, FileResult][] = [];
    await judgeAll(paths, {}, 2, { result: (i, r) => results.push([i, r]) }, dyingWorker());
    expect(results.map(([i]) => i)).toEqual([0, 1, 2, 3, 4]);
    expect(results.map(([, r]) => r.internalError)).toEqual([
      null, 'worker thread stopped (exit code 7)', null, 'worker thread failed: boom', null,
    ]);
    // The dead workers' captures have no report; the others are judged in full, as in one thread.
    const judged = results.filter(([, r]) => r.internalError === null).map(([, r]) => [r.path, r.report?.result, r.report?.pairs.length]);
    const inline: unknown[] = [];
    await judgeAll([sample, clear, sample], {}, 1, { result: (_, r) => inline.push([r.path, r.report?.result, r.report?.pairs.length]) });
    expect(judged).toEqual(inline);
    expect(results[1]![1].report).toBeNull();
  });
});
