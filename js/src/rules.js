// The guard's knowledge, served as /consentgate/assets/<version>/rules.js (cached, immutable) and
// loaded by the inline guard when a third-party tag first needs a decision.
// consentgate/gate/injection.py replaces CG_TABLE with the gate's table (see classify.js).

/* global CG_TABLE */
import { classifier } from './classify.js';
import { restore } from './inert.js';

(function (t, w) {
  const cg = w.__cg;
  const doc = w.document;
  cg.k = classifier(t, w.location.hostname, () => doc.baseURI);
  let held = 0;
  // The pending tags: those held on insertion, and the copies HTML strings made of held ones.
  const pending = new Set(cg.q.splice(0));
  for (const el of doc.querySelectorAll('[data-cg-pending]')) pending.add(el);
  for (const el of pending) {
    el.removeAttribute('data-cg-pending');
    const c = cg.k(el.getAttribute('data-cg-' + (el.tagName === 'OBJECT' ? 'data' : el.tagName === 'LINK' ? 'href' : 'src')));
    if (!c || cg.cats[c[0]]) restore(el);
    else {
      el.setAttribute('data-cg-category', c[0]);
      el.setAttribute('data-cg-service', c[1]);
      held ||= /^(IFRAME|EMBED|OBJECT)$/.test(el.tagName);
    }
  }
  // From now on the parser's tags (markup the gate did not see) are checked too. Records come in
  // document order: only a subtree inserted whole has children not added in the same batch, so
  // only then is it searched.
  new w.MutationObserver((records) => {
    let h = 0;
    const seen = new Set();
    for (let i = records.length - 1; i >= 0; i--) {
      const nodes = records[i].addedNodes;
      for (let j = nodes.length - 1; j >= 0; j--) {
        const n = nodes[j];
        if (n.nodeType !== 1) continue;
        seen.add(n);
        h = cg.h(n) || h;
        if (n.firstElementChild && !seen.has(n.firstElementChild)) h = cg.c(n) || h;
      }
    }
    if (h && cg.held) cg.held();
  }).observe(doc.documentElement, { childList: true, subtree: true });
  if (held && cg.held) cg.held();
})(CG_TABLE, window);
