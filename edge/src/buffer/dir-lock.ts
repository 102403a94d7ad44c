import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { BufferError } from './errors.js';

/**
 * One writer per buffer directory. The lock is a listening Unix socket in Linux's abstract namespace,
 * named after the directory: the kernel frees it when the holder dies, even by kill -9, so there is
 * no stale lock file to clean up after a crash and no pid that a reboot could hand to someone else.
 * A second opener learns the holder's pid from the socket. Elsewhere (a developer's macOS) it is a no-op.
 */
export class DirLock {
  private constructor(private readonly server: Server | null) {}

  static async acquire(dir: string): Promise<DirLock> {
    if (process.platform !== 'linux') return new DirLock(null);
    const address = lockAddress(dir);
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.end(`${process.pid}\n`);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(address, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      const holder = await askHolder(address);
      throw new BufferError(
        `buffer directory ${dir} is in use by another process${holder ? ` (pid ${holder})` : ''}`,
        dir,
        'stop that towerwatch edge, or give this one its own --state-dir',
      );
    }
    // Holding the lock must not keep an otherwise finished process alive.
    server.unref();
    return new DirLock(server);
  }

  release(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

function lockAddress(dir: string): string {
  const digest = createHash('sha256').update(realpathSync(dir)).digest('hex').slice(0, 40);
  return `\0towerwatch-buffer-${digest}`;
}

/** The holder's pid, or null if it does not answer within a second. */
function askHolder(address: string): Promise<string | null> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(address);
    const done = (pid: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(pid);
    };
    const timer = setTimeout(() => done(null), 1000);
    socket.on('data', (d) => {
      answer += d;
    });
    socket.on('end', () => done(/^\d+$/.test(answer.trim()) ? answer.trim() : null));
    socket.on('error', () => done(null));
  });
}
