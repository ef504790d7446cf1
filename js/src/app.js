// Wiring: state, UI, activation, signals and the public API.

import { EMBEDS, activate, placehold } from './activate.js';
import { deleteCookies } from './cookies.js';
import { installGpp, usnatFields } from './gpp.js';
import { ENDPOINT, categoriesFor } from './state.js';
import { emit, publish, update } from './signals.js';
import { applyStyles } from './styles.js';
import { SUPERSEDED, sender } from './transport.js';
import { createUI } from './ui.js';

/**
 * Starts the banner in window `w` once the bootstrap's fetches answered (the texts of the visitor's
 * language; the gate's word on an unconfirmed state cookie). Resolves to the public API (also set
 * as `window.consentgate`), or null without the bootstrap or its texts.
 */
export function start(w, opts = {}) {
  const boot = w.__cg;
  if (!boot || !boot.p) return Promise.resolve(null);
  // The gate could not be asked: the cookie stays unconfirmed, so the visitor is undecided.
  const said = Promise.resolve(boot.s).catch(() => null);
  return Promise.all([boot.t, said]).then(([cfg, server]) => begin(w, boot, cfg, server, opts.nonce || ''), () => null);
}

function begin(w, boot, cfg, server, nonce) {
  const doc = w.document;
  const p = boot.p;
  const lang = boot.lang;
  const T = cfg.t;
  const ids = p.i;
  const refuses = cfg.g;
  const gpc = w.navigator.globalPrivacyControl === true;
  let decided = false;
  let cats = boot.cats;
  if (server) {
    // What the gate holds, with the privacy signal applied as the bootstrap does.
    decided = !!server.decided;
    const granted = new Set(ids.filter((id) => server.categories && server.categories[id]));
    cats = boot.cats = categoriesFor(ids, { decided, granted }, gpc, refuses, cfg.w);
    update(w, cats);
  }
  boot.decided = decided;
  const listeners = new Set();
  // Categories that were live on this page (granted at load, or activated since): their scripts may
  // have run and their embeds loaded, so revoking one of them needs a reload.
  const ran = new Set(ids.filter((id) => id !== 'necessary' && cats[id]));
  // The signal is honoured (and said so) when it refuses something the visitor could otherwise grant.
  const locked = (id) => gpc && !cfg.w && refuses.includes(id);
  const granted = (id) => !!cats[id];
  // The service lists and cookie names: fetched once, when first needed.
  let more;
  const extra = () => (more ||= w.fetch(p.a + 'services.json').then((r) => r.json()).catch(() => ({ s: {}, k: {} })));
  const names = {};
  const name = (sid, cat) => names[sid] || sid || (T.categories[cat] || [cat])[0];
  const place = () => {
    if (doc.querySelector(EMBEDS)) {
      extra().then((d) => {
        for (const id in d.s) for (const s of d.s[id]) names[s.id] = s.name;
        placehold(doc, granted, T, name);
      });
    }
  };

  const consent = () => ({ decided, categories: { ...cats }, gpc, revision: p.r, lang });
  applyStyles(w, doc, nonce);
  const send = sender(w, ENDPOINT, () => ui.say(T.retrying));
  const ui = createUI(doc, {
    T, lang, ids, policy: cfg.p, services: () => extra().then((d) => d.s), gpcNote: gpc && refuses.length > 0, locked,
    current: () => cats, decided: () => decided,
    // The region grants these until the visitor objects (e.g. statistics under the UK's DUAA).
    byDefault: () => (decided ? [] : ids.filter((id) => id !== 'necessary' && cats[id])),
    // A click's outcome is shown in the status line; its promise has no one else to tell.
    accept: () => api.acceptAll().catch(quiet), reject: () => api.rejectAll().catch(quiet),
    save: (c) => choose('POST', { categories: pick(c), language: lang }).catch(quiet),
  });
  const quiet = () => {};
  const pick = (c) => {
    const out = {};
    for (const id of ids) if (id !== 'necessary') out[id] = !!c[id];
    return out;
  };

  function apply(next) {
    const before = cats;
    cats = {};
    for (const id of ids) cats[id] = id === 'necessary' || next[id] === true;
    decided = true;
    boot.cats = cats;
    boot.decided = true;
    const revoked = new Set(ids.filter((id) => before[id] && !cats[id]));
    publish(w, cats);
    notify('sectionChange', ['usnat']);
    const detail = consent();
    emit(w, 'change', detail);
    for (const cb of listeners) cb(detail);
    if (revoked.size) {
      const reload = [...revoked].some((id) => ran.has(id));
      const gone = extra().then((d) => {
        for (const id of revoked) {
          const c = d.k[id];
          if (c) deleteCookies(doc, w.location, c.names, c.prefixes);
        }
        if (reload) w.location.reload();
      });
      if (reload) return gone;
    }
    run();
  }

  function run() {
    place();
    return activate(doc, new Set(ids.filter((id) => id !== 'necessary' && cats[id])), nonce, ran);
  }

  function choose(method, body) {
    ui.say(T.saving);
    return send(method, body).then(
      (state) => {
        const applied = apply(state.categories || {});
        ui.done();
        return Promise.resolve(applied).then(consent);
      },
      (err) => {
        if (err !== SUPERSEDED) ui.say(T.failed);
        throw err;
      },
    );
  }

  const api = {
    /** The current consent: {decided, categories, gpc, revision, lang}. */
    getConsent: consent,
    /** Opens the preferences dialog. */
    show: () => ui.open(),
    /** Records "accept all"; resolves once the gate confirmed it and the page applied it. */
    acceptAll: () => choose('POST', { action: 'accept_all', language: lang }),
    /** Records "reject all"; after an earlier grant it is a withdrawal (DELETE), recorded as such. */
    rejectAll: () => (decided && ids.some((id) => id !== 'necessary' && cats[id]) ? choose('DELETE') : choose('POST', { action: 'reject_all', language: lang })),
    /** Calls `cb(consent)` after every change; returns a function that unsubscribes. */
    onChange: (cb) => (listeners.add(cb), () => listeners.delete(cb)),
  };
  w.consentgate = api;
  const notify = installGpp(w, () => ({ fields: usnatFields(cats, gpc), display: ui.shown() ? 'visible' : 'hidden' }));

  if (!decided) {
    ui.showBanner(true);
    if (w.performance.mark) w.performance.mark('consentgate:shown');
  } else {
    doc.body.append(ui.pc);
  }
  // The bootstrap's guard holds later-inserted tags; they get placeholders here.
  boot.held = place;
  run();
  emit(w, 'ready', consent());
  return api;
}
