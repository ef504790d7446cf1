import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GppModel } from '@iabgpp/cmpapi';
import { gppString, installGpp, usnatFields } from '../src/gpp.js';
import { dom } from './helpers.js';

// The IAB's own reference library decodes what the banner encodes.
for (const [advertising, gpc] of [[false, false], [true, false], [false, true], [true, true]]) {
  test(`usnat string decodes with @iabgpp/cmpapi (advertising=${advertising}, gpc=${gpc})`, () => {
    const s = gppString(usnatFields({ advertising }, gpc));
    const model = new GppModel(s);
    assert.deepEqual(model.getHeader().SectionIds, [7]);
    const usnat = model.getSection('usnat');
    const out = advertising ? 2 : 1;
    assert.equal(usnat.Version, 2);
    assert.equal(usnat.SaleOptOut, out);
    assert.equal(usnat.SharingOptOut, out);
    assert.equal(usnat.TargetedAdvertisingOptOut, out);
    assert.equal(usnat.SaleOptOutNotice, 1);
    assert.equal(usnat.SharingOptOutNotice, 1);
    assert.equal(usnat.TargetedAdvertisingOptOutNotice, 1);
    assert.equal(usnat.MspaCoveredTransaction, 2);
    assert.equal(usnat.Gpc, gpc);
    // Field for field what the API reports is what the string says.
    assert.deepEqual(usnat, usnatFields({ advertising }, gpc));
    // And the library encodes the same fields to the same string.
    const again = new GppModel();
    for (const [k, v] of Object.entries(usnatFields({ advertising }, gpc))) again.setFieldValue('usnat', k, v);
    assert.equal(again.encode(), s);
  });
}

test('__gpp answers calls queued by the stub, then ping, sections, fields and listeners', () => {
  const w = dom();
  const queued = [];
  w.__gpp = Object.assign(() => {}, { queue: [['ping', (d, ok) => queued.push([d, ok])]] });
  let cats = { advertising: false };
  const notify = installGpp(w, () => ({ fields: usnatFields(cats, true), display: 'visible' }));
  assert.equal(queued.length, 1);
  assert.equal(queued[0][1], true);
  assert.equal(queued[0][0].cmpStatus, 'loaded');
  assert.deepEqual(queued[0][0].supportedAPIs, ['7:usnat']);

  const got = {};
  w.__gpp('hasSection', (d) => (got.has = d), 'usnat');
  w.__gpp('hasSection', (d) => (got.hasTcf = d), 'tcfeuv2');
  w.__gpp('getSection', (d) => (got.section = d), 'usnat');
  w.__gpp('getField', (d) => (got.field = d), 'usnat.SaleOptOut');
  w.__gpp('getField', (d) => (got.nofield = d), 'usnat.Nope');
  w.__gpp('bogus', (d, ok) => (got.bogus = ok));
  assert.equal(got.has, true);
  assert.equal(got.hasTcf, false);
  assert.equal(got.section.Gpc, true);
  assert.equal(got.field, 1);
  assert.equal(got.nofield, null);
  assert.equal(got.bogus, false);

  const events = [];
  let id;
  w.__gpp('addEventListener', (e) => {
    events.push(e);
    id = e.listenerId;
  });
  assert.equal(events[0].eventName, 'listenerRegistered');
  cats = { advertising: true };
  notify('sectionChange', ['usnat']);
  assert.equal(events[1].eventName, 'sectionChange');
  assert.equal(new GppModel(events[1].pingData.gppString).getFieldValue('usnat', 'SaleOptOut'), 2);
  let removed;
  w.__gpp('removeEventListener', (d) => (removed = d), id);
  assert.equal(removed, true);
  notify('sectionChange', ['usnat']);
  assert.equal(events.length, 2);
});
