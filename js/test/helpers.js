// Test helpers: jsdom windows and a real local HTTP server speaking the gate's consent contract.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { JSDOM, ResourceLoader } from 'jsdom';

globalThis.__CG_CSS__ = '.cg{color:#1f2328}';

// Loads data: URLs and the local test gate (127.0.0.1) only: tests never touch the network.
class LocalOnly extends ResourceLoader {
  fetch(url, options) {
    return url.startsWith('data:') || url.startsWith('http://127.0.0.1:') ? super.fetch(url, options) : null;
  }
}

/** A jsdom window at `url` with `html` as the body (`gate`: the page is served from that test gate's origin). */
export function dom(html = '', { url = 'https://shop.example.com/blog/post', gate, scripts = false, lang = 'en', head = '', virtualConsole } = {}) {
  const jsdom = new JSDOM(`<!doctype html><html lang="${lang}"><head>${head}</head><body>${html}</body></html>`, {
    url: gate ? gate.base + '/blog/post' : url,
    runScripts: scripts ? 'dangerously' : undefined,
    resources: scripts ? new LocalOnly() : undefined,
    pretendToBeVisual: true,
    virtualConsole,
  });
  if (gate) jsdom.window.fetch = fetchTo(gate.base);
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

/** The guard's table (the shape consentgate/gate/injection.py's guard_table serves in rules.js). */
export const TABLE = {
  v: 1, cats: ['social', 'analytics', 'advertising', 'necessary'],
  sv: [['youtube', 0], ['google-analytics', 1], ['facebook-pixel', 2], ['google-ads', 2], ['google-tag-manager', 1], ['cdn', 3]],
  h: { 'youtube.com': 0, 'google-analytics.com': 1, 'cdn.example.net': 5 },
  x: {},
  p: [
    ['www.googletagmanager.com', '^\\/gtag\\/js\\?id=aw-', 3],
    ['www.googletagmanager.com', '^\\/gtag\\/js(?=[/?#;]|$)', 4],
    ['connect.facebook.net', '^\\/[^/?#]*\\/fbevents\\.js(?=[/?#;]|$)', 2],
  ],
  u: 'allow', a: [], f: [],
};

const RULES_JS = readFileSync(new URL('../../consentgate/static/rules.js', import.meta.url), 'utf8');

/** The banner's assets as the gate serves them, from a config like config() and a guard table. */
export function assets(cfg = config(), table = TABLE) {
  const out = { 'services.json': JSON.stringify({ s: cfg.services, k: cfg.cookies }), 'rules.js': RULES_JS.replace('CG_TABLE', JSON.stringify(table)) };
  for (const lang in cfg.texts) out[`texts.${lang}.json`] = JSON.stringify({ t: cfg.texts[lang], p: cfg.policy, g: cfg.gpc.refuses, w: cfg.gpc.choiceWins });
  return out;
}

/** Where the test gate serves the assets. */
export const ASSETS = '/consentgate/assets/v1/';

/**
 * A real HTTP server on 127.0.0.1 answering like the gate: GET /consentgate/consent (`state`, the
 * visitor's state as the gate sees it), POST accept_all, reject_all or {categories}, DELETE, and
 * the banner's assets under ASSETS (`files`, from assets()). `failFirst` answers that many choices
 * with 503 first. Records every choice as {method, body} in `requests`, every GET in `gets`.
 */
export async function gateServer({ ids = ['necessary', 'analytics', 'advertising', 'social'], failFirst = 0, status = 0, state = null, files, table, hang = false } = {}) {
  if (!files) files = assets(config(), table === 'block' ? { ...TABLE, u: 'block', a: ['partner.example'], f: ['site.example'] } : TABLE);
  const requests = [];
  const gets = [];
  let fails = failFirst;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (req.method === 'GET') {
        gets.push(req.url);
        if (req.url === '/consentgate/consent') {
          const cats = {};
          for (const id of ids) cats[id] = id === 'necessary';
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(state || { id: null, decided: false, categories: cats, gpc: false, revision: 1, regime: 'opt-in' }));
          return;
        }
        const name = req.url.startsWith(ASSETS) ? req.url.slice(ASSETS.length) : '';
        if (hang && name === 'rules.js') return; // never answers
        if (name in files) {
          res.writeHead(200, { 'content-type': name.endsWith('.js') ? 'text/javascript' : 'application/json' });
          res.end(files[name]);
        } else res.writeHead(404).end('{}');
        return;
      }
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
  return { base, requests, gets, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
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
    objection: 'Some are on unless you object.', grantedByDefault: 'On unless you object',
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

/** Runs the built bootstrap (consentgate/static/bootstrap.js) in `w` with the given params. */
export function runBootstrap(w, params = {}) {
  const p = { c: 'consentgate_state', r: 1, i: ['necessary', 'analytics', 'advertising', 'social'], l: ['en', 'de'], a: ASSETS, u: 0, ...params };
  const code = readFileSync(new URL('../../consentgate/static/bootstrap.js', import.meta.url), 'utf8').replace('CG_PARAMS', JSON.stringify(p));
  const s = w.document.createElement('script');
  s.textContent = code;
  w.document.head.append(s);
}
