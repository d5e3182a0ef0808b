// The browser side of Mektep's end-to-end tests: Debian's Chromium driven by playwright-core,
// contexts for a phone and an office PC, and the page checks every visited page goes through
// (axe-core in three languages, no horizontal scroll on a phone, no leaked text, no CSP breakage).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { forbiddenTextFor, keyPattern } = require('./locales');

const BASE = process.env.E2E_BASE_URL || 'http://127.0.0.1:8080';
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const RESULTS = path.join(__dirname, '..', 'test-results');
const LANGS = ['kk', 'ru', 'en'];
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 };

async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--ignore-certificate-errors'],
  });
}

/// A finding of any page check: what, where (page and language), and the details.
class Findings {
  constructor() {
    this.axe = [];
    this.leaks = [];
    this.phone = [];
    this.script = [];
    this.pages = new Set();
    this.phonePages = 0;
  }
  static format(list) {
    return list.map((f) => `- ${f.where}: ${f.what}`).join('\n');
  }
}

/// A person in the browser: one context (cookies, viewport), one page, and the checks.
class Person {
  constructor(context, page, findings, opts) {
    this.context = context;
    this.page = page;
    this.findings = findings;
    this.phone = !!opts.phone;
    this.label = opts.label;
    this.lang = 'kk';
    page.on('pageerror', (e) => findings.script.push({ where: this.where(), what: `script error: ${e.message}` }));
    page.on('console', (m) => {
      // A CSP refusal means a page's own script or style did not run: a real breakage.
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) {
        findings.script.push({ where: this.where(), what: m.text() });
      }
    });
  }

  static async open(browser, findings, opts) {
    const context = await browser.newContext({
      ...(opts.phone ? PHONE : DESKTOP),
      javaScriptEnabled: opts.javaScript !== false,
      ignoreHTTPSErrors: true,
      acceptDownloads: true,
      locale: 'kk-KZ',
      timezoneId: 'Asia/Almaty',
    });
    context.setDefaultTimeout(20000);
    context.setDefaultNavigationTimeout(30000);
    const page = await context.newPage();
    return new Person(context, page, findings, opts);
  }

  where() {
    let p = '?';
    try { p = new URL(this.page.url()).pathname; } catch (_) { /* not loaded yet */ }
    return `${this.label} ${p} [${this.lang}]`;
  }

  url(p) { return BASE + p; }

  async goto(p) {
    const r = await this.page.goto(this.url(p));
    return r;
  }

  /// Switches the interface language through the page's own switch link target.
  async setLang(lang, next) {
    const target = next || this.currentPath();
    await this.page.goto(this.url(`/lang/${lang}?next=${encodeURIComponent(target)}`));
    this.lang = lang;
  }

  currentPath() {
    const u = new URL(this.page.url());
    return u.pathname + u.search;
  }

  /// Checks the page as it is now, in its current language.
  async checkHere() {
    const page = this.page;
    const where = this.where();
    this.findings.pages.add(`${new URL(page.url()).pathname} [${this.lang}]`);
    const htmlLang = await page.evaluate(() => document.documentElement.lang);
    if (htmlLang !== this.lang) {
      this.findings.leaks.push({ where, what: `<html lang="${htmlLang}">, expected ${this.lang}` });
    }
    // axe from the package's file, evaluated through the DevTools protocol: the page's strict
    // CSP (script-src 'self') stays in force for everything the page itself does.
    const hasAxe = await page.evaluate(() => typeof window.axe === 'object');
    if (!hasAxe) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async (tags) => {
      const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), summary: (n.failureSummary || '').split('\n').slice(0, 3).join(' ') })),
      }));
    }, AXE_TAGS);
    for (const v of violations) {
      for (const n of v.nodes) {
        this.findings.axe.push({ where, what: `${v.id} (${v.impact}): ${v.help} — ${n.target} — ${n.summary}` });
      }
    }
    if (this.phone) {
      this.findings.phonePages++;
      const w = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      if (w.scroll > 360) {
        const wide = await page.evaluate(() => Array.from(document.querySelectorAll('body *'))
          .filter((e) => e.getBoundingClientRect().right > 361)
          .slice(0, 3)
          .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '')));
        this.findings.phone.push({ where, what: `scrollWidth ${w.scroll} > 360 (wide: ${wide.join(', ')})` });
      }
    }
    const text = await page.evaluate(() => {
      // Messages on the demo outbox are in their recipient's language, whatever the reader's.
      let body = document.body.innerText;
      for (const el of document.querySelectorAll('main article .message-body, main article h2')) body = body.replace(el.innerText, '');
      const parts = [document.title, body];
      for (const el of document.querySelectorAll('[aria-label],[alt],[title],[placeholder]')) {
        for (const a of ['aria-label', 'alt', 'title', 'placeholder']) if (el.hasAttribute(a)) parts.push(el.getAttribute(a));
      }
      for (const o of document.querySelectorAll('option')) parts.push(o.textContent);
      // Messages the page's script shows later (NCALayer states) are UI text too.
      for (const el of document.querySelectorAll('*')) {
        for (const a of el.attributes) if (a.name.startsWith('data-msg-')) parts.push(a.value);
      }
      return parts.join('\n');
    });
    const keys = text.match(keyPattern());
    if (keys) this.findings.leaks.push({ where, what: `message key shown: ${[...new Set(keys)].join(', ')}` });
    for (const { fragment, lang, key } of forbiddenTextFor(this.lang)) {
      if (text.includes(fragment)) {
        this.findings.leaks.push({ where, what: `${lang} text of ${key} on a ${this.lang} page: "${fragment}"` });
      }
    }
  }

  /// Checks the page in every language (for pages a GET brings back), then returns to `back`.
  async check({ back = 'kk' } = {}) {
    const here = this.currentPath();
    for (const lang of LANGS) {
      if (lang !== this.lang) await this.setLang(lang, here);
      await this.checkHere();
    }
    if (this.lang !== back) await this.setLang(back, here);
  }

  async close() { await this.context.close(); }
}

function screenshotPath(name) {
  const dir = process.env.UPDATE_SCREENSHOTS ? path.join(__dirname, '..', '..', 'docs', 'screenshots') : path.join(RESULTS, 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}

module.exports = { BASE, LANGS, launch, Person, Findings, screenshotPath, RESULTS };
