// Flow 3 of issue 8, its last case: a late application. The campaign's window closes while a
// parent still has a draft; afterwards a new application is refused with the window's dates, and
// the draft cannot be submitted but stays, with the same explanation.
//
// The administration rightly refuses to move an open campaign's closing date into the past, so
// the test lets the calendar move on instead: it rewrites the window in the demo database, as
// the passing of time would. This file runs last, and opens the window again when it is done.
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { test, before, after } = require('node:test');
const { launch, Person, Findings, LANGS } = require('../lib/browser');
const { closingTests } = require('../lib/findings');
const { childIin } = require('../lib/data');
const m = require('../lib/mektep');

const findings = new Findings();
let browser;
let parent;
const shared = {};

const iso = (d) => d.toISOString().slice(0, 10);
const addDays = (isoDay, n) => { const d = new Date(`${isoDay}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + n); return iso(d); };
const ddmmyyyy = (isoDay) => isoDay.split('-').reverse().join('.');
// The service counts days in Kazakhstan's time (UTC+5).
const todayKz = () => iso(new Date(Date.now() + 5 * 3600 * 1000));

/// Sets the first-grade window of every campaign in the demo database (the running server reads
/// campaigns from it; the draft's campaign within its 30-second cache).
function setWindow(opens, closes) {
  const dataDir = process.env.E2E_DATA_DIR;
  assert.ok(dataDir, 'E2E_DATA_DIR names the demo data folder (e2e/run.sh sets it)');
  const script = [
    'import json, sqlite3, sys',
    'db = sqlite3.connect(sys.argv[1], timeout=30)',
    'for cid, rules in db.execute("select id, rules from campaigns").fetchall():',
    '    c = json.loads(rules)',
    '    c["first_grade_window"] = {"opens": sys.argv[2], "closes": sys.argv[3]}',
    '    c["other_grades_until"] = max(c["other_grades_until"], sys.argv[3])',
    '    db.execute("update campaigns set rules = ? where id = ?", (json.dumps(c), cid))',
    'db.commit()',
  ].join('\n');
  execFileSync('python3', ['-c', script, path.join(dataDir, 'mektep.db'), opens, closes]);
}

before(async () => {
  browser = await launch();
  parent = await Person.open(browser, findings, { phone: true, label: 'late parent (phone)' });
  await m.demoLogin(parent, m.PEOPLE.parentB);
  await m.ensureContacts(parent, 'serikov@example.kz', '+7 702 555 33 44');
});
after(async () => { if (browser) await browser.close(); });

test('3f. a late application: after the window closes, a new one is refused with the dates and a draft cannot be submitted but is kept', async () => {
  const child = { iin: childIin('2020-03-03', 'girl', 40), birth: '2020-03-03', surname: 'Серікова', given: 'Жұлдыз', patronymic: 'Ерланқызы' };
  // Before the close: a complete draft, ready to sign.
  await parent.goto('/applications/new');
  await m.fillApplication(parent, child);
  const id = m.applicationId(parent);
  await m.uploadAll(parent, id);
  await m.goReview(parent, id);
  // A second tab keeps the review page as it was before the close, signing button and all.
  const stale = await parent.context.newPage();
  await stale.goto(parent.url(`/applications/${id}/review`));
  await stale.locator('form[data-eds-sign] button[name="demo_sign"]').waitFor();

  const today = todayKz();
  const opens = addDays(today, -60);
  const closes = addDays(today, -1);
  setWindow(opens, closes);
  shared.closed = true;

  // The server keeps campaign rules for up to 30 s (a change made through the administration
  // shows at once): the form's note gives the new window once this instance has read it. Both
  // dates are looked for: between 19:00 and midnight UTC the demo's window opens on the UTC date
  // that is yesterday in Kazakhstan, the new closing date, so the old note has it too.
  const showsNewWindow = (text) => text.includes(ddmmyyyy(opens)) && text.includes(ddmmyyyy(closes));
  let note = '';
  for (let i = 0; i < 40; i++) {
    await parent.goto('/applications/new');
    note = await parent.page.locator('main').innerText();
    if (showsNewWindow(note)) break;
    await parent.page.waitForTimeout(1000);
  }
  assert.ok(showsNewWindow(note), `the form gives the new window: ${note}`);

  // A new application: refused, with the dates, in each language; nothing is created.
  const late = { iin: childIin('2020-04-04', 'boy', 40), birth: '2020-04-04', surname: 'Сериков', given: 'Данияр', patronymic: 'Ерланұлы' };
  for (const lang of LANGS) {
    await parent.setLang(lang, '/applications/new');
    await m.fillApplication(parent, late);
    const summary = parent.page.locator('main .error-summary');
    await summary.waitFor();
    const text = await summary.innerText();
    assert.ok(text.includes(ddmmyyyy(opens)) && text.includes(ddmmyyyy(closes)), `[${lang}] the message gives the window's dates: ${text}`);
    assert.equal(new URL(parent.page.url()).pathname, '/applications/new', `[${lang}] no draft was created`);
    assert.equal(await parent.page.inputValue('#child_iin'), late.iin, `[${lang}] the form keeps what was typed`);
    await parent.checkHere();
  }
  await parent.setLang('kk', '/cabinet');

  // The draft: its review page says why it cannot go (once the campaign cache has expired) and
  // offers no signing; the draft and its documents are still there.
  let review = '';
  for (let i = 0; i < 40; i++) {
    await parent.goto(`/applications/${id}/review`);
    review = await parent.page.locator('main').innerText();
    if (showsNewWindow(review)) break;
    await parent.page.waitForTimeout(1000);
  }
  assert.ok(showsNewWindow(review), `the review page explains the closed window: ${review}`);
  assert.equal(await parent.page.locator('form[data-eds-sign]').count(), 0, 'there is nothing to sign');
  await parent.check();
  // Signing on the page from before the close: the server refuses it and explains.
  await Promise.all([stale.waitForEvent('load'), stale.locator('form[data-eds-sign] button[name="demo_sign"]').click()]);
  assert.equal(new URL(stale.url()).pathname, `/applications/${id}/review`, 'the late submission comes back to the review page');
  const refused = await stale.locator('main .error-summary').innerText();
  assert.ok(showsNewWindow(refused), `it says the window closed: ${refused}`);
  await stale.close();
  await parent.goto(`/applications/${id}`);
  assert.equal(await parent.page.locator('main p > .tag.draft').count(), 1, 'the draft is kept as a draft');
  assert.equal(await parent.page.locator('section.card .tag.returned').count(), 0, 'with all its documents');
  await parent.check();
});

// Open again, for any test file that may come after this one.
after(() => {
  if (shared.closed) {
    const today = todayKz();
    setWindow(addDays(today, -60), addDays(today, 200));
  }
});

closingTests(findings, { phone: true });
