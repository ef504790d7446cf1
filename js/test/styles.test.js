import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyStyles } from '../src/styles.js';
import { dom } from './helpers.js';

test('without constructable stylesheets the CSS goes into a <style> carrying the nonce', () => {
  const w = dom();
  assert.equal(applyStyles(w, w.document, 'abc123'), 'style');
  const style = w.document.head.querySelector('style');
  assert.equal(style.nonce, 'abc123');
  assert.match(style.textContent, /\.cg\{/);
});

test('with constructable stylesheets the CSS is adopted (CSP style-src does not apply)', () => {
  const w = dom();
  const adopted = [];
  class Sheet {
    replaceSync(text) {
      this.text = text;
    }
  }
  const fake = { CSSStyleSheet: Sheet };
  const doc = { adoptedStyleSheets: [1], createElement: () => assert.fail('no <style> expected') };
  assert.equal(applyStyles(fake, doc, ''), 'adopted');
  assert.equal(doc.adoptedStyleSheets.length, 2);
  assert.match(doc.adoptedStyleSheets[1].text, /\.cg\{/);
  assert.equal(w.document.querySelector('style'), null);
  assert.equal(adopted.length, 0);
});
