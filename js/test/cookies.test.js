import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deleteCookies, domainVariants, pathVariants } from '../src/cookies.js';
import { dom } from './helpers.js';

test('domain variants: host-only and every parent, none for IPs', () => {
  assert.deepEqual(domainVariants('a.shop.example.com'), ['', '; domain=.a.shop.example.com', '; domain=.shop.example.com', '; domain=.example.com']);
  assert.deepEqual(domainVariants('127.0.0.1'), ['']);
  assert.deepEqual(domainVariants('localhost'), ['']);
});

test('path variants: root and each ancestor with and without a trailing slash', () => {
  assert.deepEqual(pathVariants('/blog/post'), ['/', '/blog', '/blog/', '/blog/post', '/blog/post/']);
});

test('deleteCookies removes every variant of matching names and prefixes, and nothing else', () => {
  const w = dom('', { url: 'https://www.shop.example.com/blog/post' });
  const d = w.document;
  d.cookie = '_ga=1; path=/';
  d.cookie = '_ga=2; path=/blog; domain=.example.com';
  d.cookie = '_ga_ABC=3; path=/; domain=.shop.example.com';
  d.cookie = 'session=keep; path=/';
  d.cookie = '_gat=keep; path=/';
  const found = deleteCookies(d, w.location, ['_ga'], ['_ga_']);
  assert.deepEqual(found.sort(), ['_ga', '_ga', '_ga_ABC']);
  assert.deepEqual(d.cookie.split('; ').sort(), ['_gat=keep', 'session=keep']);
});
