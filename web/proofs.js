// Ledger cryptography in the browser: the byte layouts of ledger/canonical.h, RFC 9162 Merkle
// proofs over the suite's hash, and ECDSA P-256 signature checks with WebCrypto. These are the
// building blocks of proof-bundle verification (bundle.js) and of the page's online checks on a
// node's answer (the event chain of a material and the certificate of the block that holds its
// latest event).
//
// Every check returns a result object, never throws on bad input: { ok: true|false|null, ... }
// where null means "could not be checked here" (for example SM2 signatures, which WebCrypto does
// not offer, or a page served over plain http to another machine, where crypto.subtle is absent).

import { hashBytes, fromHex, toHex, hasWebCrypto } from './digest.js';

const utf8 = new TextEncoder();

// ------------------------------------------------------------------ byte layouts

// Builds length-prefixed layouts: lp(x) = 4-byte big-endian length || x; integers big-endian.
export class Layout {
  constructor() { this.parts = []; this.size = 0; }
  raw(bytes) {
    const b = typeof bytes === 'string' ? utf8.encode(bytes) : bytes;
    this.parts.push(b);
    this.size += b.length;
    return this;
  }
  u8(v) { return this.raw(Uint8Array.of(v & 0xff)); }
  u32(v) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0);
    return this.raw(b);
  }
  u64(v) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(v)));
    return this.raw(b);
  }
  lp(bytes) {
    const b = typeof bytes === 'string' ? utf8.encode(bytes) : bytes;
    return this.u32(b.length).raw(b);
  }
  bytes() {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

// "govledger/precommit/v1" || lp(chain_id) || u64 height || u32 round || lp(block_hash).
export function precommitSignBytes(chainId, height, round, blockHash) {
  return new Layout().raw('govledger/precommit/v1').lp(chainId).u64(height).u32(round)
    .lp(blockHash).bytes();
}

// Protobuf EventKind numbers, which the event layout carries as one byte.
export const EVENT_KIND_NUMBERS = {
  ISSUE: 1, REVOKE: 2, EXPIRE: 3, PUBLISH: 4, AMEND: 5, SUPERSEDE: 6, TRANSFER: 7, SUSPEND: 8,
  REINSTATE: 9, DESTROY: 10, AUTHORIZE: 11, WITHDRAW: 12, USE: 13, CONTRACT_CREATE: 14,
  CONTRACT_SIGN: 15, CONTRACT_COMPLETE: 16, CONTRACT_EXPIRE: 17, CONTRACT_SUPERSEDE: 18,
  PROPOSE: 19, APPROVE: 20, ENACT: 21,
};

// The event layout of ledger::EventBytes from an event's API JSON (doc/api.md): v1 without
// details, v2 when counterparty, purpose, ref or detail is set.
export function eventBytes(e) {
  const kind = EVENT_KIND_NUMBERS[e.kind];
  if (kind === undefined) throw new Error(`unknown event kind ${e.kind}`);
  const v2 = Boolean(e.counterparty || e.purpose || e.ref || e.detail);
  const l = new Layout().raw(v2 ? 'govledger/event/v2' : 'govledger/event/v1')
    .lp(e.material_id).u32(e.seq).u8(kind).u64(e.height).u64(e.time_ms)
    .lp(e.actor || '').lp(fromHex(e.tx_hash || '')).lp(e.reason || '').lp(fromHex(e.prev_event || ''));
  if (v2) l.lp(e.counterparty || '').lp(e.purpose || '').lp(e.ref || '').lp(fromHex(e.detail || ''));
  return l.bytes();
}

export async function eventHash(suite, e) {
  return hashBytes(suite, eventBytes(e));
}

function concat(...arrays) {
  const l = new Layout();
  for (const a of arrays) l.raw(a);
  return l.bytes();
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// ------------------------------------------------------------------ event chains

// Recomputes every event hash of a material's history and checks the chain: each event names
// the previous one's hash, sequence numbers run 0, 1, 2, ..., and the material's last_event and
// event_count match the list. Detects a history that was reordered, shortened or altered (by a
// node or in transit); it does not by itself prove the events are on the chain — the block
// certificate and, offline, the proof bundle do that.
export async function verifyEventChain(suite, material, events) {
  if (!Array.isArray(events) || events.length === 0) {
    return { ok: false, detail: 'no events' };
  }
  let prev = '';
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (Number(e.seq) !== i) return { ok: false, index: i, detail: `event ${i} has seq ${e.seq}` };
    if ((e.prev_event || '') !== prev) {
      return { ok: false, index: i, detail: `event ${i} does not link to event ${i - 1}` };
    }
    let h;
    try {
      h = toHex(await eventHash(suite, e));
    } catch (err) {
      return { ok: false, index: i, detail: `event ${i}: ${err.message}` };
    }
    if (h !== e.event_hash) {
      return { ok: false, index: i, detail: `event ${i}: its content does not hash to ${e.event_hash}` };
    }
    prev = h;
  }
  if (material) {
    if (material.last_event && material.last_event !== prev) {
      return { ok: false, detail: 'the material\'s last_event is not the last event of the list' };
    }
    if (material.event_count !== undefined && Number(material.event_count) !== events.length) {
      return { ok: false, detail: `material has ${material.event_count} events, list has ${events.length}` };
    }
  }
  return { ok: true, count: events.length, last: prev };
}

// ------------------------------------------------------------------ keys and signatures

// PEM "PUBLIC KEY" → DER SubjectPublicKeyInfo bytes.
export function pemToDer(pem) {
  const m = /-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/.exec(pem || '');
  if (!m) throw new Error('not a PEM public key');
  const bin = atob(m[1].replace(/\s+/g, ''));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// First 8 bytes of H(SPKI DER), hex: how the API names keys (crypto::Fingerprint).
export async function fingerprint(suite, spki) {
  return toHex((await hashBytes(suite, spki)).subarray(0, 8));
}

// DER ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }) → raw r‖s of `size` bytes each, as
// WebCrypto wants. Strict: definite short or one-byte long lengths, no trailing bytes, positive
// minimally encoded integers that fit. Throws on anything else.
export function derToRawSignature(der, size = 32) {
  const b = der;
  let p = 0;
  const fail = (why) => { throw new Error(`bad DER signature: ${why}`); };
  const readLen = () => {
    if (p >= b.length) fail('truncated');
    let len = b[p++];
    if (len & 0x80) {
      if (len !== 0x81 || p >= b.length) fail('length form');
      len = b[p++];
      if (len < 0x80) fail('non-minimal length');
    }
    return len;
  };
  if (b[p++] !== 0x30) fail('not a SEQUENCE');
  const seqLen = readLen();
  if (p + seqLen !== b.length) fail('length mismatch');
  const out = new Uint8Array(2 * size);
  for (let k = 0; k < 2; k++) {
    if (b[p++] !== 0x02) fail('not an INTEGER');
    const len = readLen();
    if (len === 0 || p + len > b.length) fail('integer length');
    let v = b.subarray(p, p + len);
    p += len;
    if (v[0] & 0x80) fail('negative integer');
    if (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) fail('non-minimal integer');
    if (v[0] === 0) v = v.subarray(1);
    if (v.length > size) fail('integer too large');
    out.set(v, k * size + size - v.length);
  }
  if (p !== b.length) fail('trailing bytes');
  return out;
}

// Verifies a DER ECDSA P-256/SHA-256 signature over `message` with a SPKI public key.
// { ok: true|false } or { ok: null, detail } when WebCrypto is unavailable.
export async function verifyP256(spki, derSignature, message) {
  if (!hasWebCrypto()) {
    return { ok: null, detail: 'WebCrypto is unavailable (the page needs https:// or localhost)' };
  }
  let raw;
  try {
    raw = derToRawSignature(derSignature);
  } catch (err) {
    return { ok: false, detail: err.message };
  }
  try {
    const key = await crypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' },
                                              false, ['verify']);
    const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, raw, message);
    return { ok };
  } catch (err) {
    return { ok: false, detail: `bad key: ${err.message}` };
  }
}

// Verifies one signature in the suite: P-256 with WebCrypto; SM2 cannot be checked in a browser
// (ok: null) until an SM2 verifier is added here.
export async function verifySignature(suite, spki, derSignature, message) {
  if (suite === 'p256') return verifyP256(spki, derSignature, message);
  return { ok: null, detail: 'SM2 signatures are not checked in the browser yet' };
}

// Smallest count > 2n/3 (ledger::QuorumSize).
export function quorumSize(n) {
  return Math.floor((2 * n) / 3) + 1;
}

// Checks a commit certificate (the API's CommitJson: height, round, block_hash, signatures of
// {validator fingerprint, signature hex}) against a validator list (PEM keys, as in the genesis).
// ok: a quorum of distinct listed validators signed the precommit for this block hash.
export async function verifyCommit(suite, chainId, commit, validators) {
  const keys = new Map();
  for (const v of validators || []) {
    try {
      const der = pemToDer(v.key);
      keys.set(await fingerprint(suite, der), { name: v.name, der });
    } catch (err) {
      return { ok: false, detail: `validator ${v.name}: ${err.message}` };
    }
  }
  const needed = quorumSize(keys.size);
  let message;
  try {
    message = precommitSignBytes(chainId, commit.height, commit.round, fromHex(commit.block_hash));
  } catch (err) {
    return { ok: false, detail: `malformed certificate: ${err.message}` };
  }
  const signers = new Set();
  const problems = [];
  let unknown = 0;
  for (const s of commit.signatures || []) {
    const v = keys.get(s.validator);
    if (!v) {
      unknown++;
      problems.push(`${s.validator}: not a validator of the trusted set`);
      continue;
    }
    if (signers.has(s.validator)) { problems.push(`${v.name}: signed twice`); continue; }
    let sig;
    try { sig = fromHex(s.signature); } catch { problems.push(`${v.name}: signature is not hex`); continue; }
    const r = await verifySignature(suite, v.der, sig, message);
    if (r.ok === null) return { ok: null, detail: r.detail, needed, total: keys.size };
    if (!r.ok) { problems.push(`${v.name}: bad signature`); continue; }
    signers.add(s.validator);
  }
  const names = [...signers].map((f) => keys.get(f).name);
  return {
    ok: signers.size >= needed,
    valid: signers.size, needed, total: keys.size, signers: names, problems, unknown,
    detail: `${signers.size} of ${keys.size} validators signed (quorum ${needed})` +
            (problems.length ? `; ${problems.join('; ')}` : ''),
  };
}

// ------------------------------------------------------------------ RFC 9162 Merkle proofs

export async function merkleLeafHash(suite, data) {
  return hashBytes(suite, concat(Uint8Array.of(0), data));
}

export async function merkleNodeHash(suite, left, right) {
  return hashBytes(suite, concat(Uint8Array.of(1), left, right));
}

// RFC 9162 section 2.1.3.2: the root implied by an inclusion proof (array of 32-byte hashes) for
// the leaf hash at `index` in a tree of `size` leaves; null when the proof has the wrong shape.
export async function rootFromInclusionProof(suite, index, size, leafHash, proof) {
  let fn = BigInt(index), sn = BigInt(size) - 1n;
  if (fn > sn || BigInt(index) < 0n) return null;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await merkleNodeHash(suite, p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = await merkleNodeHash(suite, r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

export async function verifyInclusion(suite, index, size, leafHash, proof, root) {
  const r = await rootFromInclusionProof(suite, index, size, leafHash, proof);
  return r !== null && equalBytes(r, root);
}

export { equalBytes };
