/**
 * Builds the web view (`src/web`) into `dist/web`: esbuild bundles the page's
 * TypeScript and its one library (dagre) into `app.js`, and the HTML and CSS
 * are copied as they are. Run by `npm run build`; `tempoflow serve` serves
 * the result, so the page works offline (no CDN).
 */
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled to dist/scripts/build-web.js; run from source as scripts/build-web.ts.
const root = resolve(here, here.endsWith('dist/scripts') ? '../..' : '..');
const source = resolve(root, 'src/web');
const out = resolve(root, 'dist/web');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [resolve(source, 'main.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  outfile: resolve(out, 'app.js'),
  logLevel: 'warning',
  legalComments: 'eof',
});
copyFileSync(resolve(source, 'index.html'), resolve(out, 'index.html'));
copyFileSync(resolve(source, 'style.css'), resolve(out, 'app.css'));
const size = (name: string) => `${(statSync(resolve(out, name)).size / 1024).toFixed(0)} KiB`;
console.log(`web view: ${out} (app.js ${size('app.js')}, app.css ${size('app.css')})`);
