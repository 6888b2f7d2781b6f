import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { writeFileSync } from 'node:fs';
import { startStack } from './test/http/stack.js';
const s = await startStack();
const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#a36' } }).png().toBuffer();
writeFileSync('/tmp/h3b/up.png', png);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  await page.goto(`${s.url}/docs`);
  await page.waitForSelector('.opblock', { timeout: 30000 });
  const ops = await page.$$('.opblock');
  console.log('operations', ops.length);
  const op = page.locator('#operations-images-post_analysis_features');
  await op.locator('.opblock-summary').click();
  await op.locator('button.try-out__btn').click();
  await op.locator('input[placeholder="image_id"]').fill('from-swagger');
  console.log(await op.locator('.body-param-content-type select, .content-type').allInnerTexts());
  await op.locator('input[type=file]').setInputFiles('/tmp/h3b/up.png');
  await op.locator('button.execute').click();
  await op.locator('.responses-wrapper .live-responses-table .response-col_status').first().waitFor({ timeout: 20000 });
  console.log((await op.locator('.live-responses-table').innerText()).slice(0, 400));
} finally { await browser.close(); await s.stop(); }
