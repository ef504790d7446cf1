// Reading the gate's config JSON and choosing the visitor's language.

/** The config the server injected as <script type="application/json" id="consentgate-config">, or null. */
export function readConfig(doc) {
  const el = doc.getElementById('consentgate-config');
  if (!el) return null;
  try {
    return JSON.parse(el.textContent);
  } catch {
    return null;
  }
}

/** The first of the page's lang and the browser's languages that the config has texts for, else 'en'. */
export function pickLang(texts, docLang, navLangs) {
  for (const tag of [docLang, ...(navLangs || [])]) {
    const primary = String(tag || '').toLowerCase().split('-')[0];
    if (primary && texts[primary]) return primary;
  }
  return 'en';
}

/** Fills {name} placeholders; unknown names are left as they are. */
export function fmt(text, vars) {
  return String(text).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
}
