import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type CheckEntry,
  decodeEntry,
  type Entry,
  EVENT_ACTIONS,
  encodeEntry,
  type RestrictionEventEntry,
  VerifyError,
} from '../../src/verify/index.js';
import { codeOf as codeOfError } from '../helpers/verify.js';

const codeOf = (f: () => unknown): string => codeOfError(f, 'ok');

// A synthetic IIN that belongs to no one, and its citizen key under a test pepper.
const IIN = '880101300010';
const citizenKey = createHmac('sha256', Buffer.alloc(32, 7)).update(IIN, 'latin1').digest();

const check: CheckEntry = {
  type: 'check',
  checkId: '019a3c2e-7f10-7c55-b2d2-0c8a6f3e9a41',
  lenderId: '019a3c2e-1111-7c55-b2d2-0c8a6f3e9a41',
  lenderType: 'mfo',
  citizenKey,
  channel: 'remote',
  reference: 'APP-2026-000123',
  restricted: true,
  checkedAt: '2026-11-29T18:50:10.894Z',
};

const event: RestrictionEventEntry = {
  type: 'restriction_event',
  eventId: '019a3c2e-2222-7c55-b2d2-0c8a6f3e9a41',
  restrictionId: '019a3c2e-3333-7c55-b2d2-0c8a6f3e9a41',
  citizenKey,
  kind: 'loan',
  version: 3,
  action: 'exemption_opened',
  lenderTypes: ['bank', 'mfo'],
  channels: ['remote', 'in_person'],
  endsAt: null,
  liftEffectiveAt: '2026-12-01T19:00:00.000Z',
  exemptionLenderId: '019a3c2e-1111-7c55-b2d2-0c8a6f3e9a41',
  exemptionEndsAt: '2026-11-30T18:50:10.894Z',
  actorKind: 'operator',
  actorName: 'Айгерім Сейітова',
  at: '2026-11-29T18:50:10.894Z',
};

/** The expected bytes of the check entry, written out field by field. */
function field(s: string | Uint8Array): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

describe('log entry encoding', () => {
  it('writes version, type and length-prefixed fields in a fixed order', () => {
    const expected = Buffer.concat([
      Buffer.from([1, 1]),
      ...[check.checkId, check.lenderId, 'mfo', citizenKey, 'remote', 'APP-2026-000123', '1', '2026-11-29T18:50:10.894Z'].map(
        field,
      ),
    ]);
    assert.deepEqual(encodeEntry(check), expected);
    const e = encodeEntry(event);
    assert.deepEqual(e.subarray(0, 2), Buffer.from([1, 2]));
    assert.ok(e.includes(field('bank,mfo')) && e.includes(field('remote,in_person')) && e.includes(field('3')));
  });

  it('round-trips both entry types exactly', () => {
    for (const entry of [check, event] as Entry[]) {
      const bytes = encodeEntry(entry);
      const back = decodeEntry(bytes);
      assert.deepEqual(back, { ...entry, citizenKey: Buffer.from(citizenKey) });
      assert.deepEqual(encodeEntry(back), bytes);
    }
    const citizenChange: RestrictionEventEntry = {
      ...event,
      action: 'placed',
      endsAt: '2027-05-29T19:00:00.000Z',
      liftEffectiveAt: null,
      exemptionLenderId: null,
      exemptionEndsAt: null,
      actorKind: 'citizen',
      actorName: null,
    };
    assert.deepEqual(encodeEntry(decodeEntry(encodeEntry(citizenChange))), encodeEntry(citizenChange));
  });

  it('is canonical: random entries round-trip, and any byte string that decodes re-encodes to itself', () => {
    const text = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/\p{Cc}|\p{Cs}/u.test(s));
    const instant = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }).map((ms) => new Date(ms).toISOString());
    const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const checkArb = fc.record({
      type: fc.constant('check' as const),
      checkId: text,
      lenderId: text,
      lenderType: fc.constantFrom('bank', 'mfo'),
      citizenKey: key,
      channel: fc.constantFrom('remote', 'in_person'),
      reference: text,
      restricted: fc.boolean(),
      checkedAt: instant,
    });
    const eventArb = fc
      .record({
        eventId: text,
        restrictionId: text,
        citizenKey: key,
        version: fc.integer({ min: 1, max: 1_000_000 }),
        action: fc.constantFrom(...EVENT_ACTIONS),
        lenderTypes: fc.shuffledSubarray(['bank', 'mfo'], { minLength: 1 }),
        channels: fc.shuffledSubarray(['remote', 'in_person'], { minLength: 1 }),
        endsAt: fc.option(instant),
        liftEffectiveAt: fc.option(instant),
        exemptionLenderId: text,
        exemptionEndsAt: instant,
        actorName: fc.option(text),
        at: instant,
      })
      .map(
        (e): RestrictionEventEntry => ({
          type: 'restriction_event',
          ...e,
          kind: 'loan',
          exemptionLenderId: e.action === 'exemption_opened' ? e.exemptionLenderId : null,
          exemptionEndsAt: e.action === 'exemption_opened' ? e.exemptionEndsAt : null,
          actorKind: e.actorName === null ? 'citizen' : 'operator',
        }),
      );
    fc.assert(
      fc.property(fc.oneof(checkArb, eventArb), (entry: Entry) => {
        const bytes = encodeEntry(entry);
        const back = decodeEntry(bytes);
        assert.deepEqual({ ...back, citizenKey: [...back.citizenKey] }, { ...entry, citizenKey: [...entry.citizenKey] });
        assert.deepEqual(encodeEntry(back), bytes);
      }),
    );
    // Mutated encodings either fail to decode or decode to an entry that encodes back to them exactly.
    const base = [encodeEntry(check), encodeEntry(event)];
    fc.assert(
      fc.property(fc.nat(1), fc.nat(), fc.integer({ min: 0, max: 255 }), (which, at, value) => {
        const bytes = Buffer.from(base[which] as Buffer);
        bytes[at % bytes.length] = value;
        let decoded: Entry;
        try {
          decoded = decodeEntry(bytes);
        } catch (e) {
          assert.ok(e instanceof VerifyError && e.code === 'malformed_entry');
          return;
        }
        assert.deepEqual(encodeEntry(decoded), bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses malformed bytes', () => {
    const good = encodeEntry(check);
    const withField = (i: number, value: string | Uint8Array) => {
      const fields: Buffer[] = [];
      let at = 2;
      while (at < good.length) {
        const len = good.readUInt32BE(at);
        fields.push(good.subarray(at + 4, at + 4 + len));
        at += 4 + len;
      }
      fields[i] = Buffer.from(value);
      return Buffer.concat([good.subarray(0, 2), ...fields.map(field)]);
    };
    const cases: [string, Uint8Array][] = [
      ['empty', Buffer.alloc(0)],
      ['version only', Buffer.from([1])],
      ['unknown version', Buffer.concat([Buffer.from([2]), good.subarray(1)])],
      ['unknown type', Buffer.concat([Buffer.from([1, 3]), good.subarray(2)])],
      ['the other type', Buffer.concat([Buffer.from([1, 2]), good.subarray(2)])],
      ['trailing byte', Buffer.concat([good, Buffer.from([0])])],
      ['an extra field', Buffer.concat([good, field('x')])],
      ['a missing field', good.subarray(0, good.length - field(check.checkedAt).length)],
      ['truncated', good.subarray(0, good.length - 1)],
      ['length past the end', withField(7, check.checkedAt).fill(0xff, 2, 6)],
      ['restricted "2"', withField(6, '2')],
      ['restricted "true"', withField(6, 'true')],
      ['empty text', withField(0, '')],
      ['control character', withField(5, 'APP\n1')],
      ['invalid UTF-8', withField(5, Buffer.from([0x41, 0xc3]))],
      ['12-byte citizen key', withField(3, IIN)],
      ['31-byte citizen key', withField(3, citizenKey.subarray(1))],
      ['no milliseconds', withField(7, '2026-11-29T18:50:10Z')],
      ['an offset', withField(7, '2026-11-29T23:50:10.894+05:00')],
      ['impossible date', withField(7, '2026-02-30T18:50:10.894Z')],
      ['upper-case token', withField(4, 'REMOTE')],
      ['token with a comma', withField(2, 'bank,mfo')],
    ];
    for (const [name, bytes] of cases)
      assert.equal(
        codeOf(() => decodeEntry(bytes)),
        'malformed_entry',
        name,
      );

    const e = encodeEntry(event);
    const eventWithField = (i: number, value: string) => {
      const fields: Buffer[] = [];
      let at = 2;
      while (at < e.length) {
        const len = e.readUInt32BE(at);
        fields.push(e.subarray(at + 4, at + 4 + len));
        at += 4 + len;
      }
      fields[i] = Buffer.from(value);
      return Buffer.concat([e.subarray(0, 2), ...fields.map(field)]);
    };
    for (const [name, i, value] of [
      ['version 0', 4, '0'],
      ['version 03', 4, '03'],
      ['unknown action', 5, 'deleted'],
      ['duplicate in a list', 6, 'bank,bank'],
      ['empty item in a list', 6, 'bank,'],
      ['empty list', 7, ''],
      ['unknown actor', 12, 'robot'],
      ['operator without a name', 13, ''],
    ] as [string, number, string][])
      assert.equal(
        codeOf(() => decodeEntry(eventWithField(i, value))),
        'malformed_entry',
        name,
      );
  });

  it('cannot carry an IIN: the citizen is a 32-byte key, and there is no other field for one', () => {
    assert.equal(
      codeOf(() => encodeEntry({ ...check, citizenKey: Buffer.from(IIN) })),
      'invalid_entry',
    );
    assert.equal(
      codeOf(() => encodeEntry({ ...check, citizenKey: IIN as unknown as Uint8Array })),
      'invalid_entry',
    );
    assert.equal(
      codeOf(() => encodeEntry({ ...check, iin: IIN } as CheckEntry)),
      'invalid_entry',
    );
    assert.equal(
      codeOf(() => encodeEntry({ ...event, iin: IIN } as RestrictionEventEntry)),
      'invalid_entry',
    );
    assert.ok(!encodeEntry(check).includes(IIN) && !encodeEntry(event).includes(IIN));
  });

  it('refuses invalid entries', () => {
    const bad: [string, unknown][] = [
      ['unknown type', { ...check, type: 'other' }],
      ['missing field', (({ reference: _, ...rest }) => rest)(check)],
      ['restricted as a string', { ...check, restricted: '1' }],
      ['a Date for an instant', { ...check, checkedAt: new Date(check.checkedAt) }],
      ['version 1.5', { ...event, version: 1.5 }],
      ['citizen with a name', { ...event, actorKind: 'citizen' }],
      ['operator without a name', { ...event, actorName: null }],
      ['exemption fields on another action', { ...event, action: 'changed' }],
      ['exemption action without an exemption', { ...event, exemptionLenderId: null, exemptionEndsAt: null }],
      ['an empty list', { ...event, lenderTypes: [] }],
      ['an empty optional', { ...event, endsAt: '' }],
      ['too large', { ...check, reference: 'x'.repeat(70_000) }],
    ];
    for (const [name, entry] of bad)
      assert.equal(
        codeOf(() => encodeEntry(entry as Entry)),
        'invalid_entry',
        name,
      );
  });
});
