import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HIDDEN_REFERENCE, shownReference, validateReference } from '../../src/checks/reference.js';
import { citizenKeyOf } from '../../src/identity/citizen-key.js';
import { newId } from '../../src/ids.js';
import { logCheck } from '../../src/log/entries.js';
import { BIN, IIN } from '../helpers/people.js';
import { openTestRegistry, TEST_PEPPER, type TestRegistry } from '../helpers/registry.js';

const codeOf = (f: () => void): string | null => {
  try {
    f();
    return null;
  } catch (e) {
    return (e as { code?: string }).code ?? 'thrown';
  }
};

describe('the reference rule', () => {
  it('counts code points, so an emoji is one character and never split', () => {
    assert.equal(
      codeOf(() => validateReference('😀'.repeat(64))),
      null,
    );
    assert.equal(
      codeOf(() => validateReference('😀'.repeat(65))),
      'invalid_reference',
    );
    assert.equal(
      codeOf(() => validateReference('')),
      'invalid_reference',
    );
  });

  it('refuses lone surrogates, controls, bidi overrides, zero-width and private-use characters', () => {
    for (const bad of ['\ud800', 'a\udc00b', 'a\u0000b', 'line\nbreak', 'RTL\u202Eevil', 'a\u2066b', 'zero\u200Bwidth', '\uE000'])
      assert.equal(
        codeOf(() => validateReference(bad)),
        'invalid_reference',
        JSON.stringify(bad),
      );
  });

  it('refuses an IIN in any spelling, and accepts digits that form none', () => {
    const iin = IIN.alice;
    const spaced = `${iin.slice(0, 4)} ${iin.slice(4, 8)} ${iin.slice(8)}`;
    const fullwidth = [...iin].map((d) => String.fromCodePoint(0xff10 + Number(d))).join('');
    const arabic = [...iin].map((d) => String.fromCodePoint(0x0660 + Number(d))).join('');
    for (const bad of [iin, `loan ${iin}`, spaced, spaced.replaceAll(' ', '-'), fullwidth, arabic, `A${iin}9`])
      assert.equal(
        codeOf(() => validateReference(bad)),
        'invalid_reference',
        bad,
      );
    for (const good of ['APP-2026-000123', 'Заявка №42 (Алматы)', '000000000000', 'REF 1234 5678'])
      assert.equal(
        codeOf(() => validateReference(good)),
        null,
        good,
      );
  });

  it('hides a stored reference that holds an IIN, and shows any other as it is', () => {
    assert.equal(shownReference(`for ${IIN.bob}`), HIDDEN_REFERENCE);
    assert.equal(shownReference('APP-1'), 'APP-1');
  });
});

describe('a reference kept from before the rule', () => {
  let r: TestRegistry;
  before(async () => {
    r = await openTestRegistry();
  });
  after(() => r.close());

  it('is never shown on the citizen’s pages when it holds an IIN', async () => {
    const { lender } = await r.services.lenders.register({ name: 'Old Bank', bin: BIN.bank, type: 'bank' });
    const citizenKey = citizenKeyOf(TEST_PEPPER, IIN.alice);
    // Written straight to the store, as an older registry without the rule would have.
    const record = (reference: string) => ({
      id: newId(),
      lenderId: lender.id,
      citizenKey,
      channel: 'remote' as const,
      reference,
      restricted: false,
      checkedAt: r.clock.now(),
      restrictionId: null,
      restrictionVersion: null,
    });
    await r.services.store.checks.insertBatch([
      logCheck(record(`loan for ${IIN.bob}`), 'bank'),
      logCheck(record('OK-1'), 'bank'),
    ]);
    const page = await r.services.restrictions.checksPage(IIN.alice, { offset: 0, limit: 20 });
    assert.deepEqual(page.checks.map((c) => c.reference).sort(), ['OK-1', HIDDEN_REFERENCE].sort());
    const { checks } = await r.services.restrictions.record(IIN.alice);
    assert.ok(checks.every((c) => !c.reference.includes(IIN.bob)));
  });
});
