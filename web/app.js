// The verification page served by every govledger node at `/` (doc/operator.md, "Verification
// page"). A citizen or window officer drops a document, optionally with its proof bundle:
//   1. the document is hashed here, with the network's suite (SHA-256 or SM3; digest.js) —
//      it never leaves the browser, only the hex digest is sent;
//   2. the node is asked which materials carry that digest (GET /v1/materials?digest=),
//      and the verdict follows the rules of `govledger verify` (verdict.js);
//   3. the material's history is fetched and checked (event hash chain, and the validators'
//      certificate on the block that holds its latest event; proofs.js);
//   4. a bundle, if given, is verified here in the browser (bundle.js: every hash, the state
//      proof, the inclusion proofs and the P-256 signatures, against the genesis this node
//      serves); a bundle alone (no document) is verified too;
//   5. opened from a material's QR code (`govledger proof qr`: #chain=…&id=…&digest=…), the page
//      shows the material's status at once and compares a dropped document with the scanned
//      digest.
// Everything the node says is rendered with textContent (never as HTML).

import { hashFile, hashName, toHex, hasWebCrypto } from './digest.js';
import { verdictFor, pickNewest, formatCst, verdictInfo, EVENT_KINDS, CATEGORIES } from './verdict.js';
import { verifyEventChain, verifyCommit } from './proofs.js';
import { parseBundle, verifyBundle, STEPS as BUNDLE_STEPS } from './bundle.js';

const MAX_DIGEST_MATCHES = 1000;

const page = {
  status: null,       // GET /v1/status
  genesis: null,      // GET /v1/genesis
  departments: new Map(), // id → {name, name_en}
  documentFile: null,
  bundleFile: null,
  scan: null,         // { chain, id, digest } from a QR code's URL fragment
  run: 0,             // increments per verification; stale results are dropped
};

// ------------------------------------------------------------------ DOM helpers

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// "中文 English": Chinese first, the English marked up as such for screen readers.
function bi(zh, en) {
  const f = document.createDocumentFragment();
  f.append(document.createTextNode(zh + ' '), el('span', { lang: 'en', text: en }));
  return f;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// ------------------------------------------------------------------ talking to the node

class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
  }
}

async function getJson(path) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'unreachable', `cannot reach the node: ${err.message}`);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, body?.error?.code, body?.error?.message);
  }
  if (body === null) throw new ApiError(response.status, 'bad_response', 'the node sent no JSON');
  return body;
}

function departmentLabel(id) {
  if (!id) return null;
  const d = page.departments.get(id);
  return d ? `${d.name} ${d.name_en} (${id})` : id;
}

async function loadChain() {
  const chain = $('chain');
  try {
    const [status, genesis] = await Promise.all([getJson('/v1/status'), getJson('/v1/genesis')]);
    page.status = status;
    page.genesis = genesis;
    for (const d of genesis.departments || []) page.departments.set(d.id, d);
    // Departments added later by governance: the registry in force (best effort).
    getJson('/v1/registry').then((r) => {
      for (const d of r.departments || []) page.departments.set(d.id, d);
    }).catch(() => {});
    chain.dataset.state = 'ok';
    chain.dataset.suite = status.suite;
    clear(chain).append(
      bi('已连接节点', 'Connected to node'), ` ${status.node} · `,
      bi('链', 'chain'), ` ${status.chain_id} · `,
      bi('区块高度', 'height'), ` ${status.height} · `,
      bi('摘要算法', 'digest'), ` ${hashName(status.suite)}`);
  } catch (err) {
    chain.dataset.state = 'error';
    clear(chain).append(bi('无法连接节点，请稍后重试。', 'Cannot reach the node; please try again later.'),
                        ` (${err.message})`);
  }
}

// ------------------------------------------------------------------ choosing files

function isBundleFile(file) {
  return /\.govproof$/i.test(file.name);
}

function takeFiles(files) {
  const list = [...files];
  const bundle = list.find(isBundleFile);
  const doc = list.find((f) => !isBundleFile(f));
  if (bundle) page.bundleFile = bundle;
  if (doc) page.documentFile = doc;
  showSelection();
  if (page.documentFile || page.bundleFile) verify();
}

function showSelection() {
  const out = clear($('selected'));
  if (page.documentFile) {
    out.append(bi('文件', 'Document'),
               `: ${page.documentFile.name} (${formatSize(page.documentFile.size)})`);
  }
  if (page.bundleFile) {
    if (page.documentFile) out.append('  ·  ');
    out.append(bi('证明包', 'Bundle'), `: ${page.bundleFile.name}`);
  }
}

function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function wireInputs() {
  $('doc-input').addEventListener('change', (e) => {
    if (e.target.files.length) takeFiles(e.target.files);
  });
  $('bundle-input').addEventListener('change', (e) => {
    if (!e.target.files.length) return;
    page.bundleFile = e.target.files[0];
    showSelection();
    verify();
  });
  const drop = $('drop');
  for (const type of ['dragenter', 'dragover']) {
    drop.addEventListener(type, (e) => {
      e.preventDefault();
      drop.dataset.state = 'over';
    });
  }
  drop.addEventListener('dragleave', () => { drop.dataset.state = 'idle'; });
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.dataset.state = 'idle';
    if (e.dataTransfer?.files?.length) takeFiles(e.dataTransfer.files);
  });
  // A file dropped next to the zone must not make the browser navigate away to it.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
}

// ------------------------------------------------------------------ verification

async function verify() {
  const run = ++page.run;
  const stale = () => run !== page.run;
  const result = $('result');
  result.hidden = false;
  result.setAttribute('aria-busy', 'true');
  for (const id of ['others-box', 'checks-box', 'bundle-box', 'history-box']) $(id).hidden = true;
  clear($('facts'));
  showBusy(page.documentFile ? bi('正在本机计算文件摘要…', 'Hashing the document in this browser…')
                             : bi('正在验证证明包…', 'Verifying the proof bundle…'));

  try {
    if (!page.status) await loadChain();
    if (!page.status) throw new ApiError(0, 'unreachable', 'the node is not reachable');
    const suite = page.status.suite;
    const file = page.documentFile;
    if (!file) {
      await verifyBundleOnly(stale);
      return;
    }
    const hashed = await hashFile(file, suite, (f) => {
      if (!stale()) $('verdict').dataset.progress = String(Math.round(f * 100));
    });
    if (stale()) return;
    const digest = toHex(hashed.digest);

    showBusy(bi('正在查询链上状态…', 'Looking up the ledger…'));
    // The tip's time decides expiry, as for the CLI: fetched with the lookup, not the local clock.
    const [status, found] = await Promise.all([
      getJson('/v1/status'),
      getJson(`/v1/materials?digest=${digest}&limit=${MAX_DIGEST_MATCHES}`),
    ]);
    if (stale()) return;
    page.status = status;
    const list = found.materials || [];
    const material = pickNewest(list);
    const verdict = verdictFor(material, Number(status.tip_time_ms));

    showVerdict(verdict, status, material);
    showFacts(material, digest, hashed, list.length);
    showOthers(list, material, status);
    // Opened from a QR code: the presented document must be the one the code names.
    if (page.scan) showScanComparison(digest, status);

    if (material) {
      // The verdict stands on its own; a history that cannot be fetched is reported as a failed
      // check, not as a failed verification.
      let history = null;
      try {
        history = await getJson(`/v1/material/${encodeURIComponent(material.material_id)}/history`);
      } catch (err) {
        if (stale()) return;
        $('checks-box').hidden = false;
        addCheck(clear($('checks')), 'event_chain', false, '事件记录', 'History', err.message);
      }
      if (stale()) return;
      if (history) {
        showHistory(history.events || []);
        await showChecks(suite, history.material, history.events || []);
      }
    }
    if (stale()) return;
    if (page.bundleFile) {
      const r = await showBundle(digest, stale);
      if (stale() || !r) return;
      // The bundle proves which material the document should be: with nothing on the ledger for
      // this digest, a bundle that proves the material's digest differs says TAMPERED.
      if (r.verdict === 'TAMPERED' && !material && !(page.scan && page.scan.digest !== digest)) {
        showVerdict('TAMPERED', status, null);
      }
      $('verdict').append(el('p', { class: 'verdict-text', 'data-bundle-verdict': r.verdict },
        bi(`证明包结论：${verdictInfo(r.verdict).zh}（详见下方）`,
           `Proof bundle: ${verdictInfo(r.verdict).en} (details below)`)));
    }
  } catch (err) {
    if (stale()) return;
    showError(err);
  } finally {
    if (!stale()) result.removeAttribute('aria-busy');
  }
}

function showBusy(message) {
  const v = clear($('verdict'));
  v.dataset.verdict = 'PENDING';
  v.dataset.tone = 'busy';
  v.append(el('p', { class: 'verdict-text' }, message));
}

function showError(err) {
  const v = clear($('verdict'));
  v.dataset.verdict = 'ERROR';
  v.dataset.tone = 'bad';
  v.append(
    el('p', { class: 'verdict-title' }, bi('无法完成核验', 'Verification could not be completed')),
    el('p', { class: 'verdict-text' }, err.status === 0
      ? bi('无法连接节点。', 'The node could not be reached.')
      : bi('节点返回错误。', 'The node answered with an error.'),
       ` ${err.code ? `[${err.code}] ` : ''}${err.message}`));
}

function showVerdict(verdict, status, material) {
  const info = verdictInfo(verdict);
  const v = clear($('verdict'));
  v.dataset.verdict = verdict;
  v.dataset.tone = info.tone;
  delete v.dataset.progress;
  const icon = { ok: '✔', bad: '✖', warn: '⚠' }[info.tone] || '•';
  v.append(
    el('p', { class: 'verdict-title' },
       el('span', { class: 'verdict-icon', 'aria-hidden': 'true', text: icon }),
       el('span', { class: 'verdict-zh', text: info.zh }),
       el('span', { class: 'verdict-en', lang: 'en', text: info.en }),
       el('code', { class: 'verdict-code', text: verdict })),
    el('p', { class: 'verdict-text' }, bi(info.zhText, info.enText)));
  if (material && verdict === 'REVOKED') {
    v.append(el('p', { class: 'verdict-text', id: 'revocation' }));
  }
  v.append(el('p', { class: 'as-of' },
    bi(`截至区块高度 ${status.height}，北京时间 ${formatCst(status.tip_time_ms) || '-'}`,
       `as of height ${status.height}, ${formatCst(status.tip_time_ms) || '-'} CST`)));
}

function addFact(dl, key, zh, en, value) {
  if (value === null || value === undefined || value === '') return;
  const dd = el('dd', { 'data-field': key });
  dd.append(value instanceof Node ? value : document.createTextNode(String(value)));
  dl.append(el('div', { class: 'fact' }, el('dt', {}, bi(zh, en)), dd));
}

function showFacts(m, digest, hashed, matches) {
  const dl = clear($('facts'));
  const engine = hashed.engine === 'QR' ? 'QR' : hashed.engine === 'WebCrypto' ? 'WebCrypto' : 'JS';
  addFact(dl, 'digest', '文件摘要', 'Document digest',
          el('span', {}, el('code', { class: 'hex', text: digest }), ` (${hashed.algorithm}, ${engine})`));
  if (!m) return;
  addFact(dl, 'material_id', '材料编号', 'Material ID', el('code', { text: m.material_id }));
  const category = m.category ? ` · ${CATEGORIES[m.category] || ''} ${m.category}` : '';
  addFact(dl, 'type', '材料类型', 'Type',
          `${m.type_name || ''} ${m.type_name_en || ''} (${m.type_code})${category}`.trim());
  addFact(dl, 'issuer', '签发部门', 'Issuer',
          m.issuer_name ? `${m.issuer_name} ${m.issuer_name_en || ''} (${m.issuer})` : m.issuer);
  addFact(dl, 'issuer_code', '统一社会信用代码', 'Issuer credit code', m.issuer_code);
  addFact(dl, 'valid_from', '生效时间 (北京时间)', 'Valid from (CST)',
          formatCst(m.valid_from_ms) || '—');
  addFact(dl, 'valid_until', '有效期至 (北京时间)', 'Valid until (CST)',
          m.valid_until_ms ? formatCst(m.valid_until_ms) : bi('长期有效', 'no expiry'));
  addFact(dl, 'status', '链上状态', 'Status on the ledger', m.status);
  addFact(dl, 'version', '版本', 'Version', m.version);
  if (m.next_version) {
    addFact(dl, 'next_version', '新版本', 'Newer version', el('code', { text: m.next_version }));
  }
  if (m.prev_version) {
    addFact(dl, 'prev_version', '上一版本', 'Previous version', el('code', { text: m.prev_version }));
  }
  if (m.suspended_by) {
    addFact(dl, 'suspended_by', '因上级材料暂停', 'Suspended with its parent',
            el('code', { text: m.suspended_by }));
  }
  addFact(dl, 'issued_height', '签发区块', 'Issued in block', m.issued_height);
  if (matches > 1) {
    addFact(dl, 'matches', '同摘要材料数', 'Materials with this digest',
            bi(`${matches} 条，以最新签发者为准`, `${matches}, the newest decides`));
  }
}

function showOthers(list, chosen, status) {
  const others = list.filter((m) => m !== chosen);
  if (!others.length) return;
  const ul = clear($('others'));
  for (const m of others) {
    ul.append(el('li', {}, el('code', { text: m.material_id }),
                 ` ${m.type_name || m.type_code} · ${m.status} · `,
                 verdictFor(m, Number(status.tip_time_ms))));
  }
  $('others-box').hidden = false;
}

function showHistory(events) {
  const tbody = clear($('history').tBodies[0]);
  for (const e of events) {
    const details = [];
    if (e.reason) details.push(e.reason);
    if (e.purpose) details.push(`${e.counterparty || ''} · ${e.purpose}`);
    if (e.ref) details.push(`→ ${e.ref}`);
    tbody.append(el('tr', { 'data-kind': e.kind },
      el('td', { text: e.seq }),
      el('td', {}, bi(EVENT_KINDS[e.kind] || '', e.kind)),
      el('td', { text: e.height }),
      el('td', { text: formatCst(e.time_ms) || '-' }),
      el('td', {}, e.actor ? departmentLabel(e.actor) : bi('链上规则', 'chain rule')),
      el('td', { text: details.join('; ') })));
    if (e.kind === 'REVOKE' && $('revocation')) {
      const d = page.departments.get(e.actor);
      clear($('revocation')).append(
        bi(`撤销时间 ${formatCst(e.time_ms)}（北京时间），撤销部门 ${d ? d.name : e.actor}`,
           `revoked ${formatCst(e.time_ms)} CST by ${d ? d.name_en : e.actor}`),
        e.reason ? el('span', { class: 'reason' }, bi('原因', 'Reason'), `: ${e.reason}`) : null);
    }
  }
  $('history-box').hidden = false;
}

function addCheck(ul, id, ok, zh, en, detail) {
  const mark = ok === true ? '✔' : ok === false ? '✖' : '–';
  ul.append(el('li', { 'data-check': id, 'data-ok': ok === null ? 'unknown' : String(ok) },
               el('span', { class: 'mark', 'aria-hidden': 'true', text: mark }),
               el('span', {}, bi(zh, en)),
               detail ? el('span', { class: 'detail', text: ` — ${detail}` }) : null));
}

// The node's answer checked against itself and the validators' signatures: the material's event
// chain recomputed from the events, and the certificate (2f+1 signatures of the genesis
// validators, P-256 via WebCrypto) of the block holding the latest event, which must list it.
async function showChecks(suite, material, events) {
  const ul = clear($('checks'));
  $('checks-box').hidden = false;
  const chain = await verifyEventChain(suite, material, events);
  addCheck(ul, 'event_chain', chain.ok, '事件链哈希一致', 'Event hash chain',
           chain.ok ? `${chain.count} events` : chain.detail);
  if (!chain.ok) return;
  const last = events[events.length - 1];
  let block;
  try {
    block = await getJson(`/v1/block/${last.height}`);
  } catch (err) {
    addCheck(ul, 'block', false, '事件所在区块', 'Block of the latest event', err.message);
    return;
  }
  const listed = (block.events || []).some((e) => e.event_hash === chain.last);
  addCheck(ul, 'block_events', listed, '最新事件在区块中', 'Latest event listed in its block',
           `height ${block.height}`);
  if (!block.commit) {
    addCheck(ul, 'certificate', null, '验证节点签名', 'Validator certificate',
             'no certificate for this block yet');
    return;
  }
  let cert = block.commit.block_hash === block.hash
    ? await verifyCommit(suite, page.status.chain_id, block.commit, page.genesis.validators)
    : { ok: false, detail: 'certificate is for another block hash' };
  if (cert.ok === false && cert.unknown > 0 && cert.problems.length === cert.unknown) {
    // Validators added by governance since the genesis: only the validator-set changes a proof
    // bundle carries can tie them to the trusted genesis, so this is "not checked", not "bad".
    cert = { ok: null, detail: `${cert.detail} — the validator set changed since the genesis` };
  }
  addCheck(ul, 'certificate', cert.ok, '验证节点共识签名 (2f+1，创世验证节点)',
           'Validator certificate (2f+1 of the genesis validators)',
           cert.ok === null && !hasWebCrypto()
             ? 'needs https:// or localhost for WebCrypto' : cert.detail);
}

// Verifies the chosen bundle in this browser (bundle.js) against the genesis this node serves,
// for the document digest (null: no document), and shows every step. Returns the result, or null
// when the bundle cannot be read.
async function showBundle(digest, stale) {
  const box = $('bundle-box');
  box.hidden = false;
  const ol = clear($('bundle-steps'));
  const summary = clear($('bundle-summary'));
  const banner = clear($('bundle-verdict'));
  delete box.dataset.verdict;
  delete box.dataset.failed;
  box.dataset.state = 'checking';
  const parsed = parseBundle(await page.bundleFile.text());
  if (stale()) return null;
  if (parsed.error) {
    summary.append(bi('证明包无法读取', 'The bundle cannot be read'), `: ${parsed.error}`);
    box.dataset.state = 'error';
    box.dataset.verdict = 'INVALID_PROOF';
    box.dataset.failed = 'bundle';
    showBundleBanner(banner, { verdict: 'INVALID_PROOF', failed: 'bundle', steps: [], unchecked: [] });
    return { verdict: 'INVALID_PROOF', failed: 'bundle', steps: [], unchecked: [], material: null };
  }
  // Expiry also against now: the node's tip time (this page never trusts the local clock).
  const r = await verifyBundle(parsed.bundle, page.genesis, digest,
                               { nowMs: Number(page.status?.tip_time_ms) || null });
  if (stale()) return null;
  box.dataset.state = 'checked';
  box.dataset.verdict = r.verdict;
  if (r.failed) box.dataset.failed = r.failed;
  showBundleBanner(banner, r);
  const reported = new Set(r.steps.map((s) => s.id));
  for (const s of r.steps) addCheck(ol, s.id, s.ok, s.zh, s.en, s.ok === null && !s.detail ? '' : s.detail);
  for (const s of BUNDLE_STEPS) {
    if (!reported.has(s.id)) addCheck(ol, s.id, null, s.zh, s.en, '未进行 not reached');
  }
  for (const li of ol.querySelectorAll('li[data-ok="unknown"]')) {
    if (r.unchecked.includes(li.dataset.check)) li.dataset.unchecked = 'true';
  }
  summary.append(
    bi('本页面信任本节点提供的创世文件（/v1/genesis）中的验证节点与部门公钥；',
       'This page trusts the genesis served by this node (/v1/genesis): its validator and department keys.'),
    ' ',
    bi('如需不依赖本节点的独立核验，请使用命令行：',
       'For a check that does not trust this node, use the CLI offline:'),
    ' ', el('code', { text: 'govledger verify FILE --bundle B --trust GENESIS' }));
  return r;
}

function showBundleBanner(banner, r) {
  const info = verdictInfo(r.verdict);
  banner.dataset.verdict = r.verdict;
  banner.dataset.tone = info.tone;
  const icon = { ok: '✔', bad: '✖', warn: '⚠' }[info.tone] || '•';
  banner.append(
    el('p', { class: 'verdict-title' },
       el('span', { class: 'verdict-icon', 'aria-hidden': 'true', text: icon }),
       bi(`证明包结论：${info.zh}`, `Bundle verdict: ${info.en}`),
       el('code', { class: 'verdict-code', text: r.verdict })),
    el('p', { class: 'verdict-text' }, bi(info.zhText, info.enText)));
  if (r.failed) {
    const step = BUNDLE_STEPS.find((s) => s.id === r.failed) || { zh: r.failed, en: r.failed };
    const detail = (r.steps.find((s) => s.id === r.failed) || {}).detail;
    banner.append(el('p', { class: 'verdict-text', 'data-failed-step': r.failed },
      bi(`未通过的步骤：${step.zh}`, `Failing step: ${step.en}`),
      detail ? el('span', { class: 'reason', text: detail }) : null));
  }
  if (r.unchecked && r.unchecked.length) {
    banner.append(el('p', { class: 'verdict-text', 'data-unchecked': r.unchecked.join(' ') },
      bi('以下步骤的签名未能在浏览器中验证（未检查，不作为有效依据）：',
         'Signatures not checked in this browser (not counted as proof):'),
      ` ${r.unchecked.join(', ')}` + (r.claimed ? ` — ${r.claimed}?` : '')));
  }
  if (r.height) {
    banner.append(el('p', { class: 'as-of' },
      bi(`证明截至区块高度 ${r.height}，北京时间 ${formatCst(r.asOfMs) || '-'}（此后的变化不在证明包内）`,
         `proven as of height ${r.height}, ${formatCst(r.asOfMs) || '-'} CST (later changes are not in the bundle)`)));
  }
}

// Only a bundle, no document: the bundle's own verdict is the page's verdict (the document step
// reads "no document given").
async function verifyBundleOnly(stale) {
  const r = await showBundle(null, stale);
  if (stale() || r === null) return;
  const v = clear($('verdict'));
  const info = verdictInfo(r.verdict);
  v.dataset.verdict = r.verdict;
  v.dataset.tone = info.tone;
  v.dataset.source = 'bundle';
  delete v.dataset.progress;
  v.append(
    el('p', { class: 'verdict-title' },
       el('span', { class: 'verdict-zh', text: info.zh }),
       el('span', { class: 'verdict-en', lang: 'en', text: info.en }),
       el('code', { class: 'verdict-code', text: r.verdict })),
    el('p', { class: 'verdict-text' }, bi(info.zhText, info.enText)),
    el('p', { class: 'verdict-text' },
       bi('仅依据证明包（未提供文件，未比对文件摘要）。', 'From the proof bundle alone (no document was given to compare).')));
  const dl = clear($('facts'));
  if (r.material) {
    addFact(dl, 'material_id', '材料编号', 'Material ID', el('code', { text: r.material.material_id }));
    addFact(dl, 'type', '材料类型', 'Type', r.material.type_code);
    addFact(dl, 'issuer', '签发部门', 'Issuer', departmentLabel(r.material.issuer));
    addFact(dl, 'status', '证明包中的状态', 'Status in the bundle', r.material.status);
  }
}

// ------------------------------------------------------------------ QR code landing

// `govledger proof qr` encodes <node>/#chain=<chain id>&id=<material id>&digest=<hex>.
function readScan() {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash) return null;
  const q = new URLSearchParams(hash);
  const scan = { chain: q.get('chain') || '', id: q.get('id') || '', digest: (q.get('digest') || '').toLowerCase() };
  if (!scan.id && !scan.digest) return null;
  return scan;
}

// Shows the scanned material's status at once (no file needed), then invites the officer to drop
// the presented document.
async function landFromScan() {
  page.scan = readScan();
  const box = $('scan-box');
  if (!page.scan) {
    box.hidden = true;
    return;
  }
  const scan = page.scan;
  const run = ++page.run;
  const stale = () => run !== page.run;
  box.hidden = false;
  box.dataset.state = 'loading';
  clear($('scan-info')).append(bi('扫码核验', 'Scanned QR code'), ': ',
    el('code', { text: scan.id || '-' }), ' · ', bi('链', 'chain'), ` ${scan.chain || '-'}`);
  const result = $('result');
  result.hidden = false;
  result.setAttribute('aria-busy', 'true');
  for (const id of ['others-box', 'checks-box', 'bundle-box', 'history-box']) $(id).hidden = true;
  clear($('facts'));
  showBusy(bi('正在查询扫码材料的链上状态…', 'Looking up the scanned material…'));
  try {
    if (!page.status) await loadChain();
    if (!page.status) throw new ApiError(0, 'unreachable', 'the node is not reachable');
    const status = await getJson('/v1/status');
    if (stale()) return;
    page.status = status;
    const suite = status.suite;
    if (scan.chain !== status.chain_id) {
      box.dataset.state = 'wrong-chain';
      showVerdict('WRONG_CHAIN', status, null);
      $('verdict').append(el('p', { class: 'verdict-text' },
        bi(`二维码：${scan.chain || '（无）'}；本节点：${status.chain_id}`,
           `QR code: ${scan.chain || '(none)'}; this node: ${status.chain_id}`)));
      return;
    }
    if (!/^[0-9a-f]{64}$/.test(scan.digest) || !scan.id) {
      box.dataset.state = 'bad-code';
      showVerdict('UNKNOWN', status, null);
      $('verdict').append(el('p', { class: 'verdict-text' },
        bi('二维码内容不完整或格式错误。', 'The QR code is incomplete or malformed.')));
      return;
    }
    let material = null;
    try {
      material = await getJson(`/v1/material/${encodeURIComponent(scan.id)}`);
    } catch (err) {
      if (err.status !== 404) throw err;
    }
    if (stale()) return;
    if (material && material.doc_digest !== scan.digest) {
      // The code names a material but not its document: the code itself was altered.
      box.dataset.state = 'digest-mismatch';
      showVerdict('TAMPERED', status, null);
      $('verdict').append(el('p', { class: 'verdict-text' },
        bi('二维码中的文件摘要与该材料在链上登记的摘要不一致：二维码可能被篡改。',
           "The QR code's document digest is not the one this material has on the ledger: the code may have been altered.")));
      showFacts(material, scan.digest, { algorithm: hashName(suite), engine: 'QR' }, 1);
      return;
    }
    const verdict = verdictFor(material, Number(status.tip_time_ms));
    box.dataset.state = material ? 'found' : 'not-found';
    showVerdict(verdict, status, material);
    showFacts(material, scan.digest, { algorithm: hashName(suite), engine: 'QR' }, 1);
    $('facts').querySelector('dd[data-field="digest"]')?.append(
      ' ', bi('（二维码中的摘要）', '(digest from the QR code)'));
    if (material) {
      const history = await getJson(`/v1/material/${encodeURIComponent(material.material_id)}/history`);
      if (stale()) return;
      showHistory(history.events || []);
      await showChecks(suite, history.material, history.events || []);
    }
  } catch (err) {
    if (stale()) return;
    showError(err);
  } finally {
    if (!stale()) result.removeAttribute('aria-busy');
  }
}

// After a document is dropped on a page opened from a QR code: its digest against the scanned one.
function showScanComparison(digest, status) {
  const box = $('scan-box');
  const out = clear($('scan-compare'));
  const match = digest === page.scan.digest;
  box.dataset.state = match ? 'document-matches' : 'document-differs';
  out.dataset.match = String(match);
  if (match) {
    out.append(el('span', { class: 'mark', 'aria-hidden': 'true', text: '✔' }),
      bi('所出示文件的摘要与二维码一致。', "The presented document's digest matches the QR code."));
    return;
  }
  out.append(el('span', { class: 'mark', 'aria-hidden': 'true', text: '✖' }),
    bi('所出示文件的摘要与二维码不一致！', "The presented document's digest does NOT match the QR code!"));
  showVerdict('TAMPERED', status, null);
  $('verdict').append(el('p', { class: 'verdict-text' },
    bi(`二维码摘要 ${page.scan.digest}，文件摘要 ${digest}：所出示的文件不是二维码所指材料的文件，或已被改动。`,
       `QR digest ${page.scan.digest}, document digest ${digest}: the presented document is not the scanned material's, or it was altered.`)));
}

// ------------------------------------------------------------------ start

wireInputs();
loadChain().then(landFromScan);
window.addEventListener('hashchange', () => { clear($('scan-compare')); landFromScan(); });
