// Wiring: state, UI, activation, signals and the public API.

import { activate, placehold } from './activate.js';
import { pickLang, readConfig } from './config.js';
import { deleteCookies } from './cookies.js';
import { installGpp, usnatFields } from './gpp.js';
import { emit, publish } from './signals.js';
import { applyStyles } from './styles.js';
import { SUPERSEDED, sender } from './transport.js';
import { createUI } from './ui.js';

/** Starts the banner in window `w`. Returns the public API (also set as `window.consentgate`), or null without config. */
export function start(w, opts = {}) {
  const doc = w.document;
  const cfg = readConfig(doc);
  if (!cfg) return null;
  const nonce = opts.nonce || '';
  const lang = pickLang(cfg.texts, doc.documentElement.lang, w.navigator.languages);
  const T = cfg.texts[lang];
  const ids = cfg.categories;
  // The bootstrap read the state cookie and the privacy signal before any other script ran.
  const boot = w.__cg || { cats: { necessary: true }, decided: false, gpc: false };
  const gpc = boot.gpc;
  const refuses = cfg.gpc.refuses;
  let decided = boot.decided;
  let cats = boot.cats;
  const listeners = new Set();
  // Categories that were live on this page (granted at load, or activated since): their scripts may
  // have run and their embeds loaded, so revoking one of them needs a reload.
  const ran = new Set(ids.filter((id) => id !== 'necessary' && cats[id]));
  // The signal is honoured (and said so) when it refuses something the visitor could otherwise grant.
  const locked = (id) => gpc && !cfg.gpc.choiceWins && refuses.includes(id);
  const granted = (id) => !!cats[id];
  const names = {};
  for (const id in cfg.services) for (const s of cfg.services[id]) names[s.id] = s.name;
  const name = (sid, cat) => names[sid] || sid || (T.categories[cat] || [cat])[0];

  const consent = () => ({ decided, categories: { ...cats }, gpc, revision: cfg.revision, lang });
  applyStyles(w, doc, nonce);
  const send = sender(w, cfg.endpoint, () => ui.say(T.retrying));
  const ui = createUI(doc, {
    T, lang, ids, policy: cfg.policy, services: cfg.services, gpcNote: gpc && refuses.length > 0, locked,
    current: () => cats, decided: () => decided,
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
    if (w.__cg) w.__cg.cats = cats;
    const revoked = new Set(ids.filter((id) => before[id] && !cats[id]));
    publish(w, cats);
    notify('sectionChange', ['usnat']);
    const detail = consent();
    emit(w, 'change', detail);
    for (const cb of listeners) cb(detail);
    if (revoked.size) {
      for (const id of revoked) {
        const c = cfg.cookies[id];
        if (c) deleteCookies(doc, w.location, c.names, c.prefixes);
      }
      if ([...revoked].some((id) => ran.has(id))) {
        w.location.reload();
        return;
      }
    }
    run();
  }

  function run() {
    placehold(doc, granted, T, name);
    return activate(doc, new Set(ids.filter((id) => id !== 'necessary' && cats[id])), nonce, ran);
  }

  function choose(method, body) {
    ui.say(T.saving);
    return send(method, body).then(
      (state) => {
        apply(state.categories || {});
        ui.done();
        return consent();
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
  if (w.__cg) w.__cg.held = () => placehold(doc, granted, T, name);
  run();
  emit(w, 'ready', consent());
  return api;
}
