// Rejection reason codes of the rule contracts. Stable strings: clients and tests match on them.
#pragma once

namespace govledger::contracts::reason {

inline constexpr char kWrongChain[] = "wrong_chain";              // chain_id differs from genesis
inline constexpr char kTxExpired[] = "tx_expired";                // valid_until_height < height
inline constexpr char kTxTooFarAhead[] = "tx_validity_too_long";  // beyond max_tx_validity_heights
inline constexpr char kReplayed[] = "replayed_tx";                // same tx already committed
inline constexpr char kUnknownSigner[] = "unknown_department";    // key not in the registry
inline constexpr char kNotProvider[] = "not_a_provider";          // signer lacks the provider role
inline constexpr char kUnknownType[] = "unknown_type";
inline constexpr char kIssuerNotAllowed[] = "issuer_not_allowed";
inline constexpr char kBadMaterialId[] = "bad_material_id";
inline constexpr char kIdMismatch[] = "id_mismatch";  // id's type/issuer parts differ
inline constexpr char kMissingField[] = "missing_field";
inline constexpr char kBadFields[] = "bad_fields";      // unsorted/duplicate/empty names
inline constexpr char kBadDigest[] = "bad_digest";      // wrong length digest/commitment
inline constexpr char kBadValidity[] = "bad_validity";  // until <= from, or already past
inline constexpr char kValidityTooLong[] = "validity_too_long";
inline constexpr char kExpiryRequired[] = "expiry_required";
inline constexpr char kDuplicate[] = "duplicate_material";
inline constexpr char kUnknownParent[] = "unknown_parent";
inline constexpr char kParentNotActive[] = "parent_not_active";
inline constexpr char kParentWrongType[] = "parent_wrong_type";
inline constexpr char kUnknownMaterial[] = "unknown_material";
inline constexpr char kNotIssuer[] = "not_issuer";
inline constexpr char kAlreadyRevoked[] = "already_revoked";
inline constexpr char kAlreadyExpired[] = "already_expired";
inline constexpr char kBadReason[] = "bad_reason";  // missing or too long reason

// ---- lifecycle: the transition is not allowed from the material's status
inline constexpr char kNotPublished[] = "not_published";          // ISSUED: publish it first
inline constexpr char kAlreadyPublished[] = "already_published";  // publish of a published one
inline constexpr char kAlreadySuspended[] = "already_suspended";
inline constexpr char kNotSuspended[] = "not_suspended";  // reinstate of a non-suspended
inline constexpr char kMaterialSuspended[] = "material_suspended";
inline constexpr char kMaterialSuperseded[] = "material_superseded";  // amended: use the new one
inline constexpr char kMaterialDestroyed[] = "material_destroyed";    // tombstone: nothing follows
inline constexpr char kStillInForce[] = "still_in_force";             // destroy of ACTIVE/SUSPENDED
inline constexpr char kBadVersion[] = "bad_version";       // amendment id is not version+1
inline constexpr char kSameHolder[] = "same_holder";       // transfer to the current holder
inline constexpr char kBadHolderKey[] = "bad_holder_key";  // not a public key of the suite
inline constexpr char kTooManyDependents[] = "too_many_dependents";  // cascade beyond the limit

// ---- grants and use
inline constexpr char kNotHolder[] = "not_holder";              // grant not signed by the holder
inline constexpr char kConsentRequired[] = "consent_required";  // authorizer without evidence
inline constexpr char kUnknownConsumer[] = "unknown_consumer";
inline constexpr char kNotConsumer[] = "not_a_consumer";             // lacks the consumer role
inline constexpr char kBadPurpose[] = "bad_purpose";                 // not [a-z0-9_]{1,64}
inline constexpr char kPurposeNotAllowed[] = "purpose_not_allowed";  // not in use_purposes
inline constexpr char kUnknownGrant[] = "unknown_grant";
inline constexpr char kNotGrantor[] = "not_grantor";  // withdraw by someone else
inline constexpr char kGrantWithdrawn[] = "grant_withdrawn";
inline constexpr char kGrantExpired[] = "grant_expired";
inline constexpr char kGrantExhausted[] = "grant_exhausted";  // max_uses reached
inline constexpr char kGrantMismatch[] = "grant_mismatch";    // named grant is for another use
inline constexpr char kNoGrant[] = "no_grant";                // no matching grant to use under
inline constexpr char kTooManyGrants[] = "too_many_grants";
inline constexpr char kNotYetValid[] = "not_yet_valid";  // use before valid_from

// ---- e-contracts
inline constexpr char kBadParties[] = "bad_parties";
inline constexpr char kBadDeadline[] = "bad_deadline";
inline constexpr char kBadTitle[] = "bad_title";
inline constexpr char kUnknownContract[] = "unknown_contract";
inline constexpr char kNotParty[] = "not_a_party";
inline constexpr char kAlreadySigned[] = "already_signed";
inline constexpr char kDigestMismatch[] = "digest_mismatch";  // signing another document
inline constexpr char kContractNotPending[] = "contract_not_pending";
inline constexpr char kContractNotAmendable[] = "contract_not_amendable";
inline constexpr char kAmendmentPending[] = "amendment_pending";

// ---- governance
inline constexpr char kBadProposal[] = "bad_proposal";  // the change itself is invalid
inline constexpr char kUnknownProposal[] = "unknown_proposal";
inline constexpr char kAlreadyApproved[] = "already_approved";
inline constexpr char kProposalClosed[] = "proposal_closed";    // already enacted
inline constexpr char kProposalExpired[] = "proposal_expired";  // past its deadline height

}  // namespace govledger::contracts::reason
