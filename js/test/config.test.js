import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fmt, pickLang } from '../src/config.js';

test('pickLang prefers the page lang, then the browser, then English', () => {
  const langs = ['en', 'de'];
  assert.equal(pickLang(langs, 'de-AT', ['en-US']), 'de');
  assert.equal(pickLang(langs, 'it', ['fr-CA', 'DE']), 'de');
  assert.equal(pickLang(langs, '', undefined), 'en');
  assert.equal(pickLang(langs, 'pt-BR', ['pt']), 'en');
});

test('fmt fills known placeholders and leaves unknown ones', () => {
  assert.equal(fmt('Load {service} ({x})', { service: 'YouTube' }), 'Load YouTube ({x})');
});
