// Issue 8: every page but the EDS signing itself works with JavaScript off — sign-in as a demo
// person, the form and its errors, uploads posted by the form itself, the demo-key submission.
// (The page checks need script in the page, so they run in the other files, on the same pages.)
'use strict';

const assert = require('node:assert/strict');
const { test, before, after } = require('node:test');
const { launch, Person, Findings } = require('../lib/browser');
const { childIin } = require('../lib/data');
const m = require('../lib/mektep');

const findings = new Findings();
let browser;
let parent;

before(async () => {
  browser = await launch();
  parent = await Person.open(browser, findings, { phone: true, javaScript: false, label: 'parent (phone, no JavaScript)' });
});
after(async () => { if (browser) await browser.close(); });

test('without JavaScript: sign-in page explains that EDS needs it; a demo person signs in with the form', async () => {
  await parent.goto('/login');
  assert.equal(await parent.page.locator('#eds-login-button').isVisible(), false, 'no EDS button that cannot work');
  assert.ok(await parent.page.locator('main noscript').count(), 'a notice says EDS needs JavaScript');
  await m.demoLogin(parent, m.PEOPLE.parentA);
  await m.ensureContacts(parent, 'abilova@example.kz', '+7 701 555 11 22');
  assert.equal(new URL(parent.page.url()).pathname, '/cabinet');
});

test('without JavaScript: the form shows its errors, the files go up with the plain form, the demo key submits', async () => {
  await parent.goto('/applications/new');
  await Promise.all([parent.page.waitForEvent('load'), parent.page.locator('main form button[type="submit"]').last().click()]);
  const summary = parent.page.locator('main .error-summary');
  await summary.waitFor();
  assert.ok((await summary.locator('li').count()) >= 3, 'every missing field is listed');
  const child = { iin: childIin('2020-02-02', 'girl'), birth: '2020-02-02', surname: 'Әбілова', given: 'Мадина', patronymic: 'Серікқызы' };
  const a = await m.submitApplication(parent, child, { script: false });
  assert.ok(a.number && a.deadline, `submitted: ${a.status}`);
});
