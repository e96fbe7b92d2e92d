// The trade and trust pages in a real browser: Debian's Chromium driven by Playwright
// (playwright-core). The trades were made beforehand with `sec trade`; this waits for the
// explorer to have indexed them, then goes from the navigation to the trade overview (the
// cross-domain chart), to the disputed offer (its stages and the panel's votes), to its seller's
// page, the seller's trust chart and relationship graph, and from the graph to a buyer's; then
// to the offer paid from domain 1 (its payment's note links to the message) and the buyer's open
// offer (its 30-second period). Prints how long each page took to load. Screenshots go to
// OUT_DIR.
//
//   EXPLORER_URL, SELLER, BUYER, CROSS_BUYER, OUT_DIR

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const { EXPLORER_URL, SELLER, BUYER, CROSS_BUYER, OUT_DIR } = process.env;
fs.mkdirSync(OUT_DIR, { recursive: true });

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok: ${what}`);
}

async function waitFor(what, fn, ms = 60000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// Indexed: the dispute decided, the open offer of the last transaction, and the message of
// domain 1 that paid offer 2.
await waitFor('the explorer to index the trades', async () => {
  const offer = await (await fetch(`${EXPLORER_URL}/api/v1/trade/0/3`)).json();
  const open = await (await fetch(`${EXPLORER_URL}/api/v1/trade/0/4`)).json();
  const paid = await (await fetch(`${EXPLORER_URL}/api/v1/trade/0/2`)).json();
  return offer.dispute?.outcome === 'Upheld' && open.stage === 'Open'
    && paid.steps?.[1]?.message?.source_tx_hash;
});

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
// Anything the page refuses or breaks on (a Content-Security-Policy violation, a script error)
// shows as a console error or a page error: none is allowed.
const pageErrors = [];
page.on('console', (m) => {
  if (m.type() === 'error') pageErrors.push(`${m.text()} (${m.location().url})`);
});
page.on('pageerror', (e) => pageErrors.push(String(e)));
const shot = (name) => page.screenshot({ path: path.join(OUT_DIR, `${name}.png`), fullPage: true });
const timings = [];
// Clicks and waits for the page at `url` to load; records how long it took.
async function follow(selector, url) {
  const t0 = Date.now();
  await Promise.all([page.waitForURL(url), page.click(selector)]);
  await page.waitForLoadState('load');
  timings.push([new URL(page.url()).pathname, Date.now() - t0]);
}
const rows = (selector) => page.locator(`${selector} tr`).count();
try {
  await page.goto(`${EXPLORER_URL}/`);

  // The overview from the navigation: one completed trade of two crossed domains.
  await follow('nav a[href="/trade"]', /\/trade$/);
  check((await page.textContent('h1')) === 'Trade', 'trade overview from the nav');
  check((await page.textContent('#share-total')).includes('1 of 2 completed trades crossed domains (50.0 %)'),
    'the cross-domain share counts the buyer from domain 1');
  check(await page.locator('svg.share rect.bucket').count() === 24, 'the chart has its periods');
  const line = await page.locator('svg.share path.share-line').getAttribute('d');
  check(/^M [\d.]+ [\d.]+/.test(line), `the share is drawn (${line})`);
  const bars = await page.locator('svg.share rect.bucket').evaluateAll(
    (rs) => rs.filter((r) => Number(r.getAttribute('height')) > 0).length);
  check(bars >= 1, `periods with trades have bars (${bars})`);
  await shot('trade');

  // The disputed offer: stages in order with their times, the panel's votes, the decision.
  await follow('table.offers a[href="/trade/0/3"]', /\/trade\/0\/3$/);
  check((await page.textContent('#stage')) === 'Upheld', 'offer 3 is upheld');
  const steps = await page.locator('table.steps tr td:first-child').allTextContents();
  check(JSON.stringify(steps) === JSON.stringify(['Open', 'Paid', 'Shipped', 'Disputed', 'Upheld']),
    `offer 3 stages in order: ${steps}`);
  const times = await page.locator('table.steps tr td:nth-child(2)').allTextContents();
  check(times.every((t) => / UTC$/.test(t)) && [...times].sort().join() === times.join(), 'each stage has its time, in order');
  const votes = await page.locator('table.votes td.vote').allTextContents();
  check(votes.filter((v) => v === 'uphold').length === 3 && votes.filter((v) => v === 'reject').length === 2,
    `the panel voted 3 to 2: ${votes}`);
  check((await page.textContent('#outcome')).startsWith('Upheld'), 'the decision is shown');
  await shot('offer');

  // The seller: nothing open, two completed, the dispute it lost.
  await follow(`a[href="/seller/${SELLER}"]`, new RegExp(`/seller/${SELLER}$`));
  check(await rows('#completed') === 3, 'two completed trades');
  check((await page.textContent('#open')).includes('None.'), 'no open offers (banned)');
  check((await page.textContent('#disputes td.outcome')) === 'Upheld', 'the lost dispute');
  await shot('seller');

  // Its trust index: rose to 2, fell to 0, banned; the chart draws the steps.
  await follow(`a[href="/trust/${SELLER}"]`, new RegExp(`/trust/${SELLER}$`));
  check((await page.textContent('table.trust td.index')) === '0', 'index 0');
  check((await page.textContent('table.trust')).includes('banned'), 'banned');
  const box = await page.locator('path.trust-line').boundingBox();
  check(box && box.width > 300 && box.height > 1, `the trust chart is drawn (${box && box.width}x${box && box.height})`);
  check(await rows('table.history') === 5, 'four changes in the history');
  await shot('trust');

  // Its relationships: two buyers around it; one of them is followed to its own graph.
  await follow(`a[href="/graph/${SELLER}"]`, new RegExp(`/graph/${SELLER}$`));
  check(await page.locator('svg.graph line.edge').count() === 2, 'two relationships drawn');
  check(await page.locator(`svg.graph line.edge[data-to="${CROSS_BUYER}"]`).count() === 1, 'the cross-domain buyer is one');
  const centre = await page.locator('svg.graph circle.centre').boundingBox();
  check(centre && centre.width > 10, 'the account is drawn in the centre');
  await shot('graph');
  await follow(`svg.graph a[href="/graph/${BUYER}"] circle`, new RegExp(`/graph/${BUYER}$`));
  check(await page.locator('svg.graph line.edge').count() === 1, "the buyer's graph has its one seller");
  check((await page.textContent('table.counterparties')).includes(SELLER), 'the seller is its counterparty');
  await shot('graph-buyer');

  // From the buyer's address page to its trust index and its open offer.
  await page.goto(`${EXPLORER_URL}/address/${BUYER}`);
  await follow(`p.trade-links a[href="/trust/${BUYER}"]`, new RegExp(`/trust/${BUYER}$`));
  check((await page.textContent('table.trust td.index')) === '1', "the buyer's index is 1");
  await follow(`a[href="/seller/${BUYER}"]`, new RegExp(`/seller/${BUYER}$`));
  check((await page.textContent('#open')).includes('Open'), "the buyer's own offer is open");
  await follow('#open a[href="/trade/0/4"]', /\/trade\/0\/4$/);
  check((await page.textContent('#auto-confirm')) === '30 s after shipping',
    `its period is shown as a duration: ${await page.textContent('#auto-confirm')}`);

  // The offer paid from domain 1: its payment's note names the message and links to it, on
  // the page of the transaction of domain 1 that sent it.
  await page.goto(`${EXPLORER_URL}/trade/0/2`);
  const paid = page.locator('table.steps tr')
    .filter({ has: page.locator('td:first-child', { hasText: /^Paid$/ }) });
  const note = (await paid.locator('td').last().textContent()).trim();
  check(note === 'from domain 1 by a cross-domain message', `the payment's note: ${note}`);
  check((await paid.locator('td').nth(4).textContent()).includes(CROSS_BUYER), 'paid by the cross-domain buyer');
  check(await page.locator('table.steps .by-message').count() === 1, 'no other step came by a message');
  await shot('offer-by-message');
  const href = await paid.locator('a.message').getAttribute('href');
  const hash = href.split('#message-')[1];
  await follow('table.steps a.message', (u) => u.pathname.startsWith('/tx/'));
  const sent = page.locator(`[id="message-${hash}"]`);
  check((await sent.textContent()).includes('domain 1 → domain 0'), 'the message, sent from domain 1 to domain 0');
  check(/delivered/.test(await sent.locator('.status').textContent()), 'and delivered');
} catch (e) {
  await shot('trade-failure').catch(() => {});
  throw e;
} finally {
  await browser.close();
}
for (const [p, ms] of timings) console.log(`loaded ${p} in ${ms} ms`);
if (pageErrors.length) throw new Error(`errors in the pages: ${pageErrors.join(' | ')}`);
console.log('all trade browser checks passed');
