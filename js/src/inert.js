// The inert form of a tag, shared by the guard (bootstrap) and the banner: a loading attribute X
// is kept as data-cg-X, and these names are markers, never attributes to restore.

const MARKERS = { category: 1, service: 1, type: 1, pending: 1 };

/** The names X of every data-cg-X attribute of `el` that stands for a loading attribute. */
export function inertNames(el) {
  const out = [];
  for (const { name } of el.attributes) {
    if (name.startsWith('data-cg-') && !MARKERS[name.slice(8)]) out.push(name.slice(8));
  }
  return out;
}

/** Gives back every loading attribute data-cg-X → X (a script's type too; set src last: it starts the load). */
export function restore(el) {
  if (el.tagName === 'SCRIPT') {
    const type = el.getAttribute('data-cg-type');
    el.removeAttribute('data-cg-type');
    if (type) el.setAttribute('type', type);
    else el.removeAttribute('type');
  }
  const names = inertNames(el).sort((a, b) => (a === 'src') - (b === 'src'));
  for (const x of names) {
    const v = el.getAttribute('data-cg-' + x);
    el.removeAttribute('data-cg-' + x);
    el.setAttribute(x, v);
  }
}
