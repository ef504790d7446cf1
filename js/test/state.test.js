import assert from 'node:assert/strict';
import { test } from 'node:test';
import { categoriesFor, readState } from '../src/state.js';

const ids = ['necessary', 'analytics', 'advertising', 'social'];

test('readState reads revision, decided and granted categories', () => {
  const s = readState('a=1; consentgate_state=1.1.necessary-analytics; b=2', 'consentgate_state', 1);
  assert.equal(s.decided, true);
  assert.deepEqual([...s.granted], ['necessary', 'analytics']);
});

test('an undecided state grants what the regime default of the server names', () => {
  const s = readState('consentgate_state=1.0.necessary-analytics-advertising', 'consentgate_state', 1);
  assert.equal(s.decided, false);
  assert.deepEqual([...s.granted], ['necessary', 'analytics', 'advertising']);
});

test('an outdated revision or a malformed cookie reads as undecided with nothing granted', () => {
  for (const c of ['consentgate_state=1.1.necessary-analytics', 'consentgate_state=2.0.', 'consentgate_state=2.x.analytics', 'consentgate_state=junk', '', 'xconsentgate_state=2.1.analytics']) {
    const s = readState(c, 'consentgate_state', 2);
    assert.equal(s.decided, false, c);
    assert.equal(s.granted.size, 0, c);
  }
});

test('categoriesFor: necessary always, GPC refuses its categories unless a choice wins', () => {
  const st = readState('consentgate_state=1.1.necessary-analytics-advertising', 'consentgate_state', 1);
  assert.deepEqual(categoriesFor(ids, st, false, ['advertising'], false), { necessary: true, analytics: true, advertising: true, social: false });
  assert.deepEqual(categoriesFor(ids, st, true, ['advertising'], false), { necessary: true, analytics: true, advertising: false, social: false });
  assert.equal(categoriesFor(ids, st, true, ['advertising'], true).advertising, true);
  const undecided = readState('', 'consentgate_state', 1);
  assert.deepEqual(categoriesFor(ids, undecided, false, [], false), { necessary: true, analytics: false, advertising: false, social: false });
});
