// The explorer in a real browser: Debian's Chromium driven by Playwright (playwright-core).
// Makes some activity with ethers (a token deployment and transfers), waits for the explorer
// to index it, then opens the home page, follows a block, a transaction (copying its hash with
// the copy button), an address and a token, searches by hash and by address, opens a verified
// system contract's Contract tab and the verification form, and watches a new block appear
// live. Screenshots go to OUT_DIR.
//
//   RPC_URL, EXPLORER_URL, PRIVATE_KEY, TOKEN_BIN, OUT_DIR

import fs from 'node:fs';
import path from 'node:path';
import { ethers } from 'ethers';
import { chromium } from 'playwright-core';

const { RPC_URL, EXPLORER_URL, PRIVATE_KEY, TOKEN_BIN, OUT_DIR } = process.env;
fs.mkdirSync(OUT_DIR, { recursive: true });

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok: ${what}`);
}

async function waitFor(what, fn, ms = 30000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// Activity: an ERC-20 and two transfers.
// No response cache: ethers reuses an identical request's answer for 250 ms by default, so a
// transaction mined within that time would be followed by a stale pending nonce.
const provider = new ethers.JsonRpcProvider(RPC_URL, undefined, { cacheTimeout: -1 });
const wallet = new ethers.Wallet(PRIVATE_KEY, provider);
const abi = ['constructor(uint256)', 'function transfer(address,uint256) returns (bool)'];
const bin = '0x' + fs.readFileSync(TOKEN_BIN, 'utf8').trim();
const token = await new ethers.ContractFactory(abi, bin, wallet).deploy(10n ** 24n);
await token.waitForDeployment();
const tokenAddress = await token.getAddress();
const recipient = ethers.Wallet.createRandom().address;
const sent = await token.transfer(recipient, 12345n * 10n ** 18n);
await sent.wait();
const txHash = sent.hash;
const value = await wallet.sendTransaction({ to: recipient, value: 10n ** 17n });
await value.wait();

await waitFor('the explorer to index the transfer', async () => {
  const r = await fetch(`${EXPLORER_URL}/api/v1/tx/${txHash}`);
  return r.ok;
});

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
// The clipboard granted, as a visitor who allowed it: the copy buttons' effect can be read back.
const context = await browser.newContext({
  viewport: { width: 1280, height: 900 },
  permissions: ['clipboard-read', 'clipboard-write'],
});
const page = await context.newPage();
// Anything the page refuses or breaks on (a Content-Security-Policy violation, a script error)
// shows as a console error or a page error: none is allowed.
const pageErrors = [];
page.on('console', (m) => {
  if (m.type() === 'error') pageErrors.push(`${m.text()} (${m.location().url})`);
});
page.on('pageerror', (e) => pageErrors.push(String(e)));
const shot = (name) => page.screenshot({ path: path.join(OUT_DIR, `${name}.png`), fullPage: true });
try {
  // Home.
  await page.goto(`${EXPLORER_URL}/`);
  check((await page.textContent('h1')) === 'SEC chain', 'home page title');
  check(await page.locator('.domain[data-domain="0"]').count() === 1, 'home shows domain 0');
  await shot('home');

  // Follow a block from the home page.
  await page.click('.domain[data-domain="0"] table.blocks a');
  await page.waitForURL(/\/block\/0\/\d+$/);
  check((await page.textContent('h1')).startsWith('Block'), 'block page from the home page');
  await shot('block');

  // Follow a transaction from the home page.
  await page.goto(`${EXPLORER_URL}/`);
  await page.click(`table.txs a[href="/tx/${txHash}"]`);
  await page.waitForURL(new RegExp(`/tx/${txHash}$`));
  check((await page.textContent('h1')) === 'Transaction', 'transaction page');
  check((await page.textContent('table.transfers')).includes('BENCH'), 'the token transfer is decoded');
  await shot('transaction');

  // The copy button beside the hash: a click puts the hash on the clipboard, the button says
  // so, then shows its label again.
  const copyButton = page.locator(`button.copy[data-copy="${txHash}"]`).first();
  const label = await copyButton.textContent();
  await copyButton.click();
  await page.waitForFunction(
    (h) => document.querySelector(`button.copy[data-copy="${h}"]`).getAttribute('data-copied') === 'yes',
    txHash,
    { timeout: 5000 },
  );
  check((await copyButton.textContent()) === 'Copied', 'the copy button says the hash was copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  check(copied === txHash, `the clipboard holds the transaction hash (${copied})`);
  await page.waitForFunction(
    (h) => !document.querySelector(`button.copy[data-copy="${h}"]`).hasAttribute('data-copied'),
    txHash,
    { timeout: 5000 },
  );
  check((await copyButton.textContent()) === label, `the copy button shows "${label}" again`);

  // Follow the recipient's address from the transaction's token transfer.
  await page.click(`table.transfers a[href="/address/${recipient}"]`);
  await page.waitForURL(new RegExp(`/address/${recipient}$`));
  check((await page.textContent('table.balances')).includes('12,345'), 'address page shows the token balance');
  await shot('address');

  // Follow the token.
  await page.click(`table.balances a[href="/token/0/${tokenAddress}"]`);
  await page.waitForURL(new RegExp(`/token/0/${tokenAddress}$`));
  check((await page.textContent('h1')).includes('Bench Token'), 'token page');
  check((await page.textContent('table.holders')).includes(recipient), 'token holders list the recipient');
  await shot('token');

  // The chain's own contracts are verified out of the box: the L2 bridge's Contract tab shows
  // its source and ABI, and its address page links there.
  const l2Bridge = '0x5ec0000000000000000000000000000000000002';
  await page.goto(`${EXPLORER_URL}/address/${l2Bridge}`);
  check((await page.textContent('.verified-contract')).includes('Verified (full match)'), 'address page says the bridge is verified');
  await page.locator('.verified-contract a').first().click();
  await page.waitForURL(new RegExp(`/address/${l2Bridge}/contract$`));
  check((await page.textContent('section.contract h2')).includes('L2Bridge on domain 0'), 'contract tab');
  check((await page.textContent('pre.abi')).includes('withdraw'), 'contract tab shows the ABI');
  check((await page.textContent('details.source[open] pre')).includes('contract L2Bridge'), 'contract tab shows the source');
  await shot('contract');

  // The verification form of the token deployed above (its source is not published).
  await page.goto(`${EXPLORER_URL}/address/${tokenAddress}/contract`);
  await page.click(`a[href="/verify?address=${tokenAddress}"]`);
  await page.waitForURL(/\/verify\?address=/);
  check((await page.inputValue('input[name="address"]')) === tokenAddress, 'verification form for the token');
  await shot('verify');

  // Search by hash, then by address.
  await page.goto(`${EXPLORER_URL}/`);
  await page.fill('#search', txHash);
  await page.press('#search', 'Enter');
  await page.waitForURL(new RegExp(`/tx/${txHash}$`));
  check(true, 'search by transaction hash');
  await page.fill('#search', recipient.toLowerCase());
  await page.press('#search', 'Enter');
  await page.waitForURL(new RegExp(`/address/${recipient}$`));
  check(true, 'search by address');
  await shot('search');

  // Live: the head of domain 0 moves without a reload.
  await page.goto(`${EXPLORER_URL}/`);
  const head = await page.textContent('.domain[data-domain="0"] .head');
  await page.waitForFunction(
    (h) => document.querySelector('.domain[data-domain="0"] .head').textContent !== h,
    head,
    { timeout: 20000 },
  );
  check(true, `a new block appeared live (head was ${head})`);
  await shot('live');

  // A phone: no page scrolls sideways (wide tables scroll inside themselves).
  await page.setViewportSize({ width: 390, height: 844 });
  for (const p of ['/', `/tx/${txHash}`, `/address/${recipient}`, '/blocks', '/txs', `/address/${l2Bridge}/contract`, `/verify?address=${tokenAddress}`]) {
    await page.goto(`${EXPLORER_URL}${p}`);
    const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    check(scroll <= inner, `${p} fits a 390 px phone (page ${scroll} px wide)`);
  }
  await page.goto(`${EXPLORER_URL}/`);
  await shot('phone');

  // The dark theme follows the system's.
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await background();
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await background();
  const luminance = (rgb) => rgb.match(/\d+/g).slice(0, 3).map(Number).reduce((a, b) => a + b, 0) / 3;
  check(luminance(light) > 200 && luminance(dark) < 60, `dark theme (${light} -> ${dark})`);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${EXPLORER_URL}/tx/${txHash}`);
  await shot('dark');
} catch (e) {
  await shot('failure').catch(() => {});
  throw e;
} finally {
  await browser.close();
}
if (pageErrors.length) throw new Error(`errors in the pages: ${pageErrors.join(' | ')}`);
console.log('all browser checks passed');
