// The verification page served by every govledger node at `/` (doc/operator.md, "Verification
// page"). A citizen or window officer drops a document, optionally with its proof bundle:
//   1. the document is hashed here, with the network's suite (SHA-256 or SM3; digest.js) —
//      it never leaves the browser, only the hex digest is sent;
//   2. the node is asked which materials carry that digest (GET /v1/materials?digest=),
//      and the verdict follows the rules of `govledger verify` (verdict.js);
//   3. the material's history is fetched and checked (event hash chain, and the validators'
//      certificate on the block that holds its latest event; proofs.js);
//   4. a bundle, if given, goes to bundle.js (offline verification; not yet wired, see there).
// Everything the node says is rendered with textContent (never as HTML).

import { hashFile, hashName, toHex, hasWebCrypto } from './digest.js';
import { verdictFor, pickNewest, formatCst, verdictInfo, EVENT_KINDS, CATEGORIES } from './verdict.js';
import { verifyEventChain, verifyCommit } from './proofs.js';
import { parseBundle, verifyBundle } from './bundle.js';

const MAX_DIGEST_MATCHES = 1000;

const page = {
  status: null,       // GET /v1/status
  genesis: null,      // GET /v1/genesis
  departments: new Map(), // id → {name, name_en}
  documentFile: null,
  bundleFile: null,
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
  if (page.documentFile) verify();
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
    if (page.documentFile) verify();
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
  showBusy(bi('正在本机计算文件摘要…', 'Hashing the document in this browser…'));

  try {
    if (!page.status) await loadChain();
    if (!page.status) throw new ApiError(0, 'unreachable', 'the node is not reachable');
    const suite = page.status.suite;
    const file = page.documentFile;
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
    if (page.bundleFile) await showBundle(digest);
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
  addFact(dl, 'digest', '文件摘要', 'Document digest',
          el('span', {}, el('code', { class: 'hex', text: digest }),
             ` (${hashed.algorithm}, ${hashed.engine === 'WebCrypto' ? 'WebCrypto' : 'JS'})`));
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

async function showBundle(digest) {
  const box = $('bundle-box');
  box.hidden = false;
  const ol = clear($('bundle-steps'));
  const summary = $('bundle-summary');
  const parsed = parseBundle(await page.bundleFile.text());
  if (parsed.error) {
    summary.textContent = '';
    summary.append(bi('证明包无法读取', 'The bundle cannot be read'), `: ${parsed.error}`);
    box.dataset.state = 'error';
    return;
  }
  const r = await verifyBundle(parsed.bundle, page.genesis, digest);
  box.dataset.state = r.ready ? 'checked' : 'not-wired';
  summary.textContent = '';
  if (!r.ready) {
    summary.append(bi('本页面暂不支持离线证明包验证，未作任何检查。',
                      'Offline bundle verification is not available in this page yet; nothing was checked.'));
  } else {
    const info = verdictInfo(r.verdict);
    summary.append(bi(`证明包结论：${info.zh}`, `Bundle verdict: ${info.en}`));
  }
  for (const s of r.steps) addCheck(ol, s.id, s.ok, s.zh, s.en, s.detail);
}

// ------------------------------------------------------------------ start

wireInputs();
loadChain();
