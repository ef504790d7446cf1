import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fmt, pickLang, readConfig } from '../src/config.js';
import { config, configTag, dom } from './helpers.js';

test('readConfig parses the injected JSON', () => {
  const w = dom(configTag());
  assert.equal(readConfig(w.document).revision, 1);
});

test('readConfig is null without config or with broken JSON', () => {
  assert.equal(readConfig(dom('<p>no config</p>').document), null);
  assert.equal(readConfig(dom('<script type="application/json" id="consentgate-config">{oops</script>').document), null);
});

test('pickLang prefers the page lang, then the browser, then English', () => {
  const texts = config().texts;
  assert.equal(pickLang(texts, 'de-AT', ['en-US']), 'de');
  assert.equal(pickLang(texts, 'it', ['fr-CA', 'DE']), 'de');
  assert.equal(pickLang(texts, '', undefined), 'en');
  assert.equal(pickLang(texts, 'pt-BR', ['pt']), 'en');
});

test('fmt fills known placeholders and leaves unknown ones', () => {
  assert.equal(fmt('Load {service} ({x})', { service: 'YouTube' }), 'Load YouTube ({x})');
});
