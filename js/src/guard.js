// Holding tags that page code inserts later (tag managers, single-page apps) inert until granted.

const SELECTOR = 'script[src],iframe[src],img[src],embed[src],object[data],link[href],source[src]';

/**
 * Compiles the server's rules, `[[host suffix, path regex source or "", category, service id], ...]`,
 * ordered most specific first (path rules before host rules, as the catalog matches).
 */
export function compile(rules) {
  return rules.map(([host, path, cat, service]) => [host, path ? new RegExp(path) : null, cat, service]);
}

/** The rule (`[host, regex, category, service]`) an http(s) URL matches first, or undefined. */
export function ruleOf(url, base, rules) {
  let u;
  try {
    u = new URL(url, base);
  } catch {
    return undefined;
  }
  if (!/^https?:$/.test(u.protocol)) return undefined;
  const host = u.hostname;
  const path = (u.pathname + u.search).toLowerCase();
  return rules.find(([h, re]) => (host === h || host.endsWith('.' + h)) && (!re || re.test(path)));
}

/** The category of an http(s) URL by the first compiled rule it matches, or undefined. */
export function categoryOf(url, base, rules) {
  const rule = ruleOf(url, base, rules);
  return rule && rule[2];
}

/** Makes one element inert when its URL belongs to a category not granted. Returns the category held. */
export function hold(el, base, rules, isGranted) {
  if (el.nodeType !== 1 || el.hasAttribute('data-cg-category')) return undefined;
  const tag = el.tagName;
  const attr = tag === 'OBJECT' ? 'data' : tag === 'LINK' ? 'href' : 'src';
  const url = el.getAttribute(attr);
  if (!url) return undefined;
  const rule = ruleOf(url, base, rules);
  const cat = rule && rule[2];
  if (!cat || isGranted(cat)) return undefined;
  if (tag === 'SCRIPT') {
    const type = el.getAttribute('type');
    if (type) el.setAttribute('data-cg-type', type);
    el.setAttribute('type', 'text/plain');
  }
  el.setAttribute('data-cg-' + attr, url);
  el.removeAttribute(attr);
  if (tag === 'IMG' && el.hasAttribute('srcset')) {
    el.setAttribute('data-cg-srcset', el.getAttribute('srcset'));
    el.removeAttribute('srcset');
  }
  el.setAttribute('data-cg-category', cat);
  if (rule[3]) el.setAttribute('data-cg-service', rule[3]);
  return cat;
}

function scan(node, base, rules, isGranted) {
  if (node.nodeType === 1) hold(node, base, rules, isGranted);
  if (node.querySelectorAll) for (const el of node.querySelectorAll(SELECTOR)) hold(el, base, rules, isGranted);
}

/**
 * Guards the document: nodes are checked as they are inserted through appendChild/insertBefore/
 * replaceChild/append/prepend/before/after (before the browser starts loading them), HTML strings
 * given to innerHTML/outerHTML/insertAdjacentHTML before they are parsed in place, and a
 * MutationObserver catches the rest (the parser, document.write). `onHeld()` runs after new
 * elements were held.
 */
export function guard(w, rawRules, isGranted, onHeld) {
  const doc = w.document;
  const rules = compile(rawRules);
  const check = (nodes) => {
    for (const n of nodes) if (n && typeof n === 'object') scan(n, doc.baseURI, rules, isGranted);
  };
  const wrap = (proto, name, pick) => {
    const orig = proto[name];
    if (typeof orig !== 'function') return;
    proto[name] = function (...args) {
      check(pick(args));
      return orig.apply(this, args);
    };
  };
  // HTML strings: an iframe set through innerHTML starts loading before any MutationObserver hears
  // of it, so markup that may hold a tag is parsed in an inert <template> first.
  const E = w.Element.prototype;
  const inner = Object.getOwnPropertyDescriptor(E, 'innerHTML');
  const safe = (html) => {
    if (!/<(script|iframe|img|embed|object|link|source)\b/i.test(html)) return html;
    const t = doc.createElement('template');
    inner.set.call(t, html);
    let held = false;
    for (const el of t.content.querySelectorAll(SELECTOR)) held = !!hold(el, doc.baseURI, rules, isGranted) || held;
    return held ? inner.get.call(t) : html;
  };
  for (const name of ['innerHTML', 'outerHTML']) {
    const d = Object.getOwnPropertyDescriptor(E, name);
    if (d && d.set) {
      Object.defineProperty(E, name, { ...d, set(html) { d.set.call(this, safe(String(html))); } });
    }
  }
  const adjacent = E.insertAdjacentHTML;
  E.insertAdjacentHTML = function (where, html) {
    return adjacent.call(this, where, safe(String(html)));
  };
  const N = w.Node.prototype;
  wrap(N, 'appendChild', (a) => [a[0]]);
  wrap(N, 'insertBefore', (a) => [a[0]]);
  wrap(N, 'replaceChild', (a) => [a[0]]);
  for (const name of ['append', 'prepend', 'before', 'after', 'replaceWith']) wrap(w.Element.prototype, name, (a) => a);
  const mo = new w.MutationObserver((records) => {
    let held = false;
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (n.nodeType !== 1) continue;
        scan(n, doc.baseURI, rules, isGranted);
        // Held here or already on insertion: either way it may need a placeholder now.
        held ||= n.hasAttribute('data-cg-category') || !!n.querySelector('[data-cg-category]');
      }
    }
    if (held && onHeld) onHeld();
  });
  mo.observe(doc.documentElement, { childList: true, subtree: true });
  return mo;
}
