/**
 * The web view of `tempoflow serve` in a real browser (docs/api.md "Web
 * view"): Debian's chromium driven by playwright-core (no browser download;
 * `scripts/setup-chromium.sh` installs it on a fresh machine). A run that
 * waits at an approval shows every job with its live status; Approve ends it
 * SUCCESS; a failing run shows its failed job and the error; a workflow that
 * has not run shows its graph. `TEMPOFLOW_SCREENSHOTS=docs/images` makes the
 * screenshots of docs/api.md and the README.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_API_TOKEN, type TestServer } from '../helpers/serve.js';
import { writeConf } from '../helpers/temporal.js';

const root = resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env['TEMPOFLOW_CHROMIUM'] ?? '/usr/bin/chromium';
/** Where screenshots go: a temporary directory, or docs/images with `TEMPOFLOW_SCREENSHOTS=docs/images` (how the docs' images are made). */
const IMAGES = process.env['TEMPOFLOW_SCREENSHOTS'] ? resolve(root, process.env['TEMPOFLOW_SCREENSHOTS']) : mkdtempSync(join(tmpdir(), 'tf-screenshots-'));

const conf = () =>
  writeConf({
    'release.yml': `
release:
  type: Workflow
  desc: Builds, tests on two platforms, then waits for a decision before it ships.
  params:
    version: { type: str, default: '1.0.0' }
  jobs:
    build:
      stages:
        - name: Compile
          bash: echo compiled \${{ params.version }}
    test:
      needs: [build]
      strategy:
        matrix:
          os: [linux, macos]
      stages:
        - name: Unit tests
          bash: echo tests pass on \${{ matrix.os }}
    lint:
      needs: [build]
      stages:
        - name: Lint
          bash: echo clean
    deploy:
      needs: [test, lint]
      stages:
        - name: Gate
          id: gate
          approval: Ship \${{ params.version }} to production?
          approvers: [alice]
        - name: Ship
          bash: echo shipped
`,
    'broken.yml': `
broken:
  type: Workflow
  jobs:
    prepare:
      stages:
        - name: Prepare
          bash: echo ready
    migrate:
      needs: [prepare]
      stages:
        - name: Migrate
          bash: echo "relation users does not exist" >&2; exit 3
    report:
      needs: [migrate]
      stages:
        - name: Report
          bash: echo never
`,
  });

let t: TestServer;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the web view tests need chromium at ${CHROMIUM}: run \`sudo bash scripts/setup-chromium.sh\` (apt-get install chromium), or set TEMPOFLOW_CHROMIUM to a Chromium binary`);
  }
  // The page under test is the one built from this tree.
  execFileSync(process.execPath, ['--import', 'tsx', resolve(root, 'scripts/build-web.ts')], { cwd: root, stdio: 'pipe' });
  [t, browser] = await Promise.all([startTestServer(conf()), chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] })]);
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function startRun(workflow: string, params: Record<string, string> = {}): Promise<string> {
  const response = await t.post(`/api/workflows/${workflow}/runs`, { params });
  expect(response.status).toBe(201);
  return ((await response.json()) as { runId: string }).runId;
}

/** A page with the API token given, as a user types it into the page's form. */
async function signedInPage(path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('response', (r) => r.status() >= 400 && !(r.status() === 401 && r.url().includes('/api/')) && problems.push(`${r.status()} ${r.url()}`));
  await page.goto(`${t.server.url}${path}`);
  await page.getByLabel('API token').fill(TEST_API_TOKEN);
  await page.getByRole('button', { name: 'Continue' }).click();
  Object.assign(page, { problems });
  return page;
}

function node(page: Page, job: string) {
  return page.locator(`svg.graph g.node[data-job="${job}"]`);
}

describe('web view', () => {
  it('draws the job graph of a run with live status, and Approve ends it SUCCESS', async () => {
    const runId = await startRun('release', { version: '2.4.0' });
    const page = await signedInPage(`/runs/${runId}`);

    await expect.poll(() => node(page, 'deploy').getAttribute('data-status'), { timeout: 60_000, interval: 250 }).toBe('approval');
    expect(await page.locator('svg.graph g.node').count()).toBe(4);
    for (const job of ['build', 'test', 'lint']) expect(await node(page, job).getAttribute('data-status')).toBe('success');
    // Status is a word and an icon, not colour alone.
    expect(await node(page, 'deploy').textContent()).toContain('Waiting for approval');
    expect(await node(page, 'build').textContent()).toContain('Success');
    expect(await page.locator('svg.graph path.edge').count()).toBe(4);
    await expect.poll(() => page.locator('#run-status').getAttribute('data-status')).toBe('approval');
    // The matrix job opens to its combinations.
    await node(page, 'test').locator('[data-toggle="test"]').click();
    await expect.poll(() => node(page, 'test').locator('[data-combination]').count()).toBe(2);
    const approval = page.locator('[data-approval="deploy.gate"]');
    await expect.poll(() => approval.textContent()).toContain('Ship 2.4.0 to production?');
    await page.screenshot({ path: resolve(IMAGES, 'web-run-waiting.png'), fullPage: true });

    await approval.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.locator('#run-status').getAttribute('data-status'), { timeout: 60_000, interval: 250 }).toBe('success');
    await expect.poll(() => node(page, 'deploy').getAttribute('data-status')).toBe('success');
    expect(await page.locator('[data-approval]').count()).toBe(0);
    // Stages with their durations and log tails.
    const compile = page.locator('#job-build tr[data-stage^="build."]').first();
    expect(await compile.getAttribute('data-status')).toBe('success');
    expect(await compile.textContent()).toMatch(/Compile.*Success.*\d+(\.\d)? s/);
    await page.locator('#job-build summary', { hasText: 'stdout' }).click();
    expect(await page.locator('#job-build pre').textContent()).toContain('compiled 2.4.0');
    await page.screenshot({ path: resolve(IMAGES, 'web-run-success.png'), fullPage: true });
    expect((page as Page & { problems: string[] }).problems).toEqual([]);
    await page.close();
  });

  it('shows a failed run with its failed job, the error, and what did not run', async () => {
    const runId = await startRun('broken');
    const page = await signedInPage(`/runs/${runId}`);
    await expect.poll(() => page.locator('#run-status').getAttribute('data-status'), { timeout: 60_000, interval: 250 }).toBe('failed');
    expect(await node(page, 'prepare').getAttribute('data-status')).toBe('success');
    expect(await node(page, 'migrate').getAttribute('data-status')).toBe('failed');
    expect(await node(page, 'migrate').textContent()).toContain('Failed');
    expect(await node(page, 'report').getAttribute('data-status')).toMatch(/skip|pending|cancel/);
    const errors = page.locator('section.errors');
    await expect.poll(() => errors.textContent()).toContain('migrate');
    expect(await page.locator('#job-migrate').textContent()).toContain('relation users does not exist');
    await page.screenshot({ path: resolve(IMAGES, 'web-run-failed.png'), fullPage: true });
    await page.close();
  });

  it('shows the graph of a workflow that has not run, and the runs list', async () => {
    const page = await signedInPage('/workflows/release');
    await expect.poll(() => page.locator('svg.graph g.node').count(), { timeout: 20_000 }).toBe(4);
    expect(await node(page, 'deploy').getAttribute('data-status')).toBe('pending');
    expect(await page.getByRole('button', { name: 'Start run' }).isEnabled()).toBe(true);
    await page.goto(`${t.server.url}/`);
    await expect.poll(() => page.locator('tr[data-run]').count(), { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
    await page.screenshot({ path: resolve(IMAGES, 'web-runs.png'), fullPage: true });
    await page.close();
  });
});
