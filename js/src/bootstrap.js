// The inline bootstrap, run before every other script of the page: Consent Mode defaults, a __gpp
// stub, and the guard that holds later-inserted third-party tags (it must exist before any page
// script can insert one, which is why it lives here and not in the deferred banner).
// consentgate/gate/injection.py replaces CG_PARAMS with {"c": state cookie name, "r": revision,
// "i": every category, "l": the languages with texts, "a": the versioned assets' base URL, "u": 1
// when unknown third parties are blocked}.
// Everything else (the guard's table in rules.js, the texts) comes from cached, immutable assets.

/* global CG_PARAMS */
import { pickLang } from './config.js';
import { guard } from './guard.js';
import { ENDPOINT, claims } from './state.js';

(function (p, w) {
  const doc = w.document;
  const cats = {};
  for (const c of p.i) cats[c] = c === 'necessary';
  w.dataLayer = w.dataLayer || [];
  function gtag() {
    w.dataLayer.push(arguments);
  }
  w.gtag = w.gtag || gtag;
  gtag('consent', 'default', {
    analytics_storage: 'denied',
    ad_storage: 'denied',
    ad_user_data: 'denied',
    ad_personalization: 'denied',
    wait_for_update: 500,
  });
  // Calls made before the banner loads wait in a queue it answers (IAB GPP stub).
  if (!w.__gpp) {
    const q = [];
    w.__gpp = function () {
      q.push(arguments);
    };
    w.__gpp.queue = q;
  }
  const json = (url) => w.fetch(url).then((r) => (r.ok ? r.json() : Promise.reject(r.status)));
  const lang = pickLang(p.l, doc.documentElement.lang, w.navigator.languages);
  // Shared with the banner: `cats` updated after every confirmed choice, `held()` (called after the
  // guard held something) set by it, `q` the guard's pending tags, `t` the texts of the visitor's
  // language (fetched now, in parallel with the banner script), `s` the gate's word on an
  // unconfirmed state cookie.
  // Nothing is granted before the gate has said so: a state cookie that claims a choice or a grant
  // is only the browser's word (page code can write it), so such a claim is confirmed with the gate
  // (`s`). The cookie is read asynchronously where the browser can (document.cookie is a synchronous
  // round trip to the browser process).
  const s = (w.cookieStore ? w.cookieStore.get(p.c).then((c) => c && p.c + '=' + c.value) : Promise.resolve(doc.cookie)).then((v) =>
    claims(v, p.c, p.r) ? json(ENDPOINT) : null,
  );
  const cg = (w.__cg = { p, cats, held() {}, q: [], lang, t: json(p.a + 'texts.' + lang + '.json'), s });
  // The guard's table and classifier: a script (CSP allows it with this script's nonce, which an
  // inline script running has), once.
  const me = doc.currentScript;
  let asked;
  const load = () => {
    if (asked) return;
    asked = doc.createElement('script');
    asked.src = p.a + 'rules.js';
    asked.nonce = me.nonce;
    doc.head.append(asked);
  };
  guard(w, cg, load);
})(CG_PARAMS, window);
