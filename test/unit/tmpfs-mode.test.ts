// A tmpfs over an existing directory of the rootfs keeps that directory's mode (runc 1.1 chmods the new tmpfs root),
// unless the mount's options name a mode: decided at plan time, as a mode= option of the tmpfs.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { planMounts } from '../../runtime/src/rootfs/mounts.js';

describe('tmpfs over an existing directory', () => {
  const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-tmpfs-mode-'));
  after(() => fs.rmSync(rootfs, { recursive: true, force: true }));
  fs.mkdirSync(path.join(rootfs, 'data'));
  fs.chmodSync(path.join(rootfs, 'data'), 0o750);
  fs.mkdirSync(path.join(rootfs, 'tmp'));
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  fs.symlinkSync('/data', path.join(rootfs, 'link'));
  const ctx = { bundle: '/b', rootfs, userns: false, cgroupns: false, cgroupMode: 'v2' as const, hierarchies: [] };
  const data = (destination: string, options?: string[]) => {
    const op = planMounts([{ destination, type: 'tmpfs', source: 'tmpfs', ...(options ? { options } : {}) }], ctx)[0];
    assert.equal(op?.op, 'mount');
    return op?.op === 'mount' ? op.data : '';
  };

  it('takes the mode of the directory it covers, sticky bit included, through symlinks inside the rootfs', () => {
    assert.equal(data('/data'), 'mode=0750');
    assert.equal(data('/tmp', ['size=1m']), 'size=1m,mode=1777');
    assert.equal(data('/link'), 'mode=0750');
  });

  it('keeps a mode the options name, and adds none for a new directory', () => {
    assert.equal(data('/data', ['mode=700']), 'mode=700');
    assert.equal(data('/missing'), '');
  });
});
