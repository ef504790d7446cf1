// Test helpers: jsdom windows and a real local HTTP server speaking the gate's consent contract.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { JSDOM, ResourceLoader } from 'jsdom';

globalThis.__CG_CSS__ = '.cg{color:#1f2328}';

// Loads data: URLs only: tests never touch the network (other URLs are simply not loaded).
class DataOnly extends ResourceLoader {
  fetch(url, options) {
    return url.startsWith('data:') ? super.fetch(url, options) : null;
  }
}

/** A jsdom window at `url` with `html` as the body. */
export function dom(html = '', { url = 'https://shop.example.com/blog/post', scripts = false, lang = 'en', head = '', virtualConsole } = {}) {
  const jsdom = new JSDOM(`<!doctype html><html lang="${lang}"><head>${head}</head><body>${html}</body></html>`, {
    url,
    runScripts: scripts ? 'dangerously' : undefined,
    resources: scripts ? new DataOnly() : undefined,
    pretendToBeVisual: true,
    virtualConsole,
  });
  return jsdom.window;
}

/** Waits `ms` milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until `check()` is truthy (polling), failing after `ms`. */
export async function until(check, ms = 3000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/**
 * A real HTTP server on 127.0.0.1 answering /consentgate/consent like the gate: POST accept_all,
 * reject_all or {categories}, DELETE. `failFirst` answers that many requests with 503 first.
 * Records every request as {method, body}.
 */
export async function gateServer({ ids = ['necessary', 'analytics', 'advertising', 'social'], failFirst = 0, status = 0 } = {}) {
  const requests = [];
  let fails = failFirst;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : null;
      requests.push({ method: req.method, url: req.url, body, headers: req.headers });
      if (fails > 0) {
        fails--;
        res.writeHead(503).end('{}');
        return;
      }
      if (status) {
        res.writeHead(status, { 'content-type': 'application/json' }).end('{"error":"x","detail":"y"}');
        return;
      }
      const cats = {};
      for (const id of ids) {
        if (req.method === 'DELETE') cats[id] = id === 'necessary';
        else if (body.action) cats[id] = id === 'necessary' || body.action === 'accept_all';
        else cats[id] = id === 'necessary' || !!body.categories[id];
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'x', decided: true, categories: cats, gpc: false, revision: 1, regime: 'opt-in' }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return { base, requests, close: () => new Promise((r) => server.close(r)) };
}

/** Node's real fetch, with paths resolved against `base` (jsdom has no fetch of its own). */
export const fetchTo = (base) => (url, init) => fetch(new URL(url, base), init);

/** A config like the one consentgate/gate/injection.py injects (small). */
export function config(over = {}) {
  const en = {
    title: 'We respect your privacy', body: 'Body text.', accept: 'Accept all', reject: 'Reject all',
    customize: 'Customize', save: 'Save choices', close: 'Close', choices: 'Privacy choices',
    prefsTitle: 'Privacy preferences', policy: 'Privacy policy', services: 'Services',
    gpc: 'GPC honoured.', embed: 'Content from {service} is blocked ({category}).', load: 'Load {service}',
    saving: 'Saving…', retrying: 'Retrying…', failed: 'Failed.',
    categories: {
      necessary: ['Strictly necessary', 'Always on.'], analytics: ['Analytics', 'Counts visits.'],
      advertising: ['Advertising', 'Ads.'], social: ['Social media', 'Embeds.'],
    },
  };
  return {
    revision: 1, endpoint: '/consentgate/consent', policy: '/privacy',
    categories: ['necessary', 'analytics', 'advertising', 'social'],
    gpc: { refuses: ['advertising', 'social'], choiceWins: false },
    services: {
      analytics: [{ id: 'google-analytics', name: 'Google Analytics 4', provider: 'Google LLC', purpose: 'Counts.', privacy: 'https://policies.google.com/privacy' }],
      social: [{ id: 'youtube', name: 'YouTube', provider: 'Google LLC', purpose: 'Videos.', privacy: '' }],
    },
    cookies: { analytics: { names: ['_ga'], prefixes: ['_ga_'] } },
    texts: { en, de: { ...en, accept: 'Alle akzeptieren' } },
    ...over,
  };
}

/** The config as the server injects it, for a page body. */
export const configTag = (cfg = config()) =>
  `<script type="application/json" id="consentgate-config">${JSON.stringify(cfg)}</script>`;

/** Runs the built bootstrap (consentgate/static/bootstrap.js) in `w` with the given params. */
export function runBootstrap(w, params = {}) {
  const p = { c: 'consentgate_state', r: 1, g: ['advertising', 'social'], w: false, i: ['necessary', 'analytics', 'advertising', 'social'], h: [['youtube.com', '', 'social', 'youtube'], ['google-analytics.com', '', 'analytics', 'google-analytics']], ...params };
  const code = readFileSync(new URL('../../consentgate/static/bootstrap.js', import.meta.url), 'utf8').replace('CG_PARAMS', JSON.stringify(p));
  const s = w.document.createElement('script');
  s.textContent = code;
  w.document.head.append(s);
}
