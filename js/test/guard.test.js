import assert from 'node:assert/strict';
import { test } from 'node:test';
import { categoryOf, compile, guard, hold } from '../src/guard.js';
import { dom, until } from './helpers.js';

const RULES = [
  ['www.googletagmanager.com', '^\\/gtag\\/js\\?id=aw-', 'advertising'],
  ['www.googletagmanager.com', '^\\/gtag\\/js(?=[/?#;]|$)', 'analytics'],
  ['connect.facebook.net', '^\\/[^/?#]*\\/fbevents\\.js(?=[/?#;]|$)', 'advertising'],
  ['cdn.example.net', '', 'necessary'],
  ['google-analytics.com', '', 'analytics'],
  ['youtube.com', '', 'social', 'youtube'],
];

test('categoryOf: path rules first, host suffixes, only http(s)', () => {
  const r = compile(RULES);
  const base = 'https://shop.example.com/';
  assert.equal(categoryOf('https://www.googletagmanager.com/gtag/js?id=AW-1', base, r), 'advertising');
  assert.equal(categoryOf('https://www.googletagmanager.com/gtag/js?id=G-1', base, r), 'analytics');
  assert.equal(categoryOf('//connect.facebook.net/en_US/fbevents.js', base, r), 'advertising');
  assert.equal(categoryOf('https://connect.facebook.net/en_US/sdk.js', base, r), undefined);
  assert.equal(categoryOf('https://region1.google-analytics.com/g/collect', base, r), 'analytics');
  assert.equal(categoryOf('https://notyoutube.com/x', base, r), undefined);
  assert.equal(categoryOf('/local.js', base, r), undefined);
  assert.equal(categoryOf('javascript:alert(1)', base, r), undefined);
  assert.equal(categoryOf('http://[::1', base, r), undefined);
});

test('hold makes a refused tag inert and leaves granted, necessary and marked ones alone', () => {
  const d = dom().document;
  const r = compile(RULES);
  const granted = (c) => c === 'necessary' || c === 'analytics';
  const s = d.createElement('script');
  s.src = 'https://www.youtube.com/iframe_api';
  s.type = 'module';
  assert.equal(hold(s, d.baseURI, r, granted), 'social');
  assert.equal(s.getAttribute('type'), 'text/plain');
  assert.equal(s.getAttribute('data-cg-type'), 'module');
  assert.equal(s.getAttribute('data-cg-src'), 'https://www.youtube.com/iframe_api');
  assert.equal(s.hasAttribute('src'), false);
  assert.equal(s.getAttribute('data-cg-service'), 'youtube');
  const img = d.createElement('img');
  img.setAttribute('src', 'https://www.youtube.com/p.gif');
  img.setAttribute('srcset', 'https://www.youtube.com/p2.gif 2x');
  hold(img, d.baseURI, r, granted);
  assert.equal(img.getAttribute('data-cg-srcset'), 'https://www.youtube.com/p2.gif 2x');
  for (const url of ['https://www.google-analytics.com/analytics.js', 'https://cdn.example.net/lib.js']) {
    const ok = d.createElement('script');
    ok.src = url;
    assert.equal(hold(ok, d.baseURI, r, granted), undefined);
    assert.equal(ok.getAttribute('src'), url);
  }
  const marked = d.createElement('iframe');
  marked.setAttribute('data-cg-category', 'necessary');
  marked.src = 'https://www.youtube.com/embed/x';
  assert.equal(hold(marked, d.baseURI, r, granted), undefined);
});

test('guard holds tags page code inserts (appendChild, insertBefore, append, innerHTML) until granted', async () => {
  const w = dom('<div id="box"></div>', { scripts: true });
  const d = w.document;
  const cats = { necessary: true, social: false, advertising: false };
  let held = 0;
  guard(w, RULES, (c) => !!cats[c], () => held++);
  // The way tag managers insert scripts.
  const s = d.createElement('script');
  s.src = 'https://connect.facebook.net/en_US/fbevents.js';
  const first = d.getElementsByTagName('script')[0] || d.body.firstChild;
  first.parentNode.insertBefore(s, first);
  assert.equal(s.getAttribute('type'), 'text/plain');
  assert.equal(s.getAttribute('data-cg-category'), 'advertising');
  const frame = d.createElement('iframe');
  frame.src = 'https://www.youtube.com/embed/x';
  d.getElementById('box').append(frame);
  assert.equal(frame.hasAttribute('src'), false);
  // HTML strings are checked before they are parsed in place.
  d.getElementById('box').innerHTML += '<img src="https://www.youtube.com/t.gif"><b>kept</b>';
  assert.equal(d.querySelector('img').getAttribute('data-cg-src'), 'https://www.youtube.com/t.gif');
  assert.equal(d.querySelector('img').hasAttribute('src'), false);
  assert.equal(d.querySelector('#box b').textContent, 'kept');
  d.body.insertAdjacentHTML('beforeend', '<iframe id="adj" src="https://www.youtube.com/embed/z"></iframe>');
  assert.equal(d.getElementById('adj').hasAttribute('src'), false);
  const plain = d.createElement('p');
  d.body.append(plain);
  plain.outerHTML = '<iframe id="outer" src="https://www.youtube.com/embed/o"></iframe>';
  assert.equal(d.getElementById('outer').getAttribute('data-cg-src'), 'https://www.youtube.com/embed/o');
  d.getElementById('box').innerHTML = '<i>no tags</i>';
  assert.equal(d.getElementById('box').innerHTML, '<i>no tags</i>');
  // The parser and anything else are caught by the MutationObserver (and get placeholders).
  await until(() => held > 0);
  // Granted categories and first-party tags pass untouched.
  cats.social = true;
  const ok = d.createElement('iframe');
  ok.src = 'https://www.youtube.com/embed/y';
  d.body.appendChild(ok);
  assert.equal(ok.getAttribute('src'), 'https://www.youtube.com/embed/y');
  const own = d.createElement('script');
  own.src = '/app.js';
  d.body.appendChild(own);
  assert.equal(own.getAttribute('src'), '/app.js');
});
