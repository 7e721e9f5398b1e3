/**
 * `tempoflow init [dir]`: writes a starter project into `dir` (default `.`):
 * `conf/workflows/my-first-workflow.yml` (a commented workflow using params,
 * needs, a matrix and a schedule, with the schema modeline),
 * `schema/workflow.schema.json` (what `tempoflow schema` prints) and
 * `.vscode/settings.json` + `extensions.json` (the YAML extension checks and
 * completes conf files against the schema). It never overwrites a file
 * unless `--force`. The starter validates as written (docs/yaml-format.md).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { jsonSchemaText } from '../config/json-schema.js';
import { action, CliExit, ExitCode, info } from './common.js';

/** The starter workflow's name (and file name). */
export const STARTER_WORKFLOW = 'my-first-workflow';

/** The starter workflow, commented for a first read. */
export const STARTER_WORKFLOW_YAML = `# yaml-language-server: $schema=../../schema/workflow.schema.json
# Your first tempoflow workflow. Every key is described in the docs
# (docs/yaml-format.md); your editor completes and checks them through the
# schema named on the first line.
#
#   tempoflow validate                         # every problem, at file:line:col
#   tempoflow graph ${STARTER_WORKFLOW}            # the job DAG
#   tempoflow run ${STARTER_WORKFLOW} -p who=team
#
# One file may hold several workflows; the top-level key is the name.
${STARTER_WORKFLOW}:
  type: Workflow
  desc: Greets, builds on two platforms at once, then reports.

  # Schedules: \`tempoflow schedule sync\` makes one Temporal Schedule per cron
  # entry (remove this block if you only run it by hand).
  on:
    - cron: "0 6 * * 1-5" # weekdays at 06:00
      timezone: UTC
      params: { who: scheduler }
    - manual: true

  # Typed params: -p who=team on the command line, params.who in templates,
  # $TF_PARAM_WHO in bash. A date param also takes a datetime (the time drops).
  params:
    who:
      type: str
      default: world
      description: Who to greet
    day:
      type: date
      required: false # null when not passed

  jobs:
    greet:
      stages:
        # An echo stage prints its message (you see it in \`tempoflow run\`).
        - name: Greet
          echo: "Hello, \${{ params.who }}!"
        # A bash stage: its stdout is the stage's output.
        - name: Prepare
          id: prepare
          bash: echo "input for $TF_PARAM_WHO"

    # \`needs\` orders jobs; jobs without a path between them run in parallel.
    build:
      needs: [greet]
      # A matrix runs the job once per combination, each in its own workspace.
      strategy:
        matrix:
          platform: [linux, macos]
      stages:
        - name: Build \${{ matrix.platform }}
          id: build
          bash: echo "building for $TF_MATRIX_PLATFORM"

    report:
      needs: [build]
      stages:
        - name: Report
          echo: "Build for \${{ params.who }}: \${{ needs.build.result }}"
`;

/** Editor settings: the YAML extension validates conf files against the schema. */
export const VSCODE_SETTINGS = `${JSON.stringify({ 'yaml.schemas': { './schema/workflow.schema.json': ['conf/**/*.yml', 'conf/**/*.yaml'] } }, null, 2)}\n`;

/** The extension those settings are for. */
export const VSCODE_EXTENSIONS = `${JSON.stringify({ recommendations: ['redhat.vscode-yaml'] }, null, 2)}\n`;

/** The files `init` writes, relative to its directory. */
export function starterFiles(): Record<string, string> {
  return {
    [`conf/workflows/${STARTER_WORKFLOW}.yml`]: STARTER_WORKFLOW_YAML,
    'schema/workflow.schema.json': jsonSchemaText(),
    '.vscode/settings.json': VSCODE_SETTINGS,
    '.vscode/extensions.json': VSCODE_EXTENSIONS,
  };
}

/** A path as the user reads it: relative to the current directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** `tempoflow init [dir]`: see the module doc. Returns the paths written. */
export function initProject(dir: string, opts: { force?: boolean } = {}): string[] {
  const root = resolve(dir);
  const files = Object.entries(starterFiles()).map(([path, text]) => ({ path: join(root, path), text }));
  const existing = files.filter((f) => existsSync(f.path)).map((f) => shown(f.path));
  if (existing.length > 0 && !opts.force) {
    throw new CliExit(
      ExitCode.INVALID,
      `tempoflow init: ${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written. Pick an empty directory (tempoflow init <dir>) or pass --force to overwrite them.`,
    );
  }
  for (const f of files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.text);
  }
  return files.map((f) => f.path);
}

export function register(program: Command): void {
  program
    .command('init')
    .description('write a starter conf/ (a commented workflow, its schema, VS Code settings) into dir')
    .argument('[dir]', 'project directory', '.')
    .option('--force', 'overwrite the starter files if they exist')
    .action(
      action(async (dir: string, opts: { force?: boolean }) => {
        const written = initProject(dir, opts);
        for (const path of written) info(`  wrote ${shown(path)}`);
        const cd = resolve(dir) === process.cwd() ? '' : `cd ${dir} && `;
        info(`next: ${cd}tempoflow validate && tempoflow run ${STARTER_WORKFLOW}`);
        return ExitCode.OK;
      }),
    );
}
