// SPDX-License-Identifier: MPL-2.0
// Copyright (c) 2026 the Helios developers
//
// The dashboard in Debian's headless Chromium, driven by playwright-core
// (which downloads no browser). Started by tests/integration/
// test_dashboard.c against a running demo swarm:
//
//   node dashboard.mjs --url http://127.0.0.1:PORT/ --out shot.png
//       [--probe-url URL --ctl PATH --probe-control EP --probe-metric NAME]
//
// It waits for live data, checks a health number, the 12 KPIs, the six
// agents and a finished run, that events keep arriving without a reload,
// that the page logged no error (a Content-Security-Policy violation
// included), and saves a screenshot. With --probe-*, it also measures
// the time from a sample pushed with helios-ctl to the dashboard showing
// it. It prints one JSON line and exits 0, or prints the reason and
// exits 1. Every wait has a deadline.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = {};
for (let i = 2; i < process.argv.length; i += 2)
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

const KPIS = ['chat_response_time', 'ui_interaction_lag',
  'message_render_time', 'prompt_feed_refresh', 'api_response_time',
  'redis_cache_hit', 'websocket_throughput', 'report_generation',
  'user_retention_24h', 'messages_per_session', 'session_duration',
  'optimization_roi'];

const profile = mkdtempSync(join(tmpdir(), 'helios-chromium-'));
let context;
const result = { ok: false };
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
    timeout: 30000,
  });
  const page = context.pages()[0] || await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('requestfailed', (r) => {
    // a stream ended by navigation or close is no fault
    if (!r.url().endsWith('/api/events')) problems.push('failed: ' + r.url());
  });
  // Every request stays on the master: nothing from elsewhere.
  const origins = [args.url, args['probe-url']].filter(Boolean)
    .map((u) => new URL(u).origin + '/');
  page.on('request', (r) => {
    if (!origins.some((o) => r.url().startsWith(o))
        && !r.url().startsWith('data:'))
      problems.push('off-site request: ' + r.url());
  });

  const t0 = Date.now();
  await page.goto(args.url, { waitUntil: 'load', timeout: 15000 });
  await page.waitForSelector('#conn[data-state="live"]', { timeout: 15000 });
  await page.waitForFunction(() => /^\d+(\.\d)?$/.test(
    document.querySelector('#health-score').textContent), null,
  { timeout: 15000 });
  result.health = Number(await page.textContent('#health-score'));
  if (!(result.health >= 0 && result.health <= 100))
    throw new Error('health is not a score: ' + result.health);

  // The 12 KPIs, each with a value
  await page.waitForFunction((names) => names.every((n) => {
    const v = document.querySelector('.kpi[data-metric="' + n + '"] .kpi-value');
    return v && v.dataset.value !== '' && v.dataset.value !== undefined;
  }), KPIS, { timeout: 15000 });
  result.kpis = await page.$$eval('.kpi', (cards) => cards.length);
  if (result.kpis !== 12) throw new Error(result.kpis + ' KPIs shown');

  // The six agents, in their swarms
  await page.waitForFunction(() =>
    document.querySelectorAll('tr.agent').length >= 6, null,
  { timeout: 15000 });
  result.agents = await page.$$eval('tr.agent', (rows) =>
    rows.map((r) => r.dataset.role).sort());
  for (const swarm of ['frontend', 'backend'])
    if (!await page.$('.swarm[data-swarm="' + swarm + '"] tr.agent'))
      throw new Error('no agent shown in the ' + swarm + ' swarm');

  // Live: events keep coming without a reload
  const before = await page.evaluate(() => window.helios.events);
  await page.waitForFunction((n) => window.helios.events >= n + 2, before,
    { timeout: 10000 });

  // A finished run with its actions' verdicts
  await page.waitForSelector('.run table td[class^="verdict-"]',
    { timeout: Number(args['run-timeout'] || 60000) });
  result.runs = await page.$$eval('.run', (r) => r.length);
  result.learning = await page.$$eval('#learning tbody tr', (r) => r.length);
  result.ready_ms = Date.now() - t0;
  await page.screenshot({ path: args.out, fullPage: true });

  // Sample to dashboard: a value pushed now, until the page shows it
  if (args['probe-url']) {
    await page.goto(args['probe-url'], { waitUntil: 'load', timeout: 15000 });
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 15000 });
    const card = '.kpi[data-metric="' + args['probe-metric'] + '"] .kpi-value';
    await page.waitForSelector(card, { timeout: 15000 });
    result.sample_to_dashboard_ms = [];
    for (let i = 0; i < 10; i++) {
      const value = 1000 + i * 17 + Math.floor(Math.random() * 7);
      const start = Date.now();
      execFileSync(args.ctl, ['-e', args['probe-control'], 'metric', 'push',
        args['probe-metric'], String(value)], { timeout: 10000 });
      await page.waitForSelector(card + '[data-value="' + value + '"]',
        { timeout: 5000 });
      result.sample_to_dashboard_ms.push(Date.now() - start);
      // the next sample starts at a random point of the second
      await page.waitForTimeout(150 + Math.floor(Math.random() * 600));
    }
  }
  if (problems.length) throw new Error('page problems: ' + problems.join('; '));
  result.ok = true;
} catch (e) {
  result.error = String(e && e.message ? e.message : e).split('\n')[0];
} finally {
  if (context) await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
