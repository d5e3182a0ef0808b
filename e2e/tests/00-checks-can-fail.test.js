// The page checks themselves: on a page made to break every rule, each check must report.
// (Without this, "zero violations" could also mean "nothing was checked".)
'use strict';

const assert = require('node:assert/strict');
const { test, before, after } = require('node:test');
const { launch, Person, Findings } = require('../lib/browser');

let browser;
before(async () => { browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

test('the checks report an unlabelled field, a too wide page, English text and a message key on a Kazakh page', async () => {
  const findings = new Findings();
  const person = await Person.open(browser, findings, { phone: true, label: 'self-test' });
  try {
    await person.page.setContent(`<!DOCTYPE html><html lang="kk"><head><title>Тест</title></head><body>
      <main><h1>Тест</h1><input type="text"><img src="data:image/png;base64,iVBORw0KGgo=">
      <p>Sign in with a digital signature</p><p>app-err-house</p>
      <div style="width:600px">кең</div></main></body></html>`);
    await person.checkHere();
  } finally {
    await person.close();
  }
  const axeIds = findings.axe.map((f) => f.what.split(' ')[0]);
  assert.ok(axeIds.includes('label'), `axe reports the unlabelled input: ${axeIds}`);
  assert.ok(axeIds.includes('image-alt'), `axe reports the image without alt: ${axeIds}`);
  assert.equal(findings.phone.length, 1, 'the page is wider than a phone');
  assert.ok(findings.leaks.some((f) => f.what.includes('login-title')), `English text found: ${Findings.format(findings.leaks)}`);
  assert.ok(findings.leaks.some((f) => f.what.includes('message key shown: app-err-house')), `key found: ${Findings.format(findings.leaks)}`);
});
