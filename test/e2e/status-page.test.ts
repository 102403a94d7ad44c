import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readingsStored, startTestStack, type TestStack, waitUntil } from './support/stack.js';

/** Debian's chromium; `.ci/run` installs it when missing. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('e2e: the status page in a real browser', { timeout: 120_000 }, () => {
  let t: TestStack;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    }
    t = await startTestStack({ towers: 3 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    await waitUntil('the first readings in DynamoDB', () => readingsStored(t.stack) > 0);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('shows the towers, an injected spike as an alert, and round-trips a threshold change', async () => {
    const page = await browser.newPage();
    await page.goto(t.stack.status.url);
    await page.waitForSelector('#conn:text("live")');

    for (const id of t.stack.fleet.ids) {
      await page.waitForSelector(`[data-tower="${id}"].online`);
    }
    await page.waitForSelector('[data-tower="tower-001"] td:text("temp-cabinet")');
    await page.waitForSelector('[data-tower="tower-001"] svg.spark');
    expect(
      Number(await page.textContent('[data-counter="readingsStored"] b').then((s) => s!.replace(/,/g, ''))),
    ).toBeGreaterThan(0);

    t.stack.fleet.get('tower-002')!.monitor.simulator!.inject('temp-cabinet', { kind: 'spike', value: 53 });
    await page.waitForSelector('[data-alert="tower-002/temp-cabinet/threshold-high"]');
    await page.waitForSelector('[data-tower="tower-002"].alerting');
    await page.waitForSelector('#notifications .alert:has-text("tower-002")');

    await page.selectOption('#towerSelect', 'tower-003');
    await page.selectOption('select[name="path"]', 'rules.temperature.high.warning');
    await page.fill('input[name="value"]', '38.5');
    await page.click('button[type="submit"]');
    await page.waitForSelector('#formResult:has-text("sent")');
    // The change goes desired → tower applies → reported, and the page shows the reported value.
    await page.waitForSelector('[data-config="tower-003"][data-warning="38.5"]', { timeout: 30_000 });
    expect(
      t.stack.fleet.get('tower-003')!.monitor.effectiveConfig().tunable.rules?.temperature?.high?.warning,
    ).toBe(38.5);
    await page.close();
  });
});
