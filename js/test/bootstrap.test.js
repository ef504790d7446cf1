// The built bootstrap (consentgate/static/bootstrap.js), as the server inlines it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dom, runBootstrap } from './helpers.js';

const defaults = (w) => [...w.dataLayer].find((e) => e[0] === 'consent' && e[1] === 'default')[2];

test('undecided: Consent Mode default denies analytics and ads, before any page script', () => {
  const w = dom('', { scripts: true });
  runBootstrap(w);
  const d = defaults(w);
  assert.deepEqual([d.analytics_storage, d.ad_storage, d.ad_user_data, d.ad_personalization], ['denied', 'denied', 'denied', 'denied']);
  assert.equal(d.security_storage, 'granted');
  assert.equal(w.__cg.decided, false);
  assert.equal(typeof w.gtag, 'function');
});

test('the state cookie grants what it names; GPC refuses its categories unless a choice wins', () => {
  const w = dom('', { scripts: true });
  w.document.cookie = 'consentgate_state=1.1.necessary-analytics-advertising';
  runBootstrap(w);
  assert.equal(defaults(w).analytics_storage, 'granted');
  assert.equal(defaults(w).ad_storage, 'granted');
  assert.equal(w.__cg.decided, true);

  const g = dom('', { scripts: true });
  g.document.cookie = 'consentgate_state=1.1.necessary-analytics-advertising';
  Object.defineProperty(g.navigator, 'globalPrivacyControl', { value: true });
  runBootstrap(g);
  assert.equal(defaults(g).ad_storage, 'denied');
  assert.equal(defaults(g).analytics_storage, 'granted');
  assert.equal(g.__cg.gpc, true);

  const wins = dom('', { scripts: true });
  wins.document.cookie = 'consentgate_state=1.1.necessary-advertising';
  Object.defineProperty(wins.navigator, 'globalPrivacyControl', { value: true });
  runBootstrap(wins, { w: true });
  assert.equal(defaults(wins).ad_storage, 'granted');
});

test('an undecided state cookie (set by the server in opt-out regions) grants its regime default', () => {
  const w = dom('', { scripts: true });
  w.document.cookie = 'consentgate_state=1.0.necessary-analytics-advertising-social';
  runBootstrap(w);
  assert.equal(defaults(w).ad_storage, 'granted');
  assert.equal(w.__cg.decided, false);
});

test('a cookie of an older revision counts as undecided', () => {
  const w = dom('', { scripts: true });
  w.document.cookie = 'consentgate_state=1.1.necessary-analytics';
  runBootstrap(w, { r: 2 });
  assert.equal(defaults(w).analytics_storage, 'denied');
  assert.equal(w.__cg.decided, false);
});

test('the __gpp stub queues calls for the banner; an existing __gpp is kept', () => {
  const w = dom('', { scripts: true });
  runBootstrap(w);
  w.__gpp('ping', () => {});
  assert.equal(w.__gpp.queue.length, 1);
  assert.equal(w.__gpp.queue[0][0], 'ping');
  const other = dom('', { scripts: true });
  other.__gpp = function mine() {};
  runBootstrap(other);
  assert.equal(other.__gpp.name, 'mine');
});

test('the guard is running before the page: a refused tag inserted by page code stays inert', () => {
  const w = dom('', { scripts: true });
  runBootstrap(w);
  const s = w.document.createElement('script');
  s.src = 'https://www.google-analytics.com/analytics.js';
  w.document.head.appendChild(s);
  assert.equal(s.getAttribute('type'), 'text/plain');
  // After a grant the banner updates __cg.cats and the guard lets them through.
  w.__cg.cats = { ...w.__cg.cats, analytics: true };
  const t = w.document.createElement('script');
  t.src = 'https://www.google-analytics.com/analytics.js';
  w.document.head.appendChild(t);
  assert.equal(t.hasAttribute('type'), false);
});
