// The closing tests of every file: what the page checks found on all the pages the file's
// flows visited (each page in Kazakh, Russian and English).
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { Findings } = require('./browser');

function closingTests(findings, { phone = false } = {}) {
  test('accessibility: axe-core finds no WCAG 2.1 A/AA violation on any visited page, in kk, ru and en', (t) => {
    assert.ok(findings.pages.size > 0, 'no page was checked');
    t.diagnostic(`${findings.pages.size} pages checked (page × language): ${[...findings.pages].join(', ')}`);
    assert.equal(findings.axe.length, 0, `axe violations:\n${Findings.format(findings.axe)}`);
  });
  test('languages: no text of another language and no message key on a kk, ru or en page', () => {
    assert.ok(findings.pages.size > 0, 'no page was checked');
    assert.equal(findings.leaks.length, 0, `leaks:\n${Findings.format(findings.leaks)}`);
  });
  if (phone) test('phones: no horizontal scrolling at 360×740 on the parent\'s pages', () => {
    assert.ok(findings.phonePages > 0, 'no page was checked on a phone');
    assert.equal(findings.phone.length, 0, `too wide:\n${Findings.format(findings.phone)}`);
  });
  test('scripts: no script error and no Content-Security-Policy refusal on any page', () => {
    assert.equal(findings.script.length, 0, `script problems:\n${Findings.format(findings.script)}`);
  });
}

module.exports = { closingTests };
