// Loads the mesh's web console in Debian's headless chromium and checks what a person would see: every panel filled
// over HTTP before the stream starts (what it holds at that moment is printed as "filled", with the paths the page
// asked for), then the game tick advancing and a price chart drawn on its canvas.
// Usage: node console-check.mjs <mesh url> <screenshot.png>
// Prints one JSON line with what it saw; exits non-zero (with the reason) when the page does not get there in time.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, screenshot] = process.argv.slice(2);
const WAIT_MS = 90_000;
const profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
const problems = [];

const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = context.pages()[0] || await context.newPage();
  page.on('pageerror', e => problems.push(`page error: ${e.message}`));
  page.on('console', m => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  const asked = [];
  page.on('request', r => asked.push(new URL(r.url()).pathname));
  await page.goto(url, { waitUntil: 'load' });

  // the moment the HTTP reads are in, before the stream delivered anything
  await page.waitForFunction(() => document.body.dataset.filled === 'http', null, { timeout: WAIT_MS, polling: 20 });
  const filled = await page.evaluate(() => ({
    chart_points: Math.max(0, ...[...document.querySelectorAll('canvas.price-chart')].map(c => Number(c.dataset.points))),
    diplomacy_cells: document.querySelectorAll('#diplomacy td[data-state]').length,
    crowd_rows: document.querySelectorAll('#crowd tbody tr:not(.empty)').length,
    matches: document.querySelectorAll('#matches li:not(.empty)').length,
    robots: document.querySelector('#robot-summary').textContent,
    robot_types: document.querySelectorAll('#robot-types li').length,
    connection: document.querySelector('#connection').dataset.state,
  }));

  const hour = () => page.$eval('#tick', e => e.dataset.gameHour).then(h => (h === '' ? null : Number(h)));
  await page.waitForFunction(() => document.querySelector('#tick').dataset.gameHour !== '', null,
    { timeout: WAIT_MS, polling: 200 });
  const firstHour = await hour();
  await page.waitForFunction(h => Number(document.querySelector('#tick').dataset.gameHour) > h, firstHour,
    { timeout: WAIT_MS, polling: 200 });
  const laterHour = await hour();

  // a chart with at least two clearings whose canvas has the line's colour on it
  const chart = await page.waitForFunction(() => {
    for (const canvas of document.querySelectorAll('canvas.price-chart')) {
      if (Number(canvas.dataset.points) < 2) {
        continue;
      }
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let line = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3] > 200 && pixels[i + 2] > 200 && pixels[i + 1] > 150 && pixels[i] < 120) {
          line++;
        }
      }
      if (line > 50) {
        return { id: canvas.id, points: Number(canvas.dataset.points), line_pixels: line };
      }
    }
    return null;
  }, null, { timeout: WAIT_MS, polling: 250 }).then(h => h.jsonValue());

  const seen = await page.evaluate(() => ({
    connection: document.querySelector('#connection').dataset.state,
    tick: document.querySelector('#tick').textContent,
    diplomacy_cells: document.querySelectorAll('#diplomacy td[data-state]').length,
    rates: [...document.querySelectorAll('#rates .name')].map(e => e.textContent),
    crowd_rows: document.querySelectorAll('#crowd tbody tr:not(.empty)').length,
  }));
  await page.waitForTimeout(300); // let the last frame paint before the picture
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ filled, asked: [...new Set(asked)], first_hour: firstHour, later_hour: laterHour, chart,
    ...seen, problems }));
} catch (e) {
  console.error(`${e.message}\n${problems.join('\n')}`);
  await context.pages()[0]?.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
