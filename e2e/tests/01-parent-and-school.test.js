// Flows 1, 2 and 4 of issue 8: a parent applies on a phone through NCALayer; the school returns
// the application, the parent corrects and re-submits, the school accepts; the receipt
// downloads and its verification page says it is authentic; the director's admission order
// admits the child.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { test, before, after } = require('node:test');
const { launch, Person, Findings, screenshotPath, RESULTS } = require('../lib/browser');
const { closingTests } = require('../lib/findings');
const m = require('../lib/mektep');

const findings = new Findings();
let browser;
let parent;
let clerk;
const app = {};
const CHILD = {
  iin: '200315601001', birth: '2020-03-15', surname: 'Әбілова', given: 'Аружан', patronymic: 'Серікқызы',
};
const COMMENT = 'Фотосурет анық емес: басқасын жүктеңіз.';

before(async () => {
  browser = await launch();
  parent = await Person.open(browser, findings, { phone: true, label: 'parent (phone)' });
  clerk = await Person.open(browser, findings, { label: 'clerk of school 1' });
});
after(async () => { if (browser) await browser.close(); });

test('1. parent signs in with NCALayer, confirms contacts, applies, uploads, signs with EDS and gets a number and deadline', async () => {
  await parent.goto('/');
  await parent.check();
  await parent.goto('/login');
  await parent.check();
  await m.edsLogin(parent);
  assert.equal(new URL(parent.page.url()).pathname, '/cabinet', 'after sign-in the parent is in the cabinet');
  await m.ensureContacts(parent, 'abilova@example.kz', '+7 701 555 11 22', () => parent.check());
  await parent.check();

  await parent.page.click('a[href="/applications/new"]');
  await parent.page.waitForURL('**/applications/new');
  await parent.check();
  await m.fillApplication(parent, CHILD);
  app.id = m.applicationId(parent);
  await parent.check();

  // Every required document through the one upload form, whose script shows a progress bar:
  // the files of every document are chosen, then sent with one press.
  const progressBars = await parent.page.locator('form[data-upload] progress').count();
  assert.equal(progressBars, 1, 'the upload form has a progress bar');
  const up = await m.uploadAll(parent, app.id);
  assert.ok(up.uploaded >= 2, `uploaded ${up.uploaded} files`);
  assert.equal(up.progressSeen.length, 1, 'every document went up with one press');
  assert.ok(up.progressSeen.every((s) => s && s.shown && s.value > 0), `the progress bar showed the upload: ${JSON.stringify(up.progressSeen)}`);
  // A file removed (its button belongs to a small form of its own) is chosen and sent again.
  await m.removeFirstDocument(parent, app.id);
  await m.uploadAll(parent, app.id);
  await parent.check();

  await m.goReview(parent, app.id);
  await parent.check();
  await m.signWithNcaLayer(parent, app.id);
  await parent.page.locator('.success[role="status"]').waitFor();
  const got = await m.numberAndDeadline(parent);
  assert.match(got.number || '', /\S+/, 'the page shows the application number');
  assert.ok(got.deadline, `the page shows the school's deadline: ${got.status}`);
  Object.assign(app, got);
  await parent.check();
  await parent.page.screenshot({ path: screenshotPath('parent-phone.png') });
});

test('2a. the clerk finds the application in the queue, opens its documents and returns it with a comment', async () => {
  assert.ok(app.number, 'flow 1 submitted an application');
  await m.demoLogin(clerk, m.PEOPLE.clerk1);
  assert.equal(new URL(clerk.page.url()).pathname, '/school');
  const row = clerk.page.locator('main table tbody tr', { hasText: app.number });
  await row.waitFor();
  assert.match(await row.innerText(), /\d{2}\.\d{2}\.\d{4}/, 'the queue shows the deadline');
  await clerk.check();
  await clerk.page.screenshot({ path: screenshotPath('clerk-queue.png') });

  await Promise.all([clerk.page.waitForURL(`**/school/applications/${app.id}`), row.locator('a').first().click()]);
  await clerk.check();
  const docs = await clerk.page.$$eval('main section.card a[href*="/documents/"]', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(docs.length >= 2, 'the review shows the documents');
  for (const href of docs) {
    const r = await clerk.context.request.get(clerk.url(href));
    assert.equal(r.status(), 200, `document ${href}`);
    assert.match(r.headers()['content-type'], /^(application\/pdf|image\/png)$/, `document ${href} type`);
  }
  const images = await clerk.page.$$eval('main img.doc-image', (imgs) => imgs.map((i) => i.complete && i.naturalWidth > 0));
  assert.ok(images.length > 0 && images.every(Boolean), 'the photos show');

  await clerk.page.fill('#comment', COMMENT);
  await Promise.all([clerk.page.waitForEvent('load'), clerk.page.locator(`form[action="/school/applications/${app.id}/return"] button[type="submit"]`).click()]);
  await clerk.check();
});

test('2b. the parent sees the comment, corrects the application and re-submits it with EDS', async () => {
  assert.ok(app.number, 'flow 1 submitted an application');
  await parent.goto(`/applications/${app.id}`);
  assert.ok((await parent.page.locator('main .notice').innerText()).includes(COMMENT), 'the clerk\'s comment is shown');
  await parent.check();
  await parent.page.click(`a[href="/applications/${app.id}/edit"]`);
  await parent.page.waitForURL(`**/applications/${app.id}/edit`);
  await parent.check();
  await parent.page.fill('#flat', '7');
  await Promise.all([parent.page.waitForURL(`**/applications/${app.id}`), parent.page.locator('main form button[type="submit"]').last().click()]);
  await m.goReview(parent, app.id);
  await parent.check();
  await m.signWithNcaLayer(parent, app.id);
  const again = await m.numberAndDeadline(parent);
  assert.equal(again.number, app.number, 'the same number after re-submission');
  assert.ok(again.deadline, 'a deadline again');
});

test('2c. the clerk accepts with a signature; the parent downloads the receipt; its verification page says authentic', async () => {
  assert.ok(app.number, 'flow 1 submitted an application');
  const page = await m.decide(clerk, app.id, 'accept');
  await m.signWithDemoKey(clerk, app.id);
  await clerk.check();
  assert.ok(await page.locator(`a[href*="/school/applications/${app.id}/issued/"]`).count(), 'the school sees the receipt');
  app.accepted = true;

  await parent.goto(`/applications/${app.id}`);
  await parent.check();
  const link = parent.page.locator(`a[href*="/applications/${app.id}/issued/"]`).first();
  await link.waitFor();
  const [download] = await Promise.all([parent.page.waitForEvent('download'), link.click()]);
  const pdfPath = path.join(RESULTS, 'receipt.pdf');
  await download.saveAs(pdfPath);
  assert.match(download.suggestedFilename(), /\.pdf$/);
  const head = await parent.context.request.get(parent.url(await link.getAttribute('href')));
  assert.equal(head.headers()['content-type'], 'application/pdf');
  const bytes = fs.readFileSync(pdfPath);
  assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');

  // The QR code, read from the rendered page, and the address printed beside it.
  const qrPng = path.join(RESULTS, 'receipt-qr');
  execFileSync('pdftoppm', ['-png', '-r', '150', '-f', '1', '-l', '1', '-singlefile', pdfPath, qrPng]);
  const qr = execFileSync('zbarimg', ['--quiet', '--raw', '-Sqrcode.enable', `${qrPng}.png`], { encoding: 'utf8' }).trim();
  const qrUrl = new URL(qr);
  const code = (qrUrl.pathname.match(/^\/verify\/([0-9a-f]{20})$/) || [])[1];
  assert.ok(code, `the QR code holds a verification address: ${qr}`);
  assert.equal(qrUrl.origin, new URL(parent.url('/')).origin, 'the QR code points at this service (its public_url)');
  const text = execFileSync('pdftotext', ['-layout', pdfPath, '-'], { encoding: 'utf8' });
  assert.ok(text.replace(/\s+/g, '').includes(`/verify/${code}`), `the receipt also prints the address:\n${text}`);
  const anon = await Person.open(browser, findings, { label: 'anyone' });
  try {
    await anon.page.goto(qr);
    await anon.page.locator('main .success').waitFor();
    const shown = await anon.page.locator('main').innerText();
    assert.ok(shown.includes(app.number), 'the verification page names the receipt\'s application number');
    assert.ok(!shown.includes(CHILD.iin), 'the verification page does not show the child\'s IIN');
    const sha = crypto.createHash('sha256').update(bytes).digest('hex');
    assert.ok(shown.toLowerCase().includes(sha), `the verification page shows the PDF's SHA-256 ${sha}`);
    await anon.check();
    await anon.goto('/verify/00000000000000000000');
    await anon.page.locator('main .error-summary').waitFor();
    await anon.check();
  } finally {
    await anon.close();
  }

  execFileSync('pdftoppm', ['-png', '-r', '90', '-f', '1', '-l', '1', '-singlefile', pdfPath, screenshotPath('receipt.png').replace(/\.png$/, '')]);
});

test('4. the director issues the admission order with a signature; the parent sees "admitted"', async () => {
  assert.ok(app.accepted, 'flow 2 accepted the application');
  const director = await Person.open(browser, findings, { label: 'director of school 1' });
  try {
    await m.demoLogin(director, m.PEOPLE.director1);
    await director.goto('/school/order');
    assert.ok((await director.page.locator('main form[action="/school/order/review"]').innerText()).includes(CHILD.given), 'the accepted child is in the draft order');
    await director.check();
    // The signing page answers a POST: reached once per language, signed from the Kazakh one.
    for (const lang of ['en', 'ru', 'kk']) {
      await director.setLang(lang, '/school/order');
      await Promise.all([director.page.waitForEvent('load'), director.page.locator('main form[action="/school/order/review"] button[type="submit"]').click()]);
      await director.page.locator('form[data-eds-sign] button[name="demo_sign"]').waitFor();
      await director.checkHere();
    }
    await Promise.all([director.page.waitForEvent('load'), director.page.locator('form[data-eds-sign] button[name="demo_sign"]').click()]);
    assert.match(director.page.url(), /notice=order-issued/, 'the order is issued');
    await director.check();
    const pdfLink = director.page.locator('main a[href$="/pdf"]').first();
    const r = await director.context.request.get(director.url(await pdfLink.getAttribute('href')));
    assert.equal(r.headers()['content-type'], 'application/pdf');
  } finally {
    await director.close();
  }
  await parent.goto(`/applications/${app.id}`);
  assert.equal(await parent.page.locator('main p > .tag.admitted').count(), 1, 'the parent sees "admitted"');
  await parent.check();
});

closingTests(findings, { phone: true });
