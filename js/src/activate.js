// Bringing inert tags to life (and back to sleep), and click-to-load placeholders for refused embeds.

import { fmt } from './config.js';

const ATTRS = ['src', 'srcset', 'data', 'href'];
const EMBEDS = 'iframe[data-cg-src],embed[data-cg-src],object[data-cg-data]';
const claimed = new WeakSet();
const placeholders = new WeakMap();
let queue = Promise.resolve();

/** True when the element still waits for consent. */
export function isInert(el) {
  if (el.tagName === 'SCRIPT') return (el.getAttribute('type') || '').toLowerCase() === 'text/plain';
  return ATTRS.some((a) => el.hasAttribute('data-cg-' + a));
}

/** Restores an element's loading attributes (not scripts: those are replaced, see run()). */
export function liven(el) {
  for (const a of ATTRS) {
    const v = el.getAttribute('data-cg-' + a);
    if (v !== null) {
      el.removeAttribute('data-cg-' + a);
      el.setAttribute(a, v);
    }
  }
  const ph = placeholders.get(el);
  if (ph) {
    ph.remove();
    placeholders.delete(el);
    el.hidden = false;
  }
  const parent = el.parentElement;
  // A <source> only counts when its media element reloads; an <object> only when re-inserted.
  if (el.tagName === 'SOURCE' && parent && typeof parent.load === 'function') parent.load();
  if (el.tagName === 'OBJECT') el.replaceWith(el.cloneNode(true));
}

function run(old, nonce) {
  const doc = old.ownerDocument;
  const s = doc.createElement('script');
  for (const { name, value } of old.attributes) {
    if (name !== 'type' && !(name.startsWith('data-cg-') && name !== 'data-cg-category')) s.setAttribute(name, value);
  }
  const type = old.getAttribute('data-cg-type');
  if (type) s.setAttribute('type', type);
  if (nonce) s.nonce = nonce;
  const src = old.getAttribute('data-cg-src');
  if (!src) {
    s.text = old.text;
    old.replaceWith(s);
    return null;
  }
  s.async = false;
  // The next script must not run before this one has loaded and run (or failed).
  const done = new Promise((resolve) => {
    s.onload = s.onerror = resolve;
  });
  s.src = src;
  old.replaceWith(s);
  return done;
}

/**
 * Activates the inert elements of `granted` categories in document order: loading attributes come
 * back at once, scripts run one after the other in their original order. Runs are serialized.
 * The categories that get something activated are added to `ran` at once (before it runs).
 */
export function activate(doc, granted, nonce, ran) {
  const els = [...doc.querySelectorAll('[data-cg-category]')].filter(
    (el) => !claimed.has(el) && granted.has(el.getAttribute('data-cg-category')) && isInert(el),
  );
  for (const el of els) {
    claimed.add(el);
    if (ran) ran.add(el.getAttribute('data-cg-category'));
  }
  queue = queue.then(async () => {
    for (const el of els) if (el.tagName !== 'SCRIPT') liven(el);
    for (const el of els) if (el.tagName === 'SCRIPT' && el.isConnected) await run(el, nonce);
  });
  return queue;
}

/** Shows a placeholder naming the service before every refused embed; its button loads that embed only. */
export function placehold(doc, isGranted, texts, name) {
  for (const el of doc.querySelectorAll(EMBEDS)) {
    const cat = el.getAttribute('data-cg-category');
    if (!cat || isGranted(cat) || placeholders.has(el)) continue;
    const vars = { service: name(el.getAttribute('data-cg-service'), cat), category: texts.categories[cat]?.[0] || cat };
    const ph = doc.createElement('div');
    ph.className = 'cg cg-ph';
    ph.setAttribute('role', 'group');
    ph.setAttribute('aria-label', vars.service);
    const p = doc.createElement('p');
    p.textContent = fmt(texts.embed, vars);
    const b = doc.createElement('button');
    b.type = 'button';
    b.textContent = fmt(texts.load, vars);
    b.addEventListener('click', () => {
      claimed.add(el);
      liven(el);
    });
    ph.append(p, b);
    const w = el.getAttribute('width');
    const h = el.getAttribute('height');
    // Same box as the embed, so loading it later shifts nothing (CSSOM writes are allowed by CSP).
    if (w) ph.style.width = /^\d+$/.test(w) ? w + 'px' : w;
    if (h) ph.style.minHeight = /^\d+$/.test(h) ? h + 'px' : h;
    el.hidden = true;
    el.before(ph);
    placeholders.set(el, ph);
  }
}
