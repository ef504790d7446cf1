import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualConsole } from 'jsdom';
import { start } from '../src/app.js';
import { dom, gateServer, runBootstrap, until } from './helpers.js';

const PAGE = `<main><a id="first" href="/a">first link</a>
  <script type="text/plain" data-cg-category="analytics">window.ranAnalytics = (window.ranAnalytics || 0) + 1</script>
  <script type="text/plain" data-cg-category="advertising">window.ranAds = 1</script>
  <iframe data-cg-category="social" data-cg-service="youtube" data-cg-src="data:text/html,yt"></iframe></main>`;

async function page({ cookie = '', lang = 'en', gpc = false, gate, virtualConsole } = {}) {
  const w = dom(PAGE, { scripts: true, lang, virtualConsole, gate });
  if (cookie) w.document.cookie = cookie;
  if (gpc) Object.defineProperty(w.navigator, 'globalPrivacyControl', { value: true });
  runBootstrap(w);
  const events = [];
  w.addEventListener('consentgate:ready', (e) => events.push(['ready', e.detail]));
  w.addEventListener('consentgate:change', (e) => events.push(['change', e.detail]));
  const api = await start(w, { nonce: 'n1' });
  return { w, d: w.document, api, events };
}

const buttons = (root) => [...root.querySelectorAll('button')].filter((b) => !b.closest('[hidden]') && !b.hidden).map((b) => b.textContent);
const panel = (d) => d.querySelector('.cg-bar');
const pc = (d) => d.querySelector('.cg-pc');

test('undecided: the first layer shows three equal choices and a policy link, and takes focus', async () => {
  const gate = await gateServer();
  try {
    const { w, d, events } = await page({ gate });
    const p = panel(d);
    assert.equal(p.getAttribute('role'), 'dialog');
    assert.equal(p.getAttribute('aria-modal'), 'false');
    assert.equal(d.getElementById(p.getAttribute('aria-labelledby')).textContent, 'We respect your privacy');
    assert.deepEqual(buttons(p), ['Accept all', 'Reject all', 'Customize']);
    // Equal weight: the same element, classes and styling hooks for all three.
    assert.equal(new Set([...p.querySelectorAll('.cg-btns button:not([hidden])')].map((b) => b.className)).size, 1);
    assert.equal(p.querySelector('a').getAttribute('href'), '/privacy');
    await until(() => d.activeElement === p); // focus moves in the next frame
    assert.equal(d.body.firstElementChild.className, 'cg-ov'); // before the page in tab order
    assert.equal(pc(d).hidden, true);
    assert.equal(w.ranAnalytics, undefined);
    assert.equal(events[0][0], 'ready');
    assert.equal(events[0][1].decided, false);
    let ping;
    w.__gpp('ping', (data) => (ping = data));
    assert.equal(ping.cmpDisplayStatus, 'visible');
    // The refused embed shows a click-to-load placeholder naming the service (the service names
    // are fetched for it; the first layer itself needs only the texts).
    await until(() => d.querySelector('.cg-ph'));
    assert.match(d.querySelector('.cg-ph').textContent, /YouTube/);
  } finally {
    await gate.close();
  }
});

test('Accept all: recorded by the gate, then everything activates, signals go out, the control stays', async () => {
  const gate = await gateServer();
  try {
    const { w, d, api, events } = await page({ gate });
    const seen = [];
    api.onChange((c) => seen.push(c));
    // The first layer takes focus a frame after load (a real click would focus the button anyway).
    await until(() => panel(d).contains(d.activeElement));
    [...panel(d).querySelectorAll('button')].find((b) => b.textContent === 'Accept all').click();
    assert.equal(w.ranAnalytics, undefined, 'nothing runs before the gate confirms');
    await until(() => w.ranAds === 1);
    assert.deepEqual(gate.requests[0].body, { action: 'accept_all', language: 'en' });
    assert.equal(w.ranAnalytics, 1);
    assert.equal(d.querySelector('iframe').getAttribute('src'), 'data:text/html,yt');
    assert.equal(d.querySelector('.cg-ph'), null);
    assert.equal(panel(d).hidden, true);
    assert.equal(pc(d).hidden, false);
    assert.equal(d.activeElement, pc(d));
    assert.equal(api.getConsent().decided, true);
    assert.equal(seen.length, 1);
    assert.equal(events.at(-1)[0], 'change');
    const update = [...w.dataLayer].find((e) => e[0] === 'consent' && e[1] === 'update');
    assert.equal(update[2].ad_storage, 'granted');
    assert.equal([...w.dataLayer].at(-1).event, 'consentgate_consent');
    let usnat;
    w.__gpp('getField', (v) => (usnat = v), 'usnat.SaleOptOut');
    assert.equal(usnat, 2);
  } finally {
    await gate.close();
  }
});

test('Customize: nothing pre-ticked, focus trapped, Escape returns; Save grants exactly the chosen category', async () => {
  const gate = await gateServer();
  try {
    const { w, d } = await page({ gate });
    const p = panel(d);
    const customize = [...p.querySelectorAll('button')].find((b) => b.textContent === 'Customize');
    customize.click();
    await until(() => p.getAttribute('aria-modal') === 'true');
    assert.equal(d.getElementById('cg-t').textContent, 'Privacy preferences');
    const switches = [...p.querySelectorAll('input[role=switch]')];
    assert.deepEqual(switches.map((s) => [s.getAttribute('data-cat'), s.checked, s.disabled]), [
      ['necessary', true, true], ['analytics', false, false], ['advertising', false, false], ['social', false, false],
    ]);
    assert.equal(d.querySelector(`label[for="${switches[1].id}"]`).textContent, 'Analytics');
    assert.match(p.textContent, /Google Analytics 4/);
    assert.equal(d.activeElement, switches[1]);
    // Focus trap: Tab from the last control goes to the first, Shift+Tab from the first to the last.
    const focusables = [...p.querySelectorAll('a[href],button,input:not([disabled]),summary')].filter((el) => !el.closest('[hidden]'));
    const last = focusables.at(-1);
    last.focus();
    last.dispatchEvent(new w.KeyboardEvent('keydown', { key: 'Tab', bubbles: true, cancelable: true }));
    assert.equal(d.activeElement, focusables[0]);
    focusables[0].dispatchEvent(new w.KeyboardEvent('keydown', { key: 'Tab', shiftKey: true, bubbles: true, cancelable: true }));
    assert.equal(d.activeElement, last);
    // Escape: back to the first layer while undecided, focus on the Customize button that opened it.
    last.dispatchEvent(new w.KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true }));
    assert.equal(p.getAttribute('aria-modal'), 'false');
    assert.deepEqual(buttons(p), ['Accept all', 'Reject all', 'Customize']);
    assert.equal(d.activeElement, customize);
    // Reopen, grant analytics only, save.
    customize.click();
    await until(() => p.getAttribute('aria-modal') === 'true');
    switches[1].click();
    [...p.querySelectorAll('button')].find((b) => b.textContent === 'Save choices').click();
    await until(() => w.ranAnalytics === 1);
    assert.deepEqual(gate.requests[0].body, { categories: { analytics: true, advertising: false, social: false }, language: 'en' });
    assert.equal(w.ranAds, undefined);
    assert.equal(d.querySelector('iframe').hasAttribute('src'), false);
    await until(() => d.querySelector('.cg-ph'));
  } finally {
    await gate.close();
  }
});

const DECIDED = { id: 'x', decided: true, categories: { necessary: true, analytics: true, advertising: false, social: false }, gpc: false, revision: 1, regime: 'opt-in' };

test('decided visitor: once the gate confirms, no banner, granted tags activate; withdrawing deletes cookies and reloads', async () => {
  const gate = await gateServer({ state: DECIDED });
  const reloads = [];
  const virtualConsole = new VirtualConsole();
  virtualConsole.on('jsdomError', (e) => reloads.push(e.message));
  try {
    const { w, d } = await page({ gate, cookie: 'consentgate_state=1.1.necessary-analytics', virtualConsole });
    assert.equal(panel(d), null);
    assert.equal(pc(d).hidden, false);
    await until(() => w.ranAnalytics === 1);
    assert.equal(w.ranAds, undefined);
    d.cookie = '_ga=GA1.1; path=/';
    d.cookie = '_ga_XYZ=GS1; path=/';
    d.cookie = 'theme=dark; path=/';
    const update = [...w.dataLayer].find((e) => e[0] === 'consent' && e[1] === 'update');
    assert.equal(update[2].analytics_storage, 'granted');
    assert.equal(update[2].ad_storage, 'denied');
    pc(d).click();
    await until(() => panel(d) && panel(d).getAttribute('aria-modal') === 'true');
    const p = panel(d);
    assert.equal(p.querySelector('input[data-cat=analytics]').checked, true);
    assert.equal(p.querySelector('input[data-cat=social]').checked, false);
    [...p.querySelectorAll('button')].find((b) => b.textContent === 'Reject all').click();
    await until(() => gate.requests.length === 1 && !d.cookie.includes('_ga'));
    assert.equal(gate.requests[0].method, 'DELETE');
    assert.deepEqual(d.cookie.split('; ').filter((c) => !c.startsWith('consentgate_state')), ['theme=dark']);
    // jsdom cannot navigate: its "not implemented" report is the reload the banner asked for.
    await until(() => reloads.some((m) => /navigation/.test(m)));
  } finally {
    await gate.close();
  }
});

test('GPC: the signal is announced and its categories cannot be switched on', async () => {
  const gate = await gateServer();
  try {
    const { w, d, api } = await page({ gate, gpc: true });
    assert.match(panel(d).textContent, /GPC honoured/);
    await api.show();
    const sw = (id) => panel(d).querySelector(`input[data-cat=${id}]`);
    assert.equal(sw('advertising').disabled, true);
    assert.equal(sw('social').disabled, true);
    assert.equal(sw('analytics').disabled, false);
    assert.equal(api.getConsent().gpc, true);
    const deflt = [...w.dataLayer].find((e) => e[0] === 'consent' && e[1] === 'default');
    assert.equal(deflt[2].ad_storage, 'denied');
  } finally {
    await gate.close();
  }
});

test('language from <html lang>: German texts and lang attribute', async () => {
  const gate = await gateServer();
  try {
    const { d } = await page({ gate, lang: 'de-DE' });
    assert.equal(panel(d).getAttribute('lang'), 'de');
    assert.equal(buttons(panel(d))[0], 'Alle akzeptieren');
  } finally {
    await gate.close();
  }
});

test('a failing gate: the page stays as it was while retrying and says so; a refusal is shown', async () => {
  const gate = await gateServer({ failFirst: 2 });
  try {
    const { w, d, api } = await page({ gate });
    const done = api.acceptAll();
    await until(() => gate.requests.length >= 1 && panel(d).querySelector('.cg-st').textContent === 'Retrying…');
    assert.equal(w.ranAnalytics, undefined);
    assert.equal(api.getConsent().decided, false);
    await done;
    assert.equal(w.ranAnalytics, 1);
  } finally {
    await gate.close();
  }
  const refusing = await gateServer({ status: 403 });
  try {
    const { w, d, api } = await page({ gate: refusing });
    await assert.rejects(api.rejectAll(), (e) => e === 403);
    assert.equal(panel(d).querySelector('.cg-st').textContent, 'Failed.');
    assert.equal(panel(d).hidden, false);
    assert.equal(api.getConsent().decided, false);
    assert.equal(w.ranAnalytics, undefined);
  } finally {
    await refusing.close();
  }
});

test('a state cookie the gate does not confirm is undecided: the banner shows and nothing activates', async () => {
  // What page code (or a stale cookie from an old key) can write; this gate has no choice on record.
  const gate = await gateServer();
  try {
    const { w, d, api } = await page({ gate, cookie: 'consentgate_state=1.1.necessary-analytics-advertising-social' });
    assert.equal(panel(d).hidden, false);
    assert.equal(api.getConsent().decided, false);
    assert.deepEqual({ ...api.getConsent().categories }, { necessary: true, analytics: false, advertising: false, social: false });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(w.ranAnalytics, undefined);
    assert.equal(w.ranAds, undefined);
    assert.equal(d.querySelector('iframe').hasAttribute('src'), false);
    assert.equal([...w.dataLayer].some((e) => e[0] === 'consent' && e[1] === 'update' && e[2].analytics_storage === 'granted'), false);
  } finally {
    await gate.close();
  }
});

test('without the bootstrap nothing starts', async () => {
  const w = dom('<p>plain</p>', { scripts: true });
  assert.equal(await start(w), null);
  assert.equal(w.consentgate, undefined);
});

test('a region that grants a category until the visitor objects: it runs, the banner says so, Reject all stops it', async () => {
  const state = { id: null, decided: false, categories: { necessary: true, analytics: true, advertising: false, social: false }, gpc: false, revision: 1, regime: 'opt-out' };
  const gate = await gateServer({ state });
  const reloads = [];
  const virtualConsole = new VirtualConsole();
  virtualConsole.on('jsdomError', (e) => reloads.push(e.message));
  try {
    const { w, d, api } = await page({ gate, cookie: 'consentgate_state=1.0.necessary-analytics', virtualConsole });
    await until(() => w.ranAnalytics === 1);
    assert.equal(w.ranAds, undefined);
    const p = panel(d);
    assert.equal(p.hidden, false);
    assert.match(p.textContent, /Some are on unless you object\./);
    assert.equal(api.getConsent().decided, false);
    await api.show();
    assert.equal(p.querySelector('input[data-cat=analytics]').checked, true);
    assert.match(d.querySelector('label[for=cg-c-analytics]').textContent, /Analytics \(On unless you object\)/);
    assert.doesNotMatch(d.querySelector('label[for=cg-c-advertising]').textContent, /object/);
    [...p.querySelectorAll('button')].find((b) => b.textContent === 'Reject all').click();
    await until(() => gate.requests.length === 1);
    assert.deepEqual(gate.requests[0].body, { action: 'reject_all', language: 'en' });
    // Analytics ran on this page: objecting reloads it, so it stops at once.
    await until(() => reloads.some((m) => /navigation/.test(m)));
  } finally {
    await gate.close();
  }
});
