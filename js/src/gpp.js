// The IAB Global Privacy Platform: a `usnat` section string and the `__gpp` API (GPP 1.1).

// usnat v2 core segment fields in wire order: Version is 6 bits, every other value 2 bits
// (SensitiveDataProcessing and KnownChildSensitiveDataConsents are lists of 16 and 3 values).
const CORE = ('Version SharingNotice SaleOptOutNotice SharingOptOutNotice TargetedAdvertisingOptOutNotice ' +
  'SensitiveDataProcessingOptOutNotice SensitiveDataLimitUseNotice SaleOptOut SharingOptOut ' +
  'TargetedAdvertisingOptOut SensitiveDataProcessing KnownChildSensitiveDataConsents PersonalDataConsents ' +
  'MspaCoveredTransaction MspaOptOutOptionMode MspaServiceProviderMode').split(' ');

/**
 * The usnat fields for a category map: sale, sharing and targeted advertising are opted out
 * (1) unless advertising is granted (2 = did not opt out); those notices were given (1); not an
 * MSPA-covered transaction (2). Then the GPC segment: type 1 and the signal.
 */
export function usnatFields(cats, gpc) {
  const o = cats.advertising ? 2 : 1;
  const values = [2, 1, 1, 1, 1, 0, 0, o, o, o, Array(16).fill(0), [0, 0, 0], 0, 2, 0, 0];
  const f = {};
  CORE.forEach((name, i) => (f[name] = values[i]));
  f.GpcSegmentType = 1;
  f.Gpc = !!gpc;
  return f;
}

/**
 * The full GPP string (header ~ usnat core . gpc segment) for usnat fields. The fields differ only
 * in the three advertising opt-outs (1 or 2) and the GPC flag, so the four strings are written out
 * (header v1 naming section 7, usnat v2 core, GPC segment type 1); test/gpp.test.js decodes each
 * with the IAB's own library.
 */
export function gppString(f) {
  return 'DBABLA~CVQ' + (f.SaleOptOut === 2 ? 'q' : 'V') + 'AAAAAACA.' + (f.Gpc ? 'Y' : 'Q') + 'A';
}

/**
 * Installs `window.__gpp`, answering the calls the bootstrap stub queued. `state()` gives
 * {fields, display}; the returned `notify()` tells listeners the section changed.
 */
export function installGpp(w, state) {
  const listeners = new Map();
  let next = 1;
  const ping = () => {
    const s = state();
    return {
      gppVersion: '1.1', cmpStatus: 'loaded', cmpDisplayStatus: s.display, signalStatus: 'ready',
      supportedAPIs: ['7:usnat'], cmpId: 0, sectionList: [7], applicableSections: [7],
      gppString: gppString(s.fields), parsedSections: { usnat: s.fields },
    };
  };
  const api = (cmd, cb, param) => {
    const fields = state().fields;
    let out;
    if (cmd === 'ping') out = ping();
    else if (cmd === 'addEventListener') {
      const id = next++;
      listeners.set(id, cb);
      out = { eventName: 'listenerRegistered', listenerId: id, data: true, pingData: ping() };
    } else if (cmd === 'removeEventListener') out = listeners.delete(param);
    else if (cmd === 'hasSection') out = param === 'usnat';
    else if (cmd === 'getSection') out = param === 'usnat' ? fields : null;
    else if (cmd === 'getField') {
      const [section, name] = String(param).split('.');
      out = section === 'usnat' && name in fields ? fields[name] : null;
    } else {
      if (typeof cb === 'function') cb(null, false);
      return;
    }
    if (typeof cb === 'function') cb(out, true);
  };
  const queued = (w.__gpp && w.__gpp.queue) || [];
  w.__gpp = api;
  for (const args of queued) api(...args);
  return (eventName, data) => {
    for (const [id, cb] of listeners) cb({ eventName, listenerId: id, data, pingData: ping() }, true);
  };
}
