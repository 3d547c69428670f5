/** The pool's use of cores (src/fleet/pool.ts): a capture's hash gets a thread of its own only when a core is free for it. */

import { describe, expect, it } from 'vitest';
import { hashOnOwnThread } from '../../../src/fleet/pool.js';

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
