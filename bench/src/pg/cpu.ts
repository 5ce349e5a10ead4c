// PostgreSQL CPU per approval: the server processes behind the bench's named connections, read from /proc.
import { readFileSync } from 'node:fs';
import type pg from 'pg';

/** Nanoseconds a process has run on a CPU (`/proc/<pid>/schedstat`), or null once it is gone or unreadable. */
function runNs(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}

/**
 * CPU time of the server processes (backends) whose connections' application_name starts with
 * `prefix`. Readable only when PostgreSQL runs on this host and this user may read its /proc
 * entries; `available` says whether it could. Backends that start during a window count from 0;
 * one that ends during it is lost (pools keep theirs open while busy).
 */
export class BackendCpu {
  private readonly start = new Map<number, number>();
  available = true;

  constructor(
    private readonly admin: pg.Client,
    private readonly prefix: string,
  ) {}

  private async pids(): Promise<number[]> {
    const { rows } = await this.admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name LIKE $1`,
      [`${this.prefix}%`],
    );
    return rows.map((row) => row.pid);
  }

  async mark(): Promise<void> {
    this.start.clear();
    for (const pid of await this.pids()) {
      const ns = runNs(pid);
      if (ns === null) this.available = false;
      else this.start.set(pid, ns);
    }
  }

  /** CPU nanoseconds since `mark()`, summed over the backends, and how many there were. */
  async since(): Promise<{ ns: number; backends: number }> {
    let ns = 0;
    const pids = await this.pids();
    for (const pid of pids) {
      const now = runNs(pid);
      if (now === null) {
        this.available = false;
        continue;
      }
      ns += now - (this.start.get(pid) ?? 0);
    }
    return { ns, backends: pids.length };
  }
}
