import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activate, isInert, liven, placehold } from '../src/activate.js';
import { createServer } from 'node:http';
import { config, dom, until } from './helpers.js';

const js = (code) => 'data:text/javascript,' + encodeURIComponent(code);

test('scripts of granted categories run in document order, a src script finishing before the next', async () => {
  const w = dom(
    `<script>window.order = []</script>
     <script type="text/plain" data-cg-category="analytics">order.push('inline-1')</script>
     <script type="text/plain" data-cg-category="analytics" data-cg-src="${js("order.push('src-2')")}"></script>
     <script type="text/plain" data-cg-category="advertising">order.push('refused')</script>
     <script type="text/plain" data-cg-category="analytics">order.push('inline-3:' + typeof window.fromSrc)</script>
     <script type="text/plain" data-cg-category="analytics" data-cg-src="${js("window.fromSrc = 1; order.push('src-4')")}" data-cg-type="text/javascript" id="keep"></script>
     <script type="text/plain" data-cg-category="analytics">order.push('inline-5:' + window.fromSrc)</script>`,
    { scripts: true },
  );
  const ran = new Set();
  const done = activate(w.document, new Set(['analytics']), 'n0nce', ran);
  assert.deepEqual([...ran], ['analytics']); // known at once, before anything ran
  await done;
  assert.deepEqual([...w.order], ['inline-1', 'src-2', 'inline-3:undefined', 'src-4', 'inline-5:1']);
  assert.deepEqual([...ran], ['analytics']);
  const live = w.document.getElementById('keep');
  assert.equal(live.getAttribute('type'), 'text/javascript');
  assert.equal(live.nonce, 'n0nce');
  assert.equal(live.hasAttribute('data-cg-src'), false);
  // Activating again runs nothing twice.
  await activate(w.document, new Set(['analytics']), '');
  assert.equal(w.order.length, 5);
});

test('an async vendor that never answers delays nothing; a classic one delays only what follows it in order', async () => {
  // A real local server that accepts the connection and never answers.
  const open = new Set();
  const server = createServer((req) => open.add(req.socket));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const hang = `http://127.0.0.1:${server.address().port}/tag.js`;
  let w;
  try {
    w = dom(
      `<script>window.order = []</script>
       <script type="text/plain" data-cg-category="analytics" async data-cg-src="${hang}?async"></script>
       <script type="text/plain" data-cg-category="analytics" data-cg-src="${js("order.push('classic')")}"></script>
       <script type="text/plain" data-cg-category="analytics" defer data-cg-src="${js("order.push('defer')")}"></script>
       <script type="text/plain" data-cg-category="analytics">order.push('inline')</script>
       <script type="text/plain" data-cg-category="analytics" data-cg-type="module" data-cg-src="${js("order.push('module')")}"></script>
       <script type="text/plain" data-cg-category="analytics" data-cg-src="${hang}?classic"></script>
       <script type="text/plain" data-cg-category="analytics">order.push('after-hang')</script>
       <script type="text/plain" data-cg-category="analytics" async data-cg-src="${js("order.push('async-late')")}"></script>`,
      { scripts: true },
    );
    activate(w.document, new Set(['analytics']), '');
    await until(() => w.order.includes('async-late') && w.order.includes('inline') && w.order.includes('defer'));
    // The classic script and the inline one after it ran in order, although the async vendor hangs;
    // the inline snippet after the hanging classic script waits for it, as the HTML semantics say.
    assert.ok(w.order.indexOf('classic') < w.order.indexOf('inline'));
    assert.equal(w.order.includes('after-hang'), false);
    assert.equal(w.document.querySelectorAll(`script[src^="${hang}"]`).length, 2);
  } finally {
    for (const s of open) s.destroy();
    // Every connection, also one that never sent a request: else close() waits forever and the
    // test process never exits.
    server.closeAllConnections();
    server.close();
    // The hanging classic script now fails, so the in-order chain moves on for the next tests.
    if (w) await activate(w.document, new Set(), '');
    w?.close();
  }
});

test('an inert attribute form the rewriter adds (data-cg-X) comes back as X', async () => {
  const w = dom(`<video data-cg-category="social" data-cg-poster="https://v.example/p.jpg" data-cg-src="https://v.example/v.mp4"></video>
    <a data-cg-category="advertising" data-cg-ping="https://t.example/ping" href="/x">x</a>`);
  await activate(w.document, new Set(['social', 'advertising']), '');
  assert.equal(w.document.querySelector('video').getAttribute('poster'), 'https://v.example/p.jpg');
  assert.equal(w.document.querySelector('video').getAttribute('src'), 'https://v.example/v.mp4');
  assert.equal(w.document.querySelector('a').getAttribute('ping'), 'https://t.example/ping');
  assert.equal(w.document.querySelector('[data-cg-poster],[data-cg-ping]'), null);
});

test('iframes, images, srcset and links get their loading attributes back', async () => {
  const w = dom(`<iframe data-cg-category="social" data-cg-src="https://www.youtube-nocookie.com/embed/x"></iframe>
    <img data-cg-category="advertising" data-cg-src="https://px.ads.linkedin.com/p.gif" data-cg-srcset="https://a.example/1x.png 1x">
    <link rel="preconnect" data-cg-category="social" data-cg-href="https://www.youtube.com">
    <iframe data-cg-category="necessary" src="https://maps.example/"></iframe>`);
  const d = w.document;
  await activate(d, new Set(['social', 'advertising']), '');
  assert.equal(d.querySelector('iframe').getAttribute('src'), 'https://www.youtube-nocookie.com/embed/x');
  assert.equal(d.querySelector('img').getAttribute('src'), 'https://px.ads.linkedin.com/p.gif');
  assert.equal(d.querySelector('img').getAttribute('srcset'), 'https://a.example/1x.png 1x');
  assert.equal(d.querySelector('link').getAttribute('href'), 'https://www.youtube.com');
  assert.equal(d.querySelectorAll('[data-cg-src],[data-cg-href],[data-cg-srcset]').length, 0);
});

test('isInert tells waiting elements from live ones', () => {
  const d = dom(`<script id="a" type="text/plain" data-cg-category="x"></script><script id="b" data-cg-category="x"></script>
    <iframe id="c" data-cg-category="x" data-cg-src="/"></iframe><iframe id="e" data-cg-category="x" src="/"></iframe>`).document;
  assert.deepEqual(['a', 'b', 'c', 'e'].map((id) => isInert(d.getElementById(id))), [true, false, true, false]);
});

test('a refused embed gets a placeholder naming the service; its button loads that embed only', () => {
  const w = dom(`<iframe width="560" height="315" data-cg-category="social" data-cg-service="youtube" data-cg-src="https://www.youtube.com/embed/a"></iframe>
    <iframe data-cg-category="social" data-cg-service="vimeo" data-cg-src="https://player.vimeo.com/video/1"></iframe>`);
  const d = w.document;
  const T = config().texts.en;
  const names = { youtube: 'YouTube' };
  placehold(d, () => false, T, (sid, cat) => names[sid] || sid || cat);
  placehold(d, () => false, T, (sid) => names[sid] || sid); // idempotent
  const phs = d.querySelectorAll('.cg-ph');
  assert.equal(phs.length, 2);
  assert.equal(phs[0].querySelector('p').textContent, 'Content from YouTube is blocked (Social media).');
  assert.equal(phs[0].querySelector('button').textContent, 'Load YouTube');
  assert.equal(phs[0].style.width, '560px');
  assert.equal(phs[0].style.minHeight, '315px');
  const [yt, vimeo] = d.querySelectorAll('iframe');
  assert.equal(yt.hidden, true);
  phs[0].querySelector('button').click();
  assert.equal(yt.getAttribute('src'), 'https://www.youtube.com/embed/a');
  assert.equal(yt.hidden, false);
  assert.equal(d.querySelectorAll('.cg-ph').length, 1);
  assert.equal(vimeo.hasAttribute('src'), false);
});

test('liven removes a placeholder when its embed is granted', async () => {
  const d = dom(`<iframe data-cg-category="social" data-cg-src="https://www.youtube.com/embed/a"></iframe>`).document;
  placehold(d, () => false, config().texts.en, (s, c) => c);
  assert.equal(d.querySelectorAll('.cg-ph').length, 1);
  await activate(d, new Set(['social']), '');
  assert.equal(d.querySelectorAll('.cg-ph').length, 0);
  liven(d.querySelector('iframe')); // nothing left to restore: harmless
  assert.equal(d.querySelector('iframe').getAttribute('src'), 'https://www.youtube.com/embed/a');
});
