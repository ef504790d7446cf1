// Holding tags that page code inserts later (tag managers, single-page apps) inert until granted.
// This part is inline in every page, so it only holds: a third-party tag inserted before the gate's
// table of hosts is here is held "pending" and the table's script (rules.js, a cached asset
// fetched when first needed) decides it, then installs the classifier `cg.k` for what follows.

const ATTR = { SCRIPT: 'src', IFRAME: 'src', IMG: 'src', EMBED: 'src', OBJECT: 'data', LINK: 'href', SOURCE: 'src' };
const TAGS = Object.keys(ATTR);
const SELECTOR = TAGS.map((t) => t + '[' + ATTR[t] + ']').join();
const MARKUP = new RegExp('<(' + TAGS.join('|') + ')\\b', 'i');

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
  el.setAttribute('data-cg-' + attr, url);
  el.removeAttribute(attr);
  if (attr === 'src' && el.hasAttribute('srcset')) sleep(el, 'srcset', el.getAttribute('srcset'));
  else if (el.tagName === 'SCRIPT' && el.type !== 'text/plain') {
    // (Not again on a held script given another URL: its type is already kept.)
    if (el.type) el.setAttribute('data-cg-type', el.type);
    el.setAttribute('type', 'text/plain');
  }
}

/**
 * Guards the document: nodes are checked as they are inserted through appendChild/insertBefore/
 * replaceChild/append/prepend/before/after/replaceWith/replaceChildren/Range.insertNode (before the
 * browser starts loading them), HTML strings given to innerHTML/outerHTML/insertAdjacentHTML/
 * document.write before they are parsed, and a URL given to a guarded tag's loading attribute or
 * srcset (setAttribute, setAttributeNS, the property) before it is set. `cg` is the bootstrap's
 * shared object: `cats`, `held()` (called after something was held), `q` (the pending elements);
 * the guard adds `h(el)` (hold one), `c(node)` (hold a subtree), both true when they held
 * something; rules.js adds `k(url)` ([category, service] or nothing). `load()` fetches rules.js
 * once. Returns `cg.c`.
 */
export function guard(w, cg, load) {
  const doc = w.document;
  const site = siteOf(w.location.hostname);
  // A third-party URL is held pending until the table (rules.js) is here, then as it says.
  const judge = (url) => {
    if (cg.k) return cg.k(url);
    const u = parse(url, doc.baseURI);
    return u && !under(u.hostname, site) && [''];
  };
  // `el`'s loading attribute or srcset `name`, with the value `v` it has or is about to get (each
  // URL of a srcset). A tag marked with a granted category (by the site, or let through) passes; a
  // held one has no loading attribute left. A marked tag given a URL while its category is refused
  // is judged anew.
  const hold = (cg.h = (el, name = ATTR[el.tagName], v = el.getAttribute(name)) => {
    if (!v || (name !== ATTR[el.tagName] && name !== 'srcset') || cg.cats[el.getAttribute('data-cg-category')]) return 0;
    const c = (name === 'srcset' ? v.split(/[\s,]+/) : [v]).map(judge).find((c) => c && !cg.cats[c[0]]);
    if (!c) return 0;
    sleep(el, name, v);
    if (c[1]) {
      el.setAttribute('data-cg-category', c[0]);
      el.setAttribute('data-cg-service', c[1]);
    } else {
      el.setAttribute('data-cg-pending', '');
      cg.q.push(el);
      load();
    }
    return 1;
  });
  const check = (cg.c = (n) => {
    let h = n?.tagName && hold(n);
    if (n?.firstElementChild) for (const el of n.querySelectorAll(SELECTOR)) h = hold(el) || h;
    return h;
  });
  // Nodes inserted (the first `one` arguments, or all) are checked first; `html`: the arguments are
  // HTML strings.
  const wrap = (proto, name, one, html) => {
    const orig = proto[name];
    if (orig) {
      proto[name] = function (...args) {
        let h;
        for (const n of args.slice(0, one)) h = check(n) || h;
        const out = orig.apply(this, html ? args.map(safe) : args);
        if (h) cg.held();
        return out;
      };
    }
  };
  // HTML strings: an iframe set through innerHTML starts loading before any MutationObserver hears
  // of it, so markup that may hold a tag is parsed in an inert <template> first.
  const E = w.Element.prototype;
  const inner = Object.getOwnPropertyDescriptor(E, 'innerHTML');
  const safe = (html) => {
    if (!MARKUP.test(html)) return html;
    const tpl = doc.createElement('template');
    inner.set.call(tpl, html);
    return check(tpl.content) ? inner.get.call(tpl) : html;
  };
  const D = w.Document.prototype;
  for (const [proto, name] of [[E, 'insertAdjacentHTML'], [E, 'setHTMLUnsafe'], [D, 'write'], [D, 'writeln']]) wrap(proto, name, 0, 1);
  // A URL given to an element: an image fetches at once even detached (`new Image().src = url`),
  // an iframe, script, link, embed or object in the document fetches at once; so it is judged
  // before it is set (a detached one when it is inserted, with what was set on it meanwhile, such
  // as a script's type). The properties set the attribute (they reflect it), through this.
  for (const name of ['setAttribute', 'setAttributeNS']) {
    const orig = E[name];
    E[name] = function (...a) {
      const [n, v] = a.slice(-2);
      return (this.isConnected || this.tagName === 'IMG') && hold(this, (n + '').toLowerCase(), v + '') ? cg.held() : orig.apply(this, a);
    };
  }
  // The properties: innerHTML and outerHTML (the names longer than six letters) parse HTML, the URL
  // ones set their attribute.
  for (const [proto, ...names] of [[E, 'innerHTML', 'outerHTML'], ...TAGS.map((t) => [Object.getPrototypeOf(doc.createElement(t)), ATTR[t], 'srcset'])]) {
    for (const name of names) {
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (d) {
        Object.defineProperty(proto, name, {
          ...d,
          set(v) {
            if (name[6]) d.set.call(this, safe(v));
            else this.setAttribute(name, v);
          },
        });
      }
    }
  }
  for (const name of ['appendChild', 'insertBefore', 'replaceChild']) wrap(w.Node.prototype, name, 1);
  for (const name of ['append', 'prepend', 'before', 'after', 'replaceWith', 'replaceChildren']) {
    wrap(E, name);
    wrap(w.CharacterData.prototype, name);
  }
  wrap(w.Range.prototype, 'insertNode', 1);
  return check;
}
