import assert from 'node:assert/strict';
import { test } from 'node:test';
import { h } from '../src/dom.js';
import { dom } from './helpers.js';

test('h builds attributes, text, listeners and children, skipping empty ones', () => {
  const { document } = dom();
  let clicked = 0;
  const el = h(document, 'div', { id: 'a', hidden: true, skip: false, none: undefined, onclick: () => clicked++ }, h(document, 'span', { text: '<b>' }), null, ['x']);
  assert.equal(el.outerHTML, '<div id="a" hidden=""><span>&lt;b&gt;</span>x</div>');
  el.click();
  assert.equal(clicked, 1);
});
