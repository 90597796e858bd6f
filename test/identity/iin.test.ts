import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateBin } from '../../src/identity/bin.js';
import { computeCheckDigit, digitsOf } from '../../src/identity/check-digit.js';
import { citizenKeyOf } from '../../src/identity/citizen-key.js';
import { makeIin, validateIin } from '../../src/identity/iin.js';

describe('IIN', () => {
  it('accepts a number whose first-pass weighted sum gives the check digit', () => {
    // 8·1+8·2+0·3+1·4+0·5+1·6+3·7+0·8+0·9+0·10+1·11 = 66; 66 mod 11 = 0
    const r = validateIin('880101300010');
    assert.deepEqual(r, { ok: true, facts: { birthDate: { year: 1988, month: 1, day: 1 }, sex: 'male' } });
  });

  it('uses the second weights when the first pass gives 10', () => {
    // first pass: 131 mod 11 = 10; second pass (3..11,1,2): 78 mod 11 = 1
    const r = validateIin('900101300811');
    assert.equal(r.ok, true);
    assert.equal(validateIin('900101300810').ok, false);
  });

  it('refuses a number whose both passes give 10: it is never issued', () => {
    // first pass 120 mod 11 = 10, second pass 76 mod 11 = 10
    assert.equal(computeCheckDigit(digitsOf('90010130080')), null);
    for (let d = 0; d <= 9; d++) {
      const r = validateIin(`90010130080${d}`);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.failure, 'check_digit');
    }
  });

  it('reads century and sex from digit 7', () => {
    const cases: [string, number, 'male' | 'female'][] = [
      ['1', 1800, 'male'],
      ['2', 1800, 'female'],
      ['3', 1900, 'male'],
      ['4', 1900, 'female'],
      ['5', 2000, 'male'],
      ['6', 2000, 'female'],
    ];
    for (const [digit, century, sex] of cases) {
      const iin =
        makeIin({ year: century + 5, month: 6, day: 15 }, sex, 1) ?? makeIin({ year: century + 5, month: 6, day: 15 }, sex, 2);
      assert.ok(iin);
      assert.equal(iin[6], digit);
      const r = validateIin(iin);
      assert.ok(r.ok, iin);
      assert.equal(r.facts.birthDate.year, century + 5);
      assert.equal(r.facts.sex, sex);
    }
  });

  it('names the rule each invalid number breaks', () => {
    const failures: [string, string][] = [
      ['88010130001', 'format'],
      ['8801013000100', 'format'],
      ['88010130001a', 'format'],
      [' 880101300010', 'format'],
      ['', 'format'],
      ['880101000010', 'century'],
      ['880101700010', 'century'],
      ['881301300010', 'date'],
      ['880230300010', 'date'],
      ['880100300010', 'date'],
      ['880101300011', 'check_digit'],
    ];
    for (const [iin, failure] of failures) {
      const r = validateIin(iin);
      assert.equal(r.ok, false, iin);
      assert.equal(!r.ok && r.failure, failure, iin);
    }
    const messages = new Set(
      failures.map(([iin]) => {
        const r = validateIin(iin);
        return r.ok ? '' : r.message;
      }),
    );
    assert.equal(messages.size, 4, 'each failure has its own message');
  });

  it('knows leap years: 29 February exists in 2000 but not in 1900', () => {
    const leap =
      makeIin({ year: 2000, month: 2, day: 29 }, 'female', 1) ?? makeIin({ year: 2000, month: 2, day: 29 }, 'female', 2);
    assert.ok(leap && validateIin(leap).ok);
    const notLeap = makeIin({ year: 2001, month: 2, day: 28 }, 'female', 1) ?? '';
    assert.ok(validateIin(notLeap).ok);
    const r = validateIin(`000229${'3'}0001${'0'}`); // 1900-02-29 does not exist
    assert.equal(!r.ok && r.failure, 'date');
  });
});

describe('BIN', () => {
  it('accepts a valid check digit and refuses a wrong one', () => {
    // 9·1+9·2+0+1·4+4·5+0+0+0+0+0+1·11 = 62; 62 mod 11 = 7
    assert.deepEqual(validateBin('990140000017'), { ok: true });
    const r = validateBin('990140000018');
    assert.equal(!r.ok && r.failure, 'check_digit');
  });

  it('refuses anything but 12 digits', () => {
    for (const bad of ['99014000001', '9901400000171', 'abcdefghijkl', '']) {
      const r = validateBin(bad);
      assert.equal(!r.ok && r.failure, 'format', bad);
    }
  });
});

describe('citizen key', () => {
  it('is a keyed hash: the same IIN under another pepper gives an unrelated key', () => {
    const a = citizenKeyOf(Buffer.alloc(32, 1), '880101300010');
    const b = citizenKeyOf(Buffer.alloc(32, 2), '880101300010');
    assert.equal(a.length, 32);
    assert.notDeepEqual(a, b);
    assert.deepEqual(a, citizenKeyOf(Buffer.alloc(32, 1), '880101300010'));
    assert.ok(!a.toString('latin1').includes('880101300010'));
  });
});
