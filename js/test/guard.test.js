import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifier } from '../src/classify.js';
import { guard } from '../src/guard.js';
import { TABLE, dom, until } from './helpers.js';

const base = () => 'https://shop.example.com/';

test('classifier: path rules first, exact hosts, host suffixes, only http(s), necessary passes', () => {
  const k = classifier({ ...TABLE, x: { 'ads.youtube.com': 2 } }, 'shop.example.com', base);
  const cat = (url) => (k(url) || [])[0];
  assert.equal(cat('https://www.googletagmanager.com/gtag/js?id=AW-1'), 'advertising');
  assert.equal(cat('https://www.googletagmanager.com/gtag/js?id=G-1'), 'analytics');
  assert.equal(cat('//connect.facebook.net/en_US/fbevents.js'), 'advertising');
  assert.equal(cat('https://connect.facebook.net/en_US/sdk.js'), undefined);
  assert.equal(cat('https://region1.google-analytics.com/g/collect'), 'analytics');
  assert.deepEqual(k('https://www.youtube.com/embed/x'), ['social', 'youtube']);
  assert.deepEqual(k('https://ads.youtube.com/x'), ['advertising', 'facebook-pixel']);
  assert.equal(cat('https://notyoutube.com/x'), undefined);
  assert.equal(cat('https://cdn.example.net/lib.js'), undefined); // necessary
  assert.equal(cat('/local.js'), undefined);
  assert.equal(cat('javascript:alert(1)'), undefined);
  assert.equal(cat('http://[::1'), undefined);
  // URLs are parsed as the browser does: hosts lower-cased, fullwidth forms folded.
  assert.equal(cat('https://WWW.YOUTUBE.COM/embed/x'), 'social');
  assert.equal(cat('https://www.ｙｏｕｔｕｂｅ.com/embed/x'), 'social');
});

test('classifier: the data layer\'s hosts by category, named by the host matched; our hosts win', () => {
  const t = { ...TABLE, d: { 2: 'ads.example adnxs.com youtube.com', 1: 'yandex.ru' }, e: { 0: 'only.this.example' } };
  const k = classifier(t, 'shop.example.com', base);
  assert.deepEqual(k('https://ib.adnxs.com/x'), ['advertising', 'adnxs.com']);
  assert.deepEqual(k('https://mc.yandex.ru/metrika/tag.js'), ['analytics', 'yandex.ru']);
  assert.deepEqual(k('https://only.this.example/x'), ['social', 'only.this.example']);
  assert.equal(k('https://sub.only.this.example/x'), undefined);
  assert.deepEqual(k('https://www.youtube.com/embed/x'), ['social', 'youtube']); // ours, not the data's
});

test('classifier with unknown hosts blocked: unclassified unless first party or allowed', () => {
  const k = classifier({ ...TABLE, u: 'block', a: ['partner.example'], f: ['site-cdn.example'] }, 'www.shop.example.com', base);
  assert.deepEqual(k('https://px.nobody.example/p.gif'), ['unclassified', 'unknown:px.nobody.example']);
  for (const ok of ['https://static.partner.example/x.js', 'https://a.site-cdn.example/x.js', 'https://img.shop.example.com/x.png', 'https://shop.example.com/x.png']) {
    assert.equal(k(ok), undefined, ok);
  }
  assert.deepEqual(k('https://www.youtube.com/embed/x'), ['social', 'youtube']); // the catalog still answers
});

test('guard with the table known: holds refused tags inserted by page code (appendChild, insertBefore, append, innerHTML, document.write)', () => {
  const w = dom('<div id="box"></div>');
  const d = w.document;
  const cg = { cats: { necessary: true, social: false, advertising: false, analytics: true }, held() {}, q: [] };
  let embeds = 0;
  cg.held = () => embeds++;
  cg.k = classifier(TABLE, w.location.hostname, () => d.baseURI);
  guard(w, cg, () => assert.fail('no table needed'));
  const s = d.createElement('script');
  s.src = 'https://connect.facebook.net/en_US/fbevents.js';
  s.type = 'module';
  d.head.insertBefore(s, d.head.firstChild);
  assert.equal(s.getAttribute('type'), 'text/plain');
  assert.equal(s.getAttribute('data-cg-type'), 'module');
  assert.equal(s.getAttribute('data-cg-category'), 'advertising');
  assert.equal(s.getAttribute('data-cg-service'), 'facebook-pixel');
  const frame = d.createElement('iframe');
  frame.src = 'https://www.youtube.com/embed/x';
  d.getElementById('box').append(frame);
  assert.equal(frame.hasAttribute('src'), false);
  assert.equal(embeds, 2); // after each insertion that held something (the banner's placeholders)
  d.getElementById('box').innerHTML += '<img src="https://www.youtube.com/t.gif" srcset="https://www.youtube.com/t2.gif 2x"><b>kept</b>';
  const img = d.querySelector('img');
  assert.equal(img.getAttribute('data-cg-src'), 'https://www.youtube.com/t.gif');
  assert.equal(img.getAttribute('data-cg-srcset'), 'https://www.youtube.com/t2.gif 2x');
  assert.equal(img.hasAttribute('src'), false);
  assert.equal(d.querySelector('#box b').textContent, 'kept');
  d.body.insertAdjacentHTML('beforeend', '<iframe id="adj" src="https://www.youtube.com/embed/z"></iframe>');
  assert.equal(d.getElementById('adj').hasAttribute('src'), false);
  const plain = d.createElement('p');
  d.body.append(plain);
  plain.outerHTML = '<iframe id="outer" src="https://www.youtube.com/embed/o"></iframe>';
  assert.equal(d.getElementById('outer').getAttribute('data-cg-src'), 'https://www.youtube.com/embed/o');
  const text = d.createTextNode('x');
  d.body.append(text);
  const after = d.createElement('iframe');
  after.src = 'https://www.youtube.com/embed/t';
  text.after(after);
  assert.equal(after.hasAttribute('src'), false);
  d.getElementById('box').replaceChildren(Object.assign(d.createElement('iframe'), { src: 'https://www.youtube.com/embed/r' }));
  assert.equal(d.querySelector('#box iframe').hasAttribute('src'), false);
  d.getElementById('box').innerHTML = '<i>no tags</i>';
  assert.equal(d.getElementById('box').innerHTML, '<i>no tags</i>');
  // Granted categories, necessary and first-party tags pass untouched.
  const ga = d.createElement('script');
  ga.src = 'https://www.google-analytics.com/analytics.js';
  d.body.appendChild(ga);
  assert.equal(ga.getAttribute('src'), 'https://www.google-analytics.com/analytics.js');
  const own = d.createElement('script');
  own.src = '/app.js';
  d.body.appendChild(own);
  assert.equal(own.getAttribute('src'), '/app.js');
  const marked = d.createElement('iframe');
  marked.setAttribute('data-cg-category', 'necessary');
  marked.src = 'https://www.youtube.com/embed/x';
  d.body.append(marked);
  assert.equal(marked.getAttribute('src'), 'https://www.youtube.com/embed/x');
});

test('guard before the table: every third-party insertion is held pending and the table asked for once', async () => {
  const w = dom('<div id="box"></div>', { scripts: true });
  const d = w.document;
  const cg = { cats: { necessary: true }, held() {}, q: [] };
  let asked = 0;
  guard(w, cg, () => asked++);
  d.body.innerHTML += '<img src="https://img.anything.example/a.png">';
  const s = d.createElement('script');
  s.src = 'https://cdn.jsdelivr.net/x.js';
  d.body.append(s);
  const own = d.createElement('img');
  own.src = 'https://img.shop.example.com/own.png'; // the page's own site
  d.body.append(own);
  assert.equal(d.querySelector('img').getAttribute('data-cg-src'), 'https://img.anything.example/a.png');
  assert.equal(s.getAttribute('type'), 'text/plain');
  assert.deepEqual(cg.q.map((el) => el.getAttribute('data-cg-src')), ['https://img.anything.example/a.png', 'https://cdn.jsdelivr.net/x.js']);
  assert.equal(own.getAttribute('src'), 'https://img.shop.example.com/own.png');
  assert.ok(asked >= 1);
  await until(() => true);
});

test('guard: new Image().src to a refused host is held though the image is never inserted; granted, own and re-set URLs judged anew', () => {
  const w = dom('<div id="box"></div>');
  const d = w.document;
  const cg = { cats: { necessary: true, social: false, advertising: false, analytics: true }, held() {}, q: [] };
  cg.k = classifier(TABLE, w.location.hostname, () => d.baseURI);
  guard(w, cg, () => assert.fail('no table needed'));
  const pixel = new w.Image();
  pixel.src = 'https://connect.facebook.net/en_US/fbevents.js';
  assert.equal(pixel.hasAttribute('src'), false);
  assert.equal(pixel.getAttribute('data-cg-src'), 'https://connect.facebook.net/en_US/fbevents.js');
  assert.equal(pixel.getAttribute('data-cg-category'), 'advertising');
  // Set again on the held image: still held, under the new URL's category.
  pixel.src = 'https://www.youtube.com/t.gif';
  assert.equal(pixel.hasAttribute('src'), false);
  assert.equal(pixel.getAttribute('data-cg-src'), 'https://www.youtube.com/t.gif');
  assert.equal(pixel.getAttribute('data-cg-category'), 'social');
  const ga = d.createElement('img');
  ga.src = 'https://www.google-analytics.com/collect?v=2';
  assert.equal(ga.getAttribute('src'), 'https://www.google-analytics.com/collect?v=2'); // analytics granted
  const own = new w.Image();
  own.src = '/pixel.png';
  assert.equal(own.getAttribute('src'), '/pixel.png');
  assert.equal(own.src, 'https://shop.example.com/pixel.png'); // the getter still resolves
  // A tag the site marked with a granted category passes as before.
  const marked = new w.Image();
  marked.setAttribute('data-cg-category', 'necessary');
  marked.src = 'https://www.youtube.com/t.gif';
  assert.equal(marked.getAttribute('src'), 'https://www.youtube.com/t.gif');
});

test('guard: a URL given by setAttribute(NS) or a property is judged before it is set (images detached, other tags in the document)', () => {
  const w = dom('<div id="box"></div>');
  const d = w.document;
  const cg = { cats: { necessary: true, social: false, advertising: false, analytics: true }, q: [] };
  let placed = 0;
  cg.held = () => placed++;
  cg.k = classifier(TABLE, w.location.hostname, () => d.baseURI);
  guard(w, cg, () => assert.fail('no table needed'));
  const fb = 'https://connect.facebook.net/en_US/fbevents.js';
  const held = (el, attr = 'src', url = fb) => {
    assert.equal(el.hasAttribute(attr), false, el.outerHTML);
    assert.equal(el.getAttribute('data-cg-' + attr), url, el.outerHTML);
    assert.equal(el.getAttribute('data-cg-category'), 'advertising');
  };
  held(Object.assign(new w.Image(), { srcset: fb + ' 1x' }), 'srcset', fb + ' 1x');
  const img = d.createElement('img');
  img.setAttribute('SRC', fb);
  held(img);
  const ns = new w.Image();
  ns.setAttributeNS(null, 'src', fb);
  held(ns);
  const set = new w.Image();
  set.setAttribute('srcset', '/own.png 1x, ' + fb + ' 2x');
  held(set, 'srcset', '/own.png 1x, ' + fb + ' 2x');
  const box = d.getElementById('box');
  for (const [tag, attr] of [['iframe', 'src'], ['script', 'src'], ['link', 'href'], ['embed', 'src'], ['object', 'data']]) {
    const byProperty = box.appendChild(d.createElement(tag));
    byProperty[attr] = fb;
    held(byProperty, attr);
    const byAttribute = box.appendChild(d.createElement(tag));
    byAttribute.setAttribute(attr, fb);
    held(byAttribute, attr);
  }
  assert.equal(placed, 14);
  const script = box.querySelector('script');
  assert.equal(script.getAttribute('type'), 'text/plain');
  // A detached script is judged when inserted, with what was set on it meanwhile.
  const later = d.createElement('script');
  later.src = fb;
  later.type = 'module';
  assert.equal(later.getAttribute('src'), fb);
  box.append(later);
  held(later);
  assert.equal(later.getAttribute('data-cg-type'), 'module');
  // Given another URL while held: held under it, its own type still kept.
  later.src = 'https://www.youtube.com/x.js';
  assert.equal(later.getAttribute('data-cg-src'), 'https://www.youtube.com/x.js');
  assert.equal(later.getAttribute('data-cg-category'), 'social');
  assert.equal(later.getAttribute('data-cg-type'), 'module');
  assert.equal(later.getAttribute('type'), 'text/plain');
  // Own, granted and marked URLs are set as given; other attributes untouched.
  const own = box.appendChild(d.createElement('iframe'));
  own.src = '/embed';
  own.setAttribute('title', fb);
  assert.equal(own.getAttribute('src'), '/embed');
  assert.equal(own.getAttribute('title'), fb);
  const ga = new w.Image();
  ga.setAttribute('src', 'https://www.google-analytics.com/collect?v=2');
  assert.equal(ga.getAttribute('src'), 'https://www.google-analytics.com/collect?v=2');
  const marked = box.appendChild(d.createElement('iframe'));
  marked.setAttribute('data-cg-category', 'necessary');
  marked.setAttribute('src', 'https://www.youtube.com/embed/x');
  assert.equal(marked.getAttribute('src'), 'https://www.youtube.com/embed/x');
  assert.equal(placed, 16);
});
