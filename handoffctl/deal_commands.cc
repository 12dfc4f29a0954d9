// deals list|show|accept|reject|log|advance|won|lost
#include <memory>

#include "absl/strings/str_cat.h"
#include "handoff/sales/v1/opportunity_service.grpc.pb.h"
#include "handoffctl/commands.h"
#include "handoffctl/render.h"

namespace handoff::ctl {
namespace {

namespace sv1 = ::handoff::sales::v1;

const std::vector<std::string> kDealColumns = {"name", "lead",   "email",  "company",     "kind",
                                                "rep",  "stage", "accept", "probability", "amount"};

std::vector<std::string> DealRow(const sv1::Opportunity& o) {
  return {o.name(),
          o.lead(),
          o.contact().email(),
          o.contact().company(),
          EnumLabel(sv1::OpportunityKind_descriptor(), o.kind()),
          o.rep(),
          EnumLabel(sv1::Stage_descriptor(), o.stage()),
          EnumLabel(sv1::Acceptance_descriptor(), o.acceptance()),
          absl::StrCat(o.probability_percent(), "%"),
          FormatMoney(o.amount())};
}

void PrintDeal(Context& ctx, const sv1::Opportunity& o) {
  if (ctx.format() == OutputFormat::kJson) return PrintJson(ctx.out(), o);
  Table t(kDealColumns);
  t.Add(DealRow(o));
  t.Print(ctx.out(), ctx.format());
}

// What every change of one opportunity takes: which, its etag, the request_id, and the
// rep the call acts for.
struct DealChange {
  std::string id, etag, request_id, actor;
  void AddTo(CLI::App* c) {
    c->add_option("opportunity", id, "opportunities/ID or ID")->required();
    c->add_option("--etag", etag, "Refuse (ABORTED) if the opportunity changed since this etag was read");
    c->add_option("--request_id", request_id, "Idempotency key (default: a new one)");
    c->add_option("--actor", actor,
                  "Act for this rep (x-handoff-actor: reps/ID); only callers sales trusts may say so");
  }
  template <typename Request>
  void Fill(Request& req) const {
    req.set_name(ResourceName("opportunities", id));
    req.set_etag(etag);
    req.set_request_id(request_id.empty() ? NewRequestId() : request_id);
  }
  std::unique_ptr<grpc::ClientContext> Call(Context& ctx) const {
    std::unique_ptr<grpc::ClientContext> c = ctx.Call();
    if (!actor.empty()) c->AddMetadata("x-handoff-actor", ResourceName("reps", actor));
    return c;
  }
};

// Runs one change and prints the opportunity it returns.
template <typename Request, typename Response, typename Method>
void Change(Context& ctx, int& exit_code, const DealChange& change, Request& req, Method method, const char* name) {
  auto stub = NewStub<sv1::OpportunityService>(ctx, Peer::kSales, exit_code);
  if (stub == nullptr) return;
  change.Fill(req);
  Response resp;
  grpc::Status s = method(*stub, change.Call(ctx).get(), req, &resp);
  if (!s.ok()) return void(exit_code = CallFailed(ctx, name, s));
  PrintDeal(ctx, resp.opportunity());
}

absl::Status SetMoney(const std::string& amount, const std::string& currency, const char* flag,
                      common::v1::Money* out) {
  absl::StatusOr<int64_t> minor = ParseAmount(amount, currency, flag);
  if (!minor.ok()) return minor.status();
  out->set_amount_minor(*minor);
  out->set_currency_code(currency);
  return absl::OkStatus();
}

}  // namespace

void AddDealCommands(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* group = app.add_subcommand("deals", "Sales opportunities: list, show, accept, reject, log, advance, won, lost");
  group->require_subcommand(1);
  {
    struct Args : Paging {
      std::string rep, stage, lead;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("list", "List opportunities (ListOpportunities)");
    c->add_option("--rep", a->rep, "Only this rep's (reps/ID or ID)");
    c->add_option("--stage", a->stage, "Only this stage: new, contacted, qualified, proposal, negotiation, closed_won, closed_lost");
    c->add_option("--lead", a->lead, "Only this lead's (leads/ID or ID)");
    a->AddTo(c, "Opportunities");
    c->callback([&ctx, &exit_code, a] {
      sv1::ListOpportunitiesRequest req;
      int stage = 0;
      if (!OptionalEnum(ctx, exit_code, sv1::Stage_descriptor(), a->stage, "--stage", &stage)) return;
      req.set_stage(static_cast<sv1::Stage>(stage));
      req.set_rep(ResourceName("reps", a->rep));
      req.set_lead(ResourceName("leads", a->lead));
      a->Fill(req);
      auto stub = NewStub<sv1::OpportunityService>(ctx, Peer::kSales, exit_code);
      if (stub == nullptr) return;
      ListAndPrint<sv1::ListOpportunitiesResponse>(ctx, req, a->all,
                   [&](grpc::ClientContext* cc, const auto& q, auto* r) { return stub->ListOpportunities(cc, q, r); },
                   "ListOpportunities", [](const auto& p) -> const auto& { return p.opportunities(); }, kDealColumns,
                   DealRow, exit_code);
    });
  }
  AddGetCommand<sv1::OpportunityService, sv1::GetOpportunityRequest, sv1::GetOpportunityResponse>(
      group, ctx, exit_code, "Show one opportunity (GetOpportunity)", "opportunity", "opportunities", Peer::kSales,
      [](auto& stub, auto* cc, const auto& q, auto* r) { return stub.GetOpportunity(cc, q, r); }, "GetOpportunity",
      [&ctx](const sv1::GetOpportunityResponse& r) { PrintDeal(ctx, r.opportunity()); });
  {
    auto a = std::make_shared<DealChange>();
    CLI::App* c = group->add_subcommand("accept", "Accept a lead handed off by marketing (AcceptOpportunity)");
    a->AddTo(c);
    c->callback([&ctx, &exit_code, a] {
      sv1::AcceptOpportunityRequest req;
      Change<sv1::AcceptOpportunityRequest, sv1::AcceptOpportunityResponse>(
          ctx, exit_code, *a, req,
          [](auto& stub, auto* cc, const auto& q, auto* r) { return stub.AcceptOpportunity(cc, q, r); },
          "AcceptOpportunity");
    });
  }
  {
    struct Args : DealChange {
      std::string reason, text;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("reject", "Reject a handed-off lead with a reason (RejectOpportunity)");
    a->AddTo(c);
    c->add_option("--reason", a->reason, "not_a_fit, bad_contact_data, duplicate, no_budget, bad_timing, other")
        ->required();
    c->add_option("--text", a->text, "More about the reason");
    c->callback([&ctx, &exit_code, a] {
      absl::StatusOr<int> reason = ParseEnum(sv1::RejectReason_descriptor(), a->reason, "--reason");
      if (!reason.ok()) return void(exit_code = Failed(ctx, reason.status()));
      sv1::RejectOpportunityRequest req;
      req.set_reason(static_cast<sv1::RejectReason>(*reason));
      req.set_reason_text(a->text);
      Change<sv1::RejectOpportunityRequest, sv1::RejectOpportunityResponse>(
          ctx, exit_code, *a, req,
          [](auto& stub, auto* cc, const auto& q, auto* r) { return stub.RejectOpportunity(cc, q, r); },
          "RejectOpportunity");
    });
  }
  {
    struct Args : DealChange {
      std::string type, summary, call_outcome, next_step;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("log", "Log a call, e-mail, social touch, meeting, demo or note (LogActivity)");
    a->AddTo(c);
    c->add_option("--type", a->type, "call, email, social, meeting, demo, note")->required();
    c->add_option("--summary", a->summary, "What happened");
    c->add_option("--call_outcome", a->call_outcome, "For a call: connected, voicemail, no_answer, wrong_number");
    c->add_option("--next_step", a->next_step, "What comes next");
    c->callback([&ctx, &exit_code, a] {
      absl::StatusOr<int> type = ParseEnum(sv1::ActivityType_descriptor(), a->type, "--type");
      if (!type.ok()) return void(exit_code = Failed(ctx, type.status()));
      sv1::LogActivityRequest req;
      sv1::Activity* act = req.mutable_activity();
      act->set_type(static_cast<sv1::ActivityType>(*type));
      act->set_summary(a->summary);
      act->set_next_step(a->next_step);
      if (!a->call_outcome.empty()) {
        absl::StatusOr<int> outcome = ParseEnum(sv1::CallOutcome_descriptor(), a->call_outcome, "--call_outcome");
        if (!outcome.ok()) return void(exit_code = Failed(ctx, outcome.status()));
        act->set_call_outcome(static_cast<sv1::CallOutcome>(*outcome));
      }
      auto stub = NewStub<sv1::OpportunityService>(ctx, Peer::kSales, exit_code);
      if (stub == nullptr) return;
      req.set_opportunity(ResourceName("opportunities", a->id));
      req.set_etag(a->etag);
      req.set_request_id(a->request_id.empty() ? NewRequestId() : a->request_id);
      sv1::LogActivityResponse resp;
      grpc::Status s = stub->LogActivity(a->Call(ctx).get(), req, &resp);
      if (!s.ok()) return void(exit_code = CallFailed(ctx, "LogActivity", s));
      if (ctx.format() == OutputFormat::kJson) return PrintJson(ctx.out(), resp.activity());
      Table t({"name", "type", "summary", "rep", "time"});
      t.Add({resp.activity().name(), EnumLabel(sv1::ActivityType_descriptor(), resp.activity().type()),
             resp.activity().summary(), resp.activity().rep(), FormatTime(resp.activity().occur_time())});
      t.Print(ctx.out(), ctx.format());
    });
  }
  {
    struct Args : DealChange {
      std::string stage, amount, currency = "EUR";
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("advance", "Move an opportunity to a later open stage (AdvanceStage)");
    a->AddTo(c);
    c->add_option("--stage", a->stage, "contacted, qualified, proposal, negotiation")->required();
    c->add_option("--amount", a->amount, "The deal's expected amount, e.g. 25000");
    c->add_option("--currency", a->currency, "ISO 4217 code of --amount")->capture_default_str();
    c->callback([&ctx, &exit_code, a] {
      absl::StatusOr<int> stage = ParseEnum(sv1::Stage_descriptor(), a->stage, "--stage");
      if (!stage.ok()) return void(exit_code = Failed(ctx, stage.status()));
      sv1::AdvanceStageRequest req;
      req.set_stage(static_cast<sv1::Stage>(*stage));
      if (!a->amount.empty()) {
        if (absl::Status s = SetMoney(a->amount, a->currency, "--amount", req.mutable_amount()); !s.ok()) {
          return void(exit_code = Failed(ctx, s));
        }
      }
      Change<sv1::AdvanceStageRequest, sv1::AdvanceStageResponse>(
          ctx, exit_code, *a, req,
          [](auto& stub, auto* cc, const auto& q, auto* r) { return stub.AdvanceStage(cc, q, r); }, "AdvanceStage");
    });
  }
  {
    struct Args : DealChange {
      std::string amount, currency = "EUR";
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("won", "Close an opportunity won (CloseWon); the outcome goes back to marketing");
    a->AddTo(c);
    c->add_option("--amount", a->amount, "The amount won, e.g. 25000")->required();
    c->add_option("--currency", a->currency, "ISO 4217 code of --amount")->capture_default_str();
    c->callback([&ctx, &exit_code, a] {
      sv1::CloseWonRequest req;
      if (absl::Status s = SetMoney(a->amount, a->currency, "--amount", req.mutable_amount()); !s.ok()) {
        return void(exit_code = Failed(ctx, s));
      }
      Change<sv1::CloseWonRequest, sv1::CloseWonResponse>(
          ctx, exit_code, *a, req, [](auto& stub, auto* cc, const auto& q, auto* r) { return stub.CloseWon(cc, q, r); },
          "CloseWon");
    });
  }
  {
    struct Args : DealChange {
      std::string reason, text, competitor;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("lost", "Close an opportunity lost, with a reason (CloseLost)");
    a->AddTo(c);
    c->add_option("--reason", a->reason, "price, competitor, product_fit, no_decision, timing, other")->required();
    c->add_option("--text", a->text, "More about the reason");
    c->add_option("--competitor", a->competitor, "Who won it");
    c->callback([&ctx, &exit_code, a] {
      absl::StatusOr<int> reason = ParseEnum(sv1::LossReason_descriptor(), a->reason, "--reason");
      if (!reason.ok()) return void(exit_code = Failed(ctx, reason.status()));
      sv1::CloseLostRequest req;
      req.set_reason(static_cast<sv1::LossReason>(*reason));
      req.set_reason_text(a->text);
      req.set_competitor(a->competitor);
      Change<sv1::CloseLostRequest, sv1::CloseLostResponse>(
          ctx, exit_code, *a, req, [](auto& stub, auto* cc, const auto& q, auto* r) { return stub.CloseLost(cc, q, r); },
          "CloseLost");
    });
  }
}

}  // namespace handoff::ctl
