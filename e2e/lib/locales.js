// What must not appear on a page in a given language: the other languages' texts from the
// project's own Fluent files (where they differ), and raw message keys.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const LOCALES = path.join(__dirname, '..', '..', 'locales');
// The files whose texts are the pages' own (notify.ftl texts are message bodies, shown in the
// recipient's language on the demo outbox, whatever language the reader chose).
const UI_FILES = ['web.ftl', 'domain.ftl', 'pki.ftl', 'docs.ftl'];
const ALL_LANGS = ['kk', 'ru', 'en'];
// Shorter fragments are too often shared words ("PDF", "NCALayer", a name).
const MIN_FRAGMENT = 14;

/// Messages of one Fluent file: key → value text (attributes and multiline values joined).
function parseFtl(text) {
  const messages = new Map();
  let key = null;
  let lines = [];
  const flush = () => { if (key) messages.set(key, lines.join('\n').trim()); key = null; lines = []; };
  for (const line of text.split('\n')) {
    const m = line.match(/^(-?[a-zA-Z][\w-]*)\s*=\s?(.*)$/);
    if (m) { flush(); key = m[1]; lines = [m[2]]; continue; }
    if (/^\s+\S/.test(line) && key) { lines.push(line.trim()); continue; }
    if (/^#/.test(line) || line.trim() === '') { flush(); }
  }
  flush();
  return messages;
}

function load(lang, files) {
  const all = new Map();
  for (const f of files) {
    const p = path.join(LOCALES, lang, f);
    if (!fs.existsSync(p)) continue;
    for (const [k, v] of parseFtl(fs.readFileSync(p, 'utf8'))) all.set(k, v);
  }
  return all;
}

/// The literal pieces of a value between its placeables (select expressions drop out whole).
function fragments(value) {
  let v = value;
  let prev;
  do { prev = v; v = v.replace(/\{[^{}]*\}/g, '\u0000'); } while (v !== prev);
  return v.split('\u0000').map((s) => s.replace(/\s+/g, ' ').trim()).filter((s) => s.length >= MIN_FRAGMENT && /\p{L}{3}/u.test(s));
}

const cache = new Map();
function forbiddenTextFor(lang) {
  if (cache.has(lang)) return cache.get(lang);
  const own = load(lang, UI_FILES);
  const ownText = [...own.values()].join('\n');
  const out = [];
  for (const other of ALL_LANGS.filter((l) => l !== lang)) {
    for (const [key, value] of load(other, UI_FILES)) {
      if (key.startsWith('-') || own.get(key) === value) continue;
      for (const fragment of fragments(value)) {
        if (!ownText.includes(fragment)) out.push({ fragment, lang: other, key });
      }
    }
  }
  cache.set(lang, out);
  return out;
}

let keyRe = null;
/// Any message key of any file, or anything shaped like the keys of errors and statuses.
function keyPattern() {
  if (keyRe) return new RegExp(keyRe.source, 'g');
  const keys = new Set();
  for (const lang of ALL_LANGS) {
    for (const f of fs.readdirSync(path.join(LOCALES, lang)).filter((n) => n.endsWith('.ftl'))) {
      for (const k of load(lang, [f]).keys()) if (!k.startsWith('-') && k.includes('-')) keys.add(k);
    }
  }
  const escaped = [...keys].sort((a, b) => b.length - a.length).map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const shaped = '(?:app|status|err|admin|school|eds|login|contacts|cabinet|notice|pki|verify|demo|nav|error|docs|notify|outbox)-[a-z][a-z0-9_]*(?:-[a-z0-9_]+)*';
  keyRe = new RegExp(`(?<![\\w/.-])(?:${escaped.join('|')}|${shaped})(?![\\w-])`, 'g');
  return new RegExp(keyRe.source, 'g');
}

module.exports = { parseFtl, fragments, forbiddenTextFor, keyPattern, load };
