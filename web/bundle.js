// Offline verification of a proof bundle (.govproof) in the browser.
//
// NOT YET WIRED. The bundle format is being designed (doc/proof-bundle.md, ledger/proof.*); until
// it is fixed this module verifies nothing and says so: verifyBundle returns verdict null and a
// single "format" step with ok: null. It never reports a bundle as valid.
//
// When the format lands, verifyBundle(bundle, genesis, docDigest) runs the steps of
// `govledger verify --bundle` in order, each a { id, zh, en, ok, detail } entry, stopping at the
// first failure (later steps ok: null), using the building blocks in proofs.js:
//   document    — docDigest (hex, computed in the browser) equals the material's doc_digest;
//   issuer      — the issue transaction's signature (verifySignature; P-256 via WebCrypto, DER →
//                 raw r‖s by derToRawSignature) by a department the genesis/registry allows to
//                 issue the type;
//   inclusion   — the transactions' RFC 9162 inclusion proofs into the header's log_root
//                 (merkleLeafHash, verifyInclusion);
//   certificate — a quorum of the trusted validators signed the header (verifyCommit), following
//                 the validator-set changes the bundle carries from the genesis set;
//   events      — the event chain (verifyEventChain) and its place in the state proof;
//   validity    — valid_from/valid_until against the bundle's block time;
//   status      — the material's status as of the bundle's height ("valid as of T").
// Verdicts: VALID / EXPIRED / REVOKED / SUSPENDED / DESTROYED / UNKNOWN / TAMPERED / INVALID_PROOF.

export const BUNDLE_VERIFICATION_READY = false;

export const STEPS = [
  { id: 'format', zh: '证明包格式', en: 'Bundle format' },
  { id: 'document', zh: '文件摘要', en: 'Document digest' },
  { id: 'issuer', zh: '签发部门签名与权限', en: "Issuer's signature and right to issue" },
  { id: 'inclusion', zh: '上链包含证明', en: 'Inclusion in the ledger' },
  { id: 'certificate', zh: '验证节点共识签名 (2f+1)', en: 'Validator certificate (2f+1)' },
  { id: 'events', zh: '事件链', en: 'Event chain' },
  { id: 'validity', zh: '有效期', en: 'Validity dates' },
  { id: 'status', zh: '状态', en: 'Status' },
];

// Parses the bytes of a .govproof file; { bundle } or { error }.
export function parseBundle(text) {
  try {
    const bundle = JSON.parse(text);
    if (bundle === null || typeof bundle !== 'object' || Array.isArray(bundle)) {
      return { error: 'not a JSON object' };
    }
    return { bundle };
  } catch (err) {
    return { error: `not JSON: ${err.message}` };
  }
}

// Verifies `bundle` (parsed JSON) against the trusted `genesis` (parsed genesis JSON) for the
// document whose digest (hex) was computed in the browser. Returns { verdict, steps }.
export async function verifyBundle(bundle, genesis, docDigest) {
  void genesis;
  void docDigest;
  const steps = STEPS.map((s) => ({ ...s, ok: null, detail: '' }));
  steps[0].detail = 'The proof-bundle format (doc/proof-bundle.md) is not available in this ' +
                    'version of the page: the bundle was not checked. 此版本页面尚不能验证证明包。';
  void bundle;
  return { verdict: null, ready: BUNDLE_VERIFICATION_READY, steps };
}
