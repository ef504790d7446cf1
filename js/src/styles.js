// The banner's CSS, applied in a way a strict Content Security Policy allows.

/* global __CG_CSS__ */

/**
 * A constructed stylesheet in `adoptedStyleSheets` is not subject to CSP `style-src`; where that is
 * not supported, a <style> element carrying the banner script's nonce. Returns which was used.
 */
export function applyStyles(w, doc, nonce) {
  // build.mjs minifies src/banner.css and defines __CG_CSS__; tests set it on globalThis.
  const CSS = typeof __CG_CSS__ === 'string' ? __CG_CSS__ : '';
  try {
    const sheet = new w.CSSStyleSheet();
    sheet.replaceSync(CSS);
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
    return 'adopted';
  } catch {
    const el = doc.createElement('style');
    if (nonce) el.nonce = nonce;
    el.textContent = CSS;
    doc.head.append(el);
    return 'style';
  }
}
