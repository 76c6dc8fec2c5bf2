// Document digests in the browser, for both suites of a govledger network:
//   p256: SHA-256 (WebCrypto when the page runs in a secure context, else the JS implementation
//         below: WebCrypto's crypto.subtle exists only on https:// and http://localhost pages),
//   sm:   SM3 (GB/T 32905), implemented here; no browser ships it.
// Both are streaming Merkle–Damgård hashers with 64-byte blocks and 32-byte digests, so a file of
// any size is hashed chunk by chunk. The document itself never leaves the browser: callers send
// only the hex digest to the node.

const BLOCK = 64;

function rotl(x, n) {
  return (x << n) | (x >>> (32 - n));
}

// Shared buffering and padding (both hashes pad like SHA-256: 0x80, zeros, 64-bit big-endian
// bit length). `compress(words: Uint32Array(16))` updates the state in place.
class BlockHasher {
  constructor(initial, compress) {
    this.state = Uint32Array.from(initial);
    this.compress = compress;
    this.buffer = new Uint8Array(BLOCK);
    this.buffered = 0;
    this.length = 0; // bytes, exact up to 2^53
    this.words = new Uint32Array(16);
    this.finished = false;
  }

  update(data) {
    if (this.finished) throw new Error('hasher already finished');
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    this.length += bytes.length;
    let i = 0;
    if (this.buffered > 0) {
      const take = Math.min(BLOCK - this.buffered, bytes.length);
      this.buffer.set(bytes.subarray(0, take), this.buffered);
      this.buffered += take;
      i = take;
      if (this.buffered < BLOCK) return this;
      this.block(this.buffer, 0);
      this.buffered = 0;
    }
    for (; i + BLOCK <= bytes.length; i += BLOCK) this.block(bytes, i);
    if (i < bytes.length) {
      this.buffer.set(bytes.subarray(i), 0);
      this.buffered = bytes.length - i;
    }
    return this;
  }

  block(bytes, offset) {
    const w = this.words;
    for (let j = 0; j < 16; j++) {
      const o = offset + 4 * j;
      w[j] = (bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3];
    }
    this.compress(this.state, w);
  }

  // The 32-byte digest. The hasher cannot be used afterwards.
  digest() {
    const bits = this.length * 8;
    const tail = new Uint8Array(this.buffered + 1 + 8 <= BLOCK ? BLOCK : 2 * BLOCK);
    tail.set(this.buffer.subarray(0, this.buffered), 0);
    tail[this.buffered] = 0x80;
    const hi = Math.floor(bits / 0x100000000);
    const lo = bits >>> 0;
    const end = tail.length;
    tail[end - 8] = hi >>> 24; tail[end - 7] = hi >>> 16; tail[end - 6] = hi >>> 8; tail[end - 5] = hi;
    tail[end - 4] = lo >>> 24; tail[end - 3] = lo >>> 16; tail[end - 2] = lo >>> 8; tail[end - 1] = lo;
    for (let o = 0; o < tail.length; o += BLOCK) this.block(tail, o);
    this.finished = true;
    const out = new Uint8Array(32);
    for (let j = 0; j < 8; j++) {
      const v = this.state[j];
      out[4 * j] = v >>> 24; out[4 * j + 1] = v >>> 16; out[4 * j + 2] = v >>> 8; out[4 * j + 3] = v;
    }
    return out;
  }
}

// ------------------------------------------------------------------ SM3 (GB/T 32905-2016)

const SM3_IV = [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600,
                0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];
// T_j rotated left by j mod 32, precomputed.
const SM3_T = new Uint32Array(64);
for (let j = 0; j < 64; j++) SM3_T[j] = rotl(j < 16 ? 0x79cc4519 : 0x7a879d8a, j % 32);

const sm3W = new Uint32Array(68);
function sm3Compress(v, block) {
  const w = sm3W;
  w.set(block, 0);
  for (let j = 16; j < 68; j++) {
    const x = w[j - 16] ^ w[j - 9] ^ rotl(w[j - 3], 15);
    w[j] = (x ^ rotl(x, 15) ^ rotl(x, 23)) ^ rotl(w[j - 13], 7) ^ w[j - 6];
  }
  let a = v[0], b = v[1], c = v[2], d = v[3], e = v[4], f = v[5], g = v[6], h = v[7];
  for (let j = 0; j < 64; j++) {
    const a12 = rotl(a, 12);
    const ss1 = rotl((a12 + e + SM3_T[j]) | 0, 7);
    const ss2 = ss1 ^ a12;
    const ff = j < 16 ? a ^ b ^ c : (a & b) | (a & c) | (b & c);
    const gg = j < 16 ? e ^ f ^ g : (e & f) | (~e & g);
    const tt1 = (ff + d + ss2 + (w[j] ^ w[j + 4])) | 0;
    const tt2 = (gg + h + ss1 + w[j]) | 0;
    d = c; c = rotl(b, 9); b = a; a = tt1;
    h = g; g = rotl(f, 19); f = e; e = tt2 ^ rotl(tt2, 9) ^ rotl(tt2, 17);
  }
  v[0] ^= a; v[1] ^= b; v[2] ^= c; v[3] ^= d; v[4] ^= e; v[5] ^= f; v[6] ^= g; v[7] ^= h;
}

// ------------------------------------------------------------------ SHA-256 (FIPS 180-4)

const SHA256_IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const SHA256_K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const sha256W = new Uint32Array(64);
function sha256Compress(v, block) {
  const w = sha256W;
  w.set(block, 0);
  for (let j = 16; j < 64; j++) {
    const x = w[j - 15], y = w[j - 2];
    const s0 = rotl(x, 25) ^ rotl(x, 14) ^ (x >>> 3);
    const s1 = rotl(y, 15) ^ rotl(y, 13) ^ (y >>> 10);
    w[j] = (w[j - 16] + s0 + w[j - 7] + s1) | 0;
  }
  let a = v[0], b = v[1], c = v[2], d = v[3], e = v[4], f = v[5], g = v[6], h = v[7];
  for (let j = 0; j < 64; j++) {
    const S1 = rotl(e, 26) ^ rotl(e, 21) ^ rotl(e, 7);
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + SHA256_K[j] + w[j]) | 0;
    const S0 = rotl(a, 30) ^ rotl(a, 19) ^ rotl(a, 10);
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  v[0] += a; v[1] += b; v[2] += c; v[3] += d; v[4] += e; v[5] += f; v[6] += g; v[7] += h;
}

// ------------------------------------------------------------------ API

// A streaming hasher for the network's suite ("p256" → SHA-256, "sm" → SM3).
export function createHasher(suite) {
  if (suite === 'sm') return new BlockHasher(SM3_IV, sm3Compress);
  if (suite === 'p256') return new BlockHasher(SHA256_IV, sha256Compress);
  throw new Error(`unknown suite "${suite}"`);
}

export function hashName(suite) {
  return suite === 'sm' ? 'SM3' : 'SHA-256';
}

export function sm3(bytes) {
  return createHasher('sm').update(bytes).digest();
}

export function sha256(bytes) {
  return createHasher('p256').update(bytes).digest();
}

// The suite's hash of `bytes`: WebCrypto for SHA-256 where it exists, JS otherwise.
export async function hashBytes(suite, bytes) {
  if (suite === 'p256' && hasWebCrypto()) {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  }
  return createHasher(suite).update(bytes).digest();
}

export function hasWebCrypto() {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined && crypto.subtle !== null;
}

const CHUNK = 4 << 20;
// WebCrypto digests a whole buffer at once; past this size the streaming JS hash is used so the
// page does not hold a huge file in memory.
const WEBCRYPTO_MAX = 256 << 20;

// Hashes a File/Blob with the suite's hash, reading it in chunks. `onProgress(fraction)` is called
// as it goes. Returns { digest: Uint8Array(32), algorithm, engine }.
export async function hashFile(file, suite, onProgress = () => {}) {
  if (suite === 'p256' && hasWebCrypto() && file.size <= WEBCRYPTO_MAX) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
    onProgress(1);
    return { digest, algorithm: 'SHA-256', engine: 'WebCrypto' };
  }
  const hasher = createHasher(suite);
  for (let offset = 0; offset < file.size; offset += CHUNK) {
    const chunk = new Uint8Array(await file.slice(offset, offset + CHUNK).arrayBuffer());
    hasher.update(chunk);
    onProgress(Math.min(1, (offset + chunk.length) / file.size));
  }
  onProgress(1);
  return { digest: hasher.digest(), algorithm: hashName(suite), engine: 'JavaScript' };
}

export function toHex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

// Hex → bytes; throws on odd length or a non-hex character.
export function fromHex(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error('not a hex string');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}
