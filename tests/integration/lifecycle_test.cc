// End-to-end tests of the rule contracts on a real node, through the real CLI, with the Nanshan
// catalogue (network-configs/nanshan-7, its departments and 26 material types, run by one
// validator here): the newborn "one thing" bundle (出生一件事) with grants, uses, an unauthorized
// use refused, the cascade of a revoked birth certificate and its trace; the rest of the
// lifecycle; expiry with its cascade at block time; e-contracts; governance.
#include <catch2/catch.hpp>
#include <regex>
#include <string>
#include <vector>

#include "node/network_init.h"
#include "tests/integration/harness.h"

namespace govledger::itest {
namespace {

// network-configs/nanshan-7 with one validator (the health bureau's) instead of seven: the same
// chain rules on a single node.
std::string WriteNanshanOneValidator(const std::string& path) {
  std::string text = ReadFileOrThrow(SourceDir() + "/network-configs/nanshan-7/network.toml");
  static const std::regex kOtherValidator(
      R"(\[\[validators\]\]\nname = "node-(?!health)[a-z]+"\n[^\[]*?p2p = "[^"]*"\n)");
  text = std::regex_replace(text, kOtherValidator, "");
  WriteFileOrThrow(path, text);
  return path;
}

struct Nanshan {
  Nanshan() : node(tmp.Sub("node"), Options()) { node.Start(); }
  DevNodeOptions Options() {
    DevNodeOptions o;
    o.network_toml = WriteNanshanOneValidator(tmp.Sub("network.toml"));
    return o;
  }
  TempDir tmp;
  DevNode node;
};

std::string WriteDoc(const TempDir& tmp, const std::string& name) {
  std::string path = tmp.Sub(name);
  WriteFileOrThrow(path, "%PDF-1.7\n% " + name + "\n" + HexEncode(RandomBytes(32)) + "\n%%EOF\n");
  return path;
}

// Runs a CLI command that must succeed and returns its JSON.
Json Ok(const DevNode& node, const std::vector<std::string>& args) {
  CliResult r = node.Cli(args);
  INFO("govledger " << args[0] << " " << (args.size() > 1 ? args[1] : "") << ": " << r.Describe());
  REQUIRE(r.exit_code == 0);
  return r.json();
}

// Runs a CLI command that the chain must refuse with `code` (exit 1).
void Refused(const DevNode& node, const std::vector<std::string>& args, const std::string& code) {
  CliResult r = node.Cli(args);
  INFO(r.Describe());
  CHECK(r.exit_code == 1);
  Json j = r.json();
  REQUIRE(j.contains("error"));
  CHECK(j["error"]["code"] == code);
}

// A key pair for a citizen or company: the private key file and its public key file.
std::string Keygen(const DevNode& node, const TempDir& tmp, const std::string& name,
                   const std::string& suite = "sm") {
  Json j = Ok(node, {"keygen", "--suite", suite, "--out", tmp.Sub(name + ".pem")});
  WriteFileOrThrow(tmp.Sub(name + ".pub"), j["public_key_pem"].get<std::string>());
  return tmp.Sub(name);
}

std::string StatusOf(const DevNode& node, const std::string& id) {
  return Ok(node, {"material", "show", "--id", id})["status"].get<std::string>();
}

std::vector<std::string> Kinds(const Json& trace) {
  std::vector<std::string> kinds;
  for (const Json& e : trace["events"]) kinds.push_back(e["kind"].get<std::string>());
  return kinds;
}

TEST_CASE("the Nanshan catalogue: seven departments, 26 material types with their rules",
          "[integration][lifecycle]") {
  Nanshan n;
  HttpReply r = Get(n.node.url(), "/v1/registry");
  REQUIRE(r.status == 200);
  Json reg = r.json();
  REQUIRE(reg["departments"].size() == 7);
  CHECK(reg["approval_threshold"] == 5);
  REQUIRE(reg["material_types"].size() == 26);
  size_t dependents = 0;
  for (const Json& t : reg["material_types"]) {
    INFO(t.dump());
    CHECK_FALSE(t["name"].get<std::string>().empty());
    CHECK_FALSE(t["name_en"].get<std::string>().empty());
    CHECK_FALSE(t["use_purposes"].empty());
    dependents += !t["parent_type"].get<std::string>().empty();
  }
  CHECK(dependents >= 8);
  // The genesis the seven-validator network would start from is valid as it is.
  auto spec = node::LoadNetworkToml(SourceDir() + "/network-configs/nanshan-7/network.toml");
  REQUIRE(spec.ok());
  CHECK(spec->validators.size() == 7);
  CHECK(spec->suite == crypto::Suite::kSm);
}

TEST_CASE("newborn one thing: grants, uses, a refused use, the cascade and the trace",
          "[integration][lifecycle]") {
  Nanshan n;
  const DevNode& node = n.node;
  const std::string parents = Keygen(node, n.tmp, "parents");

  // The hospital issues the birth medical certificate and registers the parents' key.
  std::string birth_pdf = WriteDoc(n.tmp, "birth.pdf");
  Json birth = Ok(node, {"material",     "issue",
                         "--key",        node.KeyPath("health"),
                         "--type",       "BIRTHMED",
                         "--holder",     "440305202601010012",
                         "--file",       birth_pdf,
                         "--field",      "child_name=李小明",
                         "--field",      "birth_date=2026-01-01",
                         "--field",      "birth_place=南山区人民医院",
                         "--field",      "mother_name=王芳",
                         "--holder-key", parents + ".pub"});
  const std::string birth_id = birth["material_id"].get<std::string>();

  // The parents let public security register the household and social security issue the card.
  Json to_psb =
      Ok(node, {"material", "authorize", "--key", parents + ".pem", "--id", birth_id, "--consumer",
                "psb", "--purpose", "household_registration", "--until", "+30d"});
  Json to_hrss =
      Ok(node, {"material", "authorize", "--key", parents + ".pem", "--id", birth_id, "--consumer",
                "hrss", "--purpose", "social_security_card", "--until", "+30d", "--max-uses", "1"});
  CHECK(to_psb["grant_id"].get<std::string>().size() == 64);

  // They read the certificate from the ledger (免提交) ...
  Json use_psb = Ok(node, {"material", "use", "--key", node.KeyPath("psb"), "--id", birth_id,
                           "--purpose", "household_registration"});
  Ok(node, {"material", "use", "--key", node.KeyPath("hrss"), "--id", birth_id, "--purpose",
            "social_security_card"});
  // ... and issue from it.
  Json hukou =
      Ok(node, {"material", "issue", "--key", node.KeyPath("psb"), "--type", "HUKOU", "--holder",
                "440305202601010012", "--file", WriteDoc(n.tmp, "hukou.pdf"), "--field",
                "child_name=李小明", "--field", "household_address=南山区桃源街道", "--field",
                "head_of_household=李强", "--parent", birth_id});
  Json card = Ok(node, {"material", "issue", "--key", node.KeyPath("hrss"), "--type", "SSCARD",
                        "--holder", "440305202601010012", "--file", WriteDoc(n.tmp, "card.pdf"),
                        "--field", "holder_name=李小明", "--field", "card_number=440300D156000005",
                        "--valid-until", "+3650d", "--parent", birth_id});
  Json vaccine = Ok(node, {"material", "issue", "--key", node.KeyPath("health"), "--type",
                           "VACCINE", "--holder", "440305202601010012", "--file",
                           WriteDoc(n.tmp, "vaccine.pdf"), "--field", "child_name=李小明",
                           "--field", "vaccines=乙肝疫苗第1剂,卡介苗", "--parent", birth_id});

  // Education has no grant: refused. Social security's single-use grant is spent: refused.
  Refused(node,
          {"material", "use", "--key", node.KeyPath("edu"), "--id", birth_id, "--purpose",
           "school_enrolment"},
          "no_grant");
  Refused(node,
          {"material", "use", "--key", node.KeyPath("hrss"), "--id", birth_id, "--purpose",
           "social_security_card"},
          "no_grant");
  // A purpose the type does not allow, even with consent.
  Refused(node,
          {"material", "authorize", "--key", parents + ".pem", "--id", birth_id, "--consumer",
           "samr", "--purpose", "business_check", "--until", "+1d"},
          "purpose_not_allowed");

  Json stats =
      Ok(node, {"material", "stats", "--key", node.KeyPath("health"), "--type", "BIRTHMED"});
  CHECK(stats["total_uses"] == 2);
  Json grants = Ok(node, {"material", "grants", "--key", node.KeyPath("psb"), "--id", birth_id});
  REQUIRE(grants["grants"].size() == 2);

  // The birth certificate was issued in error: revoking it cascades as configured.
  Ok(node, {"material", "revoke", "--key", node.KeyPath("health"), "--id", birth_id, "--reason",
            "出生医学证明信息有误，依法撤销"});
  CHECK(StatusOf(node, birth_id) == "REVOKED");
  CHECK(StatusOf(node, hukou["material_id"]) == "SUSPENDED");  // cascade = "suspend"
  CHECK(StatusOf(node, card["material_id"]) == "REVOKED");     // cascade = "revoke"
  CHECK(StatusOf(node, vaccine["material_id"]) == "ACTIVE");   // cascade = "none"
  Refused(node,
          {"material", "use", "--key", node.KeyPath("psb"), "--id", birth_id, "--purpose",
           "household_registration"},
          "already_revoked");

  // trace shows every step, in order, with who, for what and under which grant.
  Json trace = Ok(node, {"trace", "--id", birth_id});
  CHECK(Kinds(trace) ==
        std::vector<std::string>{"ISSUE", "AUTHORIZE", "AUTHORIZE", "USE", "USE", "REVOKE"});
  const Json& events = trace["events"];
  CHECK_THAT(events[1]["actor"].get<std::string>(), Catch::StartsWith("holder:"));
  CHECK(events[1]["counterparty"] == "psb");
  CHECK(events[3]["actor"] == "psb");
  CHECK(events[3]["purpose"] == "household_registration");
  CHECK(events[3]["ref"] == to_psb["grant_id"]);
  CHECK(events[4]["ref"] == to_hrss["grant_id"]);
  Json hukou_trace = Ok(node, {"trace", "--id", hukou["material_id"]});
  CHECK(Kinds(hukou_trace) == std::vector<std::string>{"ISSUE", "SUSPEND"});
  CHECK(hukou_trace["events"][1]["actor"] == "");
  CHECK(hukou_trace["events"][1]["ref"] == birth_id);
  CHECK(Kinds(Ok(node, {"trace", "--id", card["material_id"]})) ==
        std::vector<std::string>{"ISSUE", "REVOKE"});

  // The human trace names the consumer, purpose and grant of each use.
  CliResult text = node.Cli({"trace", "--id", birth_id}, /*json=*/false);
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("[psb for household_registration, grant"));
  CHECK_THAT(text.out, Catch::Contains("出生医学证明信息有误"));
  CliResult hukou_text = node.Cli({"trace", "--id", hukou["material_id"]}, false);
  CHECK_THAT(hukou_text.out, Catch::Contains("(chain): cascade: parent revoked (rule 'suspend')"));

  // verify says REVOKED for the certificate's file.
  CliResult verify = node.Cli({"verify", birth_pdf});
  CHECK(verify.exit_code == 1);
  CHECK(verify.json()["verdict"] == "REVOKED");

  // The auditor's usage report of the day counts each step per department and purpose.
  const std::string auditor = node.KeyPath("health");
  Json report = Ok(node, {"audit", "report", "--key", auditor, "--from", "-1h", "--to", "+1m"});
  auto count = [&report](const std::string& kind, const std::string& dept,
                         const std::string& purpose) {
    uint64_t total = 0;
    for (const Json& r : report["rows"]) {
      if (r["kind"] == kind && r["department"] == dept && r["purpose"] == purpose) {
        total += r["count"].get<uint64_t>();
      }
    }
    return total;
  };
  CHECK(count("USE", "psb", "household_registration") == 1);
  CHECK(count("USE", "hrss", "social_security_card") == 1);
  CHECK(count("AUTHORIZE", "psb", "household_registration") == 1);
  CHECK(count("ISSUE", "health", "") == 2);
  CHECK(count("REVOKE", "health", "") == 1);
  CHECK(report["totals"]["USE"] == 2);
  const std::string html = n.tmp.Sub("report.html");
  CliResult page = node.Cli({"audit", "report", "--key", auditor, "--from", "-1h", "--to", "+1m",
                             "--format", "html", "--out", html}, /*json=*/false);
  REQUIRE(page.exit_code == 0);
  const std::string body = ReadFileOrThrow(html);
  CHECK_THAT(body, Catch::Contains("<svg"));
  CHECK_THAT(body, Catch::Contains("household_registration"));
  CHECK_THAT(body, Catch::Contains("深圳市公安局南山分局"));
  CliResult csv = node.Cli({"audit", "report", "--key", auditor, "--from", "-1h", "--to", "+1m",
                            "--format", "csv"}, /*json=*/false);
  REQUIRE(csv.exit_code == 0);
  CHECK_THAT(csv.out, Catch::StartsWith("kind,department,department_name,type,type_name,purpose"));
  CHECK(node.Cli({"audit", "report", "--from", "+1h", "--to", "-1h"}).exit_code == 2);
}

TEST_CASE(
    "the lifecycle through the CLI: staged issue, publish, amend, transfer, suspend, "
    "reinstate, destroy",
    "[integration][lifecycle]") {
  Nanshan n;
  const DevNode& node = n.node;
  auto license_args = [&](const std::string& file) {
    return std::vector<std::string>{"material",      "issue",
                                    "--key",         node.KeyPath("samr"),
                                    "--type",        "BIZLIC",
                                    "--holder",      "91440300MA5FXXXX1X",
                                    "--file",        file,
                                    "--field",       "entity_name=深圳市南山区示例餐饮有限公司",
                                    "--field",       "legal_representative=张伟",
                                    "--field",       "business_scope=餐饮服务",
                                    "--field",       "address=南山区科技园",
                                    "--valid-until", "+3650d"};
  };
  auto staged = license_args(WriteDoc(n.tmp, "license.pdf"));
  staged.push_back("--staged");
  Json license = Ok(node, staged);
  const std::string id = license["material_id"].get<std::string>();
  CHECK(StatusOf(node, id) == "ISSUED");
  Refused(node,
          {"material", "use", "--key", node.KeyPath("water"), "--id", id, "--purpose",
           "water_connection"},
          "not_published");
  Ok(node, {"material", "publish", "--key", node.KeyPath("samr"), "--id", id});
  CHECK(StatusOf(node, id) == "ACTIVE");
  // Public material: water reads it without a grant.
  Ok(node, {"material", "use", "--key", node.KeyPath("water"), "--id", id, "--purpose",
            "water_connection"});

  Json permit = Ok(node, {"material",      "issue",
                          "--key",         node.KeyPath("samr"),
                          "--type",        "FOODBIZ",
                          "--holder",      "91440300MA5FXXXX1X",
                          "--file",        WriteDoc(n.tmp, "food.pdf"),
                          "--field",       "entity_name=深圳市南山区示例餐饮有限公司",
                          "--field",       "premises=南山区科技园1栋",
                          "--field",       "business_items=热食类食品制售",
                          "--valid-until", "+1800d",
                          "--parent",      id});

  // Amend: version 002 supersedes 001; the permit follows the newest version.
  Json amended =
      Ok(node,
         {"material", "amend", "--key", node.KeyPath("samr"), "--id", id, "--file",
          WriteDoc(n.tmp, "license-v2.pdf"), "--field", "entity_name=深圳市南山区示例餐饮有限公司",
          "--field", "legal_representative=张伟", "--field", "business_scope=餐饮服务;食品销售",
          "--field", "address=南山区科技园", "--reason", "变更经营范围"});
  const std::string v2 = amended["material_id"].get<std::string>();
  CHECK(v2.find(".002.") != std::string::npos);
  CHECK(StatusOf(node, id) == "SUPERSEDED");
  Refused(node, {"material", "suspend", "--key", node.KeyPath("samr"), "--id", id, "--reason", "x"},
          "material_superseded");

  // Suspend and reinstate: the permit is held and comes back.
  Ok(node,
     {"material", "suspend", "--key", node.KeyPath("samr"), "--id", v2, "--reason", "停业整顿"});
  CHECK(StatusOf(node, permit["material_id"]) == "SUSPENDED");
  Ok(node,
     {"material", "reinstate", "--key", node.KeyPath("samr"), "--id", v2, "--reason", "整改完成"});
  CHECK(StatusOf(node, permit["material_id"]) == "ACTIVE");

  // Transfer to a new holder, by the issuer only.
  Refused(node,
          {"material", "transfer", "--key", node.KeyPath("water"), "--id", v2, "--new-holder",
           "91440300MA5GYYYY2Y"},
          "not_issuer");
  Ok(node, {"material", "transfer", "--key", node.KeyPath("samr"), "--id", v2, "--new-holder",
            "91440300MA5GYYYY2Y", "--reason", "企业合并"});

  // Destroy needs the material out of force; then nothing follows.
  Refused(node,
          {"material", "destroy", "--key", node.KeyPath("samr"), "--id", v2, "--reason", "销毁"},
          "still_in_force");
  Ok(node, {"material", "revoke", "--key", node.KeyPath("samr"), "--id", v2, "--reason", "注销"});
  CHECK(StatusOf(node, permit["material_id"]) == "REVOKED");
  Ok(node, {"material", "destroy", "--key", node.KeyPath("samr"), "--id", v2, "--reason",
            "档案保存期满销毁"});
  CHECK(StatusOf(node, v2) == "DESTROYED");
  Refused(node, {"material", "reinstate", "--key", node.KeyPath("samr"), "--id", v2},
          "material_destroyed");
  Json trace = Ok(node, {"trace", "--id", v2});
  CHECK(Kinds(trace) ==
        std::vector<std::string>{"AMEND", "SUSPEND", "REINSTATE", "TRANSFER", "REVOKE", "DESTROY"});
}

TEST_CASE("expiry at block time cascades to dependents, and expiring materials are listed",
          "[integration][lifecycle][expiry]") {
  Nanshan n;
  const DevNode& node = n.node;
  Json license = Ok(node, {"material",      "issue",
                           "--key",         node.KeyPath("samr"),
                           "--type",        "BIZLIC",
                           "--holder",      "91440300MA5FXXXX1X",
                           "--file",        WriteDoc(n.tmp, "license.pdf"),
                           "--field",       "entity_name=示例公司",
                           "--field",       "legal_representative=张伟",
                           "--field",       "business_scope=零售",
                           "--field",       "address=南山区",
                           "--valid-until", "+8s"});
  Json permit = Ok(node, {"material",      "issue",
                          "--key",         node.KeyPath("samr"),
                          "--type",        "DRUGRETAIL",
                          "--holder",      "91440300MA5FXXXX1X",
                          "--file",        WriteDoc(n.tmp, "drug.pdf"),
                          "--field",       "entity_name=示例公司",
                          "--field",       "premises=南山区1号",
                          "--field",       "pharmacist=刘敏",
                          "--valid-until", "+20d",
                          "--parent",      license["material_id"]});
  Json soon = Ok(node, {"material", "list", "--key", node.KeyPath("samr"), "--expiring-within",
                        "30d"});
  CHECK(soon["materials"].size() == 2);
  REQUIRE(WaitFor([&] { return StatusOf(node, license["material_id"]) == "EXPIRED"; },
                  milliseconds(30'000)));
  CHECK(StatusOf(node, permit["material_id"]) == "REVOKED");
  Json trace = Ok(node, {"trace", "--id", permit["material_id"]});
  REQUIRE(Kinds(trace) == std::vector<std::string>{"ISSUE", "REVOKE"});
  CHECK(trace["events"][1]["reason"] == "cascade: parent expired (rule 'revoke')");
  CHECK(trace["events"][1]["tx_hash"] == "");
  Refused(node,
          {"material", "use", "--key", node.KeyPath("psb"), "--id", license["material_id"],
           "--purpose", "business_check"},
          "already_expired");
}

TEST_CASE("e-contracts: each party signs with its own key, amendments supersede, verify",
          "[integration][econtract]") {
  Nanshan n;
  const DevNode& node = n.node;
  const std::string landlord = Keygen(node, n.tmp, "landlord");
  const std::string tenant = Keygen(node, n.tmp, "tenant");
  const std::string lease = WriteDoc(n.tmp, "lease.pdf");
  Json created = Ok(node, {"contract", "create", "--key", node.KeyPath("mca"), "--file", lease,
                           "--party", landlord + ".pub", "--party", tenant + ".pub", "--deadline",
                           "+7d", "--title", "房屋租赁合同"});
  const std::string id = created["contract_id"].get<std::string>();

  CliResult pending = node.Cli({"contract", "verify", lease});
  CHECK(pending.exit_code == 1);
  CHECK(pending.json()["verdict"] == "PENDING");
  Refused(node,
          {"contract", "sign", "--key", landlord + ".pem", "--id", id, "--file",
           WriteDoc(n.tmp, "forged.pdf")},
          "digest_mismatch");
  Ok(node, {"contract", "sign", "--key", landlord + ".pem", "--id", id, "--file", lease});
  Ok(node, {"contract", "sign", "--key", tenant + ".pem", "--id", id, "--file", lease});
  Json verified = Ok(node, {"contract", "verify", lease});
  CHECK(verified["verdict"] == "SIGNED");
  CHECK(verified["contract"]["parties"][0]["signed"] == true);
  CHECK(verified["contract"]["parties"][1]["signed"] == true);

  // An amendment: once both sign it, it supersedes the first version.
  const std::string lease2 = WriteDoc(n.tmp, "lease-v2.pdf");
  Json v2 = Ok(
      node, {"contract", "create", "--key", node.KeyPath("mca"), "--file", lease2, "--party",
             landlord + ".pub", "--party", tenant + ".pub", "--deadline", "+7d", "--amends", id});
  Ok(node,
     {"contract", "sign", "--key", landlord + ".pem", "--id", v2["contract_id"], "--file", lease2});
  Ok(node,
     {"contract", "sign", "--key", tenant + ".pem", "--id", v2["contract_id"], "--file", lease2});
  CliResult old = node.Cli({"contract", "verify", lease});
  CHECK(old.exit_code == 1);
  CHECK(old.json()["verdict"] == "SUPERSEDED");
  Json shown = Ok(node, {"contract", "show", "--id", v2["contract_id"]});
  REQUIRE(shown["versions"].size() == 2);
  CHECK(shown["versions"][0]["status"] == "SUPERSEDED");
  CHECK(shown["versions"][1]["status"] == "COMPLETE");
}

TEST_CASE("governance: two thirds of the departments add one, and validator changes are recorded",
          "[integration][governance]") {
  Nanshan n;
  const DevNode& node = n.node;
  const std::string tax = Keygen(node, n.tmp, "tax");
  Ok(node,
     {"governance", "propose", "--key", node.KeyPath("mca"), "--reason", "税务局加入区块链政务协同",
      "--add-department", "tax", "--name", "国家税务总局深圳市南山区税务局", "--code",
      "11440305MB2D041533", "--roles", "consumer", "--department-key", tax + ".pub"});
  Json list = Ok(node, {"governance", "list"});
  REQUIRE(list["proposals"].size() == 1);
  CHECK(list["proposals"][0]["proposal_id"] == "P1");
  CHECK(list["proposals"][0]["approvals_needed"] == 5);
  Refused(node, {"governance", "approve", "--key", node.KeyPath("mca"), "--id", "P1"},
          "already_approved");
  for (const char* dept : {"edu", "water", "samr", "health"}) {
    Ok(node, {"governance", "approve", "--key", node.KeyPath(dept), "--id", "P1"});
  }
  Json p1 = Ok(node, {"governance", "list", "--id", "P1"});
  CHECK(p1["status"] == "ENACTED");
  Refused(node, {"governance", "approve", "--key", node.KeyPath("psb"), "--id", "P1"},
          "proposal_closed");

  // The new department acts with its own key: it uses a public business license.
  Json license = Ok(node, {"material",      "issue",
                           "--key",         node.KeyPath("samr"),
                           "--type",        "BIZLIC",
                           "--holder",      "91440300MA5FXXXX1X",
                           "--file",        WriteDoc(n.tmp, "license.pdf"),
                           "--field",       "entity_name=示例公司",
                           "--field",       "legal_representative=张伟",
                           "--field",       "business_scope=零售",
                           "--field",       "address=南山区",
                           "--valid-until", "+365d"});
  Ok(node, {"material", "use", "--key", tax + ".pem", "--id", license["material_id"], "--purpose",
            "tax_registration"});

  // A validator joining is recorded two heights after enactment, for the consensus engine.
  const std::string v = Keygen(node, n.tmp, "node-tax");
  const std::string tls = Keygen(node, n.tmp, "node-tax-tls", "p256");
  Refused(node,
          {"governance", "propose", "--key", node.KeyPath("mca"), "--reason", "税务局运行节点",
           "--add-validator", "node-tax", "--department", "tax", "--validator-key", v + ".pub",
           "--tls-key", v + ".pub", "--p2p", "127.0.0.1:7108", "--api", "127.0.0.1:7008"},
          "bad_proposal");
  Ok(node, {"governance", "propose", "--key", node.KeyPath("mca"), "--reason", "税务局运行节点",
            "--add-validator", "node-tax", "--department", "tax", "--validator-key", v + ".pub",
            "--tls-key", tls + ".pub", "--p2p", "127.0.0.1:7108", "--api", "127.0.0.1:7008"});
  // Eight departments now: two thirds is six.
  CHECK(Ok(node, {"governance", "list", "--id", "P2"})["approvals_needed"] == 6);
  for (const char* dept : {"edu", "water", "samr", "health"}) {
    Ok(node, {"governance", "approve", "--key", node.KeyPath(dept), "--id", "P2"});
  }
  CHECK(Ok(node, {"governance", "list", "--id", "P2"})["status"] == "PENDING");
  Ok(node, {"governance", "approve", "--key", tax + ".pem", "--id", "P2"});
  Json p2 = Ok(node, {"governance", "list", "--id", "P2"});
  REQUIRE(p2["status"] == "ENACTED");
  const uint64_t effective = p2["effective_height"].get<uint64_t>();
  CHECK(effective == p2["enacted_height"].get<uint64_t>() + 2);
  Json at = Ok(node, {"governance", "validators", "--height", std::to_string(effective)});
  CHECK(at["validators"].size() == 2);
  Json before = Ok(node, {"governance", "validators", "--height", std::to_string(effective - 1)});
  CHECK(before["validators"].size() == 1);
}

}  // namespace
}  // namespace govledger::itest
