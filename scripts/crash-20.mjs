#!/usr/bin/env node
// Runs the SIGKILL-under-load test many times in a row (20 unless given), because a crash-safety
// fault shows only in some interleavings. Stops at the first failure and prints its output.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TEST = path.join('test', 'log', 'crash.test.ts');
const runs = Number(process.argv[2] ?? 20);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: node scripts/crash-20.mjs [RUNS]\n');
  process.exit(2);
}

function runOnce() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', TEST], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (s) => {
      output += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s) => {
      output += s;
    });
    child.on('close', (code, signal) => resolve({ ok: code === 0, code, signal, output }));
  });
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const started = Date.now();
let passed = 0;
let failed = 0;
for (let i = 1; i <= runs; i++) {
  const t0 = Date.now();
  const r = await runOnce();
  // The test reports how many requests were in flight at the kill; keep that line for the record.
  const detail = r.output.match(/\d+ requests outstanding at the kill, \d+ of them unanswered/)?.[0] ?? '';
  if (r.ok) {
    passed++;
    process.stdout.write(`run ${i}/${runs}: passed in ${seconds(Date.now() - t0)}${detail ? ` (${detail})` : ''}\n`);
  } else {
    failed++;
    process.stdout.write(`run ${i}/${runs}: FAILED in ${seconds(Date.now() - t0)} (exit ${r.code ?? r.signal})\n${r.output}\n`);
    break;
  }
}
process.stdout.write(`crash test: ${passed} passed, ${failed} failed, in ${seconds(Date.now() - started)}\n`);
process.exitCode = failed === 0 && passed === runs ? 0 : 1;
