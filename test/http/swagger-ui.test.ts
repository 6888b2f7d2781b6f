/**
 * Swagger UI's "Try it out", in a real browser (chromium through
 * playwright-core), on the real service: every operation of /openapi.json is
 * expanded, given its required parameters (and a PNG where it takes an upload),
 * executed, and must get an answer whose status the document lists. The upload
 * route must store the image under the ID typed into the form (it stored it
 * under Swagger UI's placeholder "string" when image_id was declared twice).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startStack, type Stack } from './stack.js';

const CHROMIUM = '/usr/bin/chromium';

interface Operation {
  operationId: string;
  tags: string[];
  parameters: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, unknown>;
}

describe.skipIf(!existsSync(CHROMIUM))('Swagger UI "Try it out" (chromium)', () => {
  let s: Stack;
  let browser: Browser;
  let dir: string;
  let png: string;

  beforeAll(async () => {
    s = await startStack();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    dir = mkdtempSync(join(tmpdir(), 'featcache-swagger-'));
    png = join(dir, 'upload.png');
    writeFileSync(png, await sharp({ create: { width: 40, height: 30, channels: 3, background: '#a36' } }).png().toBuffer());
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every operation is sent from the page and answered with a documented status; the upload lands under the typed ID', async () => {
    const doc = (await call(s.url, '/openapi.json')).body as { paths: Record<string, Record<string, Operation>> };
    const page = await browser.newPage();
    await page.goto(`${s.url}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
    const answered: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const block = page.locator(`#operations-${op.tags[0]}-${op.operationId}`);
        await block.locator('.opblock-summary').first().click();
        await block.locator('button.try-out__btn').click();
        for (const p of op.parameters.filter((x) => x.required)) await block.locator(`input[placeholder="${p.name}"]`).fill('from-swagger');
        if (op.requestBody && Object.keys(op.requestBody.content)[0] === 'multipart/form-data') await block.locator('input[type=file]').setInputFiles(png);
        await block.locator('button.execute').click();
        const status = block.locator('.live-responses-table tr.response .response-col_status').first();
        await status.waitFor({ timeout: 20_000 });
        const code = (await status.innerText()).trim();
        expect(Object.keys(op.responses), `${method.toUpperCase()} ${path} answered ${code}`).toContain(code);
        answered.push(`${method} ${path} ${code}`);
        await block.locator('.opblock-summary').first().click(); // collapse
      }
    }
    expect(answered).toContain('post /analysis/features 200');
    // the upload was stored under the ID typed into the page, not a placeholder
    const stored = await call(s.url, '/analysis/similar', { json: { image_id: 'from-swagger', source: 'extracted', limit: 1 } });
    expect(stored.status).toBe(200);
  }, 180_000);
});
