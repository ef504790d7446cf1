// Holding tags that page code inserts later (tag managers, single-page apps) inert until granted.
// This part is inline in every page, so it only holds: a third-party tag inserted before the gate's
// table of hosts is here is held "pending" and the table's script (rules.js, a cached asset
// fetched when first needed) decides it, then installs the classifier `cg.k` for what follows.

const ATTR = { SCRIPT: 'src', IFRAME: 'src', IMG: 'src', EMBED: 'src', OBJECT: 'data', LINK: 'href', SOURCE: 'src' };
const TAGS = Object.keys(ATTR);
const SELECTOR = TAGS.map((t) => t + '[' + ATTR[t] + ']').join();
const MARKUP = new RegExp('<(' + TAGS.join('|') + ')\\b', 'i');
const EMBED = { IFRAME: 1, EMBED: 1, OBJECT: 1 };

/** Is `host` the suffix `suffix` or under it? */
export const under = (host, suffix) => host === suffix || host.endsWith('.' + suffix);

/** The first-party host suffix of a page: its host without a leading `www.`. */
export const siteOf = (hostname) => hostname.replace(/^www\./, '');

/** The http(s) URL `url` resolved against `base`, or null. */
export function parse(url, base) {
  try {
    const u = new URL(url, base);
    return /^https?:$/.test(u.protocol) ? u : null;
  } catch {
    return null;
  }
}

/** Makes `el` inert: its loading attribute (and srcset) kept as data-cg-*, a script typed text/plain. */
export function sleep(el, attr, url) {
  if (el.tagName === 'SCRIPT') {
    const type = el.getAttribute('type');
    if (type) el.setAttribute('data-cg-type', type);
    el.setAttribute('type', 'text/plain');
  }
  el.setAttribute('data-cg-' + attr, url);
  el.removeAttribute(attr);
  const set = el.getAttribute('srcset');
  if (set !== null && attr === 'src') {
    el.setAttribute('data-cg-srcset', set);
    el.removeAttribute('srcset');
  }
}

/**
 * Guards the document: nodes are checked as they are inserted through appendChild/insertBefore/
 * replaceChild/append/prepend/before/after/replaceWith/replaceChildren/Range.insertNode (before the
 * browser starts loading them), and HTML strings given to innerHTML/outerHTML/insertAdjacentHTML/
 * document.write before they are parsed. `cg` is the bootstrap's shared object: `cats`, `held()`;
 * the guard adds `q` (the pending elements), `h(el)` (hold one), `c(node)` (hold a subtree);
 * rules.js adds `k(url)` ([category, service] or nothing). `load()` fetches rules.js once.
 * Returns `cg.c`.
 */
export function guard(w, cg, load) {
  const doc = w.document;
  const site = siteOf(w.location.hostname);
  cg.q = [];
  let held = 0; // how many tags were held so far
  // A tag marked with a granted category (by the site, or let through) passes; a held one has no
  // loading attribute left. A marked tag given a URL while its category is refused is judged anew.
  const hold = (cg.h = (el) => {
    const attr = ATTR[el.tagName];
    if (!attr || cg.cats[el.getAttribute('data-cg-category')]) return 0;
    const url = el.getAttribute(attr);
    let c;
    if (!url) return 0;
    if (cg.k) c = cg.k(url);
    else {
      const u = parse(url, doc.baseURI);
      if (u && !under(u.hostname, site)) c = [''];
    }
    if (!c || cg.cats[c[0]]) return 0;
    sleep(el, attr, url);
    held++;
    if (!c[1]) {
      el.setAttribute('data-cg-pending', '');
      cg.q.push(el);
      load();
      return 0;
    }
    el.setAttribute('data-cg-category', c[0]);
    el.setAttribute('data-cg-service', c[1]);
    return EMBED[el.tagName] || 0;
  });
  const check = (cg.c = (n) => {
    if (!n || n.nodeType !== 1 && n.nodeType !== 11) return 0;
    let embeds = n.nodeType === 1 ? hold(n) : 0;
    if (n.firstElementChild) for (const el of n.querySelectorAll(SELECTOR)) embeds = hold(el) || embeds;
    return embeds;
  });
  const wrap = (proto, name, all) => {
    const orig = proto && proto[name];
    if (typeof orig !== 'function') return;
    proto[name] = function (...args) {
      let embeds = 0;
      for (const n of all ? args : args.slice(0, 1)) if (n && typeof n === 'object') embeds = check(n) || embeds;
      const out = orig.apply(this, args);
      if (embeds && cg.held) cg.held();
      return out;
    };
  };
  // HTML strings: an iframe set through innerHTML starts loading before any MutationObserver hears
  // of it, so markup that may hold a tag is parsed in an inert <template> first.
  const E = w.Element.prototype;
  const inner = Object.getOwnPropertyDescriptor(E, 'innerHTML');
  const safe = (html) => {
    html = String(html);
    if (!MARKUP.test(html)) return html;
    const tpl = doc.createElement('template');
    inner.set.call(tpl, html);
    const n = held;
    check(tpl.content);
    return n === held ? html : inner.get.call(tpl);
  };
  // And `new Image().src = url`, which fetches at once, detached, where no insertion is checked.
  for (const [proto, name] of [[E, 'innerHTML'], [E, 'outerHTML'], [w.HTMLImageElement.prototype, 'src']]) {
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (d && d.set) {
      Object.defineProperty(proto, name, {
        ...d,
        set(v) {
          if (name !== 'src') return d.set.call(this, safe(v));
          d.set.call(this, v);
          hold(this);
        },
      });
    }
  }
  for (const [proto, name] of [[E, 'insertAdjacentHTML'], [E, 'setHTMLUnsafe'], [w.Document.prototype, 'write'], [w.Document.prototype, 'writeln']]) {
    const orig = proto[name];
    if (typeof orig === 'function') {
      proto[name] = function (...args) {
        return orig.apply(this, name === 'insertAdjacentHTML' ? [args[0], safe(args[1])] : args.map(safe));
      };
    }
  }
  for (const name of ['appendChild', 'insertBefore', 'replaceChild']) wrap(w.Node.prototype, name);
  for (const name of ['append', 'prepend', 'before', 'after', 'replaceWith', 'replaceChildren']) {
    wrap(E, name, 1);
    wrap(w.CharacterData && w.CharacterData.prototype, name, 1);
  }
  wrap(w.Range && w.Range.prototype, 'insertNode');
  return check;
}
