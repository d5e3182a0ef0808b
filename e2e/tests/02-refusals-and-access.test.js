// Flow 3 of issue 8: a reasoned refusal; a child too young; a second application for the same
// child; a parent opening another parent's application; a clerk opening another school's.
// Also: the application form by keyboard alone, and how the language is chosen and kept.
'use strict';

const assert = require('node:assert/strict');
const { test, before, after } = require('node:test');
const { launch, Person, Findings, LANGS, BASE } = require('../lib/browser');
const { closingTests } = require('../lib/findings');
const { childIin } = require('../lib/data');
const m = require('../lib/mektep');

const findings = new Findings();
let browser;
let parentA;
let parentB;
let clerk1;
let clerk2;
const shared = {};
const GROUNDS = 'Құжаттар толық емес: денсаулық туралы анықтама жарамсыз.';

before(async () => {
  browser = await launch();
  parentA = await Person.open(browser, findings, { phone: true, label: 'parent A (phone)' });
  parentB = await Person.open(browser, findings, { phone: true, label: 'parent B (phone)' });
  clerk1 = await Person.open(browser, findings, { label: 'clerk of school 1' });
  clerk2 = await Person.open(browser, findings, { label: 'clerk of school 2' });
  await m.demoLogin(parentA, m.PEOPLE.parentA);
  await m.ensureContacts(parentA, 'abilova@example.kz', '+7 701 555 11 22');
  await m.demoLogin(clerk1, m.PEOPLE.clerk1);
});
after(async () => { if (browser) await browser.close(); });

test('3a. the school refuses with grounds; the parent sees the refusal and its reason', async () => {
  const child = { iin: childIin('2020-05-20', 'boy'), birth: '2020-05-20', surname: 'Әбілов', given: 'Нұрлан', patronymic: 'Серікұлы' };
  const a = await m.submitApplication(parentA, child);
  assert.ok(a.number, 'submitted');
  await m.decide(clerk1, a.id, 'refuse', async (form) => {
    await form.locator('input[name="ground"]').first().check();
    await form.locator('#grounds_text').fill(GROUNDS);
  });
  await m.signWithDemoKey(clerk1, a.id);
  await clerk1.check();
  await parentA.goto(`/applications/${a.id}`);
  assert.equal(await parentA.page.locator('main p > .tag.refused').count(), 1, 'the status is "refused"');
  assert.ok((await parentA.page.locator('main').innerText()).includes(GROUNDS), 'the parent reads the grounds');
  assert.ok(await parentA.page.locator(`a[href*="/applications/${a.id}/issued/"]`).count(), 'the refusal can be downloaded');
  await parentA.check();
});

test('3b. a child too young: the form keeps the data and the error summary names the birth date, in each language', async () => {
  const child = { iin: childIin('2024-02-10', 'boy'), birth: '2024-02-10', surname: 'Әбілов', given: 'Алихан' };
  for (const lang of LANGS) {
    await parentA.setLang(lang, '/applications/new');
    await m.fillApplication(parentA, child);
    const summary = parentA.page.locator('main .error-summary');
    await summary.waitFor();
    assert.equal(await summary.getAttribute('role'), 'alert', 'the summary is announced');
    assert.equal(await summary.locator('a[href="#child_birth_date"]').count(), 1, `[${lang}] the summary links to the birth date`);
    assert.equal(await parentA.page.locator('#child_birth_date-error').count(), 1, `[${lang}] the error is next to the field`);
    assert.equal(await parentA.page.getAttribute('#child_birth_date', 'aria-invalid'), 'true', `[${lang}] the field is marked invalid`);
    assert.equal(await parentA.page.getAttribute('#child_birth_date', 'aria-describedby'), 'child_birth_date-error', `[${lang}] and described by its error`);
    assert.equal(await parentA.page.getAttribute('#child_iin', 'aria-invalid'), null, `[${lang}] a field without an error is not`);
    assert.ok(await summary.evaluate((e) => e === document.activeElement), `[${lang}] the focus starts on the summary`);
    assert.equal(await parentA.page.inputValue('#child_iin'), child.iin, 'the form keeps what was typed');
    assert.equal(new URL(parentA.page.url()).pathname, '/applications/new', 'no draft was created');
    await parentA.checkHere();
  }
  await parentA.setLang('kk', '/cabinet');
});

test('keyboard: from the skip link, Tab reaches every field of the application form in order, each with a visible focus', async () => {
  await parentA.goto('/applications/new');
  const page = parentA.page;
  const wanted = await page.$$eval('main form[action="/applications/new"] :is(input:not([type="hidden"]), select, textarea, button)', (els) => {
    const seen = new Set();
    return els.filter((e) => {
      if (e.type === 'radio') { if (seen.has(e.name)) return false; seen.add(e.name); return true; }
      return true;
    }).map((e) => (e.type === 'radio' ? `radio:${e.name}` : e.id || e.tagName.toLowerCase()));
  });
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link', 'the first Tab lands on the skip link');
  await page.keyboard.press('Enter');
  const reached = [];
  const unmarked = [];
  for (let i = 0; i < 120 && reached.length < wanted.length; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || !e.closest('main form[action="/applications/new"]')) return null;
      const cs = getComputedStyle(e);
      // Focus inside the control's own parts (a date field's calendar button) gets the
      // browser's ring there; the page's styles cannot reach it and need not.
      const inner = !e.matches(':focus') && e.matches(':focus-within');
      const marked = inner || (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none';
      return { key: e.type === 'radio' ? `radio:${e.name}` : e.id || e.tagName.toLowerCase(), marked };
    });
    if (!f) continue;
    if (reached[reached.length - 1] !== f.key) reached.push(f.key);
    if (!f.marked) unmarked.push(f.key);
  }
  assert.deepEqual(reached, wanted, 'every control, in the order of the page');
  assert.deepEqual(unmarked, [], 'the focus is visible on each');
});

test('3c. a second application for the same child by the other parent names the school that has the first', async () => {
  const child = { iin: childIin('2020-07-07', 'girl'), birth: '2020-07-07', surname: 'Серікова', given: 'Айгерім', patronymic: 'Ерланқызы' };
  const a = await m.submitApplication(parentA, child);
  shared.a = a;
  await m.demoLogin(parentB, m.PEOPLE.parentB);
  await m.ensureContacts(parentB, 'serikov@example.kz', '+7 702 555 33 44', () => parentB.check());
  for (const lang of LANGS) {
    await parentB.setLang(lang, '/applications/new');
    await m.fillApplication(parentB, child);
    const summary = parentB.page.locator('main .error-summary');
    await summary.waitFor();
    const text = await summary.innerText();
    assert.ok(text.includes(m.SCHOOL1[lang]), `[${lang}] the error names the school: ${text}`);
    assert.equal(await summary.locator('a[href="#child_iin"]').count(), 1, `[${lang}] the summary links to the child's IIN`);
    await parentB.checkHere();
  }
  await parentB.setLang('kk', '/cabinet');
});

test('3d. a parent opening another parent\'s application, document or receipt gets "not found"', async () => {
  assert.ok(shared.a, '3c submitted an application');
  const { id } = shared.a;
  for (const p of [`/applications/${id}`, `/applications/${id}/review`, `/applications/${id}/edit`, `/applications/${id}/documents/1`, `/applications/${id}/issued/1`]) {
    const r = await parentB.goto(p);
    assert.equal(r.status(), 404, `${p} answers 404 to another parent`);
    assert.ok(!(await parentB.page.locator('main').innerText()).includes('Айгерім'), 'nothing of the child shows');
  }
  await parentB.goto(`/applications/${id}`);
  await parentB.check();
});

test('3e. a clerk of another school opening school 1\'s application gets "not found"', async () => {
  assert.ok(shared.a, '3c submitted an application');
  await m.demoLogin(clerk2, m.PEOPLE.clerk2);
  const queue = await clerk2.page.locator('main').innerText();
  assert.ok(!queue.includes(shared.a.number), 'the other school\'s queue does not list it');
  const r = await clerk2.goto(`/school/applications/${shared.a.id}`);
  assert.equal(r.status(), 404);
  await clerk2.check();
  // And school 1's clerk does see it.
  const own = await clerk1.goto(`/school/applications/${shared.a.id}`);
  assert.equal(own.status(), 200);
});

test('languages: Kazakh by default, Russian when the browser asks for it, and a chosen language stays', async () => {
  for (const [locale, expected] of [['en-US', 'kk'], ['ru-RU', 'ru'], ['kk-KZ', 'kk']]) {
    const context = await browser.newContext({ locale });
    try {
      const page = await context.newPage();
      await page.goto(`${BASE}/`);
      assert.equal(await page.evaluate(() => document.documentElement.lang), expected, `a browser asking for ${locale}`);
      if (locale === 'en-US') {
        await Promise.all([page.waitForEvent('load'), page.locator('.lang-switch a[hreflang="ru"]').click()]);
        await page.goto(`${BASE}/login`);
        assert.equal(await page.evaluate(() => document.documentElement.lang), 'ru', 'the choice holds on the next page');
        const again = await context.newPage();
        await again.goto(`${BASE}/`);
        assert.equal(await again.evaluate(() => document.documentElement.lang), 'ru', 'and in a new tab');
      }
    } finally {
      await context.close();
    }
  }
});

closingTests(findings, { phone: true });
