// Shared pieces of the codec's translation units (codec.cc: blocks, materials and events;
// codec_tx.cc: transaction payloads and registry definitions; codec_records.cc: state records).
// Private to ledger/: the only header of the module that names generated protobuf types.
#pragma once

#include <string>

#include "ledger/types.h"
#include "proto/govledger.pb.h"
#include "util/status.h"

namespace govledger::ledger::internal {

Bytes StrBytes(const std::string& s);
std::string BytesStr(const Bytes& b);
// Parses untrusted bytes; false if they are not a `msg` (never crashes, never logs).
bool Parse(google::protobuf::MessageLite& msg, const Bytes& raw);
bool Parse(google::protobuf::MessageLite& msg, const std::string& raw);
bool Parse(google::protobuf::MessageLite& msg, const uint8_t* data, size_t size);
Bytes Serialize(const google::protobuf::MessageLite& msg);

// The payload oneof of a TxBody, every kind.
void PayloadToProto(const TxPayload& payload, pb::TxBody* out);
// "missing_payload" when none is set (also what a kind added by a newer version looks like).
Result<TxPayload> PayloadFromProto(const pb::TxBody& in);

void ToProto(const Department& in, pb::DepartmentDef* out);
Department FromProto(const pb::DepartmentDef& in);
void ToProto(const MaterialType& in, pb::MaterialTypeDef* out);
// "malformed_tx" for an unknown cascade rule.
Result<MaterialType> FromProto(const pb::MaterialTypeDef& in);
void ToProto(const Validator& in, pb::ValidatorDef* out);
Validator FromProto(const pb::ValidatorDef& in);
void ToProto(const GovernanceChange& in, pb::GovernanceChange* out);
Result<GovernanceChange> FromProto(const pb::GovernanceChange& in);

}  // namespace govledger::ledger::internal
