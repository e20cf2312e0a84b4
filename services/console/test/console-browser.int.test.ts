import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testStack } from '@novamed-stream/testkit';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONSOLE_KEY,
  type ConsoleSystem,
  SANDBOX_KEY,
  startConsoleSystem,
  WEBHOOK_SECRET,
} from './console-system.js';

// The console in a real browser (Debian's chromium, driven by playwright-core): the README's
// guide sample found in the explorer, the live flow moving while the sandbox streams, a wrong
// key refused, no console errors. Screenshots go to the ignored test-results/; with
// CONSOLE_SCREENSHOTS=1 (`npm run console:screenshots`) they are copied into docs/console/.

const here = fileURLToPath(new URL('.', import.meta.url));
const SHOTS = join(here, '..', 'test-results', 'screenshots');
const DOCS = join(here, '..', '..', '..', 'docs', 'console');
const FIXTURE = join(
  here,
  '..',
  '..',
  '..',
  'packages',
  'events',
  'test',
  'fixtures',
  'order-shipped.json',
);
const CHROMIUM = '/usr/bin/chromium';

let system: ConsoleSystem;
let context: BrowserContext;
const consoleErrors: string[] = [];
const userDataDir = join(tmpdir(), `console-chromium-${process.pid}-${Date.now()}`);

/** A page whose console errors fail the last test; `expected401` allows the refused sign-in's. */
async function newPage(expected401 = false): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (expected401 && message.text().includes('status of 401')) return;
    consoleErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
  return page;
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto(`${system.consoleUrl}/explorer`);
  await page.waitForURL('**/login');
  await page.fill('#key', key);
  await page.click('button[type=submit]');
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env['CONSOLE_SCREENSHOTS'] === '1') {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, join(DOCS, `${name}.png`));
  }
}

beforeAll(async () => {
  system = await startConsoleSystem(testStack().kafkaBrokers);
  mkdirSync(userDataDir, { recursive: true });
  // A fresh profile each run; playwright passes it as --user-data-dir.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await context?.close();
  await system?.stop();
  rmSync(userDataDir, { recursive: true, force: true });
});

describe('the console in a real browser', () => {
  it('refuses a wrong key: no session, pages lead to sign-in, the API answers 401', async () => {
    const page = await newPage(true);
    await signIn(page, 'not-the-console-key-at-all');
    await expect.poll(() => page.textContent('#message')).toBe('Wrong key.');
    await page.goto(`${system.consoleUrl}/live`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await screenshot(page, 'sign-in');
    const api = await fetch(`${system.consoleUrl}/api/live`, {
      headers: { 'x-console-key': 'not-the-console-key-at-all' },
    });
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    const search = await fetch(`${system.consoleUrl}/api/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'ord_12345' }),
    });
    expect(search.status).toBe(401);
    await page.close();
  });

  it("finds the guide's order after the README's curl: shipped, UPS, patient masked until asked", async () => {
    const sent = await fetch(`${system.ingressUrl}/webhooks/novamed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': WEBHOOK_SECRET },
      body: readFileSync(FIXTURE),
    });
    expect(sent.status).toBe(200);
    // The redelivery NovaMed would make: the explorer counts it as a duplicate.
    await fetch(`${system.ingressUrl}/webhooks/novamed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': WEBHOOK_SECRET },
      body: readFileSync(FIXTURE),
    });
    await expect
      .poll(
        async () =>
          (await system.pool.query(`select 1 from analytics.orders where order_id = 'ord_12345'`))
            .rowCount,
        { timeout: 30_000, interval: 300 },
      )
      .toBe(1);

    const page = await newPage();
    await signIn(page, CONSOLE_KEY);
    await page.waitForURL('**/explorer');
    await page.fill('#query', 'ord_12345');
    await page.click('#search button[type=submit]');
    await page.waitForSelector('#timeline');
    const fields = await page.textContent('#fields');
    expect(fields).toContain('shipped');
    expect(fields).toContain('UPS');
    expect(await page.getAttribute('dd[data-field="patient_pseudonym"] span', 'data-masked')).toBe(
      'true',
    );
    const row = page.locator('#timeline tr[data-event-id="evt_abc123xyz"]');
    await expect.poll(() => row.textContent()).toContain('order:shipped');
    expect(await row.textContent()).toContain('applied');
    // Two deliveries of one event: the cell starts with the count.
    expect((await row.locator('td.num').textContent())?.trim().startsWith('2')).toBe(true);
    const masked = await page.content();
    for (const phi of ['pat_67890', '123 Main Street', 'San Francisco', '94102']) {
      expect(masked).not.toContain(phi);
    }
    await screenshot(page, 'explorer');

    await page.click('#show-phi');
    await expect.poll(() => page.textContent('#fields')).toContain('pat_67890');
    expect(await page.textContent('#event-data')).toContain('123 Main Street');
    const audit = await system.pool.query(
      `select effective_role, object from novamed.phi_access_log where effective_role = 'console_reader'`,
    );
    expect(audit.rows.map((r) => r.object)).toEqual(
      expect.arrayContaining(['orders', 'order_events']),
    );

    // Linked: the order's medication request.
    expect(await page.textContent('.links')).toContain('med_req_11111');
    await page.close();
  });

  it('the live flow moves by itself while the sandbox streams', async () => {
    const registered = await fetch(`${system.sandboxUrl}/api/external/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': SANDBOX_KEY },
      body: JSON.stringify({
        clinic_id: '550e8400-e29b-41d4-a716-446655440000',
        webhook_url: `${system.ingressUrl}/webhooks/novamed`,
      }),
    });
    expect(registered.status).toBe(200);
    const started = await fetch(`${system.sandboxUrl}/sandbox/generator/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': SANDBOX_KEY },
      body: JSON.stringify({ rate: 25, lifecycles: 400, seed: 16 }),
    });
    expect(started.status).toBe(202);

    const page = await newPage();
    await page.goto(`${system.consoleUrl}/live`);
    const messages = page.locator('#kpi-messages');
    await expect.poll(() => messages.textContent(), { timeout: 15_000 }).not.toBe('—');
    const first = Number((await messages.textContent())?.replaceAll(',', ''));
    await expect
      .poll(async () => Number((await messages.textContent())?.replaceAll(',', '')), {
        timeout: 20_000,
        interval: 300,
      })
      .toBeGreaterThan(first);
    await expect
      .poll(async () => Number(await page.textContent('#kpi-accepted')), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await expect.poll(() => page.locator('#projectors tbody tr').count()).toBe(3);
    expect(await page.locator('#chart-ingress canvas').count()).toBe(1);
    await page.waitForTimeout(4000);
    await screenshot(page, 'live');
    await page.close();
  });

  it('charts the funnels and durations of the analytics views', async () => {
    const page = await newPage();
    await expect
      .poll(
        async () =>
          (await system.pool.query('select count(*)::int as n from analytics.orders')).rows[0].n,
        { timeout: 30_000 },
      )
      .toBeGreaterThan(20);
    await page.goto(`${system.consoleUrl}/analytics`);
    await page.waitForSelector('#chart-order-funnel canvas');
    await page.waitForSelector('#carriers tbody tr');
    await screenshot(page, 'analytics');
    await page.close();
  });

  it('no page logged a console error', () => {
    expect(consoleErrors).toEqual([]);
  });
});
