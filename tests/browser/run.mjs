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
async function openPage(node, origin = node.url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push({ method: r.method(), url: r.url(), body: r.postData() }));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const response = await page.goto(`${origin}/`);
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
    for (const li of document.querySelectorAll('#bundle-steps li[data-check]')) bundleSteps[li.dataset.check] = li.dataset.ok;
    return {
      verdict: document.getElementById('verdict').dataset.verdict,
      verdictText: document.getElementById('verdict').textContent,
      fields,
      checks,
      history: [...document.querySelectorAll('#history tbody tr')].map((tr) => tr.dataset.kind),
      historyText: document.getElementById('history').textContent,
      historyShown: !document.getElementById('history-box').hidden,
      bundleShown: !document.getElementById('bundle-box').hidden,
      bundleState: document.getElementById('bundle-box').dataset.state || '',
      bundleSteps,
    };
  });
}

async function verifyFile(node, file, { bundle, origin } = {}) {
  const p = await openPage(node, origin);
  await p.page.setInputFiles('#doc-input', bundle ? [file, bundle] : file);
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

test('a proof bundle given with the document is reported as not yet checked, never as valid', async () => {
  const bundle = path.join(work, 'license.govproof');
  writeFileSync(bundle, JSON.stringify({ format: 'govproof', material_id: docs.valid.id }));
  const r = await verifyFile(node, docs.valid.file, { bundle });
  equal(r.verdict, 'VALID', 'online verdict still shown');
  check(r.bundleShown, 'bundle section shown');
  equal(r.bundleState, 'not-wired', 'bundle state');
  equal(r.bundleSteps.format, 'unknown', 'bundle format step');
  check(!Object.values(r.bundleSteps).includes('true'), 'no bundle step claims success');
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
