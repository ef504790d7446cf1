import assert from 'node:assert/strict';
import { test } from 'node:test';
import { categoriesFor, claims } from '../src/state.js';

const ids = ['necessary', 'analytics', 'advertising', 'social'];

test('a state cookie claims something when it says decided, or grants beyond necessary', () => {
  for (const c of ['a=1; consentgate_state=1.1.necessary; b=2', 'consentgate_state=1.1.necessary-analytics', 'consentgate_state=1.0.necessary-analytics', 'consentgate_state=1.1.']) {
    assert.equal(claims(c, 'consentgate_state', 1), true, c);
  }
});

test('no cookie, the empty default, an outdated revision or a malformed cookie claims nothing', () => {
  for (const c of ['', 'consentgate_state=2.0.necessary', 'consentgate_state=2.0.', 'consentgate_state=1.1.necessary-analytics', 'consentgate_state=2.x.analytics', 'consentgate_state=junk', 'xconsentgate_state=2.1.analytics']) {
    assert.equal(claims(c, 'consentgate_state', 2), false, c);
  }
});

test('categoriesFor: necessary always, GPC refuses its categories unless a choice wins', () => {
  const st = { decided: true, granted: new Set(['necessary', 'analytics', 'advertising']) };
  assert.deepEqual(categoriesFor(ids, st, false, ['advertising'], false), { necessary: true, analytics: true, advertising: true, social: false });
  assert.deepEqual(categoriesFor(ids, st, true, ['advertising'], false), { necessary: true, analytics: true, advertising: false, social: false });
  assert.equal(categoriesFor(ids, st, true, ['advertising'], true).advertising, true);
  assert.equal(categoriesFor(ids, { ...st, decided: false }, true, ['advertising'], true).advertising, false);
  assert.deepEqual(categoriesFor(ids, { decided: false, granted: new Set() }, false, [], false), { necessary: true, analytics: false, advertising: false, social: false });
});
