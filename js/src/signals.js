// Signals other code reads: Google Consent Mode v2, a dataLayer event, DOM events.

const g = (on) => (on ? 'granted' : 'denied');

/** The Consent Mode v2 fields for a category map. */
export function consentModeFields(cats) {
  return {
    analytics_storage: g(cats.analytics),
    ad_storage: g(cats.advertising),
    ad_user_data: g(cats.advertising),
    ad_personalization: g(cats.advertising),
  };
}

function gtag(w, ...args) {
  w.dataLayer = w.dataLayer || [];
  // gtag.js only reads real `arguments` objects from the dataLayer, never plain arrays.
  (function () {
    w.dataLayer.push(arguments);
  }).apply(null, args);
}

/** Pushes a Consent Mode `update`. */
export function update(w, cats) {
  gtag(w, 'consent', 'update', consentModeFields(cats));
}

/** Pushes `consent update` and the `consentgate_consent` event for tag managers. */
export function publish(w, cats) {
  update(w, cats);
  w.dataLayer.push({ event: 'consentgate_consent', consentgate: { ...cats } });
}

/** Dispatches `consentgate:<name>` on window with the consent as detail. */
export function emit(w, name, detail) {
  w.dispatchEvent(new w.CustomEvent('consentgate:' + name, { detail }));
}
