// Flow 5 of issue 8: the city education department changes a campaign's closing date and adds a
// decree day off; an application submitted after it gets a deadline one working day later, and
// one submitted before it, still awaiting a decision, follows. Also the administrator's and the
// school's other pages, checked like every page.
'use strict';

const assert = require('node:assert/strict');
const { test, before, after } = require('node:test');
const { launch, Person, Findings } = require('../lib/browser');
const { closingTests } = require('../lib/findings');
const { childIin } = require('../lib/data');
const m = require('../lib/mektep');

const findings = new Findings();
let browser;
let admin;
let parent;

before(async () => {
  browser = await launch();
  admin = await Person.open(browser, findings, { label: 'city administrator' });
  parent = await Person.open(browser, findings, { phone: true, label: 'parent (phone)' });
  await m.demoLogin(admin, m.PEOPLE.admin);
  await m.demoLogin(parent, m.PEOPLE.parentA);
  await m.ensureContacts(parent, 'abilova@example.kz', '+7 701 555 11 22');
});
after(async () => { if (browser) await browser.close(); });

const iso = (d) => d.toISOString().slice(0, 10);
const addDays = (isoDay, n) => { const d = new Date(`${isoDay}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + n); return iso(d); };
const ddmmyyyy = (isoDay) => isoDay.split('-').reverse().join('.');
// The service counts days in Kazakhstan's time (UTC+5).
const todayKz = () => iso(new Date(Date.now() + 5 * 3600 * 1000));

/// Weekdays that are not working days in `year`, as the calendar page lists them (dd.mm).
async function weekdaysOff(year) {
  await admin.goto(`/admin/calendar?year=${year}`);
  const text = await admin.page.locator('main > p').last().innerText();
  return new Set((text.match(/\d{2}\.\d{2}/g) || []).map((dm) => `${year}-${dm.slice(3)}-${dm.slice(0, 2)}`));
}

async function isWorkingDay(day, cache) {
  const dow = new Date(`${day}T00:00:00Z`).getUTCDay();
  if (dow === 0 || dow === 6) return false;
  const year = day.slice(0, 4);
  if (!cache.has(year)) cache.set(year, await weekdaysOff(year));
  return !cache.get(year).has(day);
}

async function nextWorkingDay(after, cache) {
  let d = addDays(after, 1);
  while (!(await isWorkingDay(d, cache))) d = addDays(d, 1);
  return d;
}

test('5a. the administrator\'s pages: overview, staff, delivery log, reports, audit log', async () => {
  assert.equal(new URL(admin.page.url()).pathname, '/admin');
  await admin.check();
  for (const p of ['/admin/staff', '/admin/outbox', '/admin/reports', '/admin/audit']) {
    const r = await admin.goto(p);
    assert.equal(r.status(), 200, p);
    await admin.check();
  }
});

test('the school\'s other pages: paper application, walk-in desk, and the public walk-in screen', async () => {
  const clerk = await Person.open(browser, findings, { label: 'clerk of school 1' });
  try {
    await m.demoLogin(clerk, m.PEOPLE.clerk1);
    for (const p of ['/school/paper/new', '/school/walkin']) {
      const r = await clerk.goto(p);
      assert.equal(r.status(), 200, p);
      await clerk.check();
    }
  } finally {
    await clerk.close();
  }
  const visitor = await Person.open(browser, findings, { phone: true, label: 'visitor at school 1 (phone)' });
  try {
    const r = await visitor.goto('/walkin/1');
    assert.equal(r.status(), 200);
    await visitor.check();
  } finally {
    await visitor.close();
  }
});

test('5b. the administrator moves the campaign\'s closing date; the application form shows the new date', async () => {
  await admin.goto('/admin/campaigns');
  await admin.check();
  const form = admin.page.locator('main form:has(input[name="closes"])').last();
  const closes = form.locator('input[name="closes"]');
  const before = await closes.inputValue();
  // The window must close before the school year starts and not behind today's applicants:
  // a day earlier, unless it closes today.
  const moved = addDays(before, -1) >= todayKz() ? addDays(before, -1) : addDays(before, 1);
  await closes.fill(moved);
  await Promise.all([admin.page.waitForEvent('load'), form.locator('button[type="submit"]').click()]);
  assert.match(admin.page.url(), /notice=admin-saved/, `saved (closing ${before} → ${moved})`);
  await admin.page.locator('main .success').waitFor();
  assert.equal(await admin.page.locator('main form:has(input[name="closes"])').last().locator('input[name="closes"]').inputValue(), moved);
  await admin.check();
  await parent.goto('/applications/new');
  assert.ok((await parent.page.locator('main .notice').first().innerText()).includes(ddmmyyyy(moved)), 'the form tells the new closing date');
});

test('5c. a decree day off on the next working day moves the deadline of what is submitted after it', async () => {
  const cache = new Map();
  const first = await m.submitApplication(parent, { iin: childIin('2020-08-08', 'boy'), birth: '2020-08-08', surname: 'Әбілов', given: 'Тимур', patronymic: 'Серікұлы' });
  assert.ok(first.deadlineIso, `a deadline: ${first.status}`);
  const dayOff = await nextWorkingDay(todayKz(), cache);
  assert.ok(dayOff <= first.deadlineIso, `the next working day ${dayOff} is before the deadline ${first.deadlineIso}`);

  await admin.goto(`/admin/calendar?year=${dayOff.slice(0, 4)}`);
  await admin.check();
  await admin.page.fill('#day', dayOff);
  await admin.page.selectOption('#kind', 'day_off');
  await admin.page.fill('#note', 'Үкімет қаулысы (e2e)');
  await Promise.all([admin.page.waitForEvent('load'), admin.page.locator('main form:has(#day) button[type="submit"]').click()]);
  assert.match(admin.page.url(), /notice=admin-saved/, 'the day is saved');
  assert.ok((await admin.page.locator('main table').innerText()).includes(ddmmyyyy(dayOff)), 'the decree day is listed');
  await admin.check();

  cache.clear();
  const expected = await nextWorkingDay(first.deadlineIso, cache);
  const second = await m.submitApplication(parent, { iin: childIin('2020-06-06', 'girl'), birth: '2020-06-06', surname: 'Әбілова', given: 'Дана', patronymic: 'Серікқызы' });
  assert.equal(second.deadlineIso, expected, `deadline before the day off ${first.deadlineIso}, after it ${second.deadlineIso}, expected ${expected}`);
  await parent.check();
  // The one submitted before, still awaiting a decision, follows the calendar too.
  await parent.goto(`/applications/${first.id}`);
  const moved = await m.numberAndDeadline(parent);
  assert.equal(moved.deadlineIso, expected, `the earlier application's deadline follows: ${moved.status}`);
});

closingTests(findings, { phone: true });
