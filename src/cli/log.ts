import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { auditLog, LogInconsistency } from '../log/audit.js';
import { parseVerifierKey } from '../verify/note.js';
import { withServices } from './context.js';
import { plural, registerEvidenceCommands, resolveVerifierKey } from './evidence.js';
import { printJson, run } from './output.js';

const chunk = (value: string): number => {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || n > 1_000_000)
    throw new InvalidArgumentError('must be a whole number from 1 to 1000000');
  return n;
};

/** Progress on stderr: a bar with a rate on a terminal, a plain line every two seconds otherwise. */
export function progressReporter(label: string, unit: string) {
  const started = performance.now();
  const rate = (done: number) => Math.round(done / Math.max((performance.now() - started) / 1000, 1e-3));
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta}s`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let shown = false;
    return {
      update(done: number, total: number) {
        if (!shown) {
          bar.start(total, done, { rate: 0 });
          shown = true;
        } else bar.update(done, { rate: rate(done) });
      },
      stop() {
        if (shown) bar.stop();
      },
    };
  }
  let last = 0;
  return {
    update(done: number, total: number) {
      const now = performance.now();
      if (done < total && now - last < 2000) return;
      last = now;
      const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
      process.stderr.write(`${label}: ${done}/${total} ${unit} (${pct}%), ${rate(done)} ${unit}/s\n`);
    },
    stop() {},
  };
}

interface VerifyOptions {
  key?: string;
  chunk: number;
  json?: boolean;
  progress: boolean;
}

/** `tyiym log …`, `tyiym receipt …` and `tyiym evidence`: auditing the transparency log and proving from it. */
export function registerLogCommands(program: Command): void {
  const log = program.command('log').description('audit the transparency log');

  log
    .command('verify')
    .description(
      'recompute the whole tree from the stored entries and check every stored hash and checkpoint against it; ' +
        'exits non-zero at the first inconsistency',
    )
    .option('--key <vkey>', "the log's note verifier key, or a file holding it (default: the key this registry signs with)")
    .option('--chunk <n>', 'entries read per query', chunk, 10_000)
    .option('--no-progress', 'do not show progress on stderr')
    .option('--json', 'print the summary as JSON')
    .action((o: VerifyOptions) =>
      run(() =>
        withServices(async (s, config) => {
          const keyText = o.key === undefined ? s.log.verifierKey : resolveVerifierKey(o.key);
          if (keyText === null) throw new Error('No log key is configured here; give the verifier key with --key.');
          const verifierKey = parseVerifierKey(keyText);
          const progress = o.progress ? progressReporter('log verify', 'entries') : null;
          const started = performance.now();
          let report: Awaited<ReturnType<typeof auditLog>>;
          try {
            report = await s.store.log.snapshot(() =>
              auditLog(s.store.log, {
                verifierKey,
                origin: config.log.origin,
                chunkSize: o.chunk,
                onProgress: progress ? (done, total) => progress.update(done, total) : undefined,
              }),
            );
          } catch (e) {
            if (e instanceof LogInconsistency) throw new Error(`the log does not verify: ${e.message}`);
            throw e;
          } finally {
            progress?.stop();
          }
          const seconds = (performance.now() - started) / 1000;
          const perSecond = Math.round(report.entries / Math.max(seconds, 1e-6));
          if (o.json) {
            printJson({
              verified: true,
              ...report,
              origin: config.log.origin,
              verifierKey: verifierKey.text,
              seconds,
              entriesPerSecond: perSecond,
            });
            return;
          }
          process.stdout.write(
            `Log verified: ${plural(report.entries, 'entry', 'entries')}, ${plural(report.checkpoints, 'checkpoint', 'checkpoints')}, ` +
              `${plural(report.nodes, 'node hash', 'node hashes')}, ` +
              `in ${seconds.toFixed(2)} s (${perSecond} entries/s).\n` +
              `Origin ${config.log.origin}, key ${verifierKey.text}\n` +
              `Root of the tree of size ${report.entries}: ${report.root}\n`,
          );
        }),
      ),
    );

  registerEvidenceCommands(program);
}
