// The visible parts: one panel that is first the banner (non-modal) and, after "Customize" or
// "Privacy choices", the preferences dialog (modal, focus trapped); and the persistent control.

import { h } from './dom.js';

const FOCUSABLE = 'a[href],button,input:not([disabled]),summary';

/**
 * `o` holds texts (T), lang, policy, ids, services, gpcNote, locked(id), current(), decided(),
 * byDefault() (the optional categories granted until the visitor objects),
 * and the callbacks accept(), reject(), save(cats). Nothing is built before it is needed.
 */
export function createUI(doc, o) {
  const T = o.T;
  let panel, title, cats, customize, save, close, back, status, prevFocus, modal;
  const btn = (text, onclick, attrs) => h(doc, 'button', { type: 'button', text, onclick, ...attrs });
  const pc = btn(T.choices, () => open(), { class: 'cg-pc', lang: o.lang });
  const shown = () => !!panel && !panel.hidden;

  function build() {
    title = h(doc, 'h2', { id: 'cg-t', text: T.title });
    status = h(doc, 'p', { class: 'cg-st', role: 'status' });
    customize = btn(T.customize, () => open());
    save = btn(T.save, () => o.save(read()), { hidden: true });
    close = btn('×', () => hide(), { class: 'cg-x', 'aria-label': T.close, hidden: true });
    panel = h(
      doc, 'div',
      { class: 'cg cg-bar', role: 'dialog', 'aria-labelledby': 'cg-t', 'aria-describedby': 'cg-d', lang: o.lang, tabindex: '-1', onkeydown: trap },
      title,
      h(doc, 'p', { id: 'cg-d' }, T.body + ' ', h(doc, 'a', { href: o.policy, text: T.policy })),
      o.gpcNote && h(doc, 'p', { text: T.gpc }),
      o.byDefault().length > 0 && h(doc, 'p', { text: T.objection }),
      h(doc, 'div', { class: 'cg-btns' }, btn(T.accept, o.accept), btn(T.reject, o.reject), customize, save),
      status,
      close,
    );
    back = h(doc, 'div', { class: 'cg-ov', hidden: true, onclick: () => hide() });
    // Early in the body, so the keyboard reaches it before the page; but after a skip link that
    // opens the page (an in-page link that is the page's first link stays its first).
    const skip = doc.body.querySelector('a[href]');
    if (skip?.getAttribute('href')[0] === '#') skip.after(back, panel);
    else doc.body.prepend(back, panel);
    // Moving the control would take the focus off it; append it only once.
    if (!pc.isConnected) doc.body.append(pc);
  }

  function list(services) {
    cats = h(doc, 'ul', { class: 'cg-cats' }, o.ids.map((id) => {
      const [label, desc] = T.categories[id] || [id, ''];
      const svcs = services[id] || [];
      return h(
        doc, 'li', null,
        h(doc, 'div', { class: 'cg-row' },
          h(doc, 'label', { for: 'cg-c-' + id, text: label + (o.byDefault().includes(id) ? ' (' + T.grantedByDefault + ')' : '') }),
          h(doc, 'input', { type: 'checkbox', role: 'switch', id: 'cg-c-' + id, 'data-cat': id, 'aria-describedby': 'cg-cd-' + id })),
        h(doc, 'p', { id: 'cg-cd-' + id, text: desc }),
        svcs.length > 0 &&
          h(doc, 'details', null,
            h(doc, 'summary', { text: `${T.services} (${svcs.length})` }),
            h(doc, 'ul', null, svcs.map((s) =>
              h(doc, 'li', null, h(doc, 'strong', { text: s.name }), ` (${s.provider}) ${s.purpose || ''} `,
                s.privacy && h(doc, 'a', { href: s.privacy, text: T.policy })),
            ))),
      );
    }));
    customize.parentNode.before(cats);
  }

  /**
   * Shows the first layer (non-modal) and moves focus to it. On page load (`later`) the focus moves
   * once the frame that shows it has been drawn: focusing needs an up-to-date layout, which at that
   * point the browser has just made, where in the frame itself it would force a layout of the whole
   * page in the middle of its scripts.
   */
  function showBanner(later) {
    if (!panel) build();
    mode(false);
    const focus = () => panel.hidden || panel.focus({ preventScroll: true });
    const w = doc.defaultView;
    if (later) w.requestAnimationFrame(() => w.setTimeout(focus));
    else focus();
  }

  function mode(m) {
    modal = m;
    panel.hidden = false;
    panel.setAttribute('aria-modal', m);
    panel.classList.toggle('cg-dlg', m);
    back.hidden = close.hidden = save.hidden = !m;
    customize.hidden = m;
    if (cats) cats.hidden = !m;
    title.textContent = m ? T.prefsTitle : T.title;
    pc.hidden = true;
  }

  /**
   * Opens the preferences (modal) showing `o.current()`, focus on the first switch, once the
   * service lists (`o.services()`, fetched the first time) are here.
   */
  function open() {
    const from = doc.activeElement;
    return o.services().then((services) => {
      if (!panel) build();
      if (!cats) list(services);
      pick(from);
    });
  }

  function pick(from) {
    const cur = o.current();
    for (const sw of cats.querySelectorAll('input')) {
      const id = sw.getAttribute('data-cat');
      sw.checked = !!cur[id];
      sw.disabled = id === 'necessary' || o.locked(id);
    }
    if (!modal) prevFocus = from;
    mode(true);
    (cats.querySelector('input:not([disabled])') || panel).focus();
  }

  /** Leaves the preferences: back to the first layer while undecided, else closed; focus returns. */
  function hide() {
    if (!o.decided()) {
      showBanner();
      return customize.focus();
    }
    panel.hidden = back.hidden = true;
    pc.hidden = false;
    const ok = prevFocus && prevFocus !== doc.body && prevFocus.isConnected && !prevFocus.closest('[hidden]');
    (ok ? prevFocus : pc).focus({ preventScroll: true });
  }

  function trap(e) {
    if (!modal) return;
    if (e.key === 'Escape') {
      e.preventDefault();
      hide();
    } else if (e.key === 'Tab') {
      const f = [...panel.querySelectorAll(FOCUSABLE)].filter((el) => !el.closest('[hidden]'));
      const edge = e.shiftKey ? f[0] : f[f.length - 1];
      if (doc.activeElement === edge || doc.activeElement === panel) {
        e.preventDefault();
        (e.shiftKey ? f[f.length - 1] : f[0]).focus();
      }
    }
  }

  function read() {
    const out = {};
    for (const sw of cats.querySelectorAll('input')) out[sw.getAttribute('data-cat')] = sw.checked;
    return out;
  }

  /** After a confirmed choice: only the persistent control stays. */
  function done() {
    const had = panel && panel.contains(doc.activeElement);
    say('');
    if (panel) panel.hidden = back.hidden = true;
    if (!pc.isConnected) doc.body.append(pc);
    pc.hidden = false;
    if (had) pc.focus({ preventScroll: true });
  }

  /** A status line (saving, retrying); the buttons stay usable so a newer choice can win. */
  function say(text) {
    if (status) status.textContent = text;
  }

  return { pc, showBanner, open, done, say, shown };
}
