import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import {
  describeFocus,
  expectH1,
  focusIsVisible,
  isFocused,
  literal,
  newIin,
  newPage,
  portalAndBrowser,
  readText,
  SKIP,
  shot,
  signIn,
  tabTo,
  text,
  waitForPath,
} from './harness.js';

// The main journey with the keyboard alone: Tab and Shift+Tab move focus, Space and Enter act,
// the arrow keys move within a radio group. No mouse click anywhere. Before every key that acts,
// the element must have focus, and the focus must be visible.

const en = (key: string, params?: Record<string, string | number>) => text('en', key, params);

/** Asserts that `target` has focus and that the focus can be seen. */
async function assertFocus(page: Page, target: Locator, what: string): Promise<void> {
  assert.ok(await isFocused(target), `${what} should have focus; it is on ${await describeFocus(page)}`);
  assert.ok(await focusIsVisible(page), `the focus on ${what} should be visible`);
}

/** Tabs (or Shift+Tabs) to `target`, checks the focus is on it and visible, then presses `key`. */
async function reachAndPress(page: Page, target: Locator, what: string, key: string, back = false): Promise<void> {
  await tabTo(page, target, { back });
  await assertFocus(page, target, what);
  await page.keyboard.press(key);
}

async function isChecked(target: Locator): Promise<boolean> {
  return target.evaluate((el) => (el as HTMLInputElement).checked);
}

describe('the keyboard alone', { skip: SKIP }, () => {
  const shared = portalAndBrowser();

  test('signs in, places a ban after fixing an error, and confirms it', async (t) => {
    const { context, page } = await newPage(shared.browser);
    t.after(() => context.close());
    let n = 0;
    const snap = (name: string) => shot(page, `keyboard-${String(++n).padStart(2, '0')}-${name}`);

    await page.goto(`${shared.portal.url}/?lang=en`);
    // The first Tab lands on the skip link.
    await page.keyboard.press('Tab');
    await assertFocus(page, page.getByRole('link', { name: en('common.skipLink') }), 'the skip link');
    await snap('start-skip-link');
    await reachAndPress(page, page.getByRole('button', { name: en('start.signIn') }), 'Sign in', 'Enter');

    // The provider's sign-in page: type the IIN, then press the button with Space.
    await waitForPath(page, /^\/dev-idp\/interaction\//);
    const iin = page.getByRole('textbox', { name: 'IIN', exact: true });
    await tabTo(page, iin);
    await assertFocus(page, iin, 'the IIN field');
    await page.keyboard.type(newIin());
    await snap('idp-iin-typed');
    await reachAndPress(page, page.getByRole('button', { name: 'Sign in', exact: true }), 'the provider’s Sign in', 'Space');

    // Status: the skip link takes focus past the header, straight to the main content.
    await waitForPath(page, '/');
    await expectH1(page, en('status.title'));
    await page.keyboard.press('Tab');
    await assertFocus(page, page.getByRole('link', { name: en('common.skipLink') }), 'the skip link');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'main-content');
    await page.keyboard.press('Tab');
    await assertFocus(page, page.getByRole('button', { name: en('status.place') }), 'Place a ban, first in the main content');
    await snap('status-place-focused');
    await page.keyboard.press('Enter');

    // The form, sent at once without a term: the error summary takes focus, and its link
    // takes focus to the field in error.
    await waitForPath(page, '/restriction/edit');
    await reachAndPress(page, page.getByRole('button', { name: en('common.continue') }), 'Continue', 'Enter');
    const summary = page.locator('.govuk-error-summary');
    await summary.waitFor();
    await page.waitForFunction(() => document.activeElement?.classList.contains('govuk-error-summary') === true);
    await snap('edit-error-summary');
    const errorLink = summary.getByRole('link', { name: en('edit.errors.term') });
    await reachAndPress(page, errorLink, 'the error’s link', 'Enter');
    const months = page.getByRole('radio', { name: en('edit.term.months') });
    const until = page.getByRole('radio', { name: en('edit.term.until') });
    const indefinite = page.getByRole('radio', { name: en('edit.term.indefinite') });
    await page.waitForFunction(() => document.activeElement?.id === 'term');
    await assertFocus(page, months, 'the first term option, from the error link');

    // Space chooses; Shift+Tab goes back to the channels to leave out "in person".
    await page.keyboard.press('Space');
    assert.ok(await isChecked(months));
    const inPerson = page.getByRole('checkbox', { name: en('edit.channels.in_person') });
    await reachAndPress(page, inPerson, 'the “in person” checkbox', 'Space', true);
    assert.equal(await isChecked(inPerson), false, 'Space unticks it');
    assert.ok(await isChecked(page.getByRole('checkbox', { name: en('edit.channels.remote') })));

    // Back into the radio group: focus returns to the chosen option; the arrows move the choice.
    await tabTo(page, months);
    await assertFocus(page, months, 'the chosen term option');
    await page.keyboard.press('ArrowDown');
    await assertFocus(page, until, 'the “until a date” option');
    assert.ok(await isChecked(until), 'ArrowDown chooses the next option');
    await page.keyboard.press('ArrowDown');
    await assertFocus(page, indefinite, 'the “until I cancel it” option');
    assert.ok(await isChecked(indefinite));
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await assertFocus(page, months, 'the “number of months” option again');
    assert.ok(await isChecked(months), 'ArrowUp chooses the option above');

    // The number of months is revealed under its option, next in the tab order.
    const monthsField = page.getByRole('textbox', { name: en('edit.term.monthsLabel') });
    await page.keyboard.press('Tab');
    await assertFocus(page, monthsField, 'the number of months');
    await page.keyboard.type('3');
    await snap('edit-filled');
    await reachAndPress(page, page.getByRole('button', { name: en('common.continue') }), 'Continue', 'Enter');

    // Confirm: Tab past the button to "Change your answers", Shift+Tab back, and press Space.
    await expectH1(page, en('confirm.title'));
    const place = page.getByRole('button', { name: en('confirm.submitPlace') });
    await tabTo(page, page.getByRole('button', { name: en('confirm.changeAnswers') }));
    await tabTo(page, place, { back: true, max: 3 });
    await assertFocus(page, place, 'Place the ban');
    await snap('confirm-focused');
    await page.keyboard.press('Space');

    // Done, and the status page says the ban is in force, online only.
    await waitForPath(page, '/restriction/done');
    await expectH1(page, en('done.titlePlaced'));
    await snap('done');
    await reachAndPress(page, page.getByRole('link', { name: en('done.toStatus') }), 'the link to the status page', 'Enter');
    await waitForPath(page, '/');
    await page.getByText(en('status.inForce'), { exact: true }).waitFor();
    const scope = en('scope.sentence', { types: en('scope.types.all'), channels: en('scope.channels.remote') });
    assert.match(await readText(page.locator('.govuk-summary-list')), literal(scope));
    await snap('status-in-force');
  });
  test('every element Tab reaches on the citizen’s pages shows its focus', async (t) => {
    const { context, page } = await newPage(shared.browser);
    t.after(() => context.close());
    const iin = newIin();
    // A ban in force, placed at a service centre, so that every page has its full set of controls.
    await shared.portal.sandbox.json(['restriction', 'place', '--iin', iin, '--indefinite', '--operator', 'Service centre test']);
    await shared.portal.check(shared.portal.bank, iin, 'remote', 'APP-KEYS-1');
    await signIn(page, shared.portal.url, iin);
    const unseen: string[] = [];
    for (const path of [
      '/',
      '/restriction/edit',
      '/restriction/lift',
      '/exemptions/new',
      '/checks',
      '/history',
      '/statement',
      '/safety',
    ]) {
      await page.goto(`${shared.portal.url}${path}`);
      const seen = new Set<string>();
      for (let presses = 0; presses < 80; presses++) {
        await page.keyboard.press('Tab');
        const where = await describeFocus(page);
        // Once focus comes round to an element already met, the whole page has been toured.
        if (seen.has(where)) break;
        seen.add(where);
        if (where.startsWith('(nothing')) continue;
        if (!(await focusIsVisible(page))) unseen.push(`${path}: ${where}`);
      }
      assert.ok(seen.size > 3, `Tab should move through ${path}; it reached ${[...seen].join(', ')}`);
    }
    assert.deepEqual(unseen, [], `focus was not visible on:\n  ${unseen.join('\n  ')}`);
  });
});
