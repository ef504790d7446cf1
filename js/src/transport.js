// Sending choices to the gate, retrying network failures with backoff.

export const SUPERSEDED = 'superseded';

/**
 * Returns `send(method, body)`: a promise of the server's JSON state. Network errors, 5xx and 429
 * are retried forever with backoff (doubling from `base` ms, at most 60 times it) (`onRetry(attempt)` is called each time); other errors reject
 * with the status. A newer send supersedes an older one, which then rejects with SUPERSEDED, so
 * only the visitor's latest choice can ever be applied.
 */
export function sender(w, url, onRetry, base = 500) {
  let seq = 0;
  return (method, body) => {
    const mine = ++seq;
    let attempt = 0;
    return new Promise((resolve, reject) => {
      const retry = () => {
        if (onRetry) onRetry(attempt + 1);
        w.setTimeout(go, Math.min(base << attempt++, 60 * base));
      };
      const go = () => {
        if (mine !== seq) return reject(SUPERSEDED);
        const init = { method, credentials: 'same-origin', headers: { 'Content-Type': 'application/json' } };
        if (body) init.body = JSON.stringify(body);
        w.fetch(url, init).then(
          (r) => {
            if (mine !== seq) return reject(SUPERSEDED);
            if (r.ok) return r.json().then(resolve, retry);
            if (r.status >= 500 || r.status === 429) return retry();
            return reject(r.status);
          },
          retry,
        );
      };
      go();
    });
  };
}
