import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consentModeFields, emit, publish } from '../src/signals.js';
import { dom } from './helpers.js';

test('consent mode maps analytics and advertising', () => {
  assert.deepEqual(consentModeFields({ analytics: true, advertising: false }), {
    analytics_storage: 'granted', ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied',
  });
});

test('publish pushes a gtag consent update (an arguments object) and a dataLayer event', () => {
  const w = dom();
  w.dataLayer = [{ existing: 1 }];
  publish(w, { necessary: true, analytics: false, advertising: true });
  const [, update, event] = w.dataLayer;
  assert.equal(Object.prototype.toString.call(update), '[object Arguments]');
  assert.deepEqual([...update].slice(0, 2), ['consent', 'update']);
  assert.equal(update[2].ad_storage, 'granted');
  assert.equal(update[2].analytics_storage, 'denied');
  assert.deepEqual(event, { event: 'consentgate_consent', consentgate: { necessary: true, analytics: false, advertising: true } });
});

test('emit dispatches consentgate:<name> on window with the detail', () => {
  const w = dom();
  let got;
  w.addEventListener('consentgate:change', (e) => (got = e.detail));
  emit(w, 'change', { decided: true });
  assert.deepEqual(got, { decided: true });
});
