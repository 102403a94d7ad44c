import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, truncateSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchivePartitionKeys, ArchiveTable } from '../../protocol/index.js';

/** A partition's staged rows: a newline-delimited JSON file the next flush turns into Parquet. */
export interface StagedPartition {
  keys: ArchivePartitionKeys & { table: ArchiveTable };
  bytes: number;
  rows: number;
  /** Clock time the first staged row arrived. */
  since: number;
}

const STAGED = /^(?<table>[a-z_]+)__(?<dt>\d{4}-\d{2}-\d{2})\.jsonl$/;
const SEALED = /^(?<table>[a-z_]+)__(?<dt>\d{4}-\d{2}-\d{2})\.(?<n>\d+)\.sealed\.jsonl$/;

/**
 * Rows wait here, on disk, until their partition is written: the archiver appends and fsyncs before
 * the stream position moves past the records, so a crash loses nothing (it may write a row twice,
 * which its identity columns show, as Firehose may).
 */
export class Staging {
  private readonly partitions = new Map<string, StagedPartition>();
  private sealCount = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private file(keys: ArchivePartitionKeys): string {
    return join(this.dir, `${keys.table}__${keys.dt}.jsonl`);
  }

  /**
   * Appends and fsyncs on the thread pool, not the event loop: the archiver shares its loop with
   * the broker, and a synchronous fsync per record held every alert behind the disk. Appends and
   * seals run one at a time in call order, so a seal never moves a file an append is still writing
   * and a partition's figures always describe the file it names.
   */
  append(keys: StagedPartition['keys'], text: string, rows: number, now: number): Promise<void> {
    return this.inOrder(async () => {
      const file = await open(this.file(keys), 'a');
      try {
        await file.write(text);
        await file.sync();
      } finally {
        await file.close();
      }
      const id = `${keys.table}__${keys.dt}`;
      const p = this.partitions.get(id) ?? { keys, bytes: 0, rows: 0, since: now };
      p.bytes += Buffer.byteLength(text);
      p.rows += rows;
      this.partitions.set(id, p);
    });
  }

  private inOrder<T>(work: () => Promise<T> | T): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => {});
    return next;
  }

  list(): StagedPartition[] {
    return [...this.partitions.values()];
  }

  rowsStaged(): number {
    return this.list().reduce((n, p) => n + p.rows, 0);
  }

  /** Moves a partition's file aside (new rows start a new file) and forgets its buffer, after the appends before it. */
  seal(keys: ArchivePartitionKeys): Promise<string> {
    return this.inOrder(() => this.sealNow(keys));
  }

  private sealNow(keys: ArchivePartitionKeys): string {
    const sealed = join(
      this.dir,
      `${keys.table}__${keys.dt}.${Date.now()}${String(this.sealCount++).padStart(4, '0')}.sealed.jsonl`,
    );
    if (existsSync(this.file(keys))) renameSync(this.file(keys), sealed);
    this.partitions.delete(`${keys.table}__${keys.dt}`);
    return sealed;
  }

  /** Files a previous run left (staged or sealed, not yet written): the first flush writes them. */
  leftovers(): { keys: StagedPartition['keys']; file: string }[] {
    const out: { keys: StagedPartition['keys']; file: string }[] = [];
    for (const name of readdirSync(this.dir).sort()) {
      const m = SEALED.exec(name) ?? STAGED.exec(name);
      if (!m?.groups) continue;
      const keys = { table: m.groups.table as ArchiveTable, dt: m.groups.dt! };
      // A crash during an append can leave half a row: keep the whole rows before it.
      const text = readFileSync(join(this.dir, name));
      const end = text.lastIndexOf(10) + 1;
      if (end < text.length) truncateSync(join(this.dir, name), end);
      if (end === 0) {
        rmSync(join(this.dir, name), { force: true });
        continue;
      }
      if (STAGED.test(name)) out.push({ keys, file: this.sealNow(keys) });
      else out.push({ keys, file: join(this.dir, name) });
    }
    return out;
  }
}
