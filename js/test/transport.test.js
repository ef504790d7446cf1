import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SUPERSEDED, sender } from '../src/transport.js';
import { fetchTo, gateServer } from './helpers.js';

const win = (base) => ({ fetch: fetchTo(base), setTimeout });

test('a choice is sent as same-origin JSON and resolves with the server state', async () => {
  const gate = await gateServer();
  try {
    const send = sender(win(gate.base), '/consentgate/consent', null, 1);
    const state = await send('POST', { action: 'accept_all' });
    assert.equal(state.categories.advertising, true);
    assert.deepEqual(gate.requests[0].body, { action: 'accept_all' });
    assert.equal(gate.requests[0].headers['content-type'], 'application/json');
    const gone = await send('DELETE');
    assert.equal(gone.categories.analytics, false);
    assert.equal(gate.requests[1].method, 'DELETE');
  } finally {
    await gate.close();
  }
});

test('5xx answers are retried with backoff until the server confirms', async () => {
  const gate = await gateServer({ failFirst: 3 });
  try {
    const retries = [];
    const send = sender(win(gate.base), '/consentgate/consent', (n) => retries.push(n), 1);
    const state = await send('POST', { action: 'reject_all' });
    assert.equal(state.categories.analytics, false);
    assert.deepEqual(retries, [1, 2, 3]);
    assert.equal(gate.requests.length, 4);
  } finally {
    await gate.close();
  }
});

test('network failures are retried too (refused connections, then the server answers)', async () => {
  const dead = await gateServer();
  await dead.close(); // nothing listens there any more: a real connection failure
  const gate = await gateServer();
  try {
    let attempts = 0;
    const w = { setTimeout, fetch: (url, init) => fetchTo(++attempts <= 2 ? dead.base : gate.base)(url, init) };
    const retries = [];
    const send = sender(w, '/consentgate/consent', (n) => retries.push(n), 1);
    const state = await send('POST', { action: 'accept_all' });
    assert.equal(state.categories.social, true);
    assert.deepEqual(retries, [1, 2]);
    assert.equal(gate.requests.length, 1);
  } finally {
    await gate.close();
  }
});

test('4xx answers are not retried; a newer choice supersedes an older one', async () => {
  const bad = await gateServer({ status: 422 });
  try {
    const send = sender(win(bad.base), '/consentgate/consent', null, 1);
    await assert.rejects(send('POST', { categories: { nope: true } }), (e) => e === 422);
    assert.equal(bad.requests.length, 1);
  } finally {
    await bad.close();
  }
  const slow = await gateServer({ failFirst: 1000 });
  const gate = await gateServer();
  try {
    let base = slow.base;
    const w = { setTimeout, fetch: (u, i) => fetchTo(base)(u, i) };
    const send = sender(w, '/consentgate/consent', () => {}, [5]);
    const older = send('POST', { action: 'accept_all' });
    await new Promise((r) => setTimeout(r, 20));
    base = gate.base;
    const newer = send('POST', { action: 'reject_all' });
    await assert.rejects(older, (e) => e === SUPERSEDED);
    assert.equal((await newer).categories.advertising, false);
  } finally {
    await slow.close();
    await gate.close();
  }
});
