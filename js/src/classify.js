// The gate's table of hosts, compiled for look-ups (rules.js, and the unit tests).

import { parse, siteOf, under } from './guard.js';

/** The category of a third-party host no list knows, when the site blocks those: never granted. */
export const UNCLASSIFIED = 'unclassified';

/**
 * Compiles the gate's table `t` (consentgate/gate/injection.py's compact_table): `cats`; `sv`
 * `[[service id, category index]]` of our own services; `h` {host suffix: service}, `x` {exact
 * host: service}; `d` and `e` {category index: "host host ..."} the data layer's suffixes and exact
 * hosts; `p` [[host suffix, path regex source, service]] (most specific first); `u` "allow"|"block",
 * `a` allowed and `f` first-party host suffixes. Returns `classify(url)`: `[category, service id
 * (or the host matched, for the data layer)]`, or undefined when the URL may load (not http(s), a
 * necessary service, or a host no list knows while unknown hosts are allowed, first-party or
 * allowed by the site). Path rules win, then the exact host, then the longest host suffix.
 */
export function classifier(t, hostname, base) {
  const p = (t.p || []).map(([h, re, s]) => [h, new RegExp(re), s]);
  const table = (own, data) => {
    const m = new Map(Object.entries(own || {}));
    for (const c in data) for (const h of data[c].split(' ')) if (!m.has(h)) m.set(h, -1 - c);
    return m;
  };
  const hosts = table(t.h, t.d);
  const exact = table(t.x, t.e);
  const mine = [siteOf(hostname), ...(t.f || []), ...(t.a || [])];
  return (url) => {
    const u = parse(url, base());
    if (!u) return undefined;
    const host = u.hostname;
    let s;
    let at = host;
    if (p.length) {
      const path = (u.pathname + u.search).toLowerCase();
      for (const [h, re, i] of p) if (under(host, h) && re.test(path)) { s = i; break; }
    }
    if (s === undefined) s = exact.get(host);
    while (s === undefined && at) {
      s = hosts.get(at);
      if (s === undefined) at = at.slice(at.indexOf('.') + 1 || at.length);
    }
    if (s === undefined) return t.u === 'block' && !mine.some((m) => under(host, m)) ? [UNCLASSIFIED, 'unknown:' + host] : undefined;
    const [id, c] = s < 0 ? [at || host, -1 - s] : t.sv[s];
    return t.cats[c] === 'necessary' ? undefined : [t.cats[c], id];
  };
}
