// The file operations cgroup code needs, behind an interface so unit tests can run it on a tmpdir that behaves like
// cgroupfs (fake-fs.ts). Every failure is a CgroupError naming the operation, the file and the errno.
import * as fs from 'node:fs';
import { BpfError, setCgroupDeviceFilter } from '../linux/bpf.js';
import { errCode, errnoText, fsError } from './errors.js';
import { DEVICE_PROGRAM_LICENSE } from './v2/device-bpf.js';

export interface CgroupIo {
  /** mkdir with mode 0755; throws EEXIST if it exists. */
  mkdir(path: string): void;
  rmdir(path: string): void;
  read(path: string): string;
  /** One write(2) of `data` to an existing file (cgroupfs files cannot be created, and a value must arrive whole). */
  write(path: string, data: string): void;
  /** Names of the child directories (child cgroups). */
  subdirs(path: string): string[];
  exists(path: string): boolean;
  /**
   * Makes `program` (struct bpf_insn[] of a BPF_PROG_TYPE_CGROUP_DEVICE program) the device filter of the cgroup2
   * directory, replacing the one set before. Throws with the bpf(2) command and errno (and the verifier's words).
   */
  setDeviceFilter(dir: string, program: Uint8Array): void;
}

function call<T>(op: string, path: string, fn: () => T, data?: string): T {
  try {
    return fn();
  } catch (err) {
    throw fsError(op, path, err, data === undefined ? {} : { data });
  }
}

export const nodeIo: CgroupIo = {
  mkdir: (path) => call('mkdir', path, () => fs.mkdirSync(path, 0o755)),
  rmdir: (path) => call('rmdir', path, () => fs.rmdirSync(path)),
  read: (path) => call('read', path, () => fs.readFileSync(path, 'utf8')),
  write: (path, data) =>
    call(
      'write',
      path,
      () => {
        // O_WRONLY without O_CREAT/O_TRUNC: the kernel's files exist already, and a missing one must fail.
        const fd = fs.openSync(path, fs.constants.O_WRONLY);
        try {
          fs.writeSync(fd, data);
        } finally {
          fs.closeSync(fd);
        }
      },
      data,
    ),
  subdirs: (path) =>
    call('readdir', path, () =>
      fs
        .readdirSync(path, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name),
    ),
  exists: (path) => fs.existsSync(path),
  setDeviceFilter: (dir, program) => {
    try {
      setCgroupDeviceFilter(dir, program, DEVICE_PROGRAM_LICENSE);
    } catch (err) {
      if (err instanceof BpfError) throw err;
      const code = errCode(err) ?? 'EIO';
      throw Object.assign(new Error(`open: ${code} (${errnoText(code)})`), { code });
    }
  },
};
