// Builds consentgate/static/banner.js and bootstrap.js from src/ with esbuild.
//   node build.mjs          write the bundles into consentgate/static/
//   node build.mjs --check  build into a temp dir; fail if the committed files differ or the
//                           banner (JS and CSS together) exceeds LIMIT bytes gzipped
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const staticDir = join(here, '..', 'consentgate', 'static');
const LIMIT = 6000;
const FILES = ['banner.js', 'bootstrap.js', 'rules.js'];

async function build(outdir) {
  const css = await esbuild.transform(readFileSync(join(here, 'src', 'banner.css'), 'utf8'), {
    loader: 'css',
    minify: true,
  });
  const common = { absWorkingDir: here, bundle: true, minify: true, target: 'es2020', legalComments: 'none', charset: 'utf8', logLevel: 'warning' };
  await esbuild.build({
    ...common,
    entryPoints: ['src/main.js'],
    format: 'iife',
    outfile: join(outdir, 'banner.js'),
    define: { __CG_CSS__: JSON.stringify(css.code.trim()) },
  });
  // The bootstrap is already an IIFE; CG_PARAMS stays a free name that consentgate/gate/injection.py replaces.
  await esbuild.build({ ...common, entryPoints: ['src/bootstrap.js'], format: 'iife', outfile: join(outdir, 'bootstrap.js') });
  // The same for rules.js and CG_TABLE (the guard's table, served as a cached asset).
  await esbuild.build({ ...common, entryPoints: ['src/rules.js'], format: 'iife', outfile: join(outdir, 'rules.js') });
}

const gz = (buf) => gzipSync(buf, { level: 9 }).length;

if (process.argv.includes('--check')) {
  const tmp = mkdtempSync(join(tmpdir(), 'cg-build-'));
  let failed = false;
  try {
    await build(tmp);
    for (const f of FILES) {
      const fresh = readFileSync(join(tmp, f));
      let committed = null;
      try {
        committed = readFileSync(join(staticDir, f));
      } catch {}
      if (!committed || !fresh.equals(committed)) {
        console.error(`consentgate/static/${f} differs from a fresh build; run \`npm run build\` in js/ and commit it.`);
        failed = true;
      }
    }
    const size = gz(readFileSync(join(tmp, 'banner.js')));
    console.log(`banner.js: ${readFileSync(join(tmp, 'banner.js')).length} bytes, ${size} bytes gzipped (limit ${LIMIT})`);
    for (const f of FILES.slice(1)) console.log(`${f}: ${readFileSync(join(tmp, f)).length} bytes, ${gz(readFileSync(join(tmp, f)))} bytes gzipped (before its parameters)`);
    if (size > LIMIT) {
      console.error(`banner.js is ${size} bytes gzipped, over the ${LIMIT}-byte budget.`);
      failed = true;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
} else {
  await build(staticDir);
  const size = gz(readFileSync(join(staticDir, 'banner.js')));
  console.log(`built consentgate/static/banner.js: ${size} bytes gzipped (limit ${LIMIT})`);
}
