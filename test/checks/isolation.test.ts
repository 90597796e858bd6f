import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { PendingCheck } from '../../src/checks/check.repository.js';
import type { CheckAnswer } from '../../src/checks/check.service.js';
import { HIDDEN_REFERENCE, shownReference } from '../../src/checks/reference.js';
import { citizenKeyOf } from '../../src/identity/citizen-key.js';
import { containsIin, digitsSpelling } from '../../src/identity/iin-in-text.js';
import { decodeEntry, referenceHash, verifyReceipt } from '../../src/verify/index.js';
import { BIN, IIN } from '../helpers/people.js';
import { openTestRegistry, TEST_PEPPER, type TestRegistry } from '../helpers/registry.js';
import { type RawAnswer, type RawRequest, sendAtOnce } from '../helpers/sockets.js';

/*
 * One lender's input must never fail another lender's check. Every reference is judged alone, before
 * its check joins a group commit shared with other lenders; and a batch the store refuses is retried in
 * halves, so that only the item at fault fails.
 */

interface Registry {
  reg: TestRegistry;
  app: FastifyInstance;
  port: number;
  bankKey: string;
  mfoKey: string;
  /** Every batch the store was asked to commit, in order. */
  batches: PendingCheck[][];
}

async function setup(): Promise<Registry> {
  const reg = await openTestRegistry();
  const app = await buildApp(reg.services, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const bankKey = (await reg.services.lenders.register({ name: 'Bank', bin: BIN.bank, type: 'bank' })).apiKey;
  const mfoKey = (await reg.services.lenders.register({ name: 'MFO', bin: BIN.mfo, type: 'mfo' })).apiKey;
  const batches: PendingCheck[][] = [];
  const checks = reg.services.store.checks;
  const decideBatch = checks.decideBatch.bind(checks);
  checks.decideBatch = (batch, now) => {
    batches.push([...batch]);
    return decideBatch(batch, now);
  };
  return { reg, app, port, bankKey, mfoKey, batches };
}

async function teardown(r: Registry): Promise<void> {
  await r.app.close();
  await r.reg.close();
}

/** A check request written by hand: `reference` goes into the JSON text as given, escapes included. */
function rawCheck(key: string, iin: string, reference: string): RawRequest {
  return {
    path: '/v1/checks',
    headers: { authorization: `Bearer ${key}` },
    body: `{"iin":"${iin}","channel":"remote","reference":"${reference}"}`,
  };
}

/** How many entries the log holds, and how many checks are recorded on a citizen, through the store's repositories. */
async function recorded(r: Registry, iin: string): Promise<{ log: number; checks: number }> {
  const [head, checks] = await Promise.all([
    r.reg.services.store.log.head(),
    r.reg.services.store.checks.listByCitizen(citizenKeyOf(TEST_PEPPER, iin)),
  ]);
  return { log: head.size, checks: checks.length };
}

/** The answer is a 200 whose check is in the log: the logged bytes are the answer's, and its receipt verifies. */
async function assertLogged(r: Registry, a: RawAnswer, what: string): Promise<CheckAnswer> {
  assert.equal(a.status, 200, `${what}: ${a.body}`);
  const answer = a.json<CheckAnswer>();
  const logged = await r.reg.services.log.entry(answer.logIndex);
  assert.deepEqual(logged, Buffer.from(answer.entry, 'base64'), `${what}: the logged entry is the answered one`);
  const v = verifyReceipt(answer.receipt, logged, r.reg.services.log.verifierKey as string);
  assert.ok(v.entry.type === 'check' && v.entry.checkId === answer.checkId, what);
  assert.ok(
    v.entry.type === 'check' &&
      v.entry.entryVersion === 2 &&
      referenceHash(answer.checkId, answer.reference).equals(v.entry.referenceHash),
    what,
  );
  const row = await r.reg.services.store.checks.findById(answer.checkId);
  assert.equal(row?.logIndex, answer.logIndex, `${what}: the check is recorded with its log index`);
  return answer;
}

function assertRefused(a: RawAnswer, status: number, code: string, what: string): void {
  assert.equal(a.status, status, `${what}: ${a.body}`);
  const body = a.json<{ error: { code: string; message: string } }>();
  assert.equal(body.error.code, code, what);
  assert.ok(body.error.message.length > 0);
}

describe('one lender cannot fail another lender’s checks', () => {
  let r: Registry;
  before(async () => {
    r = await setup();
  });
  after(() => teardown(r));

  it('a lone surrogate sent with other lenders’ checks in the same tick fails alone, with 400 invalid_reference', async () => {
    const before = await recorded(r, IIN.alice);
    const requests: RawRequest[] = [];
    for (let i = 0; i < 12; i++) requests.push(rawCheck(r.bankKey, IIN.alice, `GOOD-${i}`));
    // The six characters \ud800 in the JSON text: a lone high surrogate once parsed.
    requests.splice(6, 0, rawCheck(r.mfoKey, IIN.alice, '\\ud800'));
    requests.push(rawCheck(r.mfoKey, IIN.alice, 'MFO-GOOD'));
    const answers = await sendAtOnce(r.port, requests);

    assertRefused(answers[6] as RawAnswer, 400, 'invalid_reference', 'the lone surrogate');
    assert.match((answers[6] as RawAnswer).json<{ error: { message: string } }>().error.message, /well-formed Unicode/);
    const good = answers.filter((_, i) => i !== 6);
    assert.equal(good.length, 13);
    for (const [i, a] of good.entries()) await assertLogged(r, a, `good check ${i}`);
    assert.deepEqual(await recorded(r, IIN.alice), { log: before.log + 13, checks: before.checks + 13 });
    assert.ok(
      Math.max(...r.batches.map((b) => b.length)) > 1,
      `the good checks shared a group commit (batches: ${r.batches.map((b) => b.length).join(', ')})`,
    );
  });

  it('every spelling of a broken or hidden character is refused alone, the others’ checks answered', async () => {
    const bad = [
      '\\udc00', // a lone low surrogate
      'APP-\\ud83d', // an emoji cut in half
      '\\ud83d-APP', // the first half of one, then text
      'APP\\u0000', // NUL
      'APP\\n1', // a newline
      'APP\\u2028', // a line separator
      'RTL\\u202Eevil', // a right-to-left override
      'zero\\u200Bwidth', // a zero-width space
      '\\ufeffBOM', // a byte-order mark
      '\\ue000', // private use
      '\\u0378', // unassigned
    ];
    const before = await recorded(r, IIN.bob);
    const requests = bad.flatMap((ref, i) => [rawCheck(r.mfoKey, IIN.bob, ref), rawCheck(r.bankKey, IIN.bob, `OK-${i}`)]);
    const answers = await sendAtOnce(r.port, requests);
    for (const [i, ref] of bad.entries()) {
      assertRefused(answers[2 * i] as RawAnswer, 400, 'invalid_reference', ref);
      await assertLogged(r, answers[2 * i + 1] as RawAnswer, `the good check beside ${ref}`);
    }
    assert.deepEqual(await recorded(r, IIN.bob), { log: before.log + bad.length, checks: before.checks + bad.length });
  });

  it('a batch the store refuses is retried in halves: only the item at fault fails, with 503', async () => {
    const checks = r.reg.services.store.checks;
    const decideBatch = checks.decideBatch;
    /** Every batch the store was asked to commit here, refused or not. */
    const tried: PendingCheck[][] = [];
    const poisoned = (b: PendingCheck[]) => b.some((x) => x.reference === 'POISON');
    // The store refuses any batch holding this one check (as it would a row it cannot write).
    checks.decideBatch = async (batch, now) => {
      tried.push([...batch]);
      if (poisoned([...batch])) throw new Error('SQLITE_CONSTRAINT');
      // The first batch waits a moment, so that the checks read meanwhile queue up behind it and form the next
      // batch together, whatever the engine's number of batches in flight.
      if (tried.length === 1) await new Promise((resolve) => setTimeout(resolve, 100));
      return decideBatch(batch, now);
    };
    try {
      const before = await recorded(r, IIN.carol);
      const requests = Array.from({ length: 9 }, (_, i) => rawCheck(r.bankKey, IIN.carol, `HALF-${i}`));
      requests.push(rawCheck(r.mfoKey, IIN.carol, 'POISON'));
      const answers = await sendAtOnce(r.port, requests);
      assertRefused(answers[9] as RawAnswer, 503, 'unavailable', 'the check the store refused');
      for (const [i, a] of answers.entries()) if (i !== 9) await assertLogged(r, a, `check ${i}`);
      assert.deepEqual(await recorded(r, IIN.carol), { log: before.log + 9, checks: before.checks + 9 });
      const sizes = tried.map((b) => `${b.length}${poisoned(b) ? '*' : ''}`).join(', ');
      assert.ok(
        tried.some((b) => b.length > 1 && poisoned(b)),
        `the poisoned check shared a batch with others (batches, * refused: ${sizes})`,
      );
      assert.ok(
        tried.some((b) => b.length === 1 && poisoned(b)),
        `it was tried alone in the end (${sizes})`,
      );
    } finally {
      checks.decideBatch = decideBatch;
    }
  });
});

describe('the reference rule over HTTP', () => {
  let r: Registry;
  before(async () => {
    r = await setup();
  });
  after(() => teardown(r));

  const send = async (reference: string, iin = IIN.dan) => {
    const [a] = await sendAtOnce(r.port, [rawCheck(r.bankKey, iin, reference)]);
    return a as RawAnswer;
  };

  it('counts code points: 64 emoji are accepted whole, 65 refused', async () => {
    const before = await recorded(r, IIN.dan);
    const emoji = '😀'.repeat(64);
    const ok = await assertLogged(r, await send(emoji), '64 emoji');
    assert.equal(ok.reference, emoji, 'no emoji was split or cut');
    const rec = await r.reg.services.restrictions.record(IIN.dan);
    assert.ok(
      rec.checks.some((c) => c.reference === emoji),
      'the citizen sees the reference whole',
    );
    // 33 code points, 65 UTF-16 units: over 64 units, well within 64 characters.
    await assertLogged(r, await send(`a${'😀'.repeat(32)}`), 'an emoji past the 64th UTF-16 unit');
    await assertLogged(r, await send('x'.repeat(64)), '64 ASCII characters');
    assertRefused(await send('😀'.repeat(65)), 400, 'invalid_reference', '65 emoji');
    assertRefused(await send('x'.repeat(65)), 400, 'invalid_reference', '65 characters');
    assertRefused(await send(''), 400, 'invalid_reference', 'empty');
    assert.deepEqual(await recorded(r, IIN.dan), { log: before.log + 3, checks: before.checks + 3 });
  });

  it('refuses U+202E, U+200B, NUL and a newline, and records nothing', async () => {
    const before = await recorded(r, IIN.dan);
    for (const ref of ['RTL\\u202Eevil', 'zero\\u200Bwidth', 'nul\\u0000', 'line\\nbreak', 'tab\\there', 'APP\\r\\n'])
      assertRefused(await send(ref), 400, 'invalid_reference', ref);
    assert.deepEqual(await recorded(r, IIN.dan), before);
    await assertLogged(r, await send('Заявка №42 (Алматы) — ok'), 'printable Unicode with spaces and punctuation');
  });

  it('refuses a reference holding an IIN in any spelling, records nothing, and never echoes it', async () => {
    const iin = IIN.alice; // someone else's IIN in the reference of a check on Dan
    const spaced = `${iin.slice(0, 4)} ${iin.slice(4, 8)} ${iin.slice(8)}`;
    const shift = (base: number) => [...iin].map((d) => String.fromCodePoint(base + Number(d))).join('');
    const spellings: [string, string][] = [
      ['plain', iin],
      ['inside text', `APP-${iin}-1`],
      ['spaced 4-4-4', spaced],
      ['dashes', spaced.replaceAll(' ', '-')],
      ['dots', spaced.replaceAll(' ', '.')],
      ['slashes', spaced.replaceAll(' ', '/')],
      ['no-break spaces', spaced.replaceAll(' ', '\u00a0')],
      ['one digit at a time', [...iin].join(' ')],
      ['fullwidth digits', shift(0xff10)],
      ['Arabic-Indic digits', shift(0x0660)],
      ['Extended Arabic-Indic digits', shift(0x06f0)],
      ['Devanagari digits', shift(0x0966)],
      ['mathematical bold digits', shift(0x1d7ce)],
      ['mixed scripts', `${shift(0xff10).slice(0, 6)}${iin.slice(6)}`],
      ['keycap emoji', [...iin].map((d) => `${d}\ufe0f\u20e3`).join('')],
      ['digits with a combining mark', [...iin].map((d) => `${d}\u0303`).join('')],
      ['enclosed in circles', [...iin].map((d) => `${d}\u20dd`).join('')],
      ['circled digits', [...iin].map((d) => (d === '0' ? '\u24ea' : String.fromCodePoint(0x2460 + Number(d) - 1))).join('')],
      ['the checked citizen’s own IIN', IIN.dan],
    ];
    const before = await recorded(r, IIN.dan);
    const beforeAlice = await recorded(r, IIN.alice);
    for (const [name, ref] of spellings) {
      const a = await send(JSON.stringify(ref).slice(1, -1));
      assertRefused(a, 400, 'invalid_reference', name);
      assert.match(a.json<{ error: { message: string } }>().error.message, /must not contain an IIN/, name);
      assert.ok(!a.body.includes(iin) && !a.body.includes(IIN.dan), `${name}: the answer does not echo the IIN`);
    }
    assert.deepEqual(await recorded(r, IIN.dan), before, 'nothing recorded on the checked citizen');
    assert.deepEqual(await recorded(r, IIN.alice), beforeAlice, 'nothing recorded on the citizen named');
  });

  it('accepts digits that form no valid IIN', async () => {
    const wrongCheckDigit = `${IIN.alice.slice(0, 11)}${(Number(IIN.alice[11]) + 1) % 10}`;
    for (const ref of ['ORDER 1234 5678 9012', '123456789012', wrongCheckDigit, 'APP-2026-000123', `+7 701 234 5678`]) {
      const a = await assertLogged(r, await send(ref), ref);
      assert.equal(a.reference, ref);
      const entry = decodeEntry(Buffer.from(a.entry, 'base64'));
      assert.ok(entry.type === 'check' && entry.entryVersion === 2, 'the entry holds only a commitment to it');
    }
  });
});

describe('a stored reference that spells an IIN with marks', () => {
  it('is never shown', () => {
    const keycaps = [...IIN.alice].map((d) => `${d}\ufe0f\u20e3`).join('');
    assert.equal(shownReference(`APP ${keycaps}`), HIDDEN_REFERENCE);
    assert.equal(shownReference('APP 1\ufe0f\u20e3'), 'APP 1\ufe0f\u20e3', 'a keycap that spells no IIN is shown');
  });
});

describe('containsIin: an IIN hidden in free text', () => {
  const iin = IIN.alice;
  const shift = (text: string, base: number) => text.replace(/\d/g, (d) => String.fromCodePoint(base + Number(d)));

  it('reads every decimal digit as its ASCII digit and drops separators', () => {
    assert.equal(digitsSpelling('5803 1440-0012'), '580314400012');
    assert.equal(digitsSpelling(shift('12', 0xff10)), '12');
    assert.equal(digitsSpelling(shift('0123456789', 0x0660)), '0123456789');
    assert.equal(digitsSpelling(shift('0123456789', 0x09e6)), '0123456789', 'Bengali');
    assert.equal(digitsSpelling(shift('0123456789', 0x0e50)), '0123456789', 'Thai');
    assert.equal(digitsSpelling(shift('0123456789', 0x1d7ce)), '0123456789', 'mathematical bold');
    assert.equal(digitsSpelling(shift('0123456789', 0x1d7f6)), '0123456789', 'mathematical monospace, next to sans-serif bold');
    assert.equal(digitsSpelling('A1b2'), 'A1b2', 'letters stay');
  });

  it('finds a valid IIN however it is spelled', () => {
    for (const text of [
      iin,
      `${iin}`.replace(/(\d{4})(\d{4})(\d{4})/, '$1 $2 $3'),
      `${iin}`.replace(/(\d{2})/g, '$1-'),
      `(${iin.slice(0, 6)}) ${iin.slice(6)}`,
      `${iin.slice(0, 6)}\u200b${iin.slice(6)}`,
      `${iin.slice(0, 6)}\u2013${iin.slice(6)}`,
      shift(iin, 0xff10),
      shift(iin, 0x0660),
      shift(iin, 0x0966),
      `9${iin}`, // inside a longer run of digits
      `${iin}7`,
      `1234${iin}5678`,
      `ref:${iin}`,
      `${IIN.bob}${IIN.carol}`,
    ])
      assert.equal(containsIin(text), true, text);
  });

  it('finds nothing where no valid IIN is', () => {
    const wrongCheckDigit = `${iin.slice(0, 11)}${(Number(iin[11]) + 1) % 10}`;
    for (const text of [
      '',
      'APP-2026-000123',
      iin.slice(0, 11),
      wrongCheckDigit,
      '123456789012',
      '000000000000',
      `${iin.slice(0, 6)}A${iin.slice(6)}`, // a letter breaks the run
      `${iin.slice(0, 6)}x${iin.slice(6)}`,
      'Заявка №42',
    ])
      assert.equal(containsIin(text), false, text);
  });
});
