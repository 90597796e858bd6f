import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Lender } from '../../src/lenders/lender.js';
import {
  type BanFormValues,
  banFormFrom,
  banFormValues,
  emptyBanForm,
  lastDayBounds,
  parseBanForm,
} from '../../src/portal/pages/ban-form.js';
import { searchLenders } from '../../src/portal/pages/exemption.routes.js';
import { asForm } from '../../src/portal/pages/form.js';
import { loanPolicy } from '../../src/registry/policy.js';
import type { Restriction } from '../../src/registry/restriction.js';

// 11:00 on 10 March 2026 in Almaty.
const NOW = new Date('2026-03-10T06:00:00Z');
const policy = loanPolicy();

function form(over: Partial<BanFormValues>): BanFormValues {
  return { ...emptyBanForm(policy), ...over };
}

const emptyForm: BanFormValues = { lenderTypes: [], channels: [], term: '', months: '', day: '', month: '', year: '' };

function errorsOf(values: BanFormValues, p = policy) {
  const parsed = parseBanForm(values, p, NOW);
  return parsed.errors.map((e) => `${e.field}:${e.key.replace('edit.errors.', '')}`);
}

describe('the ban form', () => {
  it('reads repeated checkboxes and the date parts from a form body', () => {
    const values = banFormValues({
      lenderTypes: ['bank', 'mfo'],
      channels: 'remote',
      term: 'until',
      'lastDay-day': ' 7 ',
      'lastDay-month': '4',
      'lastDay-year': '2026',
    });
    assert.deepEqual(values, {
      lenderTypes: ['bank', 'mfo'],
      channels: ['remote'],
      term: 'until',
      months: '',
      day: '7',
      month: '4',
      year: '2026',
    });
  });

  it('reads anything but text as absent: numbers, objects, arrays of them', () => {
    const values = banFormValues({
      lenderTypes: [1, { bank: true }, 'mfo'],
      channels: { remote: 'yes' },
      term: 5,
      months: null,
      'lastDay-day': ['7', 8],
      'lastDay-month': true,
    });
    assert.deepEqual(values, { lenderTypes: ['mfo'], channels: [], term: '', months: '', day: '7', month: '', year: '' });
    assert.deepEqual(banFormValues(asForm(['term', 'indefinite'])), emptyForm);
  });

  it('accepts each kind of term and resolves its end in Almaty', () => {
    const months = parseBanForm(form({ term: 'months', months: '3' }), policy, NOW);
    assert.deepEqual(months.request?.term, { kind: 'months', months: 3 });
    assert.equal(months.request?.endsAt?.toISOString(), '2026-06-10T19:00:00.000Z', 'the end of 10 June, Almaty time');
    const until = parseBanForm(form({ term: 'until', day: '11', month: '3', year: '2026' }), policy, NOW);
    assert.deepEqual(until.request?.term, { kind: 'until', date: '2026-03-11' });
    const forever = parseBanForm(form({ term: 'indefinite', lenderTypes: ['mfo'], channels: ['in_person'] }), policy, NOW);
    assert.equal(forever.request?.endsAt, null);
    assert.deepEqual(forever.request?.scope, { lenderTypes: ['mfo'], channels: ['in_person'] });
  });

  it('reports each problem on its own field', () => {
    assert.deepEqual(errorsOf(form({ lenderTypes: [], channels: [], term: '' })), [
      'lenderTypes:lenderTypes',
      'channels:channels',
      'term:term',
    ]);
    assert.deepEqual(errorsOf(form({ lenderTypes: ['bank', 'pawnshop'], term: 'indefinite' })), ['lenderTypes:lenderTypes']);
    assert.deepEqual(errorsOf(form({ channels: ['phone'], term: 'indefinite' })), ['channels:channels']);
    assert.deepEqual(errorsOf(form({ term: 'forever' })), ['term:term']);
  });

  it('checks the number of months against the policy', () => {
    assert.deepEqual(errorsOf(form({ term: 'months', months: '' })), ['months:monthsMissing']);
    for (const bad of ['0', '7', '-1', '2.5', 'three', '1e1'])
      assert.deepEqual(errorsOf(form({ term: 'months', months: bad })), ['months:monthsRange'], bad);
    assert.deepEqual(errorsOf(form({ term: 'months', months: '6' })), []);
    assert.deepEqual(errorsOf(form({ term: 'months', months: '12' }), loanPolicy({ maxTermMonths: 12 })), []);
  });

  it('checks the last day: missing, incomplete, not a date, out of range', () => {
    const until = (day: string, month: string, year: string) => form({ term: 'until', day, month, year });
    assert.deepEqual(errorsOf(until('', '', '')), ['lastDay:dateMissing']);
    assert.deepEqual(errorsOf(until('1', '', '2026')), ['lastDay:dateIncomplete']);
    assert.deepEqual(errorsOf(until('31', '2', '2027')), ['lastDay:dateInvalid']);
    assert.deepEqual(errorsOf(until('x', '4', '2026')), ['lastDay:dateInvalid']);
    assert.deepEqual(errorsOf(until('1', '4', '26')), ['lastDay:dateInvalid']);
    assert.deepEqual(errorsOf(until('10', '3', '2026')), ['lastDay:dateRange'], 'today is too soon: at least one day');
    assert.deepEqual(errorsOf(until('11', '9', '2026')), ['lastDay:dateRange'], 'beyond six months');
    assert.deepEqual(errorsOf(until('10', '9', '2026')), [], 'the last day the policy allows');
    assert.deepEqual(lastDayBounds(policy, NOW), { earliest: '2026-03-11', latest: '2026-09-10' });
  });

  it('refuses "until cancelled" when the policy does not allow it', () => {
    const fixedOnly = loanPolicy({ allowIndefinite: false });
    assert.deepEqual(errorsOf(form({ term: 'indefinite' }), fixedOnly), ['term:term']);
  });

  it('starts a change from the ban in force', () => {
    const base: Restriction = {
      id: 'r',
      kind: 'loan',
      version: 1,
      scope: { lenderTypes: ['mfo'], channels: ['remote'] },
      startsAt: NOW,
      endsAt: new Date('2026-06-10T19:00:00Z'),
      liftRequestedAt: null,
      liftEffectiveAt: null,
      createdAt: NOW,
      updatedAt: NOW,
    };
    assert.deepEqual(banFormFrom(base, policy, NOW), {
      lenderTypes: ['mfo'],
      channels: ['remote'],
      term: 'until',
      months: '',
      day: '10',
      month: '6',
      year: '2026',
    });
    assert.equal(banFormFrom({ ...base, endsAt: null }, policy, NOW).term, 'indefinite');
    assert.deepEqual(banFormFrom(null, policy, NOW), emptyBanForm(policy));
  });

  it('keeps an end that the other choices cannot say today', () => {
    const tonight = new Date('2026-03-10T19:00:00Z'); // the end of 10 March, today in Almaty
    const ban: Restriction = {
      id: 'r',
      kind: 'loan',
      version: 1,
      scope: { lenderTypes: ['bank'], channels: ['remote', 'in_person'] },
      startsAt: NOW,
      endsAt: tonight,
      liftRequestedAt: null,
      liftEffectiveAt: null,
      createdAt: NOW,
      updatedAt: NOW,
    };
    const lastDayToday = banFormFrom(ban, policy, NOW);
    assert.deepEqual(lastDayToday, { ...emptyForm, lenderTypes: ['bank'], channels: ['remote', 'in_person'], term: 'keep' });
    const fixedOnly = loanPolicy({ allowIndefinite: false });
    assert.equal(banFormFrom({ ...ban, endsAt: null }, fixedOnly, NOW).term, 'keep', 'until cancelled, no longer offered');
    const beyond = new Date('2026-12-31T19:00:00Z');
    assert.equal(banFormFrom({ ...ban, endsAt: beyond }, policy, NOW).term, 'keep', 'beyond the maximum allowed today');

    const kept = parseBanForm(lastDayToday, policy, NOW, { endsAt: tonight });
    assert.deepEqual(kept.request, { scope: ban.scope, term: null, endsAt: tonight });
    assert.deepEqual(errorsOf(lastDayToday), ['term:term'], 'nothing to keep without a ban in force');
  });
});

describe('finding a lender', () => {
  const lender = (name: string, bin: string, status: 'active' | 'revoked' = 'active'): Lender => ({
    id: bin,
    name,
    bin,
    type: 'bank',
    status,
    keyPrefix: 'tyk_',
    createdAt: NOW,
    revokedAt: null,
  });
  const all = [
    lender('Alpha Bank', '990140000017'),
    lender('Әлем Қаржы', '990240000020'),
    lender('Gone Bank', '990340000031', 'revoked'),
  ];

  it('matches the name case-insensitively, or the BIN, among active lenders only', () => {
    assert.deepEqual(
      searchLenders(all, 'ALPHA').map((l) => l.name),
      ['Alpha Bank'],
    );
    assert.deepEqual(
      searchLenders(all, 'әлем').map((l) => l.name),
      ['Әлем Қаржы'],
    );
    assert.deepEqual(
      searchLenders(all, '9902400').map((l) => l.name),
      ['Әлем Қаржы'],
    );
    assert.deepEqual(searchLenders(all, 'gone'), []);
    assert.deepEqual(
      searchLenders(all, '').map((l) => l.name),
      ['Alpha Bank', 'Әлем Қаржы'],
    );
  });
});
