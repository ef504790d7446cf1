// The inline bootstrap, run before every other script of the page: Consent Mode defaults, a __gpp
// stub, and the guard that holds later-inserted catalog tags inert (it must exist before any page
// script can insert one, which is why it lives here and not in the deferred banner).
// consentgate/gate/injection.py replaces CG_PARAMS with {"c": state cookie name, "r": revision, "g": categories
// GPC refuses, "w": whether a choice wins over GPC, "i": every category, "h": the guard's rules (see guard.js)}.

/* global CG_PARAMS */
import { guard } from './guard.js';
import { categoriesFor, readState } from './state.js';

(function (p, w) {
  const st = readState(w.document.cookie, p.c, p.r);
  const gpc = w.navigator.globalPrivacyControl === true;
  const cats = categoriesFor(p.i, st, gpc, p.g, p.w);
  const g = (c) => (cats[c] ? 'granted' : 'denied');
  w.dataLayer = w.dataLayer || [];
  function gtag() {
    w.dataLayer.push(arguments);
  }
  w.gtag = w.gtag || gtag;
  gtag('consent', 'default', {
    analytics_storage: g('analytics'),
    ad_storage: g('advertising'),
    ad_user_data: g('advertising'),
    ad_personalization: g('advertising'),
    functionality_storage: 'granted',
    security_storage: 'granted',
    wait_for_update: 500,
  });
  // Calls made before the banner loads wait in a queue it answers (IAB GPP stub).
  if (!w.__gpp) {
    const q = [];
    const stub = function () {
      q.push([].slice.call(arguments));
    };
    stub.queue = q;
    w.__gpp = stub;
  }
  // Shared with the banner, which reads the state from here, updates `cats` after every confirmed
  // choice and sets `held`.
  const cg = (w.__cg = { cats, decided: st.decided, gpc, held: null });
  guard(w, p.h, (c) => !!cg.cats[c], () => cg.held && cg.held());
})(CG_PARAMS, window);
