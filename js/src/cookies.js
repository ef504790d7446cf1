// Deleting the first-party cookies of revoked categories, in every domain and path variant.

const EXPIRED = '=; expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=0; path=';

/** Every domain attribute a page on `hostname` could have set: '' (host-only) and each parent. */
export function domainVariants(hostname) {
  const out = [''];
  if (/^[\d.]+$|:/.test(hostname) || !hostname.includes('.')) return out; // IPs and bare hosts
  const parts = hostname.split('.');
  for (let i = 0; i < parts.length - 1; i++) out.push('; domain=.' + parts.slice(i).join('.'));
  return out;
}

/** Every path attribute a page at `pathname` could have set: '/', and each ancestor. */
export function pathVariants(pathname) {
  const out = ['/'];
  const segs = pathname.split('/').filter(Boolean);
  let p = '';
  for (const s of segs) {
    p += '/' + s;
    out.push(p, p + '/');
  }
  return out;
}

/**
 * Expires every cookie of the document whose name is in `names` or starts with one of `prefixes`.
 * Returns the names found (HttpOnly cookies are invisible here; the server drops those).
 */
export function deleteCookies(doc, loc, names, prefixes) {
  const found = doc.cookie
    .split(';')
    .map((c) => c.split('=')[0].trim())
    .filter((n) => n && (names.includes(n) || prefixes.some((p) => n.startsWith(p))));
  const domains = domainVariants(loc.hostname);
  const paths = pathVariants(loc.pathname);
  for (const n of found) for (const d of domains) for (const p of paths) doc.cookie = n + EXPIRED + p + d;
  return found;
}
