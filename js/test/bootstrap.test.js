// The built bootstrap (consentgate/static/bootstrap.js), as the server inlines it, against a real
// local gate serving the consent endpoint and the assets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dom, gateServer, runBootstrap, until } from './helpers.js';

const defaults = (w) => [...w.dataLayer].find((e) => e[0] === 'consent' && e[1] === 'default')[2];

async function withGate(fn, opts) {
  const gate = await gateServer(opts);
  try {
    await fn(gate);
  } finally {
    await gate.close();
  }
}

test('Consent Mode default denies analytics and ads before any page script; the texts are fetched at once', () =>
  withGate(async (gate) => {
    const w = dom('', { scripts: true, gate, lang: 'de' });
    runBootstrap(w);
    const d = defaults(w);
    assert.deepEqual([d.analytics_storage, d.ad_storage, d.ad_user_data, d.ad_personalization], ['denied', 'denied', 'denied', 'denied']);
    assert.equal(w.__cg.lang, 'de');
    assert.equal(typeof w.gtag, 'function');
    assert.equal((await w.__cg.t).t.accept, 'Alle akzeptieren');
    assert.equal(await w.__cg.s, null); // no cookie: nothing to confirm
    assert.deepEqual(gate.gets, ['/consentgate/assets/v1/texts.de.json']);
  }));

test('a state cookie claiming grants grants nothing by itself: the gate is asked', () =>
  withGate(async (gate) => {
    for (const cookie of ['consentgate_state=1.1.necessary-analytics-advertising', 'consentgate_state=1.0.necessary-analytics', 'consentgate_state=1.1.necessary']) {
      const w = dom('', { scripts: true, gate });
      w.document.cookie = cookie;
      runBootstrap(w);
      assert.equal(defaults(w).analytics_storage, 'denied', cookie);
      assert.equal(defaults(w).ad_storage, 'denied', cookie);
      assert.deepEqual({ ...w.__cg.cats }, { necessary: true, analytics: false, advertising: false, social: false });
      assert.equal((await w.__cg.s).decided, false, cookie); // what this gate holds
      await w.__cg.t;
    }
    assert.equal(gate.gets.filter((u) => u === '/consentgate/consent').length, 3);
    // An outdated revision claims nothing: not even a question.
    const old = dom('', { scripts: true, gate });
    old.document.cookie = 'consentgate_state=1.1.necessary-analytics';
    runBootstrap(old, { r: 2 });
    assert.equal(await old.__cg.s, null);
    await old.__cg.t;
  }));

test('the __gpp stub queues calls for the banner; an existing __gpp is kept', () =>
  withGate(async (gate) => {
    const w = dom('', { scripts: true, gate });
    runBootstrap(w);
    w.__gpp('ping', () => {});
    assert.equal(w.__gpp.queue.length, 1);
    assert.equal(w.__gpp.queue[0][0], 'ping');
    const other = dom('', { scripts: true, gate });
    other.__gpp = function mine() {};
    runBootstrap(other);
    assert.equal(other.__gpp.name, 'mine');
    await Promise.all([w.__cg.t, other.__cg.t]);
  }));

test('before the rules arrive a third-party tag is held pending; then released or kept by category', () =>
  withGate(async (gate) => {
    const w = dom('', { scripts: true, gate });
    runBootstrap(w);
    const d = w.document;
    const tag = (src) => {
      const s = d.createElement('script');
      s.src = src;
      d.head.appendChild(s);
      return s;
    };
    const ga = tag('https://www.google-analytics.com/analytics.js');
    const lib = tag('https://cdn.jsdelivr.net/npm/lib.js'); // known to no list: allowed in allow mode
    const own = tag('data:text/javascript,window.own=1');
    // HTML strings are parsed in a template: the tag in the page is a copy of the one held.
    const box = d.createElement('div');
    d.body.append(box);
    box.innerHTML = '<iframe src="https://www.youtube.com/embed/late"></iframe>';
    const frame = box.firstChild;
    assert.equal(frame.hasAttribute('data-cg-pending'), true);
    assert.equal(own.hasAttribute('type'), false); // not http(s): never held
    for (const s of [ga, lib]) {
      assert.equal(s.getAttribute('type'), 'text/plain');
      assert.equal(s.hasAttribute('src'), false);
      assert.equal(s.hasAttribute('data-cg-pending'), true);
    }
    await until(() => !lib.hasAttribute('data-cg-pending'));
    assert.equal(lib.getAttribute('src'), 'https://cdn.jsdelivr.net/npm/lib.js');
    assert.equal(lib.hasAttribute('type'), false);
    assert.equal(ga.getAttribute('data-cg-category'), 'analytics');
    assert.equal(frame.getAttribute('data-cg-category'), 'social');
    assert.equal(frame.hasAttribute('data-cg-pending'), false);
    assert.equal(ga.getAttribute('data-cg-src'), 'https://www.google-analytics.com/analytics.js');
    assert.equal(gate.gets.filter((u) => u.endsWith('rules.js')).length, 1);
    // From now on the table answers at once; a granted category passes.
    w.__cg.cats = { ...w.__cg.cats, analytics: true };
    const later = tag('https://www.google-analytics.com/analytics.js');
    assert.equal(later.getAttribute('src'), 'https://www.google-analytics.com/analytics.js');
    await w.__cg.t;
  }));

test('unknown third parties blocked: held pending, then kept as unclassified; first party and allowed hosts load', () =>
  withGate(
    async (gate) => {
      const w = dom('', { scripts: true, gate });
      runBootstrap(w, { u: 1 });
      const d = w.document;
      const img = (src) => {
        const el = d.createElement('img');
        el.src = src;
        d.body.append(el);
        return el;
      };
      const unknown = img('https://px.nobody-knows.example/p.gif');
      const allowed = img('https://static.partner.example/logo.png');
      const own = img('https://cdn.site.example/x.png');
      await until(() => !unknown.hasAttribute('data-cg-pending') && !allowed.hasAttribute('data-cg-pending'));
      assert.equal(unknown.getAttribute('data-cg-category'), 'unclassified');
      assert.equal(unknown.hasAttribute('src'), false);
      assert.equal(allowed.getAttribute('src'), 'https://static.partner.example/logo.png');
      assert.equal(own.getAttribute('src'), 'https://cdn.site.example/x.png');
      // Granting every category does not let an unclassified host through.
      w.__cg.cats = { necessary: true, analytics: true, advertising: true, social: true };
      const again = img('https://px.nobody-knows.example/p2.gif');
      assert.equal(again.getAttribute('data-cg-category'), 'unclassified');
      await w.__cg.t;
    },
    { files: undefined, table: 'block' },
  ));
