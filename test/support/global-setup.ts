import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';

/**
 * Vitest global set-up: what the tests need from the machine, checked once before any test file.
 * `npm test` on a fresh machine needs nothing else: when MariaDB (the rotation tests' real
 * server) is missing and we are root, or have passwordless sudo, it is installed from Debian's
 * packages as `.ci/run` does; otherwise the run stops at once with the one command to type.
 * The EBS content check is tested on real filesystem images, so the tools that make and inspect
 * them (mkfs.ext4 / dumpe2fs / debugfs, mkfs.xfs / xfs_db, sfdisk) are needed the same way.
 */
interface Need {
  readonly what: string;
  readonly binaries: readonly string[];
  readonly debianPackage: string;
  /** A test needs it today: missing and not installable fails the run. */
  readonly required: boolean;
}

const NEEDS: readonly Need[] = [
  {
    what: 'MariaDB server',
    binaries: ['mariadbd', 'mysqld'],
    debianPackage: 'mariadb-server',
    required: true,
  },
  { what: 'mkfs.ext4', binaries: ['mkfs.ext4'], debianPackage: 'e2fsprogs', required: true },
  { what: 'mkfs.xfs', binaries: ['mkfs.xfs'], debianPackage: 'xfsprogs', required: true },
  { what: 'sfdisk', binaries: ['sfdisk'], debianPackage: 'fdisk', required: true },
];

const SEARCH = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

function found(binary: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SEARCH];
  return dirs.some((dir) => {
    try {
      accessSync(path.join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** `[]` as root, `['sudo', '-n']` with passwordless sudo, undefined when we cannot install. */
function privilege(): string[] | undefined {
  if (process.getuid?.() === 0) return [];
  const sudo = spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' });
  return sudo.status === 0 ? ['sudo', '-n'] : undefined;
}

export default function setup(): void {
  const missing = NEEDS.filter((n) => !n.binaries.some(found));
  if (!missing.some((n) => n.required)) return;
  const packages = missing.map((n) => n.debianPackage);
  const command = `apt-get update -qq && apt-get install -y ${packages.join(' ')}`;
  const prefix = privilege();
  if (!prefix) {
    throw new Error(
      `The tests need ${missing.map((n) => n.what).join(', ')}. Install it once, then run npm test again:\n\n  sudo ${command.replace('&& apt-get', '&& sudo apt-get')}\n`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const [sudo, ...sudoArgs] = prefix;
  const apt = (args: string[]) =>
    sudo
      ? execFileSync(sudo, [...sudoArgs, 'apt-get', ...args], { env, stdio: 'pipe' })
      : execFileSync('apt-get', args, { env, stdio: 'pipe' });
  try {
    apt(['update', '-qq']);
    apt(['install', '-y', '-qq', ...packages]);
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(
      `installing ${packages.join(' ')} failed: ${e.stderr?.toString() || e.message}\nRun: ${command}`,
    );
  }
  const still = missing.filter((n) => n.required && !n.binaries.some(found));
  if (still.length) throw new Error(`${still.map((n) => n.what).join(', ')} still missing after: ${command}`);
}
