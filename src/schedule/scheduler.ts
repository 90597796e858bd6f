import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import type { LeaseRepository } from './lease.repository.js';

/** Work that must run once per period across every node on one store: housekeeping, reminders, notifications. */
export interface Job {
  /** Also the lease's name: stable, and unique among jobs. */
  name: string;
  /** The period: the job runs once in each period of this length, counted from the epoch (UTC). */
  everyMs: number;
  run(now: Date): Promise<unknown>;
}

type Log = Pick<FastifyBaseLogger, 'debug' | 'error'>;

export interface SchedulerOptions {
  /** How often this node asks for the leases of the jobs that are due; by default every 30 s. */
  tickMs?: number;
  /** This node's name in the leases; by default host, process id and a random suffix. */
  holder?: string;
  log?: Log;
}

/** The start of the period of length `everyMs` that holds `at`, and its end. */
export function periodOf(at: Date, everyMs: number): { start: Date; end: Date } {
  const ms = at.getTime();
  const start = ms - (((ms % everyMs) + everyMs) % everyMs);
  return { start: new Date(start), end: new Date(start + everyMs) };
}

/**
 * Runs each job once per period however many nodes run a scheduler on the same store. On every tick a node
 * asks for each job's lease until the end of the current period; the lease is granted only once its previous
 * period has ended, so exactly one node gets it, and that node runs the job. A node that dies holding a lease
 * keeps it only until its period ends; in the next period another node takes it. Stopping releases nothing:
 * the job has run for this period. Periods are read off each node's clock, which NTP keeps within far less
 * than any job's period; a node whose clock runs ahead could at worst start a period that much early.
 */
export class Scheduler {
  readonly holder: string;
  private readonly jobs = new Map<string, Job>();
  private readonly tickMs: number;
  private readonly log: Log | null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<string[]> | null = null;

  constructor(
    private readonly leases: LeaseRepository,
    private readonly clock: Clock,
    options: SchedulerOptions = {},
  ) {
    this.tickMs = options.tickMs ?? 30_000;
    this.holder = options.holder ?? `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.log = options.log ?? null;
  }

  add(job: Job): this {
    if (!Number.isSafeInteger(job.everyMs) || job.everyMs < 1000)
      throw new RangeError(`The job ${job.name} needs a period of 1 s or more.`);
    if (this.jobs.has(job.name)) throw new Error(`A job named ${job.name} is already scheduled.`);
    this.jobs.set(job.name, job);
    return this;
  }

  get jobNames(): string[] {
    return [...this.jobs.keys()];
  }

  /**
   * Takes the lease of every job whose period has no holder yet, and runs the jobs it got, one after another.
   * Returns the names of the jobs this node ran. A tick still running is joined, not doubled.
   */
  tick(): Promise<string[]> {
    this.ticking ??= this.runDue().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async runDue(): Promise<string[]> {
    const ran: string[] = [];
    for (const job of this.jobs.values()) {
      const now = this.clock.now();
      try {
        if (!(await this.leases.take(job.name, this.holder, now, periodOf(now, job.everyMs).end))) continue;
        ran.push(job.name);
        const result = await job.run(now);
        this.log?.debug({ job: job.name, result }, 'scheduled job ran');
      } catch (e) {
        // The period's lease stays taken: the job is tried again in the next period, not on every tick.
        this.log?.error({ err: e, job: job.name }, 'scheduled job failed');
      }
    }
    return ran;
  }

  /** Ticks now and then every tickMs, until stopped. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
    void this.tick();
  }

  /** Stops ticking and waits for a job under way to finish. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.ticking?.catch(() => undefined);
  }
}
