// Rejection reason codes of the rule contracts. Stable strings: clients and tests match on them.
#pragma once

namespace govledger::contracts::reason {

inline constexpr char kWrongChain[] = "wrong_chain";            // chain_id differs from genesis
inline constexpr char kTxExpired[] = "tx_expired";              // valid_until_height < height
inline constexpr char kTxTooFarAhead[] = "tx_validity_too_long";  // beyond max_tx_validity_heights
inline constexpr char kReplayed[] = "replayed_tx";              // same tx already committed
inline constexpr char kUnknownSigner[] = "unknown_department";  // key not in the registry
inline constexpr char kNotProvider[] = "not_a_provider";        // signer lacks the provider role
inline constexpr char kUnknownType[] = "unknown_type";
inline constexpr char kIssuerNotAllowed[] = "issuer_not_allowed";
inline constexpr char kBadMaterialId[] = "bad_material_id";
inline constexpr char kIdMismatch[] = "id_mismatch";            // id's type/issuer parts differ
inline constexpr char kMissingField[] = "missing_field";
inline constexpr char kBadFields[] = "bad_fields";              // unsorted/duplicate/empty names
inline constexpr char kBadDigest[] = "bad_digest";              // wrong length digest/commitment
inline constexpr char kBadValidity[] = "bad_validity";          // until <= from, or already past
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
inline constexpr char kBadReason[] = "bad_reason";              // missing or too long reason

}  // namespace govledger::contracts::reason
