/** Issue 16 item 2: a worker thread of the pool: judges the captures it is sent, one at a time, and posts back plain data. */

import { parentPort } from 'node:worker_threads';
import type { AnalyzeOptions } from '../analyze.js';
import { judgeFile } from './judge.js';

export interface WorkerJob {
  index: number;
  path: string;
  options: AnalyzeOptions;
}

const port = parentPort;
if (port !== null) {
  port.on('message', (job: WorkerJob) => {
    // judgeFile never rejects: a failure on one capture comes back as its result and the worker takes the next.
    void judgeFile(job.path, job.options).then((result) => port.postMessage({ index: job.index, result }));
  });
}
