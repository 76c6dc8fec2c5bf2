// The lifecycle steps after issue and the controlled use of materials:
// `govledger material publish|suspend|reinstate|destroy` (the issuer), `material authorize` and
// `material withdraw` (the holder's key or an authorizer department), `material use` (a consumer
// department), `material grants` and `material stats` (reading).
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/submit.h"
#include "crypto/hash.h"
#include "ledger/codec.h"
#include "util/time.h"

namespace govledger::cli {

using nlohmann::json;

namespace {

// ------------------------------------------------------------------ issuer steps

struct StepOptions {
  std::string key;
  std::string id;
  std::string reason;
  bool no_wait = false;
};

// publish, suspend, reinstate, destroy: one material id and (mostly) a reason.
void AddIssuerStep(CLI::App& group, Context& ctx, const std::string& name,
                   const std::string& description, const std::string& example, bool reason_required,
                   bool has_reason, ledger::TxPayload (*make)(const StepOptions&),
                   const std::string& done_label) {
  auto o = std::make_shared<StepOptions>();
  CLI::App* cmd = AddCommand(group, ctx, name, description, example);
  cmd->add_option("--key", o->key, "The issuing department's private key (PEM)")->required();
  cmd->add_option("--id", o->id, "Material id")->required();
  if (has_reason) {
    auto* r = cmd->add_option("--reason", o->reason, "Why (recorded on chain, public)");
    if (reason_required) r->required();
  }
  cmd->add_flag("--no-wait", o->no_wait, "Return once the node accepts the tx, before the commit");
  cmd->callback([&ctx, o, make, done_label] {
    ctx.action = [&ctx, o, make, done_label] {
      Output out(ctx.json);
      auto s = PrepareSubmit(ctx, o->key, /*need_department=*/true);
      if (!s.ok()) return out.Fail(s.status());
      return SubmitAndReport(out, *s, make(*o), o->no_wait, {Line(done_label, o->id)},
                             {{"material_id", o->id}, {"reason", o->reason}});
    };
  });
}

// ------------------------------------------------------------------ authorize

struct AuthorizeOptions {
  std::string key;
  std::string id;
  std::string consumer;
  std::string purpose;
  std::string until;
  uint32_t max_uses = 0;
  std::string consent_file;
  bool no_wait = false;
};

int RunAuthorize(const Context& ctx, const AuthorizeOptions& o) {
  Output out(ctx.json);
  auto until = ParseUntil("--until", o.until, NowMs());
  if (!until.ok()) return out.Fail(until.status());
  auto s = PrepareSubmit(ctx, o.key, /*need_department=*/false);
  if (!s.ok()) return out.Fail(s.status());
  ledger::AuthorizeUse a{o.id, o.consumer, o.purpose, *until, o.max_uses, {}};
  if (!o.consent_file.empty()) {
    auto d = crypto::HashFile(s->chain.suite, o.consent_file);
    if (!d.ok()) return out.Fail(d.status());
    a.consent_digest = crypto::DigestBytes(*d);
  }
  ledger::Tx tx = ledger::SignTx(s->key, NewTxBody(s->chain, a));
  const std::string grant_id = crypto::DigestHex(tx.hash);
  std::string by = s->department ? "department " + *s->department : "the holder's key";
  return SubmitSignedAndReport(
      out, *s, tx, o.no_wait,
      {Line("grant id", grant_id), Line("material", o.id),
       Line("allows",
            o.consumer + " to use it for " + o.purpose + " until " + CstOr(*until, "-") +
                (o.max_uses ? ", at most " + std::to_string(o.max_uses) + " time(s)" : "")),
       Line("granted by", by)},
      {{"grant_id", grant_id},
       {"material_id", o.id},
       {"consumer", o.consumer},
       {"purpose", o.purpose},
       {"valid_until_ms", *until},
       {"max_uses", o.max_uses},
       {"consent_digest", HexEncode(a.consent_digest)}});
}

void AddAuthorize(CLI::App& group, Context& ctx) {
  auto o = std::make_shared<AuthorizeOptions>();
  CLI::App* cmd = AddCommand(
      group, ctx, "authorize",
      "Grant a consumer department the use of a material for a purpose until a time: signed by "
      "the holder's own key (registered at issue), or recorded by an authorizer department with "
      "the digest of the holder's consent evidence",
      "  govledger material authorize --key parents.pem --id 1.2.156.3005.2.BIRTHMED... \\\n"
      "      --consumer psb --purpose household_registration --until +30d\n"
      "  govledger material authorize --key keys/dsj.pem --id ... --consumer hrss \\\n"
      "      --purpose social_security_card --until 2026-12-31 --max-uses 1 \\\n"
      "      --consent-file consent-form.pdf");
  cmd->add_option("--key", o->key, "The holder's key, or an authorizer department's key (PEM)")
      ->required();
  cmd->add_option("--id", o->id, "Material id")->required();
  cmd->add_option("--consumer", o->consumer, "Consumer department id, e.g. psb")->required();
  cmd->add_option("--purpose", o->purpose,
                  "Purpose of use, one the material type allows, e.g. household_registration")
      ->required();
  cmd->add_option("--until", o->until, "End of the grant: 2026-12-31, RFC 3339 or +30d")
      ->required();
  cmd->add_option("--max-uses", o->max_uses, "At most this many uses (default: unlimited)");
  cmd->add_option("--consent-file", o->consent_file,
                  "Evidence of the holder's consent (its digest is recorded; required from an "
                  "authorizer department)");
  cmd->add_flag("--no-wait", o->no_wait, "Return once the node accepts the tx, before the commit");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunAuthorize(ctx, *o); }; });
}

// ------------------------------------------------------------------ withdraw

void AddWithdraw(CLI::App& group, Context& ctx) {
  struct Options {
    std::string key, grant, reason;
    bool no_wait = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = AddCommand(group, ctx, "withdraw",
                             "Withdraw a grant (the holder, or the authorizer department that "
                             "recorded it)",
                             "  govledger material withdraw --key parents.pem --grant 5f3a...");
  cmd->add_option("--key", o->key, "The holder's or the authorizer department's key (PEM)")
      ->required();
  cmd->add_option("--grant", o->grant, "Grant id (from material authorize or material grants)")
      ->required();
  cmd->add_option("--reason", o->reason, "Why (optional, public)");
  cmd->add_flag("--no-wait", o->no_wait, "Return once the node accepts the tx, before the commit");
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o] {
      Output out(ctx.json);
      auto s = PrepareSubmit(ctx, o->key, false);
      if (!s.ok()) return out.Fail(s.status());
      return SubmitAndReport(out, *s, ledger::WithdrawGrant{o->grant, o->reason}, o->no_wait,
                             {Line("withdrawn", o->grant)}, {{"grant_id", o->grant}});
    };
  });
}

// ------------------------------------------------------------------ use

void AddUse(CLI::App& group, Context& ctx) {
  struct Options {
    std::string key, id, purpose, grant;
    bool no_wait = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = AddCommand(
      group, ctx, "use",
      "Record a use of a material by a consumer department for a purpose (免提交: read from the "
      "ledger instead of asking for paper); refused without a matching grant when the type "
      "needs one",
      "  govledger material use --key keys/psb.pem --id 1.2.156.3005.2.BIRTHMED... \\\n"
      "      --purpose household_registration");
  cmd->add_option("--key", o->key, "The consumer department's private key (PEM)")->required();
  cmd->add_option("--id", o->id, "Material id")->required();
  cmd->add_option("--purpose", o->purpose, "Purpose of use")->required();
  cmd->add_option("--grant", o->grant, "Use under this grant (default: the first that matches)");
  cmd->add_flag("--no-wait", o->no_wait, "Return once the node accepts the tx, before the commit");
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o] {
      Output out(ctx.json);
      auto s = PrepareSubmit(ctx, o->key, true);
      if (!s.ok()) return out.Fail(s.status());
      return SubmitAndReport(
          out, *s, ledger::UseMaterial{o->id, o->purpose, o->grant}, o->no_wait,
          {Line("used", o->id), Line("by", *s->department + " for " + o->purpose)},
          {{"material_id", o->id}, {"consumer", *s->department}, {"purpose", o->purpose}});
    };
  });
}

// ------------------------------------------------------------------ grants and stats

int RunGrants(const Context& ctx, const std::string& id, const std::string& key) {
  Output out(ctx.json);
  auto reader = ReaderClient(ctx, key);
  if (!reader.ok()) return out.Fail(reader.status());
  auto page = reader->Get("/v1/material/" + UrlEncode(id) + "/grants");
  if (!page.ok()) return out.Fail(page.status());
  for (const json& g : page->at("grants")) {
    std::string uses = std::to_string(g.at("uses").get<uint64_t>());
    if (g.at("max_uses").get<uint64_t>() > 0) {
      uses += "/" + std::to_string(g.at("max_uses").get<uint64_t>());
    }
    out.Say(ShortHex(g.at("grant_id").get<std::string>()) + "  " +
            g.at("status").get<std::string>() + "  " + g.at("consumer").get<std::string>() + "  " +
            g.at("purpose").get<std::string>() + "  until " +
            CstOr(g.at("valid_until_ms").get<int64_t>(), "-") + "  uses " + uses + "  by " +
            g.at("grantor").get<std::string>());
  }
  out.Say(std::to_string(page->at("grants").size()) + " grant(s) as of height " +
          std::to_string(page->at("as_of_height").get<uint64_t>()));
  return out.Finish(*page);
}

int RunStats(const Context& ctx, const std::string& type, const std::string& consumer,
             const std::string& purpose, const std::string& key) {
  Output out(ctx.json);
  auto reader = ReaderClient(ctx, key);
  if (!reader.ok()) return out.Fail(reader.status());
  const NodeClient& client = *reader;
  std::string target = "/v1/stats?";
  if (!type.empty()) target += "type=" + UrlEncode(type) + "&";
  if (!consumer.empty()) target += "consumer=" + UrlEncode(consumer) + "&";
  if (!purpose.empty()) target += "purpose=" + UrlEncode(purpose);
  auto page = client.Get(target);
  if (!page.ok()) return out.Fail(page.status());
  for (const json& r : page->at("usage")) {
    out.Say(r.at("type").get<std::string>() + "  " + r.at("consumer").get<std::string>() + "  " +
            r.at("purpose").get<std::string>() + "  " +
            std::to_string(r.at("uses").get<uint64_t>()));
  }
  out.Say(std::to_string(page->at("total_uses").get<uint64_t>()) + " use(s) as of height " +
          std::to_string(page->at("as_of_height").get<uint64_t>()));
  return out.Finish(*page);
}

}  // namespace

void AddLifecycleCommands(CLI::App& group, Context& ctx) {
  AddIssuerStep(
      group, ctx, "publish", "Publish a material issued with --staged: ISSUED becomes ACTIVE",
      "  govledger material publish --key keys/health.pem --id 1.2.156.3005.2.BIRTHMED...", false,
      false,
      [](const StepOptions& o) -> ledger::TxPayload { return ledger::PublishMaterial{o.id}; },
      "published");
  AddIssuerStep(
      group, ctx, "suspend",
      "Suspend an ACTIVE material (its dependents follow their type's cascade rule)",
      "  govledger material suspend --key keys/samr.pem --id ... --reason \"停业整顿\"", true, true,
      [](const StepOptions& o) -> ledger::TxPayload {
        return ledger::SuspendMaterial{o.id, o.reason};
      },
      "suspended");
  AddIssuerStep(
      group, ctx, "reinstate",
      "Reinstate a SUSPENDED material (its parent must be in force); dependents its suspension "
      "held back follow",
      "  govledger material reinstate --key keys/samr.pem --id ... --reason \"整改完成\"", false,
      true,
      [](const StepOptions& o) -> ledger::TxPayload {
        return ledger::ReinstateMaterial{o.id, o.reason};
      },
      "reinstated");
  AddIssuerStep(
      group, ctx, "destroy",
      "Destroy a material that is no longer in force (revoked, expired, superseded or never "
      "published): a tombstone keeps its digest and history; nothing may follow",
      "  govledger material destroy --key keys/health.pem --id ... --reason \"档案保存期满\"", true,
      true,
      [](const StepOptions& o) -> ledger::TxPayload {
        return ledger::DestroyMaterial{o.id, o.reason};
      },
      "destroyed");
  AddAuthorize(group, ctx);
  AddWithdraw(group, ctx);
  AddUse(group, ctx);

  struct GrantsOptions {
    std::string id, key;
  };
  auto go = std::make_shared<GrantsOptions>();
  CLI::App* grants = AddCommand(
      group, ctx, "grants", "List the grants given on a material (signed: --key)",
      "  govledger material grants --key keys/psb.pem --id 1.2.156.3005.2.BIRTHMED...");
  grants->add_option("--id", go->id, "Material id")->required();
  grants->add_option("--key", go->key, kReadKeyHelp);
  grants->callback(
      [&ctx, go] { ctx.action = [&ctx, go] { return RunGrants(ctx, go->id, go->key); }; });

  struct StatsOptions {
    std::string type, consumer, purpose, key;
  };
  auto so = std::make_shared<StatsOptions>();
  CLI::App* stats = AddCommand(group, ctx, "stats",
                               "Usage statistics (统计使用情况): uses per type, consumer "
                               "department and purpose",
                               "  govledger material stats --key regulator.pem --type BIRTHMED");
  stats->add_option("--type", so->type, "Only this material type");
  stats->add_option("--consumer", so->consumer, "Only this consumer department");
  stats->add_option("--purpose", so->purpose, "Only this purpose");
  stats->add_option("--key", so->key, kReadKeyHelp);
  stats->callback([&ctx, so] {
    ctx.action = [&ctx, so] {
      return RunStats(ctx, so->type, so->consumer, so->purpose, so->key);
    };
  });
}

}  // namespace govledger::cli
