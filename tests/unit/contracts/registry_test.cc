#include "contracts/registry.h"

#include <catch2/catch.hpp>
#include <memory>

#include "tests/unit/contracts/fixture.h"

namespace govledger::contracts::testing {
namespace {

TEST_CASE("registry finds departments by id and by signing key", "[contracts][registry]") {
  World w;
  const Registry& r = w.registry();

  const ledger::Department* health = r.DepartmentById("health");
  REQUIRE(health != nullptr);
  CHECK(health->name == "南山区卫生健康局");
  CHECK(health->code == kHealthCode);

  for (const char* id : {"health", "police", "market", "water", "tax"}) {
    CAPTURE(id);
    const ledger::Department* d = r.DepartmentByKey(w.key(id).public_key());
    REQUIRE(d != nullptr);
    CHECK(d->id == id);
    CHECK(d == r.DepartmentById(id));
  }
}

TEST_CASE("registry returns null for unknown departments, keys and types",
          "[contracts][registry]") {
  World w;
  const Registry& r = w.registry();
  CHECK(r.DepartmentById("civil") == nullptr);
  CHECK(r.DepartmentById("") == nullptr);
  CHECK(r.DepartmentById("Health") == nullptr);
  CHECK(r.DepartmentByKey(NewKey().public_key()) == nullptr);
  CHECK(r.DepartmentByKey(crypto::PublicKey{}) == nullptr);
  CHECK(r.DepartmentByKey(crypto::PublicKey{0x30, 0x59}) == nullptr);
  CHECK(r.Type("MARRIAGECERT") == nullptr);
  CHECK(r.Type("birthcert") == nullptr);
  CHECK(r.Type("") == nullptr);
}

TEST_CASE("registry exposes the material types and their rules", "[contracts][registry]") {
  World w;
  const ledger::MaterialType* permit = w.registry().Type("FOODPERMIT");
  REQUIRE(permit != nullptr);
  CHECK(permit->name == "食品经营许可证");
  CHECK(permit->parent_type == "BIZLICENSE");
  CHECK(permit->max_validity_ms == kFiveYearsMs);
  const ledger::MaterialType* birth = w.registry().Type("BIRTHCERT");
  REQUIRE(birth != nullptr);
  CHECK(birth->name == "出生医学证明");
  CHECK(birth->parent_type.empty());
  CHECK(birth->max_validity_ms == 0);
}

TEST_CASE("HasRole checks the department's roles", "[contracts][registry]") {
  World w;
  const Registry& r = w.registry();
  CHECK(r.HasRole(w.dept("health"), "provider"));
  CHECK(r.HasRole(w.dept("health"), "validator"));
  CHECK(r.HasRole(w.dept("tax"), "consumer"));
  CHECK_FALSE(r.HasRole(w.dept("tax"), "provider"));
  CHECK_FALSE(r.HasRole(w.dept("water"), "validator"));
  CHECK_FALSE(r.HasRole(w.dept("health"), ""));
  CHECK_FALSE(r.HasRole(w.dept("health"), "Provider"));
}

TEST_CASE("MayIssue needs the provider role and a place among the type's issuers",
          "[contracts][registry]") {
  World w;
  const Registry& r = w.registry();
  CHECK(r.MayIssue(w.dept("health"), *r.Type("BIRTHCERT")));
  CHECK(r.MayIssue(w.dept("market"), *r.Type("BIZLICENSE")));
  CHECK(r.MayIssue(w.dept("market"), *r.Type("FOODPERMIT")));
  CHECK(r.MayIssue(w.dept("police"), *r.Type("HOUSEHOLD")));
  CHECK_FALSE(r.MayIssue(w.dept("water"), *r.Type("BIRTHCERT")));
  CHECK_FALSE(r.MayIssue(w.dept("health"), *r.Type("BIZLICENSE")));

  // Listed as an issuer but without the provider role: not allowed either.
  ledger::Genesis g = w.genesis();
  g.material_types.push_back(MakeType("TAXCLEAR", "完税证明", "Tax payment certificate",
                                      "certificate", {"tax"}, {"taxpayer"}, 0));
  Registry with_tax(g);
  CHECK_FALSE(with_tax.MayIssue(*with_tax.DepartmentById("tax"), *with_tax.Type("TAXCLEAR")));
}

TEST_CASE("registry copies the genesis: chain id, suite and parameters outlive it",
          "[contracts][registry]") {
  World w;
  auto g = std::make_unique<ledger::Genesis>(w.genesis());
  g->params.max_expiries_per_block = 7;
  g->params.max_tx_validity_heights = 50;
  g->suite = crypto::Suite::kSm;
  Registry r(*g);
  g.reset();
  CHECK(r.chain_id() == "nanshan-test");
  CHECK(r.suite() == crypto::Suite::kSm);
  CHECK(r.params().max_expiries_per_block == 7);
  CHECK(r.params().max_tx_validity_heights == 50);
  REQUIRE(r.DepartmentById("market") != nullptr);
  CHECK(r.DepartmentById("market")->name_en == "Nanshan Market Regulation Bureau");
  CHECK(r.DepartmentByKey(w.key("market").public_key()) == r.DepartmentById("market"));
}

TEST_CASE("registry keeps the first of duplicate entries in a hand-built genesis",
          "[contracts][registry]") {
  // ParseGenesisJson refuses duplicates; a Genesis built in code must still give one answer.
  World w;
  ledger::Genesis g = w.genesis();
  ledger::Department dup = g.departments[0];  // health
  dup.name = "重复";
  dup.key = NewKey().public_key();
  g.departments.push_back(dup);
  ledger::MaterialType dup_type = g.material_types[0];  // BIRTHCERT
  dup_type.issuers = {"water"};
  g.material_types.push_back(dup_type);

  Registry r(g);
  CHECK(r.DepartmentById("health")->name == "南山区卫生健康局");
  CHECK(r.DepartmentByKey(dup.key) == nullptr);
  CHECK(r.DepartmentByKey(w.key("health").public_key()) == r.DepartmentById("health"));
  CHECK(r.Type("BIRTHCERT")->issuers == std::vector<std::string>{"health"});
}

}  // namespace
}  // namespace govledger::contracts::testing
