/**
 * ESLint flat config: the layer table of ARCHITECTURE.md ("Layers") and the
 * determinism rules of workflow code, checked by a machine.
 *
 * `LAYERS` below is the table, as code; `test/unit/lint/layers.test.ts` fails
 * when it and the table in ARCHITECTURE.md disagree, and lints snippets at
 * virtual paths so a rule cannot silently stop working. Formatting is
 * Prettier's job (`npm run format`), not ESLint's.
 *
 * How a layer rule reads an import: every file sits at `src/<layer>/<file>.ts`
 * (layers are flat but for the subfolders a layer declares; another subfolder is refused until these rules learn about it),
 * so `./x.js` is its own folder, `../<layer>/x.js` another layer, `../errors.js`
 * the shared error classes. `@typescript-eslint/no-restricted-imports` checks
 * `import`, `import type`, `export ... from` and `import x = require()`;
 * `no-restricted-syntax` refuses what it cannot see (a dynamic `import()` of
 * another layer, `import('...')` types).
 */
import { builtinModules } from 'node:module';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const WHERE = 'ARCHITECTURE.md "Layers"';
const INVARIANTS = 'ARCHITECTURE.md "Invariants" and "Changing workflow code safely"';

/**
 * @typedef {object} Layer
 * @property {string[]} ours Our folders it may import (besides its own and `src/errors.ts`).
 * @property {string[]} [files] Single files of other folders it may import (`<folder>/<file>.js`).
 * @property {string[]} [typesOnly] Our folders it may import with `import type` only.
 * @property {string[]} temporal Packages of the Temporal SDK it may import (`@temporalio/<name>`).
 * @property {boolean} node Whether it may import Node built-ins.
 * @property {boolean} packages Whether it may import npm packages other than the Temporal SDK.
 * @property {string[]} [subfolders] Subfolders of the layer (one level), e.g. `stages` for `src/workflows/stages/*.ts`.
 * @property {boolean} [browser] Runs in the browser (the web view): no Node built-ins because there are none.
 * @property {'sandbox' | 'pure'} [determinism] `sandbox`: runs in the workflow sandbox (no randomness;
 *   the SDK's `Date.now()` is allowed); `pure`: imported by workflow code and never reads a clock either.
 */

/** The layer table of ARCHITECTURE.md, one entry per folder of `src/`. @type {Record<string, Layer>} */
export const LAYERS = {
  expressions: { ours: [], temporal: [], node: false, packages: false, determinism: 'pure' },
  engine: { ours: ['expressions'], typesOnly: ['activities'], temporal: [], node: false, packages: false, determinism: 'pure' },
  config: { ours: ['engine', 'expressions'], temporal: [], node: true, packages: true },
  workflows: { ours: ['engine', 'expressions'], typesOnly: ['activities'], temporal: ['workflow', 'common'], node: false, packages: false, determinism: 'sandbox', subfolders: ['stages'] },
  activities: { ours: ['engine', 'config', 'audit', 'expressions'], temporal: ['activity', 'common'], node: true, packages: true },
  worker: { ours: ['activities', 'codec'], temporal: ['worker', 'common'], node: true, packages: true },
  audit: { ours: ['engine'], temporal: [], node: true, packages: true },
  codec: { ours: [], temporal: ['common', 'proto'], node: true, packages: true },
  client: {
    ours: ['config', 'engine', 'expressions', 'worker', 'audit', 'codec'],
    files: ['workflows/definitions.js', 'activities/trace-file.js'],
    temporal: ['client', 'common', 'envconfig', 'worker'],
    node: true,
    packages: true,
  },
  cli: { ours: ['client', 'config', 'server'], temporal: [], node: true, packages: true },
  server: { ours: ['client', 'config'], temporal: [], node: true, packages: true },
  web: { ours: [], typesOnly: ['server'], temporal: [], node: false, packages: true, browser: true },
};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const list = (items) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);
const NODE_BUILTINS = builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.split('/')[0]);
const BUILTIN = `(?:node:|(?:${[...new Set(NODE_BUILTINS)].map(escape).join('|')})(?:/|$))`;

/** `no-restricted-imports` patterns of one layer, for its files `depth` folders below `src/<layer>/`. */
function importPatterns(name, layer, depth = 0) {
  const here = `src/${name}`;
  // From `src/<layer>/<sub>/x.ts`, other layers are `../../<layer>/`; `../` is the layer's own root.
  const up = '\\.\\./'.repeat(depth + 1);
  // Folders imported as types only are left to their own pattern below, which lets `import type` through.
  const allowedOurs = [...layer.ours, ...(layer.typesOnly ?? [])].map((l) => `${escape(l)}/`);
  allowedOurs.push(...(layer.files ?? []).map((f) => `${escape(f)}$`), 'errors\\.js$');
  const oursText = [...layer.ours.map((l) => `src/${l}`), ...(layer.files ?? []).map((f) => `src/${f.replace(/\.js$/, '.ts')}`), 'src/errors.ts'];
  const typesText = (layer.typesOnly ?? []).map((l) => `, and ${l === 'activities' ? 'activity' : l} types (\`import type\` from src/${l})`).join('');
  const patterns = [
    {
      regex: `^${up}(?!\\.\\./)(?!${allowedOurs.join('|')})`, // one `../` more is NORMAL_FORM's
      caseSensitive: true,
      message: `layer rule: ${here} may import only ${list(oursText)} of ours${typesText} (${WHERE}).`,
    },
  ];
  for (const folder of layer.typesOnly ?? []) {
    // A type import matching this pattern passes every pattern (typescript-eslint's `allowTypeImports`).
    const why = layer.browser ? 'the page reaches the server over HTTP' : 'workflow code reaches activities through proxyActivities';
    patterns.push({
      regex: `^${up}${escape(folder)}/`,
      caseSensitive: true,
      allowTypeImports: true,
      message: `layer rule: ${here} imports src/${folder} as types only (\`import type\`); ${why} (${WHERE}).`,
    });
  }
  patterns.push({
    regex: layer.temporal.length ? `^@temporalio/(?!(?:${layer.temporal.map(escape).join('|')})(?:/|$))` : '^@temporalio/',
    caseSensitive: true,
    message: layer.temporal.length
      ? `layer rule: ${here} may import only ${list(layer.temporal.map((t) => `@temporalio/${t}`))} of the Temporal SDK (${WHERE}).`
      : `layer rule: ${here} never imports the Temporal SDK (${WHERE}).`,
  });
  if (!layer.node) {
    patterns.push({
      regex: `^${BUILTIN}`,
      caseSensitive: true,
      message: layer.browser ? `layer rule: ${here} runs in the browser: no Node built-ins (${WHERE}).` : `layer rule: ${here} runs inside the workflow sandbox: no Node built-ins, no I/O (${WHERE}).`,
    });
  }
  if (!layer.packages) {
    patterns.push({
      regex: `^(?![./]|@temporalio/|${BUILTIN})`,
      caseSensitive: true,
      message: `layer rule: ${here} runs inside the workflow sandbox and imports no npm package${layer.temporal.length ? ` but ${list(layer.temporal.map((t) => `@temporalio/${t}`))}` : ''} (${WHERE}).`,
    });
  }
  return patterns;
}

/** Imports written so that the patterns above can read them: no `./..`, no `x/../`, no climbing above `src/`. */
function normalForm(depth) {
  return {
    regex: `^\\.\\.?$|^\\./\\.\\.|^(?:\\.\\./){${depth + 2},}|(?:^|/)[^./][^/]*/\\.\\.?(?:/|$)`,
    message: `layer rule: write relative imports in normal form (\`./file.js\`, \`../layer/file.js\`${depth ? ', \`../../layer/file.js\` from a subfolder' : ''}) so the layer rules can read them (${WHERE}).`,
  };
}

const SYNTAX_EVERYWHERE = [
  {
    selector: 'ImportExpression[source.value=/^\\.\\./]',
    message: `layer rule: import other layers statically, so the layer rules check the import (${WHERE}).`,
  },
  {
    selector: 'TSImportType',
    message: `layer rule: use \`import type\` at the top of the file instead of \`import('...')\` types, so the layer rules check the import (${WHERE}).`,
  },
];

const MATH_RANDOM = {
  object: 'Math',
  property: 'random',
  message: `determinism rule: Math.random is not deterministic on replay; take randomness as input, or use uuid4() from @temporalio/workflow in workflow code (${INVARIANTS}).`,
};

/** Determinism rules for code that runs in (or is imported by) the workflow sandbox. */
function determinism(name, kind) {
  const here = `src/${name}`;
  const clock = `determinism rule: ${here} never reads the clock; take the time as input (workflow code has the SDK's Date.now()) (${INVARIANTS}).`;
  const sandbox = (what) => `determinism rule: ${here} runs inside the workflow sandbox: no ${what} (${INVARIANTS}).`;
  const properties = [MATH_RANDOM, { object: 'performance', property: 'now', message: clock }];
  // The workflow bundle preloads these modules: every execution of a workflow thread shares them (src/worker/bundle-options.ts).
  const shared = `shared-module rule: the modules of ${here} are evaluated once per workflow thread and shared by every workflow execution; keep what one execution knows in the objects its entry function creates, not in a module-level let or var (${INVARIANTS}).`;
  const syntax = [
    ...SYNTAX_EVERYWHERE,
    { selector: 'ImportExpression', message: sandbox('dynamic import()') },
    { selector: "Program > VariableDeclaration[kind!='const'], Program > ExportNamedDeclaration > VariableDeclaration[kind!='const']", message: shared },
  ];
  if (kind === 'pure') {
    properties.push({ object: 'Date', property: 'now', message: clock });
    syntax.push({ selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: clock }, { selector: "CallExpression[callee.name='Date']", message: clock });
  }
  const globals = ['process', 'Buffer', 'require', '__dirname', '__filename', 'crypto', 'fetch'].map((g) => ({
    name: g,
    message: sandbox(`\`${g}\` (no I/O, no Node built-ins)`),
  }));
  if (kind === 'pure') {
    for (const g of ['setTimeout', 'setInterval', 'setImmediate']) globals.push({ name: g, message: sandbox(`timers in pure code (\`${g}\`)`) });
  }
  return {
    'no-restricted-properties': ['error', ...properties],
    'no-restricted-syntax': ['error', ...syntax],
    'no-restricted-globals': ['error', ...globals],
  };
}

/** The rules of one layer, complete (flat config replaces a rule's options, it does not merge them). */
function layerConfigs(name, layer) {
  const rules = (depth) => ({
    '@typescript-eslint/no-restricted-imports': ['error', { patterns: [normalForm(depth), ...importPatterns(name, layer, depth)] }],
    ...(layer.determinism ? determinism(name, layer.determinism) : { 'no-restricted-syntax': ['error', ...SYNTAX_EVERYWHERE] }),
  });
  const subfolders = layer.subfolders ?? [];
  return [
    { name: `tempoflow/layer/${name}`, files: [`src/${name}/**/*.ts`], rules: rules(0) },
    ...(subfolders.length ? [{ name: `tempoflow/layer/${name}/subfolders`, files: subfolders.map((f) => `src/${name}/${f}/*.ts`), rules: rules(1) }] : []),
  ];
}

export default defineConfig(
  globalIgnores(['dist/**', '.tempoflow/**', 'coverage/**', 'tmp/**'], 'tempoflow/ignores'),
  {
    name: 'tempoflow/typescript',
    files: ['src/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      ecmaVersion: 2022,
      sourceType: 'module',
      // The globals that rules below look for (no-implied-eval reads string timers only on known globals).
      globals: { setTimeout: 'readonly', setInterval: 'readonly', setImmediate: 'readonly' },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    // Comments may disable rules of a typed config that editors run; this config does not know them.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      // Security (TEAM rules): no eval, in any form.
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
    },
  },
  ...Object.entries(LAYERS).flatMap(([name, layer]) => layerConfigs(name, layer)),
  {
    name: 'tempoflow/layer/errors',
    files: ['src/errors.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ regex: '.', message: `layer rule: src/errors.ts imports nothing: every layer may import it (${WHERE}).` }] }],
    },
  },
  {
    name: 'tempoflow/layer/flat',
    files: ['src/*/*/**/*.ts'],
    ignores: Object.entries(LAYERS).flatMap(([name, layer]) => (layer.subfolders ?? []).map((f) => `src/${name}/${f}/*.ts`)),
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Program',
          message: `layer rule: layer folders are flat (src/<layer>/<file>.ts) but for the subfolders LAYERS declares; declare the subfolder in eslint.config.js before adding one (${WHERE}).`,
        },
      ],
    },
  },
);
