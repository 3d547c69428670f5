/** The npm package (issue 17): `npm pack` on a clean tree builds dist/ first, and the tarball installs and runs from anywhere. */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/inputs.js';
import { suiteTempDir } from './helpers/temp.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('npm package', () => {
  const tmp = suiteTempDir('da-audit-pack-');

  it('packs from a tree without dist/, installs globally into a prefix and runs from another folder', () => {
    // A clean tree: the files git knows (tracked or new, not ignored), so no dist/ left over from a build.
    const tree = join(tmp, 'tree');
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0').filter((f) => f !== '');
    for (const f of files) {
      mkdirSync(join(tree, dirname(f)), { recursive: true });
      try {
        cpSync(join(ROOT, f), join(tree, f));
      } catch {
        // a file deleted in the working tree but still tracked
      }
    }
    expect(readdirSync(tree)).not.toContain('dist');
    // The build needs the dev dependencies (tsc), as after `npm ci` in a clone.
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
    const packed = join(tmp, 'packed');
    mkdirSync(packed);
    execFileSync(npm, ['pack', '--pack-destination', packed], { cwd: tree, stdio: 'pipe' });
    const [tarball] = readdirSync(packed);
    expect(tarball).toMatch(/^da-pcap-audit-\d+\.\d+\.\d+\.tgz$/);
    const listing = execFileSync('tar', ['tzf', join(packed, tarball!)], { encoding: 'utf8' }).split('\n');
    expect(listing).toEqual(expect.arrayContaining(['package/LICENSE', 'package/bin/da-audit.js', 'package/dist/cli/main.js', 'package/dist/index.d.ts']));
    expect(listing.filter((f) => f.startsWith('package/dist/tools/') || f.startsWith('package/test/'))).toEqual([]);

    const prefix = join(tmp, 'prefix');
    execFileSync(npm, ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(packed, tarball!)], { stdio: 'pipe' });
    const elsewhere = join(tmp, 'elsewhere');
    mkdirSync(elsewhere);
    const bin = join(prefix, process.platform === 'win32' ? 'da-audit.cmd' : 'bin/da-audit');
    const version = spawnSync(bin, ['--version'], { cwd: elsewhere, encoding: 'utf8' });
    expect(version.stderr).toBe('');
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const info = spawnSync(bin, ['info', '-f', 'json', join(ROOT, 'fixtures/captures/sample-directaccess.pcapng')], { cwd: elsewhere, encoding: 'utf8' });
    expect(info.stderr).toBe('');
    expect(info.status).toBe(0);
    expect(JSON.parse(info.stdout).files[0].packets).toBe(184);
  }, 300_000);
});
