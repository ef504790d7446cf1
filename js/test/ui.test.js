import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createUI } from '../src/ui.js';
import { config, dom, until } from './helpers.js';

function ui(over = {}) {
  const w = dom('<a href="/x" id="page-link">page</a>');
  const cfg = config();
  const calls = [];
  let decided = false;
  const u = createUI(w.document, {
    T: cfg.texts.en, lang: 'en', ids: cfg.categories, policy: '/privacy', services: () => Promise.resolve(cfg.services),
    gpcNote: false, locked: () => false, current: () => ({ necessary: true }), decided: () => decided, byDefault: () => [],
    accept: () => calls.push('accept'), reject: () => calls.push('reject'), save: (c) => calls.push(c),
    ...over,
  });
  return { w, d: w.document, u, calls, decide: () => (decided = true) };
}

test('nothing is built before it is needed', () => {
  const { d, u } = ui();
  assert.equal(d.querySelector('.cg-bar'), null);
  assert.equal(u.shown(), false);
  u.showBanner();
  assert.equal(u.shown(), true);
  assert.equal(d.querySelector('.cg-cats'), null); // the preferences list waits for Customize
});

test('the preferences list names every category, its description and services with policy links', async () => {
  const { d, u } = ui();
  await u.open();
  const items = [...d.querySelectorAll('.cg-cats > li')];
  assert.deepEqual(items.map((li) => li.querySelector('label').textContent), ['Strictly necessary', 'Analytics', 'Advertising', 'Social media']);
  const analytics = items[1];
  assert.equal(analytics.querySelector('p').textContent, 'Counts visits.');
  assert.equal(analytics.querySelector('input').getAttribute('aria-describedby'), analytics.querySelector('p').id);
  assert.equal(analytics.querySelector('summary').textContent, 'Services (1)');
  assert.match(analytics.querySelector('details li').textContent, /Google Analytics 4 \(Google LLC\) Counts\./);
  assert.equal(analytics.querySelector('details a').getAttribute('href'), 'https://policies.google.com/privacy');
  assert.equal(items[2].querySelector('details'), null); // no services listed: no empty list
});

test('buttons call back; Save reads the switches', async () => {
  const { d, u, calls } = ui();
  await u.open();
  d.querySelector('input[data-cat=social]').click();
  const btn = (name) => [...d.querySelectorAll('.cg-bar button')].find((b) => b.textContent === name);
  btn('Save choices').click();
  btn('Accept all').click();
  btn('Reject all').click();
  assert.deepEqual(calls, [{ necessary: true, analytics: false, advertising: false, social: true }, 'accept', 'reject']);
});

test('for a decided visitor, closing (button or backdrop) hides everything and returns focus', async () => {
  const { d, u, decide } = ui({ current: () => ({ necessary: true, analytics: true }) });
  decide();
  d.body.append(u.pc);
  u.pc.focus();
  u.pc.click();
  await until(() => d.querySelector('input[data-cat=analytics]'));
  assert.equal(d.querySelector('input[data-cat=analytics]').checked, true);
  d.querySelector('.cg-x').click();
  assert.equal(d.querySelector('.cg-bar').hidden, true);
  assert.equal(d.activeElement, u.pc);
  await u.open();
  d.querySelector('.cg-ov').click();
  assert.equal(d.querySelector('.cg-bar').hidden, true);
  assert.equal(u.pc.hidden, false);
});

test('a locked category cannot be switched; the status line speaks', async () => {
  const { d, u } = ui({ locked: (id) => id === 'advertising', gpcNote: true });
  u.showBanner(true);
  await until(() => d.activeElement === d.querySelector('.cg-bar'));
  assert.match(d.querySelector('.cg-bar').textContent, /GPC honoured\./);
  await u.open();
  assert.equal(d.querySelector('input[data-cat=advertising]').disabled, true);
  u.say('Saving…');
  assert.equal(d.querySelector('[role=status]').textContent, 'Saving…');
  u.done();
  assert.equal(d.querySelector('[role=status]').textContent, '');
  assert.equal(d.querySelector('.cg-bar').hidden, true);
  assert.equal(d.activeElement, u.pc);
});

test('after a skip link that opens the page, the banner comes after it; else first in the body', () => {
  const skip = dom('<a href="#main" class="skip">Skip to content</a><header><a href="/">Home</a></header><main id="main">x</main>');
  const cfg = config();
  const opts = {
    T: cfg.texts.en, lang: 'en', ids: cfg.categories, policy: '/privacy', services: () => Promise.resolve({}),
    gpcNote: false, locked: () => false, current: () => ({}), decided: () => false, byDefault: () => [],
  };
  createUI(skip.document, opts).showBanner();
  const kids = [...skip.document.body.children].map((el) => el.className || el.tagName);
  assert.deepEqual(kids.slice(0, 3), ['skip', 'cg-ov', 'cg cg-bar']);
  const plain = dom('<header><a href="/">Home</a></header>');
  createUI(plain.document, opts).showBanner();
  assert.equal(plain.document.body.firstElementChild.className, 'cg-ov');
});
