// The visitor's state as the readable `<cookie>_state` cookie tells it: `<revision>.<decided>.<a-b-c>`.

/**
 * Reads the state cookie; a missing, malformed or outdated one reads as undecided with nothing
 * granted. An undecided one (`<rev>.0.<cats>`) still grants what it names: the server's regime
 * default (opt-out regions), so the page and the server agree before any choice.
 */
export function readState(cookieString, name, revision) {
  const m = String(cookieString || '').match(new RegExp('(?:^|;\\s*)' + name + '=([^;]*)'));
  const parts = m ? decodeURIComponent(m[1]).split('.') : [];
  const valid = parts.length === 3 && parts[0] === String(revision) && /^[01]$/.test(parts[1]);
  return { decided: valid && parts[1] === '1', granted: new Set(valid && parts[2] ? parts[2].split('-') : []) };
}

/**
 * The category map for the page: what the visitor granted (necessary always), with the privacy
 * signal refusing its categories unless the site lets an explicit choice win over it.
 */
export function categoriesFor(ids, state, gpc, gpcRefuses, choiceWins) {
  const cats = {};
  for (const id of ids) cats[id] = id === 'necessary' || state.granted.has(id);
  if (gpc && !(state.decided && choiceWins)) for (const id of gpcRefuses) if (id in cats) cats[id] = false;
  return cats;
}
