// The visitor's state: what the readable `<cookie>_state` cookie claims (`<revision>.<decided>.<a-b-c>`),
// and the category map once the gate has said it.

/** Where choices are sent and the gate's view of the visitor is read (the HTTP contract). */
export const ENDPOINT = '/consentgate/consent';

/**
 * True when the state cookie claims more than the empty default: a choice, or a grant beyond
 * necessary. The cookie is only the browser's word (page code can write it), so such a claim
 * is confirmed with the gate before anything is granted on it; a missing, malformed or outdated
 * cookie claims nothing.
 */
export function claims(cookieString, name, revision) {
  const m = String(cookieString || '').match(new RegExp('(?:^|;\\s*)' + name + '=' + revision + '\\.([01])\\.([^;]*)'));
  return !!m && (m[1] === '1' || decodeURIComponent(m[2]).split('-').some((c) => c && c !== 'necessary'));
}

/**
 * The category map for the page: what the gate says is granted (necessary always), with the
 * privacy signal refusing its categories unless the site lets an explicit choice win over it.
 */
export function categoriesFor(ids, state, gpc, gpcRefuses, choiceWins) {
  const cats = {};
  for (const id of ids) cats[id] = id === 'necessary' || state.granted.has(id);
  if (gpc && !(state.decided && choiceWins)) for (const id of gpcRefuses) if (id in cats) cats[id] = false;
  return cats;
}
