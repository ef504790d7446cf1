// Choosing the visitor's language, and filling texts.

/** The first of the page's lang and the browser's languages that has texts (`langs`), else 'en'. */
export function pickLang(langs, docLang, navLangs) {
  for (const tag of [docLang, ...(navLangs || [])]) {
    const primary = String(tag || '').toLowerCase().split('-')[0];
    if (primary && langs.includes(primary)) return primary;
  }
  return 'en';
}

/** Fills {name} placeholders; unknown names are left as they are. */
export function fmt(text, vars) {
  return String(text).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
}
