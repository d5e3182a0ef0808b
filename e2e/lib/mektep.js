// What people do on Mektep's pages, as steps the tests compose: signing in, confirming
// contacts through the demo outbox, filling an application, uploading, signing, deciding.
'use strict';

const assert = require('node:assert/strict');
const { pdf, png } = require('./data');

const PEOPLE = { parentA: 0, parentB: 1, clerk1: 2, director1: 3, clerk2: 4, admin: 5 };
// The demo city's school 1 (its clerk and director are demo people 2 and 3) and a street whose
// houses 1–60 it serves.
const SCHOOL1 = { kk: '№1 мектеп-гимназия', ru: 'Школа-гимназия №1', en: '№1 мектеп-гимназия' };
const STREET1 = { kk: 'Әбілқайыр хан даңғылы', ru: 'проспект Абулхаир хана', en: 'Әбілқайыр хан даңғылы' };

/// Signs in as a demo person with the login page's one-click button (the server signs).
async function demoLogin(person, index) {
  const page = person.page;
  await person.goto('/login');
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/login')),
    page.locator(`.demo-people form:has(input[name="person"][value="${index}"]) button`).click(),
  ]);
}

/// Signs in through the page's NCALayer client; the stand-in answers with the parent's AUTH key.
async function edsLogin(person) {
  const page = person.page;
  await person.goto('/login');
  const button = page.locator('#eds-login-button');
  await button.waitFor({ state: 'visible' });
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 30000 }), button.click()]);
}

/// Messages in the demo outbox, newest first.
async function outbox(person) {
  await person.goto('/dev/outbox');
  // Through locators, not page scripts: this also works in a context without JavaScript.
  const out = [];
  for (const a of await person.page.locator('main article').all()) {
    const text = async (sel) => ((await a.locator(sel).count()) ? a.locator(sel).first().textContent() : '');
    out.push({ meta: await text('.muted'), subject: await text('h2'), body: await text('pre') });
  }
  return out;
}

/// Gives and confirms e-mail and phone at first sign-in, unless they are confirmed already.
/// `check` runs the page checks on the cabinet, the outbox and the confirmation pages.
async function ensureContacts(person, email, phone, check = async () => {}) {
  const page = person.page;
  await person.goto('/cabinet');
  if (await page.locator('a[href="/applications/new"]').count()) return;
  await check();
  await page.fill('#email', email);
  await page.fill('#phone', phone);
  await Promise.all([page.waitForEvent('load'), page.locator('form[action="/cabinet/contacts"] button[type="submit"]').click()]);
  await page.locator('#code').waitFor();
  await check();
  const digits = '+' + phone.replace(/\D/g, '');
  const messages = await outbox(person);
  await check();
  const mail = messages.find((m) => m.meta.includes(email) && /confirm-email/.test(m.body));
  assert.ok(mail, `no confirmation e-mail to ${email} in the outbox`);
  const link = mail.body.match(/https?:\/\/\S+\/cabinet\/confirm-email\?\S+/);
  assert.ok(link, `no confirmation link in: ${mail.body}`);
  const sms = messages.find((m) => m.meta.includes(digits) && /\b\d{6}\b/.test(m.body));
  assert.ok(sms, `no SMS code to ${digits} in the outbox`);
  const code = sms.body.match(/\b(\d{6})\b/)[1];
  await page.goto(link[0]);
  await check();
  await person.goto('/cabinet');
  await page.fill('#code', code);
  await Promise.all([page.waitForEvent('load'), page.locator('form[action="/cabinet/confirm-phone"] button[type="submit"]').click()]);
  await page.locator('a[href="/applications/new"]').waitFor();
}

/// Picks the option of a select whose text contains `text`.
async function selectByText(page, selector, text) {
  const option = page.locator(`${selector} option`, { hasText: text }).first();
  const value = (await option.count()) ? await option.getAttribute('value') : null;
  assert.ok(value, `no option "${text}" in ${selector}`);
  await page.selectOption(selector, value);
}

/// Fills the application form (on /applications/new or the edit page) and saves it.
async function fillApplication(person, child) {
  const page = person.page;
  await page.fill('#child_iin', child.iin);
  await page.fill('#child_birth_date', child.birth);
  await page.fill('#child_surname', child.surname);
  await page.fill('#child_given_name', child.given);
  await page.fill('#child_patronymic', child.patronymic || '');
  await page.locator(`input[name="relation"]`).first().check();
  await selectByText(page, '#street_id', child.street || STREET1[person.lang]);
  await page.fill('#house', String(child.house || 10));
  await page.fill('#flat', child.flat || '');
  await selectByText(page, '#school_id', child.school || SCHOOL1[person.lang]);
  await page.selectOption('#language', child.language || 'kk');
  await page.selectOption('#grade', '1');
  await page.locator('#consent').check();
  await Promise.all([page.waitForEvent('load'), page.locator('main form button[type="submit"]').last().click()]);
}

function applicationId(person) {
  const m = new URL(person.page.url()).pathname.match(/^\/applications\/(\d+)/);
  assert.ok(m, `not on an application page: ${person.page.url()}`);
  return Number(m[1]);
}

/// Uploads a file to every document slot still missing one, as a parent does: picks the files
/// in each document's input, then presses the page's one upload button (its script posts them
/// with a progress bar; with `script: false` the form posts by itself).
/// Returns how many files went up and what the progress bar showed for each press.
async function uploadAll(person, id, { script = true } = {}) {
  const page = person.page;
  let uploaded = 0;
  const progressSeen = [];
  for (let round = 0; round < 3; round++) {
    const inputs = page.locator('section.card:has(.tag.returned) input[type="file"]');
    const count = await inputs.count();
    if (count === 0) break;
    const chosen = [];
    for (let n = 0; n < count; n++) {
      const input = inputs.nth(n);
      const kind = (await input.getAttribute('name')).replace(/^file:/, '');
      const photo = /photo/.test(kind);
      // Where the slot takes several files, the input lets a parent pick them at once: two photos.
      const several = photo && (await input.getAttribute('multiple')) !== null;
      const files = (several ? [0, 1] : [0]).map((i) => photo
        ? { name: `photo-${round}-${i}.png`, mimeType: 'image/png', buffer: png(90 + round, 120, [40 + round * 10, 90 + i * 40, 160]) }
        : { name: `${kind}-${round}.pdf`, mimeType: 'application/pdf', buffer: pdf(`Mektep test document ${kind} ${round}`) });
      await input.setInputFiles(files);
      chosen.push(...files.map((f) => f.name));
    }
    const form = page.locator('form[data-upload]');
    // The bar is shown and filled by the script while the request runs; the page then reloads,
    // so what the bar did is noted in sessionStorage, which survives the reload.
    if (script) await form.evaluate((f) => {
      const bar = f.querySelector('progress');
      if (!bar) return;
      const note = () => sessionStorage.setItem('e2e-progress', JSON.stringify({ shown: !bar.hidden, value: bar.value }));
      new MutationObserver(note).observe(bar, { attributes: true });
      bar.addEventListener('change', note);
      const orig = Object.getOwnPropertyDescriptor(HTMLProgressElement.prototype, 'value');
      Object.defineProperty(bar, 'value', { get() { return orig.get.call(this); }, set(v) { orig.set.call(this, v); note(); } });
    });
    // The page is replaced: by the script's reload after its request, or by the form's post.
    // (The remove buttons inside it belong to forms of their own.)
    await Promise.all([page.waitForEvent('load'), form.locator('button[type="submit"]:not([form])').click()]);
    assert.equal(new URL(page.url()).pathname, `/applications/${id}`);
    if (script) {
      progressSeen.push(await page.evaluate(() => { const s = sessionStorage.getItem('e2e-progress'); sessionStorage.removeItem('e2e-progress'); return s ? JSON.parse(s) : null; }));
    }
    const error = await page.locator('.error-summary').count();
    assert.equal(error, 0, `upload of ${chosen.join(', ')} refused: ${error && await page.locator('.error-summary').innerText()}`);
    uploaded += chosen.length;
  }
  assert.equal(await page.locator('section.card .tag.returned').count(), 0, 'a document slot is still incomplete');
  return { uploaded, progressSeen };
}

/// Removes the first file listed on the application page with its "Remove" button.
async function removeFirstDocument(person, id) {
  const page = person.page;
  const before = await page.locator('ul.doc-list li').count();
  await Promise.all([page.waitForEvent('load'), page.locator('ul.doc-list li button.link-button').first().click()]);
  assert.equal(new URL(page.url()).pathname, `/applications/${id}`);
  assert.equal(await page.locator('ul.doc-list li').count(), before - 1, 'the removed file is no longer listed');
}

/// From the application page to the review page.
async function goReview(person, id) {
  await person.goto(`/applications/${id}/review`);
  await person.page.locator('form[data-eds-sign]').waitFor();
}

/// Signs on the review page through NCALayer (the stand-in holds the parent's SIGN key).
async function signWithNcaLayer(person, id) {
  const page = person.page;
  const button = page.locator('[data-eds-sign-button]');
  await button.waitFor({ state: 'visible' });
  await Promise.all([page.waitForURL((u) => u.pathname === `/applications/${id}` && u.search.includes('notice='), { timeout: 30000 }), button.click()]);
}

/// Signs with the server's demo key (the form's plain submit button).
async function signWithDemoKey(person, id) {
  const page = person.page;
  await Promise.all([
    page.waitForURL((u) => u.pathname === `/applications/${id}` || u.pathname === `/school/applications/${id}`),
    page.locator('form[data-eds-sign] button[name="demo_sign"]').click(),
  ]);
}

/// The application's number and the school's answer deadline as the parent's page shows them.
async function numberAndDeadline(person) {
  const page = person.page;
  const h1 = await page.locator('main h1').innerText();
  const number = (h1.match(/№\s*(\S+)/) || [])[1];
  const status = await page.locator('main p:has(> .tag)').first().innerText();
  const deadline = (status.match(/(\d{2})\.(\d{2})\.(\d{4})/) || []);
  return { number, deadline: deadline[0], deadlineIso: deadline[0] ? `${deadline[3]}-${deadline[2]}-${deadline[1]}` : null, status };
}

/// A standard application from a fresh draft to submitted, signing with the demo key.
async function submitApplication(person, child, { script = true } = {}) {
  await person.goto('/applications/new');
  await fillApplication(person, child);
  const id = applicationId(person);
  await uploadAll(person, id, { script });
  await goReview(person, id);
  await signWithDemoKey(person, id);
  return { id, ...(await numberAndDeadline(person)) };
}

/// The clerk fills in a decision and comes to the page that signs it, in each language in turn
/// (the signing page answers a POST, so a language switch cannot bring it back), checking it
/// each time; it stays on the Kazakh one, ready to sign.
async function decide(person, id, decision, fill = async () => {}) {
  const page = person.page;
  for (const lang of ['en', 'ru', 'kk']) {
    await person.setLang(lang, `/school/applications/${id}`);
    const form = page.locator(`form[action="/school/applications/${id}/decide"]:has(input[name="decision"][value="${decision}"])`);
    await fill(form);
    await Promise.all([page.waitForEvent('load'), form.locator('button[type="submit"]').click()]);
    await page.locator('form[data-eds-sign] button[name="demo_sign"]').waitFor();
    await person.checkHere();
  }
  return page;
}

module.exports = {
  PEOPLE, SCHOOL1, STREET1, demoLogin, edsLogin, outbox, ensureContacts, fillApplication, applicationId,
  uploadAll, removeFirstDocument, goReview, signWithNcaLayer, signWithDemoKey, numberAndDeadline, submitApplication, decide, selectByText,
};
