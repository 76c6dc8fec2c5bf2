// Offline verification of a proof bundle (.govproof, format govledger-proof/2) in the browser.
//
// A port of ledger::VerifyProofBundle (ledger/proof.cc) and of the strict reader
// ledger::ProofBundleFromJson (ledger/proof_json.cc), step for step, with the byte layouts of
// ledger/canonical.h (proofs.js), the sparse-Merkle state proof of crypto/smt.cc and a protobuf
// wire reader for BlockHeader, SignedTx, TxBody and ProposalRecord (the governance registry). Every hash and every P-256 signature is
// recomputed here (WebCrypto); nothing is taken from the node or the bundle on trust except the
// genesis the caller passes (the page passes the genesis served by its node, /v1/genesis).
//
// verifyBundle(bundle, genesis, docDigest, { nowMs }) returns
//   { ready: true, verdict, steps: [{ id, zh, en, ok, detail }], failed, height, asOfMs, status,
//     unchecked, material }
// where ok is true (checked and holds), false (checked and fails) or null (not checked: an SM2
// signature, which browsers cannot verify, or a P-256 signature on a page without WebCrypto).
// Verdicts: VALID / EXPIRED / REVOKED / SUSPENDED / DESTROYED / UNKNOWN / TAMPERED /
// INVALID_PROOF as in doc/proof-bundle.md, plus UNVERIFIED when no step failed but a signature
// could not be checked: never VALID (nor any other status) on the strength of an unchecked
// signature.

import { hashBytes, fromHex, toHex, hasWebCrypto } from './digest.js';
import { Layout, eventBytes, EVENT_KIND_NUMBERS, precommitSignBytes, pemToDer, merkleLeafHash,
         verifyInclusion, verifySignature, quorumSize, equalBytes } from './proofs.js';

export const BUNDLE_VERIFICATION_READY = true;
export const PROOF_FORMAT = 'govledger-proof/2';

// The steps, in the order ledger/proof.cc runs and reports them.
export const STEPS = [
  { id: 'bundle', zh: '证明包与信任的创世文件', en: 'Bundle and trusted genesis' },
  { id: 'validators', zh: '验证节点集合（自创世起）', en: 'Validator set (from the genesis)' },
  { id: 'certificate', zh: '验证节点共识签名 (2f+1)', en: 'Validator certificate (2f+1)' },
  { id: 'state', zh: '状态证明（state_root）', en: 'State proof (state_root)' },
  { id: 'registry', zh: '部门与证照类型登记（治理变更）', en: 'Registry (governance changes)' },
  { id: 'events', zh: '事件链（完整历史）', en: 'Event chain (complete history)' },
  { id: 'inclusion', zh: '交易上链包含证明', en: 'Inclusion of the transactions in the log' },
  { id: 'issuer', zh: '签发部门签名与签发权限', en: "Issuer's signature and right to issue" },
  { id: 'fields', zh: '披露字段', en: 'Disclosed fields' },
  { id: 'document', zh: '文件摘要', en: 'Document digest' },
  { id: 'validity', zh: '有效期', en: 'Validity dates' },
  { id: 'status', zh: '状态', en: 'Status' },
];
const STEP_INFO = new Map(STEPS.map((s) => [s.id, s]));

// Failing any of these means the bundle proves nothing (ledger/proof.cc, IsProofStep).
function isProofStep(id) {
  return id !== 'document' && id !== 'validity' && id !== 'status';
}

const utf8 = new TextEncoder();
const DIGEST_SIZE = 32;

// ------------------------------------------------------------------ strict JSON reading

class BadBundle extends Error {}
function bad(what) { throw new BadBundle(what); }

// Integers must be spelled as JSON integers (nlohmann rejects "1.0" and "1e3" where an integer is
// required). Chromium gives the reviver the source text; where it does not, the value checks
// below still apply.
const NOT_AN_INTEGER = Symbol('not an integer');
function reviver(key, value, context) {
  if (typeof value === 'number' && context && typeof context.source === 'string' &&
      !/^-?(0|[1-9][0-9]*)$/.test(context.source)) {
    return { [NOT_AN_INTEGER]: context.source };
  }
  return value;
}

// Parses the text of a .govproof file; { bundle } (the JSON value) or { error }.
export function parseBundle(text) {
  try {
    const bundle = JSON.parse(text, reviver);
    if (bundle === null || typeof bundle !== 'object' || Array.isArray(bundle)) {
      return { error: 'not a JSON object' };
    }
    return { bundle };
  } catch (err) {
    return { error: `not JSON: ${err.message}` };
  }
}

const isObject = (j) => j !== null && typeof j === 'object' && !Array.isArray(j) &&
                        !(NOT_AN_INTEGER in j);

function obj(j, what, keys) {
  if (!isObject(j)) bad(`${what} is not an object`);
  for (const k of keys) if (!Object.hasOwn(j, k)) bad(`${what} has no "${k}"`);
  if (Object.keys(j).length !== keys.length) bad(`${what} has members this format does not define`);
  return j;
}

function str(j, key) {
  if (typeof j[key] !== 'string') bad(`"${key}" is not a string`);
  return j[key];
}

// Non-negative integers up to 2^53 (larger ones are exact in the C++ reader, not in a browser).
function u64(j, key) {
  const v = j[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || Object.is(v, -0)) {
    bad(`"${key}" is not a non-negative integer`);
  }
  if (!Number.isSafeInteger(v)) bad(`"${key}" is out of the range this page handles`);
  return v;
}

function u32(j, key) {
  const v = u64(j, key);
  if (v > 0xffffffff) bad(`"${key}" is out of range`);
  return v;
}

function i64(j, key) {
  const v = j[key];
  if (typeof v !== 'number' || !Number.isInteger(v)) bad(`"${key}" is not an integer`);
  if (!Number.isSafeInteger(v)) bad(`"${key}" is out of the range this page handles`);
  return Object.is(v, -0) ? 0 : v;
}

// Lower-case hex only: one spelling per value.
function hexBytes(text, what) {
  if (typeof text !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(text)) bad(`${what} is not lower-case hex`);
  return fromHex(text);
}
const hexOf = (j, key) => hexBytes(str(j, key), key);

function digestOf(text, what) {
  const b = hexBytes(text, what);
  if (b.length !== DIGEST_SIZE) bad(`${what} is not a 32-byte digest`);
  return b;
}

function base64Encode(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

// Standard base64 with padding, in its one canonical spelling (no spare bits set).
function base64Of(j, key) {
  const text = str(j, key);
  let bytes = null;
  if (text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    try {
      const bin = atob(text);
      bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    } catch { bytes = null; }
  }
  if (bytes === null || base64Encode(bytes) !== text) bad(`"${key}" is not base64`);
  return bytes;
}

function arrayOf(j, key) {
  if (!Array.isArray(j[key])) bad(`"${key}" is not an array`);
  return j[key];
}

function digestsOf(j, key) {
  return arrayOf(j, key).map((d) => {
    if (typeof d !== 'string') bad(`"${key}" holds a non-string`);
    return digestOf(d, key);
  });
}

export const MATERIAL_STATUS_NUMBERS = {
  ACTIVE: 1, REVOKED: 2, EXPIRED: 3, ISSUED: 4, SUSPENDED: 5, SUPERSEDED: 6, DESTROYED: 7,
};

const MATERIAL_KEYS = ['material_id', 'type_code', 'issuer', 'holder_commitment', 'doc_digest',
  'fields_root', 'field_names', 'valid_from_ms', 'valid_until_ms', 'status', 'version',
  'parent_id', 'issued_height', 'issue_tx', 'updated_height', 'event_count', 'last_event',
  'holder_key', 'prev_version', 'next_version', 'use_count', 'suspended_by'];

function materialOf(j) {
  obj(j, 'material', MATERIAL_KEYS);
  const m = {
    material_id: str(j, 'material_id'), type_code: str(j, 'type_code'), issuer: str(j, 'issuer'),
    holder_commitment: hexOf(j, 'holder_commitment'), doc_digest: hexOf(j, 'doc_digest'),
    fields_root: hexOf(j, 'fields_root'),
    field_names: arrayOf(j, 'field_names').map((f) => {
      if (typeof f !== 'string') bad('"field_names" holds a non-string');
      return f;
    }),
    valid_from_ms: i64(j, 'valid_from_ms'), valid_until_ms: i64(j, 'valid_until_ms'),
    status: str(j, 'status'), version: u32(j, 'version'), parent_id: str(j, 'parent_id'),
    issued_height: u64(j, 'issued_height'), issue_tx: hexOf(j, 'issue_tx'),
    updated_height: u64(j, 'updated_height'), event_count: u32(j, 'event_count'),
    last_event: hexOf(j, 'last_event'), holder_key: hexOf(j, 'holder_key'),
    prev_version: str(j, 'prev_version'), next_version: str(j, 'next_version'),
    use_count: u64(j, 'use_count'), suspended_by: str(j, 'suspended_by'),
  };
  if (!Object.hasOwn(MATERIAL_STATUS_NUMBERS, m.status)) bad(`unknown material status "${m.status}"`);
  return m;
}

const EVENT_KEYS = ['material_id', 'seq', 'kind', 'height', 'time_ms', 'actor', 'tx_hash',
  'reason', 'prev_event', 'counterparty', 'purpose', 'ref', 'detail'];

function eventOf(j) {
  obj(j, 'event', EVENT_KEYS);
  const e = {
    material_id: str(j, 'material_id'), seq: u32(j, 'seq'), kind: str(j, 'kind'),
    height: u64(j, 'height'), time_ms: i64(j, 'time_ms'), actor: str(j, 'actor'),
    tx_hash: str(j, 'tx_hash'), reason: str(j, 'reason'), prev_event: str(j, 'prev_event'),
    counterparty: str(j, 'counterparty'), purpose: str(j, 'purpose'), ref: str(j, 'ref'),
    detail: str(j, 'detail'),
  };
  if (!Object.hasOwn(EVENT_KIND_NUMBERS, e.kind)) bad(`unknown event kind "${e.kind}"`);
  // Kept as hex (the layout in proofs.js takes the API spelling), validated here.
  for (const k of ['tx_hash', 'prev_event', 'detail']) hexBytes(e[k], k);
  return e;
}

function commitOf(j) {
  obj(j, 'commit', ['height', 'round', 'block_hash', 'sigs']);
  return {
    height: u64(j, 'height'), round: u32(j, 'round'), block_hash: hexOf(j, 'block_hash'),
    sigs: arrayOf(j, 'sigs').map((s) => {
      obj(s, 'signature', ['validator', 'signature']);
      return { validator: hexOf(s, 'validator'), signature: hexOf(s, 'signature') };
    }),
  };
}

function smtProofOf(j, key) {
  try {
    return decodeSmtProof(hexOf(j, key));
  } catch (err) {
    if (err instanceof BadBundle) throw err;
    bad(`${key}: ${err.message}`);
  }
}

// The JSON value of a bundle → its typed form, or throws BadBundle (ledger/proof_json.cc).
function bundleOf(j) {
  obj(j, 'bundle', ['format', 'chain_id', 'suite', 'genesis_hash', 'height', 'material', 'events',
                    'txs', 'header', 'commit', 'state_proof', 'disclosed', 'validator_sets',
                    'registry']);
  if (str(j, 'format') !== PROOF_FORMAT) bad(`not a ${PROOF_FORMAT} bundle`);
  const suite = str(j, 'suite');
  if (suite !== 'p256' && suite !== 'sm') bad(`unknown crypto suite "${suite}"`);
  const b = {
    chain_id: str(j, 'chain_id'), suite,
    genesis_hash: digestOf(str(j, 'genesis_hash'), 'genesis_hash'),
    material: materialOf(j.material),
    events: arrayOf(j, 'events').map(eventOf),
    txs: arrayOf(j, 'txs').map((t) => {
      obj(t, 'tx', ['tx', 'log_index', 'inclusion']);
      return { raw: base64Of(t, 'tx'), log_index: u64(t, 'log_index'), inclusion: digestsOf(t, 'inclusion') };
    }),
    header: { bytes: base64Of(j, 'header'), commit: commitOf(j.commit) },
  };
  const header = decodeHeader(b.header.bytes);
  if (header === null || header.height !== u64(j, 'height')) bad('"height" is not the height of "header"');
  b.state_proof = smtProofOf(j, 'state_proof');
  const r = j.registry;
  obj(r, 'registry', ['proposal_count', 'count_proof', 'proposals']);
  b.registry = {
    proposal_count: u64(r, 'proposal_count'),
    count_proof: smtProofOf(r, 'count_proof'),
    proposals: arrayOf(r, 'proposals').map((p) => {
      obj(p, 'proposal', ['record', 'state_proof']);
      return { record: base64Of(p, 'record'), state_proof: smtProofOf(p, 'state_proof') };
    }),
  };
  b.disclosed = arrayOf(j, 'disclosed').map((f) => {
    obj(f, 'disclosed field', ['name', 'value', 'salt', 'index', 'inclusion']);
    return { name: str(f, 'name'), value: str(f, 'value'), salt: hexOf(f, 'salt'),
             index: u64(f, 'index'), inclusion: digestsOf(f, 'inclusion') };
  });
  b.validator_sets = arrayOf(j, 'validator_sets').map((s) => {
    obj(s, 'validator set', ['effective_height', 'validators', 'header', 'commit']);
    return {
      effective_height: u64(s, 'effective_height'),
      validators: arrayOf(s, 'validators').map((v) => {
        obj(v, 'validator', ['key', 'tls_key']);
        return { key: hexOf(v, 'key'), tls_key: hexOf(v, 'tls_key') };
      }),
      header: base64Of(s, 'header'),
      commit: commitOf(s.commit),
    };
  });
  return b;
}

// ------------------------------------------------------------------ protobuf wire reader

// The messages a bundle carries as exact bytes (proto/govledger.proto). A field: [name, type,
// flags]; type is a scalar name or a message name; flags: 'r' repeated, or a oneof group name.
const S = 'string', B = 'bytes', U64 = 'uint64', I64 = 'int64', U32 = 'uint32', BOOL = 'bool';
const SCHEMAS = {
  BlockHeader: { 1: ['chain_id', S], 2: ['height', U64], 3: ['time_ms', I64], 4: ['proposer', B],
    5: ['prev_hash', B], 6: ['last_commit_hash', B], 7: ['log_size', U64], 8: ['log_root', B],
    9: ['state_root', B], 10: ['validators_hash', B], 11: ['next_validators_hash', B],
    12: ['tx_count', U32], 13: ['events_hash', B] },
  SignedTx: { 1: ['body', B], 2: ['signer', B], 3: ['signature', B] },
  TxBody: { 1: ['chain_id', S], 2: ['nonce', U64], 3: ['valid_until_height', U64],
    4: ['created_ms', I64],
    10: ['issue', 'IssueMaterial', 'payload'], 11: ['revoke', 'IdReason', 'payload'],
    12: ['publish', 'PublishMaterial', 'payload'], 13: ['amend', 'AmendMaterial', 'payload'],
    14: ['transfer', 'TransferMaterial', 'payload'], 15: ['suspend', 'IdReason', 'payload'],
    16: ['reinstate', 'IdReason', 'payload'], 17: ['destroy', 'IdReason', 'payload'],
    18: ['authorize', 'AuthorizeUse', 'payload'], 19: ['withdraw_grant', 'WithdrawGrant', 'payload'],
    20: ['use', 'UseMaterial', 'payload'], 21: ['create_contract', 'CreateContract', 'payload'],
    22: ['sign_contract', 'SignContract', 'payload'], 23: ['propose', 'ProposeChange', 'payload'],
    24: ['approve', 'ApproveProposal', 'payload'] },
  IssueMaterial: { 1: ['material_id', S], 2: ['type_code', S], 3: ['holder_commitment', B],
    4: ['doc_digest', B], 5: ['fields_root', B], 6: ['field_names', S, 'r'],
    7: ['valid_from_ms', I64], 8: ['valid_until_ms', I64], 9: ['parent_id', S],
    10: ['holder_key', B], 11: ['staged', BOOL] },
  IdReason: { 1: ['material_id', S], 2: ['reason', S] },
  PublishMaterial: { 1: ['material_id', S] },
  AmendMaterial: { 1: ['prev_id', S], 2: ['material_id', S], 3: ['doc_digest', B],
    4: ['fields_root', B], 5: ['field_names', S, 'r'], 6: ['valid_from_ms', I64],
    7: ['valid_until_ms', I64], 8: ['parent_id', S], 9: ['reason', S] },
  TransferMaterial: { 1: ['material_id', S], 2: ['new_holder_commitment', B],
    3: ['new_holder_key', B], 4: ['reason', S] },
  AuthorizeUse: { 1: ['material_id', S], 2: ['consumer', S], 3: ['purpose', S],
    4: ['valid_until_ms', I64], 5: ['max_uses', U32], 6: ['consent_digest', B] },
  WithdrawGrant: { 1: ['grant_id', S], 2: ['reason', S] },
  UseMaterial: { 1: ['material_id', S], 2: ['purpose', S], 3: ['grant_id', S] },
  CreateContract: { 1: ['doc_digest', B], 2: ['parties', B, 'r'], 3: ['sign_deadline_ms', I64],
    4: ['prev_contract', S], 5: ['title', S] },
  SignContract: { 1: ['contract_id', S], 2: ['doc_digest', B] },
  DepartmentDef: { 1: ['id', S], 2: ['name', S], 3: ['name_en', S], 4: ['code', S],
    5: ['roles', S, 'r'], 6: ['key', B] },
  MaterialTypeDef: { 1: ['code', S], 2: ['name', S], 3: ['name_en', S], 4: ['category', S],
    5: ['issuers', S, 'r'], 6: ['required_fields', S, 'r'], 7: ['max_validity_ms', I64],
    8: ['parent_type', S], 9: ['use_purposes', S, 'r'], 10: ['grant_not_required', BOOL],
    11: ['cascade', S] },
  ValidatorDef: { 1: ['name', S], 2: ['department', S], 3: ['key', B], 4: ['tls_key', B],
    5: ['p2p_address', S], 6: ['api_address', S] },
  GovernanceChange: { 1: ['add_validator', 'ValidatorDef', 'change'],
    2: ['remove_validator', S, 'change'], 3: ['set_department', 'DepartmentDef', 'change'],
    4: ['set_material_type', 'MaterialTypeDef', 'change'],
    5: ['rotate_validator', 'ValidatorDef', 'change'], 10: ['effective_height', U64] },
  ProposeChange: { 1: ['change', 'GovernanceChange'], 2: ['deadline_height', U64], 3: ['reason', S] },
  ApproveProposal: { 1: ['proposal_id', S] },
  ProposalRecord: { 1: ['proposal_id', S], 2: ['change', 'GovernanceChange'], 3: ['proposer', S],
    4: ['approvals', S, 'r'], 5: ['created_height', U64], 6: ['deadline_height', U64],
    7: ['status', U32], 8: ['enacted_height', U64], 9: ['effective_height', U64],
    10: ['reason', S], 11: ['event_count', U32], 12: ['last_event', B],
    13: ['departments_at_approval', U32] },
};
const PROPOSAL_STATUS_ENACTED = 2n;
const VARINT_TYPES = new Set([U64, I64, U32, BOOL]);
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

class WireError extends Error {}
function wireFail(what) { throw new WireError(what); }

function readVarint(buf, pos) {
  let v = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) wireFail('truncated varint');
    const b = buf[pos++];
    v |= BigInt(b & 0x7f) << BigInt(7 * i);
    if ((b & 0x80) === 0) return [BigInt.asUintN(64, v), pos];
  }
  return wireFail('varint longer than 10 bytes');
}

// Skips one field's value of wire type `wt` (an unknown field, or a known one with another wire
// type, as protobuf does); groups are skipped to their matching end.
function skipField(buf, pos, wt, field, depth) {
  switch (wt) {
    case 0: return readVarint(buf, pos)[1];
    case 1: if (pos + 8 > buf.length) wireFail('truncated fixed64'); return pos + 8;
    case 5: if (pos + 4 > buf.length) wireFail('truncated fixed32'); return pos + 4;
    case 2: {
      let len;
      [len, pos] = readVarint(buf, pos);
      if (len > BigInt(buf.length - pos)) wireFail('truncated length-delimited field');
      return pos + Number(len);
    }
    case 3: {
      if (depth > 100) wireFail('nested too deeply');
      for (;;) {
        let key;
        [key, pos] = readVarint(buf, pos);
        const f = Number(key >> 3n), w = Number(key & 7n);
        if (f === 0) wireFail('field number 0');
        if (w === 4) {
          if (f !== field) wireFail('mismatched end of group');
          return pos;
        }
        pos = skipField(buf, pos, w, f, depth + 1);
      }
    }
    default: return wireFail(`wire type ${wt}`);
  }
}

function concatBytes(chunks) {
  const l = new Layout();
  for (const c of chunks) l.raw(c);
  return l.bytes();
}

// Decodes `buf` as message `name` with proto3 semantics: defaults for absent fields, the last
// value of a repeated scalar wins, repeated occurrences of a message field merge, the last member
// of a oneof set wins, strings must be UTF-8, unknown fields are skipped. Throws WireError.
function decodeMessage(name, buf, depth = 0) {
  if (depth > 100) wireFail('nested too deeply');
  const schema = SCHEMAS[name];
  const out = {};
  const chunks = {};   // message fields: the byte chunks to merge
  const oneofs = {};   // oneof group → the field number set last
  for (const [, [fname, type, flag]] of Object.entries(schema)) {
    if (flag === 'r') out[fname] = [];
    else if (type === S) out[fname] = '';
    else if (type === B) out[fname] = new Uint8Array(0);
    else if (type === BOOL) out[fname] = false;
    else if (VARINT_TYPES.has(type)) out[fname] = 0n;
    else out[fname] = null;
  }
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Number(key >> 3n), wt = Number(key & 7n);
    if (field === 0) wireFail('field number 0');
    if (wt === 4) wireFail('end of group outside a group');
    const spec = schema[field];
    const wantWt = spec ? (VARINT_TYPES.has(spec[1]) ? 0 : 2) : -1;
    if (!spec || wt !== wantWt) {
      pos = skipField(buf, pos, wt, field, depth);
      continue;
    }
    const [fname, type, flag] = spec;
    if (flag && flag !== 'r') {
      if (oneofs[flag] !== field) {
        if (oneofs[flag] !== undefined) {
          const prev = schema[oneofs[flag]];
          out[prev[0]] = prev[1] === S ? '' : null;
          delete chunks[oneofs[flag]];
        }
        oneofs[flag] = field;
      }
    }
    if (wt === 0) {
      let v;
      [v, pos] = readVarint(buf, pos);
      if (type === BOOL) out[fname] = v !== 0n;
      else if (type === U32) out[fname] = BigInt.asUintN(32, v);
      else if (type === I64) out[fname] = BigInt.asIntN(64, v);
      else out[fname] = v;
      continue;
    }
    let len;
    [len, pos] = readVarint(buf, pos);
    if (len > BigInt(buf.length - pos)) wireFail('truncated length-delimited field');
    const value = buf.subarray(pos, pos + Number(len));
    pos += Number(len);
    if (type === S || type === B) {
      let v = value.slice();
      if (type === S) {
        try { v = utf8Strict.decode(value); } catch { wireFail(`${name}.${fname} is not UTF-8`); }
      }
      if (flag === 'r') out[fname].push(v); else out[fname] = v;
    } else {
      (chunks[field] ||= []).push(value);
    }
  }
  for (const [field, list] of Object.entries(chunks)) {
    const [fname, type] = schema[field];
    out[fname] = decodeMessage(type, concatBytes(list), depth + 1);
  }
  for (const [group, field] of Object.entries(oneofs)) out[`${group}_case`] = schema[field][0];
  return out;
}

function safeNumber(v, what) {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    wireFail(`${what} is out of the range this page handles`);
  }
  return Number(v);
}

// ledger::DecodeHeader: the header with numbers as JS numbers; null when it does not decode.
export function decodeHeader(bytes) {
  try {
    const h = decodeMessage('BlockHeader', bytes);
    h.height = safeNumber(h.height, 'height');
    h.time_ms = safeNumber(h.time_ms, 'time_ms');
    h.log_size = safeNumber(h.log_size, 'log_size');
    h.tx_count = Number(h.tx_count);
    return h;
  } catch (err) {
    if (err instanceof WireError) return null;
    throw err;
  }
}

const CASCADES = new Set(['', 'revoke', 'suspend', 'none']);

// ledger::DecodeTx: { raw, body_bytes, signer, signature, hash, body } or throws with the reason.
async function decodeTx(suite, raw) {
  let env, body;
  try {
    env = decodeMessage('SignedTx', raw);
  } catch (err) {
    if (err instanceof WireError) throw new Error('malformed_tx: not a SignedTx');
    throw err;
  }
  if (env.signer.length === 0) throw new Error('malformed_tx: missing signer');
  if (env.signature.length === 0) throw new Error('malformed_tx: missing signature');
  try {
    body = decodeMessage('TxBody', env.body);
  } catch (err) {
    if (err instanceof WireError) throw new Error('malformed_tx: body is not a TxBody');
    throw err;
  }
  if (!body.payload_case) throw new Error('missing_payload: transaction body has no known payload');
  if (body.payload_case === 'propose') {
    const change = body.propose.change;
    if (change === null) throw new Error('malformed_tx: governance proposal without a change');
    if (!change.change_case) throw new Error('malformed_tx: governance change without a kind');
    if (change.change_case === 'set_material_type' && !CASCADES.has(change.set_material_type.cascade)) {
      throw new Error('malformed_tx: unknown cascade rule');
    }
  }
  return { raw, body_bytes: env.body, signer: env.signer, signature: env.signature,
           hash: await hashBytes(suite, env.body), body };
}

// ------------------------------------------------------------------ sparse Merkle state proof

const SMT_MAX_DEPTH = 256;
const SMT_EMPTY = new Uint8Array(DIGEST_SIZE);
const SMT_LEAF_TAG = utf8.encode('govledger/smt/leaf/v1');
const SMT_NODE_TAG = utf8.encode('govledger/smt/node/v1');

function bit(bytes, i) {
  return ((bytes[i >> 3] >> (7 - (i & 7))) & 1) === 1;
}

// crypto::DecodeSmtProof, strict: { siblings: [Uint8Array(32)] (SMT_EMPTY for empty ones),
// other_leaf: { key, value } | null }. Throws Error on a malformed encoding.
export function decodeSmtProof(raw) {
  let at = 0;
  const need = (n) => raw.length - at >= n;
  const fail = (what) => { throw new Error(what); };
  if (!need(2)) fail('truncated before the depth');
  const depth = (raw[0] << 8) | raw[1];
  at = 2;
  if (depth > SMT_MAX_DEPTH) fail(`depth ${depth} over 256`);
  const bitmapBytes = (depth + 7) >> 3;
  if (!need(bitmapBytes)) fail('truncated bitmap');
  const bitmap = raw.subarray(at, at + bitmapBytes);
  at += bitmapBytes;
  for (let i = depth; i < bitmapBytes * 8; i++) if (bit(bitmap, i)) fail('bitmap has bits past the depth');
  const siblings = [];
  for (let i = 0; i < depth; i++) {
    if (!bit(bitmap, i)) { siblings.push(SMT_EMPTY); continue; }
    if (!need(DIGEST_SIZE)) fail('truncated sibling list');
    const s = raw.slice(at, at + DIGEST_SIZE);
    at += DIGEST_SIZE;
    if (equalBytes(s, SMT_EMPTY)) fail('listed sibling is the empty hash');
    siblings.push(s);
  }
  if (!need(1)) fail('truncated before the terminal flag');
  const flag = raw[at++];
  if (flag > 1) fail('bad terminal flag');
  let other = null;
  if (flag === 1) {
    if (!need(2 * DIGEST_SIZE)) fail('truncated other leaf');
    other = { key: raw.slice(at, at + DIGEST_SIZE), value: raw.slice(at + DIGEST_SIZE, at + 2 * DIGEST_SIZE) };
    at += 2 * DIGEST_SIZE;
  }
  if (at !== raw.length) fail('trailing bytes after the proof');
  return { siblings, other_leaf: other };
}

function taggedPairHash(suite, tag, a, b) {
  return hashBytes(suite, new Layout().raw(tag).raw(a).raw(b).bytes());
}

// crypto::VerifyStateProof: with a value, that the map under `root` holds key → value; with
// value null, that it does not hold the key.
export async function verifyStateProof(suite, root, key, value, proof) {
  const depth = proof.siblings.length;
  if (depth > SMT_MAX_DEPTH) return false;
  let h;
  if (value) {
    if (proof.other_leaf) return false;
    h = await taggedPairHash(suite, SMT_LEAF_TAG, key, value);
  } else if (proof.other_leaf) {
    const other = proof.other_leaf;
    if (equalBytes(other.key, key)) return false;
    for (let i = 0; i < depth; i++) if (bit(other.key, i) !== bit(key, i)) return false;
    h = await taggedPairHash(suite, SMT_LEAF_TAG, other.key, other.value);
  } else {
    h = SMT_EMPTY;
  }
  // A path ending next to an empty sibling would have ended one level higher: not canonical.
  if (depth > 0 && equalBytes(proof.siblings[depth - 1], SMT_EMPTY)) return false;
  for (let i = depth; i > 0; i--) {
    const sibling = proof.siblings[i - 1];
    h = bit(key, i - 1) ? await taggedPairHash(suite, SMT_NODE_TAG, sibling, h)
                        : await taggedPairHash(suite, SMT_NODE_TAG, h, sibling);
  }
  return equalBytes(h, root);
}

// ------------------------------------------------------------------ canonical layouts

// ledger::MaterialStateBytes.
export function materialStateBytes(m) {
  const l = new Layout().raw('govledger/material/v1').lp(m.material_id).lp(m.type_code)
    .lp(m.issuer).lp(m.holder_commitment).lp(m.doc_digest).lp(m.fields_root)
    .u32(m.field_names.length);
  for (const f of m.field_names) l.lp(f);
  return l.u64(m.valid_from_ms).u64(m.valid_until_ms).u8(MATERIAL_STATUS_NUMBERS[m.status])
    .u32(m.version).lp(m.parent_id).u64(m.issued_height).lp(m.issue_tx).u64(m.updated_height)
    .u32(m.event_count).lp(m.last_event).lp(m.holder_key).lp(m.prev_version).lp(m.next_version)
    .u64(m.use_count).lp(m.suspended_by).bytes();
}

// H("govledger/state-key/v1" || 'S' || material id).
export function materialStateKey(suite, id) {
  return stateKey(suite, 'S', id);
}

// ledger::StateKey: H("govledger/state-key/v1" || table byte || key).
export function stateKey(suite, table, key) {
  return hashBytes(suite, new Layout().raw('govledger/state-key/v1').raw(table).raw(key).bytes());
}

// ledger::RecordStateValue: H("govledger/record/v1" || the record's stored bytes).
export function recordStateValue(suite, record) {
  return hashBytes(suite, new Layout().raw('govledger/record/v1').raw(record).bytes());
}

// ledger::ValidatorsHash over { key, tls_key } byte pairs.
export function validatorsHash(suite, set) {
  const l = new Layout().raw('govledger/validators/v1').u32(set.length);
  for (const v of set) l.lp(v.key).lp(v.tls_key);
  return hashBytes(suite, l.bytes());
}

// ledger::FieldLeafBytes.
export function fieldLeafBytes(salt, name, value) {
  return new Layout().raw('govledger/field/v1').lp(salt).lp(name).lp(value).bytes();
}

// The genesis hash: H(canonical JSON) as ledger::GenesisToJson writes it (nlohmann dump: keys
// sorted by their UTF-8 bytes, no spaces, non-ASCII unescaped). JSON.stringify escapes strings
// the same way; the genesis holds integers only.
function codePointCompare(a, b) {
  const x = Array.from(a, (c) => c.codePointAt(0));
  const y = Array.from(b, (c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

export function canonicalJson(v) {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort(codePointCompare);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new Error('the genesis has a non-integer number');
  return JSON.stringify(v);
}

export async function genesisHash(genesis) {
  return hashBytes(genesis.suite, utf8.encode(canonicalJson(genesis)));
}

// The trusted genesis JSON (doc/api.md, /v1/genesis) with its keys as DER bytes.
function trustedFrom(genesis) {
  if (!genesis || typeof genesis !== 'object') throw new Error('no trusted genesis');
  const key = (pem, what) => {
    try { return pemToDer(pem); } catch { throw new Error(`${what}: not a PEM public key`); }
  };
  return {
    chain_id: genesis.chain_id,
    suite: genesis.suite,
    validators: (genesis.validators || []).map((v) => ({
      name: v.name, key: key(v.key, `validator ${v.name}`), tls_key: key(v.tls_key, `validator ${v.name}`) })),
    departments: (genesis.departments || []).map((d) => ({
      id: d.id, name: d.name, name_en: d.name_en, roles: d.roles || [],
      key: key(d.key, `department ${d.id}`) })),
    material_types: (genesis.material_types || []).map((t) => ({ code: t.code, issuers: t.issuers || [] })),
  };
}

// ------------------------------------------------------------------ certificates

// ledger::VerifyCommit against a set of { key, tls_key, name? } (DER bytes). { ok, detail }:
// ok null when every structural check holds but a signature could not be checked here.
async function verifyCommitBytes(suite, chainId, set, commit, height, blockHash) {
  if (commit.height !== height) {
    return { ok: false, detail: `certificate is for height ${commit.height}, expected ${height}` };
  }
  if (!equalBytes(commit.block_hash, blockHash)) {
    return { ok: false, detail: `certificate is for block ${toHex(commit.block_hash)}, expected ${toHex(blockHash)}` };
  }
  const message = precommitSignBytes(chainId, commit.height, commit.round, commit.block_hash);
  const signers = new Set();
  let unchecked = 0;
  let uncheckedWhy = '';
  for (let i = 0; i < commit.sigs.length; i++) {
    const sig = commit.sigs[i];
    const member = set.findLastIndex((v) => equalBytes(v.key, sig.validator));
    if (member < 0) {
      return { ok: false, detail: `signature ${i} is by a key outside the validator set` };
    }
    const label = set[member].name || `validator ${member}`;
    if (signers.has(member)) return { ok: false, detail: `${label} signed more than once` };
    signers.add(member);
    const r = sig.signature.length === 0 || sig.signature.length > 80
      ? { ok: false } : await verifySignature(suite, sig.validator, sig.signature, message);
    if (r.ok === null) {
      unchecked++;
      uncheckedWhy = r.detail;
      continue;
    }
    if (!r.ok) return { ok: false, detail: `invalid precommit signature by ${label}` };
  }
  const quorum = quorumSize(set.length);
  if (signers.size < quorum) {
    return { ok: false, detail: `${signers.size} of ${set.length} validators signed; ${quorum} needed` };
  }
  if (unchecked > 0) {
    return { ok: null, unchecked,
             detail: `${signers.size} of ${set.length} distinct validators (quorum ${quorum}); ` +
                     `${unchecked} signature(s) not checked: ${uncheckedWhy}` };
  }
  return { ok: true, detail: `${signers.size} of ${set.length} validators signed (quorum ${quorum})` };
}

// ------------------------------------------------------------------ the verifier

class Verifier {
  constructor(trusted, genesisJson, b, docDigest, nowMs) {
    this.g = trusted;
    this.genesisJson = genesisJson;
    this.b = b;
    this.doc = docDigest;
    this.nowMs = nowMs;
    this.suite = trusted.suite;
    this.steps = [];
    this.header = null;
    this.set = [];
    this.setsOk = false;
    this.txs = new Map(); // hex tx hash → decoded tx
    this.registry = null; // { departments: [{ at, dept }], types: [{ at, type }] } once proven
  }

  report(id, ok, detail) {
    const info = STEP_INFO.get(id);
    this.steps.push({ id, zh: info.zh, en: info.en, ok, detail });
  }

  async run() {
    await this.checkBundle();
    this.header = decodeHeader(this.b.header.bytes);
    const headerOk = this.header !== null;
    await this.checkValidatorSets();
    await this.checkCertificate(headerOk);
    await this.checkState(headerOk);
    await this.checkRegistry(headerOk);
    await this.checkEvents();
    await this.checkInclusion(headerOk);
    await this.checkIssuer();
    await this.checkFields();
    this.checkDocument();
    return this.decide(headerOk);
  }

  async checkBundle() {
    const { b, g } = this;
    if (b.chain_id !== g.chain_id) {
      return this.report('bundle', false, `chain id '${b.chain_id}', trusted '${g.chain_id}'`);
    }
    if (b.suite !== g.suite) return this.report('bundle', false, 'crypto suite differs from genesis');
    const gh = await genesisHash(this.genesisJson);
    if (!equalBytes(b.genesis_hash, gh)) {
      return this.report('bundle', false, `made for genesis ${toHex(b.genesis_hash)}, trusted ${toHex(gh)}`);
    }
    return this.report('bundle', true, `chain ${g.chain_id}, suite ${g.suite}, genesis ${toHex(gh).slice(0, 16)}…`);
  }

  async checkValidatorSets() {
    const { b, g, suite } = this;
    let set = g.validators;
    let last = 1;
    let unchecked = '';
    for (const vs of b.validator_sets) {
      const at = `set from height ${vs.effective_height}: `;
      if (vs.effective_height <= last || vs.validators.length === 0) {
        return this.report('validators', false, `${at}out of order or empty`);
      }
      const before = decodeHeader(vs.header);
      if (before === null || before.height + 1 !== vs.effective_height || before.chain_id !== g.chain_id) {
        return this.report('validators', false,
                           `${at}the header before it is not block ${vs.effective_height - 1}`);
      }
      const hash = await hashBytes(suite, vs.header);
      const st = await verifyCommitBytes(suite, g.chain_id, set, vs.commit, before.height, hash);
      if (st.ok === false) return this.report('validators', false, `${at}certificate: ${st.detail}`);
      if (st.ok === null) unchecked = st.detail;
      if (!equalBytes(before.validators_hash, await validatorsHash(suite, set))) {
        return this.report('validators', false, `${at}a validator-set change before it is missing`);
      }
      if (!equalBytes(before.next_validators_hash, await validatorsHash(suite, vs.validators))) {
        return this.report('validators', false, `${at}not the set the chain committed to`);
      }
      set = vs.validators;
      last = vs.effective_height;
    }
    this.set = set;
    this.setsOk = true;
    const what = b.validator_sets.length === 0
      ? `genesis set (${set.length} validators)`
      : `${b.validator_sets.length} change(s) since genesis, ${set.length} validators`;
    if (unchecked) return this.report('validators', null, `${what}; a certificate was not checked: ${unchecked}`);
    return this.report('validators', true, what);
  }

  async checkCertificate(headerOk) {
    const { b, g, suite } = this;
    if (!headerOk) return this.report('certificate', false, 'the header does not decode');
    const h = this.header;
    if (h.chain_id !== g.chain_id) return this.report('certificate', false, 'header chain id');
    if (!this.setsOk) return this.report('certificate', false, 'no trusted validator set for the header');
    if (!equalBytes(h.validators_hash, await validatorsHash(suite, this.set))) {
      return this.report('certificate', false, "the header's validators_hash is not the set derived from genesis");
    }
    const hash = await hashBytes(suite, b.header.bytes);
    const st = await verifyCommitBytes(suite, g.chain_id, this.set, b.header.commit, h.height, hash);
    if (st.ok === false) return this.report('certificate', false, st.detail);
    return this.report('certificate', st.ok, `block ${h.height} (${toHex(hash).slice(0, 16)}…): ${st.detail}`);
  }

  async checkState(headerOk) {
    const { b, suite } = this;
    if (!headerOk) return this.report('state', false, 'the header does not decode');
    const root = this.header.state_root;
    if (root.length !== DIGEST_SIZE) return this.report('state', false, 'the header carries no state root');
    const m = b.material;
    const key = await materialStateKey(suite, m.material_id);
    const value = await hashBytes(suite, materialStateBytes(m));
    if (!(await verifyStateProof(suite, root, key, value, b.state_proof))) {
      return this.report('state', false,
                         `the material record is not what the header's state_root holds for ${m.material_id}`);
    }
    return this.report('state', true,
                       `record of ${m.material_id} proven against the state_root of block ${this.header.height}`);
  }

  // ledger::proof_steps::CheckRegistry: the proposal count and every proposal against the
  // header's state_root; the enacted department and type changes, by effective height.
  async checkRegistry(headerOk) {
    const { b, suite } = this;
    if (!headerOk) return this.report('registry', false, 'the header does not decode');
    const root = this.header.state_root;
    if (root.length !== DIGEST_SIZE) return this.report('registry', false, 'the header carries no state root');
    const r = b.registry;
    const countValue = r.proposal_count > 0
      ? await recordStateValue(suite, new Layout().u64(r.proposal_count).bytes()) : null;
    if (!(await verifyStateProof(suite, root, await stateKey(suite, 'N', 'proposals'), countValue,
                                 r.count_proof))) {
      return this.report('registry', false,
                         `the proposal count ${r.proposal_count} is not what the header's state_root holds`);
    }
    if (r.proposals.length !== r.proposal_count) {
      return this.report('registry', false,
                         `${r.proposals.length} proposals carried, the chain has ${r.proposal_count}`);
    }
    const registry = { departments: [], types: [] };
    for (let i = 0; i < r.proposals.length; i++) {
      const id = `P${i + 1}`;
      const p = r.proposals[i];
      if (!(await verifyStateProof(suite, root, await stateKey(suite, 'P', id),
                                   await recordStateValue(suite, p.record), p.state_proof))) {
        return this.report('registry', false, `proposal ${id} is not what the header's state_root holds`);
      }
      let rec;
      try {
        rec = decodeMessage('ProposalRecord', p.record);
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        rec = null;
      }
      if (rec === null || rec.proposal_id !== id) {
        return this.report('registry', false, `proposal ${id} does not decode`);
      }
      if (rec.status !== PROPOSAL_STATUS_ENACTED || rec.change === null) continue;
      const at = [rec.effective_height, i + 1];
      if (rec.change.change_case === 'set_department') {
        const d = rec.change.set_department;
        registry.departments.push({ at, dept: { id: d.id, name: d.name, name_en: d.name_en,
                                                roles: d.roles, key: d.key } });
      } else if (rec.change.change_case === 'set_material_type') {
        const t = rec.change.set_material_type;
        registry.types.push({ at, type: { code: t.code, issuers: t.issuers } });
      } else if (rec.change.change_case !== 'add_validator' &&
                 rec.change.change_case !== 'remove_validator' &&
                 rec.change.change_case !== 'rotate_validator') {
        // Validator changes are proven through the certified headers; a kind this page does not
        // know could change who may issue what, so it fails closed.
        return this.report('registry', false,
          `proposal ${id} carries a governance change this page does not know`);
      }
    }
    const order = (x, y) => (x.at[0] < y.at[0] ? -1 : x.at[0] > y.at[0] ? 1 : x.at[1] - y.at[1]);
    registry.departments.sort(order);
    registry.types.sort(order);
    this.registry = registry;
    const n = registry.departments.length + registry.types.length;
    return this.report('registry', true, r.proposal_count === 0
      ? 'genesis registry (no governance proposals)'
      : `${r.proposal_count} governance proposal(s) proven, ${n} registry change(s) enacted`);
  }

  // The registry in force at `height`: the newest enacted change effective by then, else the
  // genesis entry.
  departmentAt(id, height) {
    let out = null;
    for (const c of this.registry.departments) if (c.at[0] <= BigInt(height) && c.dept.id === id) out = c.dept;
    return out || this.g.departments.findLast((d) => d.id === id) || null;
  }

  typeAt(code, height) {
    let out = null;
    for (const c of this.registry.types) if (c.at[0] <= BigInt(height) && c.type.code === code) out = c.type;
    return out || this.g.material_types.findLast((t) => t.code === code) || null;
  }

  async checkEvents() {
    const { b, suite } = this;
    const m = b.material;
    if (b.events.length !== m.event_count) {
      return this.report('events', false, `${b.events.length} events, the record has ${m.event_count}`);
    }
    const maxHeight = this.header ? this.header.height : 0;
    let prev = '';
    for (let i = 0; i < b.events.length; i++) {
      const e = b.events[i];
      if (e.material_id !== m.material_id || e.seq !== i || e.prev_event !== prev || e.height > maxHeight) {
        return this.report('events', false, `event ${i} is not in the chain`);
      }
      prev = toHex(await hashBytes(suite, eventBytes(e)));
    }
    if (prev !== toHex(m.last_event)) {
      return this.report('events', false, "the events do not end at the record's last_event");
    }
    return this.report('events', true,
                       `${b.events.length} events (${b.events.map((e) => e.kind).join(', ')}), hash-linked to the record`);
  }

  async checkInclusion(headerOk) {
    const { b, suite } = this;
    if (!headerOk) return this.report('inclusion', false, 'the header does not decode');
    const logRoot = this.header.log_root;
    if (logRoot.length !== DIGEST_SIZE) return this.report('inclusion', false, 'the header carries no log root');
    const needed = new Set();
    for (const e of b.events) if (e.tx_hash !== '') needed.add(e.tx_hash);
    const proven = new Set();
    for (let i = 0; i < b.txs.length; i++) {
      const t = b.txs[i];
      const at = `tx ${i}: `;
      let tx;
      try {
        tx = await decodeTx(suite, t.raw);
      } catch (err) {
        return this.report('inclusion', false, at + err.message);
      }
      const hash = toHex(tx.hash);
      if (!needed.has(hash) || proven.has(hash)) {
        return this.report('inclusion', false, `${at}not a transaction of the material's events`);
      }
      proven.add(hash);
      const leaf = await merkleLeafHash(suite, t.raw);
      if (!(await verifyInclusion(suite, t.log_index, this.header.log_size, leaf, t.inclusion, logRoot))) {
        return this.report('inclusion', false,
                           `${at}not in the log of block ${this.header.height} at index ${t.log_index}`);
      }
      this.txs.set(hash, tx);
    }
    if (proven.size !== needed.size) {
      return this.report('inclusion', false, "a transaction of the material's events is missing");
    }
    return this.report('inclusion', true,
                       `${b.txs.length} transaction(s) in the log of ${this.header.log_size}, root ${toHex(logRoot).slice(0, 16)}…`);
  }

  async checkIssuer() {
    const { b, g, suite } = this;
    const m = b.material;
    if (b.events.length === 0 || b.events[0].tx_hash === '') {
      return this.report('issuer', false, 'no issuing transaction');
    }
    const tx = this.txs.get(b.events[0].tx_hash);
    if (!tx) return this.report('issuer', false, 'the issuing transaction is not proven');
    const body = tx.body;
    let matches = false;
    if (body.payload_case === 'issue') {
      const p = body.issue;
      matches = b.events[0].kind === 'ISSUE' && p.material_id === m.material_id &&
                p.type_code === m.type_code && equalBytes(p.doc_digest, m.doc_digest);
    } else if (body.payload_case === 'amend') {
      const p = body.amend;
      matches = b.events[0].kind === 'AMEND' && p.material_id === m.material_id &&
                equalBytes(p.doc_digest, m.doc_digest);
    }
    if (!matches) return this.report('issuer', false, 'the issuing transaction is for another material');
    const sig = tx.signature.length > 80 ? { ok: false }
      : await verifySignature(suite, tx.signer, tx.signature, tx.body_bytes);
    if (sig.ok === false) return this.report('issuer', false, "the issuer's signature does not verify");
    if (!this.registry) return this.report('issuer', false, 'the registry is not proven');
    // Judged by the registry in force at the issuing block, as the contract judged it.
    const at = b.events[0].height;
    const dept = this.departmentAt(m.issuer, at);
    if (!dept) {
      return this.report('issuer', false, `department '${m.issuer}' is in neither the trusted genesis ` +
                                          `nor the proven registry changes as of block ${at}`);
    }
    if (!equalBytes(dept.key, tx.signer)) {
      return this.report('issuer', false, `signed by a key that is not ${dept.id}'s`);
    }
    const type = this.typeAt(m.type_code, at);
    if (!type || !dept.roles.includes('provider') || !type.issuers.includes(dept.id)) {
      return this.report('issuer', false, `${dept.id} may not issue ${m.type_code} as of block ${at}`);
    }
    const fromGenesis = g.departments.some((d) => d.id === dept.id);
    const who = `${dept.id} (${dept.name}${dept.name_en ? ` / ${dept.name_en}` : ''})` +
                (fromGenesis ? '' : ', added by governance (proven)');
    if (sig.ok === null) {
      return this.report('issuer', null,
                         `the genesis lets ${who} issue ${m.type_code} and the transaction carries its key, ` +
                         `but the signature was not checked: ${sig.detail}`);
    }
    return this.report('issuer', true, `signed by ${who}, allowed to issue ${m.type_code}`);
  }

  async checkFields() {
    const { b, suite } = this;
    const m = b.material;
    const root = m.fields_root.length === DIGEST_SIZE ? m.fields_root : null;
    for (const f of b.disclosed) {
      const named = f.index < m.field_names.length && m.field_names[f.index] === f.name;
      const ok = named && root !== null && await verifyInclusion(
        suite, f.index, m.field_names.length,
        await merkleLeafHash(suite, fieldLeafBytes(f.salt, f.name, f.value)), f.inclusion, root);
      if (!ok) return this.report('fields', false, `field '${f.name}' is not the one under fields_root`);
    }
    return this.report('fields', true, b.disclosed.length === 0
      ? 'none disclosed'
      : `${b.disclosed.length} field(s) disclosed: ${b.disclosed.map((f) => `${f.name}=${f.value}`).join('; ')}`);
  }

  checkDocument() {
    if (!this.doc) return this.report('document', true, 'no document given');
    if (this.doc.toLowerCase() !== toHex(this.b.material.doc_digest)) {
      return this.report('document', false, "the document's digest is not the material's doc_digest");
    }
    return this.report('document', true, `digest matches ${this.b.material.material_id}`);
  }

  decide(headerOk) {
    const m = this.b.material;
    const out = {
      ready: true, steps: this.steps, material: m, height: headerOk ? this.header.height : 0,
      asOfMs: headerOk ? this.header.time_ms : 0, status: null, verdict: null, failed: null,
      unchecked: this.steps.filter((s) => s.ok === null).map((s) => s.id),
    };
    let proofOk = true;
    let documentOk = true;
    for (const s of this.steps) {
      if (s.ok === false && isProofStep(s.id)) proofOk = false;
      if (s.ok === false && s.id === 'document') documentOk = false;
    }
    out.failed = (this.steps.find((s) => s.ok === false) || {}).id || null;
    if (!proofOk) {
      out.verdict = 'INVALID_PROOF';
      return out;
    }
    out.status = m.status;
    const t = out.asOfMs;
    const now = this.nowMs;
    const expiredNow = m.valid_until_ms > 0 && now != null && now >= m.valid_until_ms;
    const expired = (m.valid_until_ms > 0 && t >= m.valid_until_ms) || expiredNow;
    const notYet = m.valid_from_ms > Math.max(t, now ?? t);
    this.report('validity', !expired && !notYet,
                expired ? (expiredNow ? 'valid_until has passed since the bundle was made'
                                      : 'valid_until has passed')
                : notYet ? 'not valid before valid_from' : 'within valid_from and valid_until');
    let verdict;
    if (!documentOk) verdict = 'TAMPERED';
    else if (m.status === 'REVOKED') verdict = 'REVOKED';
    else if (m.status === 'DESTROYED') verdict = 'DESTROYED';
    else if (m.status === 'EXPIRED' || expired) verdict = 'EXPIRED';
    else if (m.status === 'SUSPENDED') verdict = 'SUSPENDED';
    else if (m.status === 'ACTIVE' && !notYet) verdict = 'VALID';
    else verdict = 'UNKNOWN';
    // A status is only proven when every signature was checked. The document comparison is a
    // hash the page computed itself, so TAMPERED stands either way.
    if (out.unchecked.length > 0 && verdict !== 'TAMPERED') {
      out.claimed = verdict;
      verdict = 'UNVERIFIED';
    }
    out.verdict = verdict;
    this.report('status', verdict === 'VALID',
                `${m.status} as of block ${out.height}` +
                (verdict === 'UNVERIFIED' ? ` (the bundle says ${out.claimed}; not proven: ` +
                                            `${out.unchecked.join(', ')} not checked)` : ''));
    out.failed = (this.steps.find((s) => s.ok === false && isProofStep(s.id)) ||
                  this.steps.find((s) => s.ok === false && s.id === 'document') || {}).id || null;
    return out;
  }
}

// Verifies `bundle` (the JSON value from parseBundle) against the trusted `genesis` (the genesis
// JSON, as /v1/genesis serves it) for the document whose digest (hex) was computed in the
// browser (null: no document). `nowMs`: the verifier's time for expiry, optional.
export async function verifyBundle(bundle, genesis, docDigest, { nowMs = null } = {}) {
  let trusted;
  try {
    trusted = trustedFrom(genesis);
  } catch (err) {
    return failed('bundle', `the trusted genesis is unusable: ${err.message}`);
  }
  let b;
  try {
    b = bundleOf(bundle);
  } catch (err) {
    if (err instanceof BadBundle) return failed('bundle', `bad_bundle: ${err.message}`);
    throw err;
  }
  return new Verifier(trusted, genesis, b, docDigest, nowMs).run();
}

function failed(id, detail) {
  const steps = STEPS.map((s) => ({ ...s, ok: null, detail: '' }));
  const s = steps.find((x) => x.id === id);
  s.ok = false;
  s.detail = detail;
  return { ready: true, verdict: 'INVALID_PROOF', failed: id, steps, unchecked: [], material: null,
           height: 0, asOfMs: 0, status: null };
}

export { hasWebCrypto };
