// The verdict on a document from the node's answer, and the bilingual words the page shows.
// The rules are those of `govledger verify` (cli/commands_verify.cc), so the page and the CLI
// never disagree: the newest material carrying the digest decides; only an ACTIVE material inside
// its validity window (as of the chain's tip time, never the browser's clock) is VALID.

// Verdict for a material JSON (doc/api.md) as of the chain tip time; null material → UNKNOWN.
export function verdictFor(material, tipMs) {
  if (!material) return 'UNKNOWN';
  const status = material.status;
  const from = Number(material.valid_from_ms || 0);
  const until = Number(material.valid_until_ms || 0);
  if (status === 'REVOKED') return 'REVOKED';
  if (status === 'EXPIRED' || (status === 'ACTIVE' && until !== 0 && until <= tipMs)) {
    return 'EXPIRED';
  }
  if (status === 'ACTIVE' && from > tipMs) return 'NOT_YET_VALID';
  if (status === 'ACTIVE') return 'VALID';
  // SUSPENDED, DESTROYED, SUPERSEDED, ISSUED (staged) — or a status this page does not know,
  // which is never VALID.
  return typeof status === 'string' && status !== '' ? status : 'UNKNOWN';
}

// The newest-issued material of a digest lookup (highest issue height; the later one listed on
// a tie), as the CLI picks it.
export function pickNewest(list) {
  let best = null;
  for (const m of list || []) {
    if (best === null || Number(m.issued_height) >= Number(best.issued_height)) best = m;
  }
  return best;
}

// "2024-05-01 13:45:00" in China Standard Time (UTC+8, no daylight saving) from epoch ms;
// independent of the browser's time zone and locale data.
export function formatCst(ms) {
  if (!ms) return null;
  const d = new Date(Number(ms) + 8 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
         `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

// tone: the colour family of the verdict banner (ok / bad / warn).
export const VERDICTS = {
  VALID: {
    tone: 'ok', zh: '有效', en: 'Valid',
    zhText: '该文件与链上登记的电子材料一致，当前有效。',
    enText: 'This document matches an electronic material on the ledger and is valid now.',
  },
  EXPIRED: {
    tone: 'bad', zh: '已过期', en: 'Expired',
    zhText: '该材料已超过有效期，已到期自动注销。',
    enText: 'This material is past its validity and was cancelled automatically at expiry.',
  },
  REVOKED: {
    tone: 'bad', zh: '已撤销', en: 'Revoked',
    zhText: '该材料已被签发部门撤销（吊销），不再有效。',
    enText: 'The issuing department has revoked this material; it is no longer valid.',
  },
  SUSPENDED: {
    tone: 'warn', zh: '已暂停', en: 'Suspended',
    zhText: '该材料目前被暂停使用，恢复前不可用。',
    enText: 'This material is suspended and cannot be used until it is reinstated.',
  },
  DESTROYED: {
    tone: 'bad', zh: '已销毁', en: 'Destroyed',
    zhText: '该材料已销毁，不再有效。',
    enText: 'This material has been destroyed and is no longer valid.',
  },
  SUPERSEDED: {
    tone: 'warn', zh: '已被新版本取代', en: 'Superseded',
    zhText: '该材料已变更，新版本取代了此文件，请使用最新版本。',
    enText: 'This material was amended; a newer version replaces this document.',
  },
  ISSUED: {
    tone: 'warn', zh: '待发布', en: 'Not yet published',
    zhText: '该材料已上链登记，但尚未发布（审核中），暂不可用。',
    enText: 'This material is recorded on the ledger but not yet published (under review).',
  },
  NOT_YET_VALID: {
    tone: 'warn', zh: '尚未生效', en: 'Not yet valid',
    zhText: '该材料的有效期尚未开始。',
    enText: "This material's validity period has not started yet.",
  },
  UNKNOWN: {
    tone: 'bad', zh: '未找到', en: 'Unknown',
    zhText: '链上没有与此文件摘要一致的材料：文件未登记，或已被改动。',
    enText: 'No material on the ledger has this digest: the document was never issued, or it has been altered.',
  },
  TAMPERED: {
    tone: 'bad', zh: '文件已被改动', en: 'Tampered',
    zhText: '所出示文件的摘要与链上登记的不一致：文件已被改动，或不是该材料的文件。',
    enText: "The presented document's digest differs from the one on the ledger: it has been altered, or it is not this material's document.",
  },
  INVALID_PROOF: {
    tone: 'bad', zh: '证明无效', en: 'Invalid proof',
    zhText: '证明包未能证明其所声称的内容（见下方失败的步骤），不能作为有效依据。',
    enText: 'The proof bundle does not prove what it claims (see the failing step below); it proves nothing.',
  },
  UNVERIFIED: {
    tone: 'warn', zh: '未能完全验证', en: 'Not fully verified',
    zhText: '证明包中的签名无法在本浏览器中验证（如国密 SM2 签名），因此不能据此判定有效。请使用命令行 govledger verify --bundle 离线核验。',
    enText: 'Some signatures in the bundle cannot be checked in this browser (e.g. SM2), so it cannot prove validity here. Use `govledger verify --bundle` offline.',
  },
  WRONG_CHAIN: {
    tone: 'bad', zh: '不是本链的材料', en: 'Another chain',
    zhText: '二维码所指的链与本节点不同，无法在此核验。',
    enText: 'The QR code names another chain than the one this node serves; it cannot be checked here.',
  },
};

export function verdictInfo(verdict) {
  return VERDICTS[verdict] || {
    tone: 'bad', zh: verdict, en: verdict,
    zhText: '未知状态，不视为有效。', enText: 'An unknown status; not valid.',
  };
}

export const EVENT_KINDS = {
  ISSUE: '签发', REVOKE: '撤销', EXPIRE: '到期注销', PUBLISH: '发布', AMEND: '变更（新版本）',
  SUPERSEDE: '被新版本取代', TRANSFER: '流转', SUSPEND: '暂停', REINSTATE: '恢复', DESTROY: '销毁',
  AUTHORIZE: '授权', WITHDRAW: '撤回授权', USE: '使用',
};

export const CATEGORIES = {
  qualification: '资质', license: '许可', report: '报告', filing: '备案', certificate: '证明',
};
