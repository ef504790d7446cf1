// Bringing inert tags to life (and back to sleep), and click-to-load placeholders for refused embeds.

import { fmt } from './config.js';
import { inertNames, restore } from './inert.js';

/** Refused embeds, which get a placeholder. */
export const EMBEDS = 'iframe[data-cg-src],embed[data-cg-src],object[data-cg-data]';
const claimed = new WeakSet();
const placeholders = new WeakMap();
// The last script that later classic scripts and inline snippets must wait for.
let chain = Promise.resolve();

/** True when the element still waits for consent. */
export function isInert(el) {
  if (el.tagName === 'SCRIPT') return (el.getAttribute('type') || '').toLowerCase() === 'text/plain';
  return inertNames(el).length > 0;
}

/** Restores an element's loading attributes, every data-cg-X → X (not scripts: those are replaced, see run()). */
export function liven(el) {
  restore(el);
  const ph = placeholders.get(el);
  if (ph) {
    ph.remove();
    placeholders.delete(el);
    el.hidden = false;
  }
  // A <source> only counts when its media element reloads; an <object> only when re-inserted.
  if (el.tagName === 'SOURCE') el.parentElement?.load?.();
  if (el.tagName === 'OBJECT') el.replaceWith(el.cloneNode(true));
}

/**
 * A live copy of an inert script, put in its place. A classic external script without async or
 * defer, and an inline one, keep document order among themselves (an inline snippet may use what
 * the external script before it defined): each starts after the previous one of them loaded or
 * failed. Every other script (async, defer, module) starts at once.
 */
function run(old, nonce) {
  const s = old.ownerDocument.createElement('script');
  for (const { name, value } of old.attributes) {
    if (name !== 'type' && !(name.startsWith('data-cg-') && name !== 'data-cg-category')) s.setAttribute(name, value);
  }
  const type = old.getAttribute('data-cg-type');
  if (type) s.setAttribute('type', type);
  if (nonce) s.nonce = nonce;
  const src = old.getAttribute('data-cg-src');
  const ordered = !src || (!old.hasAttribute('async') && !old.hasAttribute('defer') && (type || '').toLowerCase() !== 'module');
  const go = () => {
    if (!old.isConnected) return null;
    if (!src) {
      s.text = old.text;
      old.replaceWith(s);
      return null;
    }
    s.async = !ordered;
    const done = new Promise((resolve) => {
      s.onload = s.onerror = resolve;
    });
    s.src = src;
    old.replaceWith(s);
    return done;
  };
  if (ordered) chain = chain.then(go);
  else go();
}

/**
 * Activates the inert elements of `granted` categories: loading attributes come back at once,
 * scripts start as run() says, in document order. The categories that get something activated
 * are added to `ran` at once (before it runs). Resolves when the ordered scripts are done.
 */
export function activate(doc, granted, nonce, ran) {
  for (const el of doc.querySelectorAll('[data-cg-category]')) {
    const cat = el.getAttribute('data-cg-category');
    if (claimed.has(el) || !granted.has(cat) || !isInert(el)) continue;
    claimed.add(el);
    if (ran) ran.add(cat);
    if (el.tagName === 'SCRIPT') run(el, nonce);
    else liven(el);
  }
  return chain;
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
      // Let through by the visitor: the guard passes what is marked with a granted category.
      el.setAttribute('data-cg-category', 'necessary');
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
