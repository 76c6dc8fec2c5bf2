#!/usr/bin/env node
// Browser tests of the verification page (web/, served by govledger-node at /): headless Debian
// Chromium driven by playwright-core, against real `govledger-node --dev` processes on loopback
// (OS-chosen ports, temporary homes) with materials issued, revoked, suspended and expired through
// the real `govledger` CLI.
//
//   node tests/browser/run.mjs --bin-dir BUILD_DIR [--chromium /usr/bin/chromium] [--keep]
//
// Run by ctest as `browser_verify_page`. Needs the npm packages of tests/browser (npm ci; done by
// scripts/deps.sh) and Chromium: when either is missing this fails loudly, it never skips.
// Prints one line per test and "N passed, N failed" at the end; exit status 0 only if all pass.

import { spawn, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync,
         writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// ------------------------------------------------------------------ arguments and preflight

function parseArgs(argv) {
  const o = { binDir: process.env.GOVLEDGER_BIN_DIR || '', chromium: process.env.CHROMIUM || '/usr/bin/chromium',
              sourceDir: path.resolve(here, '../..'), keep: process.env.GOVLEDGER_IT_KEEP === '1',
              only: '' };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--bin-dir') o.binDir = argv[++i];
    else if (a === '--chromium') o.chromium = argv[++i];
    else if (a === '--source-dir') o.sourceDir = argv[++i];
    else if (a === '--keep') o.keep = true;
    else if (a === '--only') o.only = argv[++i];
    else die(`unknown argument ${a}\nusage: node run.mjs --bin-dir BUILD_DIR [--chromium PATH] [--keep] [--only SUBSTRING]`);
  }
  if (!o.binDir) die('--bin-dir BUILD_DIR is required (the CMake build directory)');
  return o;
}

function die(message) {
  console.error(`browser tests: ${message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const opts = parseArgs(process.argv);
const nodeBin = path.join(opts.binDir, 'cli', 'govledger-node');
const cliBin = path.join(opts.binDir, 'cli', 'govledger');
for (const [what, p] of [['govledger-node', nodeBin], ['govledger', cliBin], ['Chromium', opts.chromium]]) {
  try {
    accessSync(p, constants.X_OK);
  } catch {
    die(`${what} not found at ${p}` + (what === 'Chromium'
      ? ' — install it with scripts/deps.sh (Debian package chromium) or pass --chromium PATH'
      : ' — build it first'));
  }
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (err) {
  die(`cannot load playwright-core (${err.message}) — run scripts/deps.sh, or npm ci in ${here}`);
}

// ------------------------------------------------------------------ processes

const children = new Set();
function killChildren() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* already gone */ }
  }
}
process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killChildren(); process.exit(1); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs = 30000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// A `govledger-node --dev` in `home` on an OS-chosen loopback port; `config`: network.toml for
// the first start (default: the built-in dev network).
async function startNode(home, config) {
  const log = `${home}.log`;
  const args = ['--dev', '--home', home, '--api', '127.0.0.1:0', '--log-level', 'warn'];
  if (config) args.push('--config', config);
  const fd = openSync(log, 'a');
  const child = spawn(nodeBin, args, { stdio: ['ignore', fd, fd] });
  children.add(child);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; children.delete(child); });
  const logTail = () => (existsSync(log) ? readFileSync(log, 'utf8').slice(-3000) : '');
  const url = await waitFor('the node to write api.addr', () => {
    if (exited) throw new Error(`govledger-node exited (${JSON.stringify(exited)}) during start:\n${logTail()}`);
    try {
      const line = readFileSync(path.join(home, 'api.addr'), 'utf8');
      return line.endsWith('\n') ? `http://${line.trim()}` : null;
    } catch { return null; }
  });
  await waitFor('/healthz', async () => {
    try { return (await fetch(`${url}/healthz`)).ok; } catch { return false; }
  });
  return {
    url, home, log,
    key: (dept) => path.join(home, 'keys', `${dept}.pem`),
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      await waitFor('the node to stop', () => exited, 30000).catch(() => child.kill('SIGKILL'));
    },
  };
}

// `govledger --node URL --json ARGS...` in `cwd`; resolves { code, stdout, stderr, json }.
function cli(node, cwd, args, timeoutMs = 60000) {
  return new Promise((resolve) => {
    execFile(cliBin, ['--node', node.url, '--json', ...args], { cwd, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        let json = null;
        try { json = JSON.parse(stdout); } catch { /* not JSON */ }
        resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr, json });
      });
  });
}

// `govledger --json ARGS...` with no node: the offline verifier.
function cliOffline(cwd, args, timeoutMs = 60000) {
  return new Promise((resolve) => {
    execFile(cliBin, ['--json', ...args], { cwd, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        let json = null;
        try { json = JSON.parse(stdout); } catch { /* not JSON */ }
        resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr, json });
      });
  });
}

async function cliOk(node, cwd, args) {
  const r = await cli(node, cwd, args);
  if (r.code !== 0 || !r.json) {
    throw new Error(`govledger ${args.slice(0, 2).join(' ')} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return r.json;
}

// ------------------------------------------------------------------ fixtures

// A stand-in for a PDF with unique content, so its digest matches nothing else on the chain.
function writeDocument(dir, name) {
  const file = path.join(dir, name);
  writeFileSync(file, `%PDF-1.7\n% govledger browser test: ${name}\n${randomBytes(48).toString('hex')}\n` +
                      `${'x'.repeat(2000)}\n%%EOF\n`);
  return file;
}

function writeTamperedCopy(file, copy) {
  const bytes = readFileSync(file);
  bytes[bytes.length >> 1] ^= 0x01;
  writeFileSync(copy, bytes);
  return copy;
}

function digestOf(file, alg) {
  return createHash(alg).update(readFileSync(file)).digest('hex');
}

function birthCertificate(node, file) {
  return ['material', 'issue', '--key', node.key('health'), '--type', 'BIRTHMED',
          '--holder', '440305202401010012', '--file', file,
          '--field', 'child_name=李小明', '--field', 'birth_date=2024-01-01',
          '--field', 'birth_place=南山区人民医院', '--field', 'mother_name=王芳'];
}

function businessLicense(node, file, validUntil) {
  return ['material', 'issue', '--key', node.key('samr'), '--type', 'BIZLIC',
          '--holder', '91440300MA5FXXXX1X', '--file', file,
          '--field', 'entity_name=深圳市南山区示例科技有限公司', '--field', 'legal_representative=张伟',
          '--field', 'business_scope=软件开发', '--field', 'address=深圳市南山区科技园',
          '--valid-until', validUntil];
}

// ------------------------------------------------------------------ assertions and runner

class AssertionError extends Error {}
function check(cond, message) {
  if (!cond) throw new AssertionError(message);
}
function equal(actual, expected, what) {
  if (actual !== expected) {
    throw new AssertionError(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

const tests = [];
function test(name, fn) { tests.push({ name, fn }); }

// ------------------------------------------------------------------ the page

let browser;

// A fresh browser context and page on `node`'s /, recording every request the page makes and
// every console error, uncaught exception and CSP violation.
async function openPage(node, origin = node.url, fragment = '') {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push({ method: r.method(), url: r.url(), body: r.postData() }));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const response = await page.goto(`${origin}/${fragment}`);
  equal(response.status(), 200, 'GET / status');
  await page.waitForSelector('#chain[data-state="ok"]', { timeout: 15000 });
  return {
    page, requests, problems,
    async close() {
      await context.close();
      check(problems.length === 0, `the page reported problems:\n${problems.join('\n')}`);
    },
  };
}

// Waits until the page has finished a verification and returns what it shows.
async function readResult(page) {
  await page.waitForFunction(() => {
    const r = document.getElementById('result');
    const v = document.getElementById('verdict');
    return r && !r.hidden && !r.hasAttribute('aria-busy') && v.dataset.verdict &&
           v.dataset.verdict !== 'PENDING';
  }, null, { timeout: 30000 });
  return page.evaluate(() => {
    const fields = {};
    for (const dd of document.querySelectorAll('#facts dd[data-field]')) fields[dd.dataset.field] = dd.textContent;
    const checks = {};
    for (const li of document.querySelectorAll('#checks li[data-check]')) checks[li.dataset.check] = li.dataset.ok;
    const bundleSteps = {};
    const bundleDetails = {};
    for (const li of document.querySelectorAll('#bundle-steps li[data-check]')) {
      bundleSteps[li.dataset.check] = li.dataset.ok;
      bundleDetails[li.dataset.check] = li.textContent;
    }
    const box = document.getElementById('bundle-box');
    const scan = document.getElementById('scan-box');
    return {
      verdict: document.getElementById('verdict').dataset.verdict,
      verdictText: document.getElementById('verdict').textContent,
      fields,
      checks,
      history: [...document.querySelectorAll('#history tbody tr')].map((tr) => tr.dataset.kind),
      historyText: document.getElementById('history').textContent,
      historyShown: !document.getElementById('history-box').hidden,
      bundleShown: !document.getElementById('bundle-box').hidden,
      bundleState: box.dataset.state || '',
      bundleVerdict: box.dataset.verdict || '',
      bundleFailed: box.dataset.failed || '',
      bundleText: box.textContent,
      bundleSteps,
      bundleDetails,
      scanShown: !scan.hidden,
      scanState: scan.dataset.state || '',
      scanMatch: document.getElementById('scan-compare').dataset.match || '',
    };
  });
}

async function verifyFile(node, file, { bundle, origin } = {}) {
  const p = await openPage(node, origin);
  const files = [file, bundle].filter(Boolean);
  await p.page.setInputFiles('#doc-input', files.length === 1 ? files[0] : files);
  const result = await readResult(p.page);
  result.requests = p.requests;
  await p.close();
  return result;
}

// The document must never leave the browser: every request is a GET without a body, to the page's
// own files or the read API, and the only one that names the document carries its digest.
function checkNoUpload(requests, node, digest, origin = node.url) {
  const assets = new Set(['/', '/index.html', '/app.js', '/digest.js', '/verdict.js', '/proofs.js',
                          '/bundle.js', '/style.css']);
  let lookups = 0;
  for (const r of requests) {
    check(r.method === 'GET', `the page sent a ${r.method} request: ${r.url}`);
    check(!r.body, `the page sent a request body to ${r.url}`);
    const u = new URL(r.url);
    check(u.origin === origin, `the page contacted another origin: ${r.url}`);
    check(assets.has(u.pathname) || u.pathname.startsWith('/v1/'), `unexpected request ${r.url}`);
    if (u.pathname === '/v1/materials') {
      equal(u.searchParams.get('digest'), digest, 'digest sent to the node');
      lookups++;
    }
  }
  equal(lookups, 1, 'digest lookups');
}

// ------------------------------------------------------------------ tests

const INSECURE_HOST = 'verify.govledger.test'; // resolves to 127.0.0.1 in the test browser only
let work;        // temporary directory
let node;        // p256 dev node
let smNode;      // sm dev node
const docs = {}; // name → { file, id }

test('node serves the page with Content-Type, CSP and caching headers', async () => {
  const pages = { '/': 'text/html', '/index.html': 'text/html', '/app.js': 'text/javascript',
                  '/digest.js': 'text/javascript', '/proofs.js': 'text/javascript',
                  '/style.css': 'text/css' };
  for (const [p, type] of Object.entries(pages)) {
    const r = await fetch(`${node.url}${p}`);
    equal(r.status, 200, `GET ${p}`);
    check(r.headers.get('content-type').startsWith(type), `${p} Content-Type ${r.headers.get('content-type')}`);
    const csp = r.headers.get('content-security-policy') || '';
    check(csp.includes("default-src 'none'") && csp.includes("script-src 'self'") &&
          !csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), `${p} CSP: ${csp}`);
    equal(r.headers.get('x-content-type-options'), 'nosniff', `${p} X-Content-Type-Options`);
    equal(r.headers.get('cache-control'), 'no-cache', `${p} Cache-Control`);
    const etag = r.headers.get('etag');
    check(/^"[0-9a-f]{32}"$/.test(etag || ''), `${p} ETag ${etag}`);
    const again = await fetch(`${node.url}${p}`, { headers: { 'If-None-Match': etag } });
    equal(again.status, 304, `conditional GET ${p}`);
    const stale = await fetch(`${node.url}${p}`, { headers: { 'If-None-Match': '"0000"' } });
    equal(stale.status, 200, `GET ${p} with a stale ETag`);
  }
  // The page is served from the binary, byte for byte what web/ holds at build time.
  const served = await (await fetch(`${node.url}/app.js`)).text();
  equal(served, readFileSync(path.join(opts.sourceDir, 'web', 'app.js'), 'utf8'), 'served app.js');
  const html = await (await fetch(`${node.url}/`)).text();
  check(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), 'index.html has an inline script');
  check(!/\son[a-z]+\s*=/i.test(html), 'index.html has an inline event handler');
  check(!/style\s*=/i.test(html), 'index.html has an inline style');
  equal((await fetch(`${node.url}/nope.js`)).status, 404, 'GET of a file the page does not have');
  equal((await fetch(`${node.url}/`, { method: 'POST', body: 'x' })).status, 405, 'POST /');
  // The API is unaffected.
  equal((await fetch(`${node.url}/v1/status`)).status, 200, 'GET /v1/status');
});

test('SM3 in the browser matches GB/T 32905 and OpenSSL; SHA-256 matches too', async () => {
  const p = await openPage(node);
  const sizes = [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 100003];
  const inputs = sizes.map((n) => randomBytes(n).toString('hex'));
  const big = randomBytes((5 << 20) + 13); // crosses the page's 4 MiB read chunks
  const got = await p.page.evaluate(async ({ inputs, bigB64 }) => {
    const d = await import('/digest.js');
    const enc = new TextEncoder();
    const bin = Uint8Array.from(atob(bigB64), (c) => c.charCodeAt(0));
    const blob = new Blob([bin]);
    return {
      abc: d.toHex(d.sm3(enc.encode('abc'))),
      abcd16: d.toHex(d.sm3(enc.encode('abcd'.repeat(16)))),
      sm3: inputs.map((h) => d.toHex(d.sm3(d.fromHex(h)))),
      sha256: inputs.map((h) => d.toHex(d.sha256(d.fromHex(h)))),
      sm3File: d.toHex((await d.hashFile(blob, 'sm')).digest),
      sha256File: await d.hashFile(blob, 'p256').then((r) => [d.toHex(r.digest), r.engine]),
      webcrypto: d.hasWebCrypto(),
    };
  }, { inputs, bigB64: big.toString('base64') });
  equal(got.abc, '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0', 'SM3("abc")');
  equal(got.abcd16, 'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732', 'SM3("abcd" x 16)');
  const sm3 = (b) => createHash('sm3').update(b).digest('hex');
  inputs.forEach((h, i) => {
    const b = Buffer.from(h, 'hex');
    equal(got.sm3[i], sm3(b), `SM3 of ${sizes[i]} random bytes`);
    equal(got.sha256[i], createHash('sha256').update(b).digest('hex'), `SHA-256 of ${sizes[i]} random bytes`);
  });
  equal(got.sm3File, sm3(big), 'SM3 of a 5 MiB file read in chunks');
  equal(got.sha256File[0], createHash('sha256').update(big).digest('hex'), 'SHA-256 of a 5 MiB file');
  equal(got.sha256File[1], 'WebCrypto', 'SHA-256 engine on a localhost page');
  check(got.webcrypto, 'WebCrypto available on http://127.0.0.1');
  await p.close();
});

test('valid document → VALID, with type, issuer, dates, history and checked certificate', async () => {
  const d = docs.valid;
  const r = await verifyFile(node, d.file);
  equal(r.verdict, 'VALID', 'verdict');
  check(r.verdictText.includes('有效') && r.verdictText.includes('Valid'), `bilingual verdict: ${r.verdictText}`);
  equal(r.fields.material_id, d.id, 'material id shown');
  check(r.fields.digest.startsWith(digestOf(d.file, 'sha256')) && r.fields.digest.includes('SHA-256'),
        `digest shown: ${r.fields.digest}`);
  check(r.fields.type.includes('出生医学证明') && r.fields.type.includes('BIRTHMED'), `type: ${r.fields.type}`);
  check(r.fields.issuer.includes('区卫生健康局') && r.fields.issuer.includes('health'), `issuer: ${r.fields.issuer}`);
  check(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(r.fields.valid_from), `valid from: ${r.fields.valid_from}`);
  check(r.fields.valid_until.includes('长期有效'), `valid until: ${r.fields.valid_until}`);
  equal(r.fields.version, '1', 'version');
  equal(JSON.stringify(r.history), JSON.stringify(['ISSUE']), 'history');
  equal(r.checks.event_chain, 'true', 'event chain check');
  equal(r.checks.block_events, 'true', 'latest event in its block');
  equal(r.checks.certificate, 'true', 'validator certificate (P-256, WebCrypto)');
  checkNoUpload(r.requests, node, digestOf(d.file, 'sha256'));
});

test('valid document dropped onto the page → VALID', async () => {
  const d = docs.valid;
  const p = await openPage(node);
  const bytes = readFileSync(d.file).toString('base64');
  const dt = await p.page.evaluateHandle((b64) => {
    const t = new DataTransfer();
    t.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'license.pdf',
                         { type: 'application/pdf' }));
    return t;
  }, bytes);
  await p.page.dispatchEvent('#drop', 'drop', { dataTransfer: dt });
  const r = await readResult(p.page);
  equal(r.verdict, 'VALID', 'verdict');
  equal(r.fields.material_id, d.id, 'material id');
  await p.close();
});

test('tampered copy (one byte changed) → UNKNOWN', async () => {
  const r = await verifyFile(node, docs.tampered.file);
  equal(r.verdict, 'UNKNOWN', 'verdict');
  check(r.verdictText.includes('未找到') && r.verdictText.includes('altered'), `verdict text: ${r.verdictText}`);
  check(r.fields.digest.startsWith(digestOf(docs.tampered.file, 'sha256')), 'digest of the tampered copy');
  check(!r.fields.material_id, 'no material shown');
  check(!r.historyShown, 'no history for an unknown document');
  checkNoUpload(r.requests, node, digestOf(docs.tampered.file, 'sha256'));
});

test('revoked document → REVOKED, with the revocation in the history', async () => {
  const d = docs.revoked;
  const r = await verifyFile(node, d.file);
  equal(r.verdict, 'REVOKED', 'verdict');
  check(r.verdictText.includes('已撤销') && r.verdictText.includes('Revoked'), `verdict text: ${r.verdictText}`);
  check(r.verdictText.includes('吊销：浏览器测试'), `revocation reason in the verdict: ${r.verdictText}`);
  equal(r.fields.material_id, d.id, 'material id');
  equal(r.fields.status, 'REVOKED', 'status');
  equal(JSON.stringify(r.history), JSON.stringify(['ISSUE', 'REVOKE']), 'history');
  check(r.historyText.includes('撤销') && r.historyText.includes('区卫生健康局'), 'history names the event and department');
  equal(r.checks.event_chain, 'true', 'event chain check');
  equal(r.checks.certificate, 'true', 'validator certificate');
});

test('suspended document → SUSPENDED', async () => {
  const r = await verifyFile(node, docs.suspended.file);
  equal(r.verdict, 'SUSPENDED', 'verdict');
  check(r.verdictText.includes('已暂停'), `verdict text: ${r.verdictText}`);
  equal(JSON.stringify(r.history), JSON.stringify(['ISSUE', 'SUSPEND']), 'history');
});

test('expired document → EXPIRED (cancelled by the chain at its expiry)', async () => {
  const d = docs.expired;
  await waitFor('the license to expire', async () => {
    const r = await fetch(`${node.url}/v1/material/${encodeURIComponent(d.id)}`);
    return (await r.json()).status === 'EXPIRED';
  }, 30000, 200);
  const r = await verifyFile(node, d.file);
  equal(r.verdict, 'EXPIRED', 'verdict');
  check(r.fields.type.includes('营业执照'), `type: ${r.fields.type}`);
  check(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(r.fields.valid_until), `valid until: ${r.fields.valid_until}`);
  equal(JSON.stringify(r.history), JSON.stringify(['ISSUE', 'EXPIRE']), 'history');
  check(r.historyText.includes('链上规则'), 'expiry is shown as done by the chain rule');
  equal(r.checks.event_chain, 'true', 'event chain check');
});

test('a forged certificate signature or a changed event is detected in the browser', async () => {
  const p = await openPage(node);
  const out = await p.page.evaluate(async (id) => {
    const proofs = await import('/proofs.js');
    const get = async (u) => (await fetch(u)).json();
    const [status, genesis, history] = await Promise.all(
      [get('/v1/status'), get('/v1/genesis'), get(`/v1/material/${encodeURIComponent(id)}/history`)]);
    const block = await get(`/v1/block/${history.events[0].height}`);
    const good = await proofs.verifyCommit('p256', status.chain_id, block.commit, genesis.validators);
    const flip = (hex, i) => hex.slice(0, i) + ((parseInt(hex[i], 16) ^ 1).toString(16)) + hex.slice(i + 1);
    const forged = structuredClone(block.commit);
    const sig = forged.signatures[0].signature;
    forged.signatures[0].signature = flip(sig, sig.length - 3);
    const bad = await proofs.verifyCommit('p256', status.chain_id, forged, genesis.validators);
    const otherBlock = structuredClone(block.commit);
    otherBlock.block_hash = flip(otherBlock.block_hash, 0);
    const wrongHash = await proofs.verifyCommit('p256', status.chain_id, otherBlock, genesis.validators);
    const otherChain = await proofs.verifyCommit('p256', 'another-chain', block.commit, genesis.validators);
    const noValidators = await proofs.verifyCommit('p256', status.chain_id, block.commit, []);
    const chainOk = await proofs.verifyEventChain('p256', history.material, history.events);
    const edited = structuredClone(history.events);
    edited[edited.length - 1].reason = 'edited';
    const chainBad = await proofs.verifyEventChain('p256', history.material, edited);
    const shortened = await proofs.verifyEventChain('p256', history.material, history.events.slice(0, -1));
    let derError = '';
    try { proofs.derToRawSignature(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)); } catch (e) { derError = e.message; }
    return { good: good.ok, bad: bad.ok, wrongHash: wrongHash.ok, otherChain: otherChain.ok,
             noValidators: noValidators.ok, chainOk: chainOk.ok, chainBad: chainBad.ok,
             shortened: shortened.ok, derError, events: history.events.length };
  }, docs.revoked.id);
  equal(out.good, true, 'genuine certificate');
  equal(out.bad, false, 'certificate with one signature bit flipped');
  equal(out.wrongHash, false, 'certificate checked against another block hash');
  equal(out.otherChain, false, 'certificate checked for another chain id');
  equal(out.noValidators, false, 'certificate without trusted validators');
  equal(out.chainOk, true, 'genuine event chain');
  equal(out.chainBad, false, 'event chain with an edited reason');
  equal(out.shortened, false, 'event chain with its last event removed');
  check(out.derError.startsWith('bad DER signature'), `malformed DER rejected: ${out.derError}`);
  await p.close();
});

// Certificate Transparency's reference vectors (as in tests/unit/crypto/merkle_test.cc): leaves,
// tree heads of sizes 1..8 and inclusion proofs.
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657',
                   '606162636465666768696a6b6c6d6e6f'];
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_INCLUSION = [
  { index: 0, size: 1, proof: [] },
  { index: 0, size: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
                               '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
                               '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { index: 5, size: 8, proof: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
                               'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
                               'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  { index: 1, size: 5, proof: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
                               '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
                               'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
];

test('RFC 9162 inclusion proofs: reference vectors verify in the browser, altered ones fail', async () => {
  const p = await openPage(node);
  const out = await p.page.evaluate(async ({ leaves, roots, vectors }) => {
    const proofs = await import('/proofs.js');
    const d = await import('/digest.js');
    const leafHashes = await Promise.all(leaves.map((h) => proofs.merkleLeafHash('p256', d.fromHex(h))));
    const failures = [];
    // The tree heads, from the RFC's recursive definition over the leaf and node hashes.
    const mth = async (lo, hi) => {
      if (hi - lo === 1) return leafHashes[lo];
      let k = 1;
      while (k * 2 < hi - lo) k *= 2;
      return proofs.merkleNodeHash('p256', await mth(lo, lo + k), await mth(lo + k, hi));
    };
    for (let n = 1; n <= 8; n++) {
      if (d.toHex(await mth(0, n)) !== roots[n - 1]) failures.push(`tree head of size ${n}`);
    }
    for (const v of vectors) {
      const root = d.fromHex(roots[v.size - 1]);
      const path = v.proof.map(d.fromHex);
      const name = `leaf ${v.index} of ${v.size}`;
      const verify = (index, size, leaf, pth) => proofs.verifyInclusion('p256', index, size, leaf, pth, root);
      if (!(await verify(v.index, v.size, leafHashes[v.index], path))) failures.push(`${name}: genuine proof rejected`);
      if (await verify(v.index, v.size, leafHashes[(v.index + 1) % 8], path)) failures.push(`${name}: another leaf accepted`);
      if (v.size > 1 && await verify(v.index ^ 1, v.size, leafHashes[v.index], path)) failures.push(`${name}: another index accepted`);
      if (path.length) {
        const altered = path.map((h) => h.slice());
        altered[0][31] ^= 1;
        if (await verify(v.index, v.size, leafHashes[v.index], altered)) failures.push(`${name}: altered proof accepted`);
        if (await verify(v.index, v.size, leafHashes[v.index], path.slice(0, -1))) failures.push(`${name}: truncated proof accepted`);
      }
      if (await verify(v.index, v.size, leafHashes[v.index], [...path, path[0] || root])) failures.push(`${name}: extended proof accepted`);
      if (await verify(v.size, v.size, leafHashes[v.index], path)) failures.push(`${name}: index past the tree accepted`);
    }
    return failures;
  }, { leaves: CT_LEAVES, roots: CT_ROOTS, vectors: CT_INCLUSION });
  equal(out.join('; '), '', 'inclusion proof failures');
  await p.close();
});

// ------------------------------------------------------------------ proof bundles

const BUNDLE_STEP_IDS = ['bundle', 'validators', 'certificate', 'state', 'registry', 'events', 'inclusion', 'issuer',
                         'fields', 'document', 'validity', 'status'];

// `govledger proof export --id ID --out FILE` (it fetches GET /v1/proof/<id> from the node and
// checks that the bundle parses).
async function exportBundle(n, id, name, extra = []) {
  const out = path.join(work, name);
  const r = await cliOk(n, work, ['proof', 'export', '--id', id, '--out', out, ...extra]);
  equal(r.file, out, 'exported bundle path');
  return out;
}

// A copy of a bundle with `edit(json)` applied, written as `name`.
function mutateBundle(file, name, edit) {
  const j = JSON.parse(readFileSync(file, 'utf8'));
  edit(j);
  const out = path.join(work, name);
  writeFileSync(out, JSON.stringify(j, null, 1));
  return out;
}

// Flips the lowest bit of the hex digit at `i` (negative: from the end), keeping lower-case hex.
function flipHex(hex, i) {
  const k = i < 0 ? hex.length + i : i;
  return hex.slice(0, k) + (parseInt(hex[k], 16) ^ 1).toString(16) + hex.slice(k + 1);
}

// Flips one bit of byte `i` of a base64 value.
function flipBase64(b64, i) {
  const bytes = Buffer.from(b64, 'base64');
  bytes[i < 0 ? bytes.length + i : i] ^= 0x01;
  return bytes.toString('base64');
}

function allStepsPass(r, what) {
  for (const id of BUNDLE_STEP_IDS) equal(r.bundleSteps[id], 'true', `${what}: bundle step ${id}`);
}

test('valid document with its bundle exported by the CLI → bundle VALID, every step checked', async () => {
  const d = docs.valid;
  const r = await verifyFile(node, d.file, { bundle: d.bundle });
  equal(r.verdict, 'VALID', 'online verdict');
  check(r.bundleShown, 'bundle section shown');
  equal(r.bundleState, 'checked', 'bundle state');
  equal(r.bundleVerdict, 'VALID', 'bundle verdict');
  equal(r.bundleFailed, '', 'no failing step');
  allStepsPass(r, 'valid');
  check(r.bundleDetails.certificate.includes('1 of 1 validators signed'), `certificate: ${r.bundleDetails.certificate}`);
  check(r.bundleDetails.issuer.includes('health') && r.bundleDetails.issuer.includes('BIRTHMED'),
        `issuer step: ${r.bundleDetails.issuer}`);
  check(r.bundleDetails.document.includes(d.id), `document step: ${r.bundleDetails.document}`);
  check(r.bundleText.includes('/v1/genesis') && r.bundleText.includes('--trust'),
        'the page says which genesis it trusts and names the offline path');
  check(r.verdictText.includes('证明包结论') && r.verdictText.includes('Proof bundle: Valid'),
        `main verdict mentions the bundle: ${r.verdictText}`);
  checkNoUpload(r.requests, node, digestOf(d.file, 'sha256'));
});

test('a bundle alone (no document) → VALID from the bundle, document step "no document given"', async () => {
  const r = await verifyFile(node, null, { bundle: docs.valid.bundle });
  equal(r.verdict, 'VALID', 'verdict from the bundle');
  equal(r.bundleVerdict, 'VALID', 'bundle verdict');
  allStepsPass(r, 'bundle alone');
  check(r.bundleDetails.document.includes('no document given'), `document step: ${r.bundleDetails.document}`);
  equal(r.fields.material_id, docs.valid.id, 'material id from the bundle');
  check(!r.requests.some((q) => new URL(q.url).pathname === '/v1/materials'), 'no digest lookup without a document');
});

test('one byte changed in the document, with the genuine bundle → TAMPERED (document step)', async () => {
  const r = await verifyFile(node, docs.tampered.file, { bundle: docs.valid.bundle });
  equal(r.bundleVerdict, 'TAMPERED', 'bundle verdict');
  equal(r.bundleFailed, 'document', 'failing step');
  equal(r.bundleSteps.document, 'false', 'document step');
  for (const id of ['bundle', 'validators', 'certificate', 'state', 'events', 'inclusion', 'issuer', 'fields']) {
    equal(r.bundleSteps[id], 'true', `proof step ${id} still holds`);
  }
  equal(r.verdict, 'TAMPERED', 'main verdict: the bundle proves which document was expected');
  check(r.verdictText.includes('文件已被改动') && r.verdictText.includes('Tampered'), `verdict text: ${r.verdictText}`);
});

test('revoked document with its bundle → REVOKED', async () => {
  const d = docs.revoked;
  const r = await verifyFile(node, d.file, { bundle: d.bundle });
  equal(r.verdict, 'REVOKED', 'online verdict');
  equal(r.bundleVerdict, 'REVOKED', 'bundle verdict');
  equal(r.bundleSteps.status, 'false', 'status step is not "valid"');
  for (const id of ['bundle', 'validators', 'certificate', 'state', 'events', 'inclusion', 'issuer', 'document']) {
    equal(r.bundleSteps[id], 'true', `step ${id}`);
  }
  check(r.bundleDetails.events.includes('ISSUE, REVOKE'), `events step: ${r.bundleDetails.events}`);
  check(r.bundleText.includes('已撤销') && r.bundleText.includes('Revoked'), 'bilingual bundle verdict');
});

test('disclosed fields from the holder\'s receipt are proven against fields_root; an edited value fails', async () => {
  const d = docs.valid;
  const receipt = path.join(work, `${d.id}.receipt.json`);
  check(existsSync(receipt), `the CLI wrote the issue receipt ${receipt}`);
  const b = await exportBundle(node, d.id, 'disclosed.govproof', ['--receipt', receipt, '--disclose', 'child_name,birth_date']);
  const r = await verifyFile(node, d.file, { bundle: b });
  equal(r.bundleVerdict, 'VALID', 'bundle verdict with disclosed fields');
  check(r.bundleDetails.fields.includes('2 field(s)') && r.bundleDetails.fields.includes('child_name=李小明'),
        `fields step: ${r.bundleDetails.fields}`);
  const edited = mutateBundle(b, 'disclosed-edited.govproof', (j) => { j.disclosed[0].value += '明'; });
  const e = await verifyFile(node, d.file, { bundle: edited });
  equal(e.bundleVerdict, 'INVALID_PROOF', 'edited disclosed value');
  equal(e.bundleFailed, 'fields', 'failing step');
});

// Each edit must make the bundle prove nothing, at the named step: the verifier recomputes every
// hash and signature. The same edits are given to the CLI's offline verifier, which must agree.
const BUNDLE_EDITS = [
  ['a flipped byte in the validator certificate\'s signature', 'certificate',
   (j) => { j.commit.sigs[0].signature = flipHex(j.commit.sigs[0].signature, -3); }],
  ['a flipped byte in the state proof', 'state', (j) => { j.state_proof = flipHex(j.state_proof, -4); }],
  ['a flipped byte in an event (its transaction hash)', 'events',
   (j) => { j.events[0].tx_hash = flipHex(j.events[0].tx_hash, 10); }],
  ['an event\'s time changed by 1 ms', 'events', (j) => { j.events[0].time_ms += 1; }],
  ['the material\'s status edited to ACTIVE… in a revoked bundle', 'state', null],
  ['a flipped byte in the issuing transaction (its signature)', 'inclusion',
   (j) => { j.txs[0].tx = flipBase64(j.txs[0].tx, -5); }],
  ['a flipped byte in an inclusion proof', 'inclusion',
   (j) => { if (j.txs[0].inclusion.length) j.txs[0].inclusion[0] = flipHex(j.txs[0].inclusion[0], 7); else j.txs[0].log_index += 1; }],
  ['a flipped byte in the header', 'certificate', (j) => { j.header = flipBase64(j.header, -3); }],
  ['a governance proposal claimed that the chain does not have', 'registry',
   (j) => { j.registry.proposal_count += 1; }],
  ['the genesis hash of another network', 'bundle', (j) => { j.genesis_hash = flipHex(j.genesis_hash, 0); }],
  ['a member the format does not define', 'bundle', (j) => { j.note = 'added'; }],
  ['upper-case hex', 'bundle', (j) => { j.material.doc_digest = j.material.doc_digest.toUpperCase(); }],
];

test('edited bundles → INVALID_PROOF with the failing step named (and the CLI agrees)', async () => {
  const failures = [];
  const genesis = path.join(work, 'genesis-trusted.json');
  writeFileSync(genesis, await (await fetch(`${node.url}/v1/genesis`)).text());
  for (const [what, step, edit] of BUNDLE_EDITS) {
    const source = edit ? docs.valid : docs.revoked;
    const b = mutateBundle(source.bundle, `edited-${BUNDLE_EDITS.findIndex((x) => x[0] === what)}.govproof`,
                           edit || ((j) => { j.material.status = 'ACTIVE'; }));
    const r = await verifyFile(node, source.file, { bundle: b });
    if (r.bundleVerdict !== 'INVALID_PROOF') failures.push(`${what}: verdict ${r.bundleVerdict}`);
    if (r.bundleFailed !== step) failures.push(`${what}: failing step ${r.bundleFailed}, expected ${step}`);
    if (r.bundleSteps[step] !== 'false') failures.push(`${what}: step ${step} shown as ${r.bundleSteps[step]}`);
    if (!r.bundleText.includes('证明无效') || !r.bundleText.includes('Failing step')) failures.push(`${what}: banner text`);
    if (Object.values(r.bundleSteps).includes('true') && r.bundleSteps.status === 'true') failures.push(`${what}: status step passed`);
    // The C++ reference verifier on the same file.
    const c = await cliOffline(work, ['verify', source.file, '--bundle', b, '--trust', genesis]);
    const cliVerdict = c.json?.verdict ?? '';
    if (cliVerdict !== 'INVALID_PROOF') failures.push(`${what}: the CLI says ${cliVerdict || `exit ${c.code}: ${c.stderr.trim()}`}`);
    const cliFailed = (c.json?.checks || []).find((x) => x.ok === false)?.step;
    if (cliVerdict && cliFailed !== step) failures.push(`${what}: the CLI's failing step is ${cliFailed}`);
  }
  equal(failures.join('\n'), '', 'edited bundles');
});

// Governance: every other department approves `id` until it is enacted.
async function approveAll(n, id, proposer) {
  for (const dept of ['dsj', 'health', 'mca', 'samr', 'psb', 'hrss']) {
    if (dept === proposer) continue;
    const shown = await cliOk(n, work, ['governance', 'list', '--id', id]);
    if (shown.status === 'ENACTED') return;
    await cliOk(n, work, ['governance', 'approve', '--key', n.key(dept), '--id', id]);
  }
  equal((await cliOk(n, work, ['governance', 'list', '--id', id])).status, 'ENACTED', `proposal ${id}`);
}

test('a material of a department added by governance → bundle VALID; an edited registry entry fails', async () => {
  const tax = path.join(work, 'tax');
  const k = await cliOk(node, work, ['keygen', '--suite', 'p256', '--out', `${tax}.pem`]);
  writeFileSync(`${tax}.pub`, k.public_key_pem);
  const dept = await cliOk(node, work, [
    'governance', 'propose', '--key', node.key('samr'), '--reason', '税务局加入区块链政务协同',
    '--add-department', 'tax', '--name', '国家税务总局深圳市南山区税务局', '--code', '11440305MB2D041533',
    '--roles', 'provider,consumer', '--department-key', `${tax}.pub`]);
  await approveAll(node, dept.proposal_id, 'samr');
  const typeFile = path.join(work, 'taxcert.json');
  writeFileSync(typeFile, JSON.stringify({ code: 'TAXCERT', name: '完税证明', category: 'certificate',
                                           issuers: ['tax'], required_fields: ['taxpayer'], use_purposes: [] }));
  const type = await cliOk(node, work, ['governance', 'propose', '--key', node.key('samr'), '--reason',
                                        '新增完税证明', '--material-type', typeFile]);
  await approveAll(node, type.proposal_id, 'samr');
  const file = writeDocument(work, 'tax-cert.pdf');
  const issued = await cliOk(node, work, ['material', 'issue', '--key', `${tax}.pem`, '--type', 'TAXCERT',
                                          '--holder', '91440300MA5FXXXX1X', '--file', file,
                                          '--field', 'taxpayer=深圳市南山区示例科技有限公司']);
  const bundle = await exportBundle(node, issued.material_id, 'tax-cert.govproof');
  const r = await verifyFile(node, file, { bundle });
  equal(r.bundleVerdict, 'VALID', 'bundle verdict');
  allStepsPass(r, 'governance-added department');
  check(r.bundleDetails.registry.includes('proposal(s) proven'), `registry step: ${r.bundleDetails.registry}`);
  check(r.bundleDetails.issuer.includes('tax') && r.bundleDetails.issuer.includes('governance'),
        `issuer step: ${r.bundleDetails.issuer}`);
  // The department's key in its proposal replaced: the registry step fails, and so does the issuer.
  const edited = mutateBundle(bundle, 'tax-cert-edited.govproof', (j) => {
    const p = j.registry.proposals.find((x) => Buffer.from(x.record, 'base64').includes(Buffer.from('tax')));
    p.record = flipBase64(p.record, -3);
  });
  const e = await verifyFile(node, file, { bundle: edited });
  equal(e.bundleVerdict, 'INVALID_PROOF', 'edited registry entry');
  equal(e.bundleFailed, 'registry', 'failing step');
  equal(e.bundleSteps.issuer, 'false', 'issuer step after an edited registry');
});

test('the page and the CLI\'s offline verifier agree on genuine bundles', async () => {
  const genesis = path.join(work, 'genesis-trusted.json');
  writeFileSync(genesis, await (await fetch(`${node.url}/v1/genesis`)).text());
  for (const [file, bundle, expected] of [[docs.valid.file, docs.valid.bundle, 'VALID'],
                                          [docs.revoked.file, docs.revoked.bundle, 'REVOKED'],
                                          [docs.tampered.file, docs.valid.bundle, 'TAMPERED']]) {
    const c = await cliOffline(work, ['verify', file, '--bundle', bundle, '--trust', genesis]);
    equal(c.json?.verdict, expected, `CLI verdict for ${path.basename(file)} (exit ${c.code} ${c.stderr.trim()})`);
    const r = await verifyFile(node, file, { bundle });
    equal(r.bundleVerdict, expected, `page verdict for ${path.basename(file)}`);
  }
});

test('an unreadable bundle → INVALID_PROOF at the bundle step, never valid', async () => {
  const bundle = path.join(work, 'garbage.govproof');
  writeFileSync(bundle, JSON.stringify({ format: 'govproof', material_id: docs.valid.id }));
  const r = await verifyFile(node, docs.valid.file, { bundle });
  equal(r.verdict, 'VALID', 'online verdict still shown');
  equal(r.bundleVerdict, 'INVALID_PROOF', 'bundle verdict');
  equal(r.bundleFailed, 'bundle', 'failing step');
  check(r.bundleDetails.bundle.includes('bad_bundle'), `bundle step: ${r.bundleDetails.bundle}`);
  check(!Object.values(r.bundleSteps).includes('true'), 'no bundle step claims success');
  // An integer spelled as a float is another spelling, refused as by the C++ reader.
  const text = readFileSync(docs.valid.bundle, 'utf8');
  const floatBundle = path.join(work, 'float.govproof');
  writeFileSync(floatBundle, text.replace(/"round": (\d+)/, '"round": $1.0'));
  check(readFileSync(floatBundle, 'utf8') !== text, 'the float edit applied');
  const f = await verifyFile(node, docs.valid.file, { bundle: floatBundle });
  equal(f.bundleVerdict, 'INVALID_PROOF', 'bundle with "round": 0.0');
  equal(f.bundleFailed, 'bundle', 'failing step of the float spelling');
});

test('sm network: bundle hashes (SM3) checked, SM2 signatures "not checked", never VALID', async () => {
  const d = docs.sm;
  const r = await verifyFile(smNode, d.file, { bundle: d.bundle });
  equal(r.verdict, 'VALID', 'online verdict');
  equal(r.bundleVerdict, 'UNVERIFIED', 'bundle verdict without SM2');
  for (const id of ['bundle', 'validators', 'state', 'events', 'inclusion', 'fields', 'document']) {
    equal(r.bundleSteps[id], 'true', `SM3 step ${id}`);
  }
  equal(r.bundleSteps.status, 'false', 'status step is not "valid"');
  for (const id of ['certificate', 'issuer']) {
    equal(r.bundleSteps[id], 'unknown', `SM2 step ${id} not checked`);
  }
  check(r.bundleDetails.certificate.includes('not checked'), `certificate: ${r.bundleDetails.certificate}`);
  check(r.bundleText.includes('未能完全验证') && r.bundleText.includes('Not fully verified'),
        'the page says the bundle is not fully verified');
  check(!r.bundleText.includes('Bundle verdict: Valid'), 'never "valid" on unchecked signatures');
  // Hash steps are real on sm too: a record that is not the one under state_root is caught.
  const bad = mutateBundle(d.bundle, 'sm-edited.govproof', (j) => {
    j.material.holder_commitment = flipHex(j.material.holder_commitment, 5);
  });
  const e = await verifyFile(smNode, d.file, { bundle: bad });
  equal(e.bundleVerdict, 'INVALID_PROOF', 'edited sm bundle');
  equal(e.bundleFailed, 'state', 'failing step of the edited sm bundle');
});

// ------------------------------------------------------------------ QR landing

async function qrUrl(n, id) {
  const r = await cliOk(n, work, ['proof', 'qr', '--id', id]);
  check(typeof r.text === 'string' && r.text.includes('#chain='), `proof qr text: ${JSON.stringify(r)}`);
  return r.text;
}

async function openScan(n, url) {
  const p = await openPage(n, n.url, new URL(url).hash);
  const r = await readResult(p.page);
  return { p, r };
}

async function dropOnScan(p, file) {
  await p.page.setInputFiles('#doc-input', file);
  return readResult(p.page);
}

test('QR landing: the scanned material\'s status shows at once; the presented document is compared', async () => {
  const d = docs.valid;
  const url = await qrUrl(node, d.id);
  equal(url.split('#')[0], `${node.url}/`, 'QR code points at this node\'s page');
  const { p, r } = await openScan(node, url);
  equal(r.verdict, 'VALID', 'status from the QR code alone');
  check(r.scanShown, 'scan section shown');
  equal(r.scanState, 'found', 'scan state');
  equal(r.fields.material_id, d.id, 'material id');
  check(r.fields.digest.startsWith(digestOf(d.file, 'sha256')), `scanned digest shown: ${r.fields.digest}`);
  equal(r.checks.certificate, 'true', 'certificate of the material\'s latest block checked');
  // The officer drops the presented document: a one-byte change is caught against the scanned digest.
  const t = await dropOnScan(p, docs.tampered.file);
  equal(t.verdict, 'TAMPERED', 'tampered document against the scanned digest');
  equal(t.scanMatch, 'false', 'digest comparison');
  check(t.verdictText.includes(digestOf(docs.tampered.file, 'sha256')), 'both digests shown');
  const g = await dropOnScan(p, d.file);
  equal(g.verdict, 'VALID', 'the genuine document');
  equal(g.scanMatch, 'true', 'digest comparison');
  await p.close();
});

test('QR landing: a revoked material shows REVOKED without a file; another chain is refused', async () => {
  const url = await qrUrl(node, docs.revoked.id);
  const { p, r } = await openScan(node, url);
  equal(r.verdict, 'REVOKED', 'revoked from the QR code');
  check(r.verdictText.includes('吊销：浏览器测试'), `revocation reason: ${r.verdictText}`);
  await p.close();
  const other = url.replace(/#chain=[^&]*/, '#chain=another-chain');
  const w = await openScan(node, other);
  equal(w.r.verdict, 'WRONG_CHAIN', 'QR code of another chain');
  await w.p.close();
  const forged = url.replace(/digest=([0-9a-f]+)/, (m, h) => `digest=${flipHex(h, 0)}`);
  const f = await openScan(node, forged);
  equal(f.r.verdict, 'TAMPERED', 'QR code whose digest is not the material\'s');
  await f.p.close();
});

// A window terminal that reaches the node over plain http by name (not localhost) is not a
// secure context: no WebCrypto. The host name maps to the node through Chromium's resolver.
test('plain http from another machine (no WebCrypto): JavaScript SHA-256 → VALID, signatures not checked', async () => {
  const d = docs.valid;
  const origin = `http://${INSECURE_HOST}:${new URL(node.url).port}`;
  const r = await verifyFile(node, d.file, { origin });
  equal(r.verdict, 'VALID', 'verdict');
  equal(r.fields.material_id, d.id, 'material id');
  check(r.fields.digest.startsWith(digestOf(d.file, 'sha256')) && r.fields.digest.includes('JS'),
        `digest by the JavaScript SHA-256: ${r.fields.digest}`);
  equal(r.checks.event_chain, 'true', 'event chain check with the JavaScript SHA-256');
  equal(r.checks.certificate, 'unknown', 'certificate reported as not checked without WebCrypto');
  checkNoUpload(r.requests, node, digestOf(d.file, 'sha256'), origin);
  equal((await verifyFile(node, docs.revoked.file, { origin })).verdict, 'REVOKED', 'revoked, over plain http');
});

test('sm network: the document is hashed with SM3 in the browser → VALID', async () => {
  const d = docs.sm;
  const r = await verifyFile(smNode, d.file);
  equal(r.verdict, 'VALID', 'verdict');
  equal(r.fields.material_id, d.id, 'material id');
  check(r.fields.digest.startsWith(digestOf(d.file, 'sm3')) && r.fields.digest.includes('SM3'),
        `SM3 digest shown: ${r.fields.digest}`);
  equal(r.checks.event_chain, 'true', 'event chain check with SM3');
  equal(r.checks.certificate, 'unknown', 'SM2 certificate is reported as not checked');
  checkNoUpload(r.requests, smNode, digestOf(d.file, 'sm3'));
  // The same file on the p256 chain is unknown there (another digest, another chain).
  equal((await verifyFile(node, d.file)).verdict, 'UNKNOWN', 'the sm document on the p256 chain');
});

// ------------------------------------------------------------------ main

async function setUp() {
  work = mkdtempSync(path.join(process.env.TMPDIR || tmpdir(), 'govledger-browser-'));
  node = await startNode(path.join(work, 'node'));
  const smToml = path.join(work, 'sm-network.toml');
  const devToml = readFileSync(path.join(opts.sourceDir, 'network-configs', 'dev', 'network.toml'), 'utf8');
  const smText = devToml.replace(/^suite = "p256"/m, 'suite = "sm"').replace(/^chain_id = "govledger-dev"/m, 'chain_id = "govledger-dev-sm"');
  check(smText.includes('suite = "sm"'), 'could not make an sm copy of the dev network');
  writeFileSync(smToml, smText);
  smNode = await startNode(path.join(work, 'sm-node'), smToml);

  const issue = async (n, args) => (await cliOk(n, work, args)).material_id;
  docs.valid = { file: writeDocument(work, 'birth-valid.pdf') };
  docs.valid.id = await issue(node, birthCertificate(node, docs.valid.file));
  docs.tampered = { file: writeTamperedCopy(docs.valid.file, path.join(work, 'birth-tampered.pdf')) };
  docs.revoked = { file: writeDocument(work, 'birth-revoked.pdf') };
  docs.revoked.id = await issue(node, birthCertificate(node, docs.revoked.file));
  await cliOk(node, work, ['material', 'revoke', '--key', node.key('health'), '--id', docs.revoked.id,
                           '--reason', '吊销：浏览器测试']);
  docs.suspended = { file: writeDocument(work, 'birth-suspended.pdf') };
  docs.suspended.id = await issue(node, birthCertificate(node, docs.suspended.file));
  await cliOk(node, work, ['material', 'suspend', '--key', node.key('health'), '--id', docs.suspended.id,
                           '--reason', '核查中']);
  docs.expired = { file: writeDocument(work, 'license-expired.pdf') };
  docs.expired.id = await issue(node, businessLicense(node, docs.expired.file, '+3s'));
  docs.sm = { file: writeDocument(work, 'birth-sm.pdf') };
  docs.sm.id = await issue(smNode, birthCertificate(smNode, docs.sm.file));
  // Proof bundles exported by the CLI from the node (GET /v1/proof/<id>).
  docs.valid.bundle = await exportBundle(node, docs.valid.id, 'birth-valid.govproof');
  docs.revoked.bundle = await exportBundle(node, docs.revoked.id, 'birth-revoked.govproof');
  docs.sm.bundle = await exportBundle(smNode, docs.sm.id, 'birth-sm.govproof');

  browser = await chromium.launch({
    executablePath: opts.chromium, headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage',
           `--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`],
  });
}

async function tearDown() {
  if (browser) await browser.close().catch(() => {});
  for (const n of [node, smNode]) if (n) await n.stop().catch(() => {});
  if (work && !opts.keep) rmSync(work, { recursive: true, force: true });
  else if (work) console.log(`keeping ${work}`);
}

let passed = 0;
let failed = 0;
try {
  await setUp();
} catch (err) {
  console.error(`browser tests: setup failed: ${err.stack || err}`);
  for (const n of [node, smNode]) if (n) console.error(`--- ${n.log}\n${readFileSync(n.log, 'utf8').slice(-3000)}`);
  await tearDown();
  console.log('0 passed, 1 failed');
  process.exit(1);
}
for (const t of tests) {
  if (opts.only && !t.name.includes(opts.only)) continue;
  const started = Date.now();
  try {
    await Promise.race([t.fn(), sleep(120000).then(() => { throw new Error('test timed out after 120 s'); })]);
    passed++;
    console.log(`ok    ${t.name} (${Date.now() - started} ms)`);
  } catch (err) {
    failed++;
    console.log(`FAIL  ${t.name}\n      ${(err instanceof AssertionError ? err.message : err.stack || String(err)).replace(/\n/g, '\n      ')}`);
  }
}
await tearDown();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
