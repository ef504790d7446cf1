// Entry point of the bundle: /consentgate/banner.js, loaded with `defer` (the DOM is parsed).

import { start } from './app.js';

performance.mark('consentgate:start');
const script = document.currentScript;
start(window, { nonce: (script && script.nonce) || '' });
