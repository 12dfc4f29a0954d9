// campaigns create|list|show|archive|spend
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "handoff/marketing/v1/campaign_service.grpc.pb.h"
#include "handoffctl/commands.h"
#include "handoffctl/render.h"

namespace handoff::ctl {

namespace mv1 = ::handoff::marketing::v1;

namespace {

const std::vector<std::string> kCampaignColumns = {"name", "display_name", "channel", "state", "budget", "spent",
                                                    "start", "end", "external_id"};

std::vector<std::string> CampaignRow(const mv1::Campaign& c) {
  return {c.name(),
          c.display_name(),
          EnumLabel(mv1::Channel_descriptor(), c.channel()),
          EnumLabel(mv1::CampaignState_descriptor(), c.state()),
          FormatMoney(c.budget()),
          FormatMoney(c.spent()),
          FormatTime(c.start_time()),
          FormatTime(c.end_time()),
          c.external_id()};
}

void PrintCampaign(Context& ctx, const mv1::Campaign& c) {
  if (ctx.format() == OutputFormat::kJson) return PrintJson(ctx.out(), c);
  Table t(kCampaignColumns);
  t.Add(CampaignRow(c));
  t.Print(ctx.out(), ctx.format());
}

std::unique_ptr<mv1::CampaignService::Stub> Stub(Context& ctx, int& exit_code) {
  return NewStub<mv1::CampaignService>(ctx, Peer::kMarketing, exit_code);
}

absl::Status SetTime(const std::string& text, const char* flag, google::protobuf::Timestamp* out) {
  return ParseTimestamp(text, flag, out);
}

}  // namespace

void AddCampaignCommands(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* group = app.add_subcommand("campaigns", "Marketing campaigns: create, list, show, archive, record spend");
  group->require_subcommand(1);

  {
    struct Args {
      std::string display_name, channel, budget, currency = "EUR", state = "draft", start, end, parent, external_id,
          utm_source, utm_medium, utm_campaign, request_id;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("create", "Create a campaign (CampaignService.CreateCampaign)");
    c->add_option("display_name", a->display_name, "The campaign's name for people")->required();
    c->add_option("--channel", a->channel, "email, print, advertising, social, pr, brand_awareness, events, ...")
        ->required();
    c->add_option("--budget", a->budget, "Budget in the currency's units, e.g. 5000 or 5000.00")->required();
    c->add_option("--currency", a->currency, "ISO 4217 code of the budget")->capture_default_str();
    c->add_option("--state", a->state, "draft or active")->capture_default_str();
    c->add_option("--start", a->start, "Start time, RFC 3339");
    c->add_option("--end", a->end, "End time, RFC 3339");
    c->add_option("--parent", a->parent, "Parent campaign (campaigns/ID or ID)");
    c->add_option("--external_id", a->external_id, "Your system's id for the campaign");
    c->add_option("--utm_source", a->utm_source, "UTM source code");
    c->add_option("--utm_medium", a->utm_medium, "UTM medium code");
    c->add_option("--utm_campaign", a->utm_campaign, "UTM campaign code");
    c->add_option("--request_id", a->request_id, "Idempotency key (default: a new one)");
    c->callback([&ctx, &exit_code, a] {
      mv1::CreateCampaignRequest req;
      mv1::Campaign* camp = req.mutable_campaign();
      camp->set_display_name(a->display_name);
      absl::StatusOr<int> channel = ParseEnum(mv1::Channel_descriptor(), a->channel, "--channel");
      absl::StatusOr<int> state = ParseEnum(mv1::CampaignState_descriptor(), a->state, "--state");
      absl::StatusOr<int64_t> budget = ParseAmount(a->budget, a->currency, "--budget");
      for (const absl::Status& s : {channel.status(), state.status(), budget.status()}) {
        if (!s.ok()) return void(exit_code = Failed(ctx, s));
      }
      camp->set_channel(static_cast<mv1::Channel>(*channel));
      camp->set_state(static_cast<mv1::CampaignState>(*state));
      camp->mutable_budget()->set_amount_minor(*budget);
      camp->mutable_budget()->set_currency_code(a->currency);
      for (const absl::Status& s : {SetTime(a->start, "--start", camp->mutable_start_time()),
                                    SetTime(a->end, "--end", camp->mutable_end_time())}) {
        if (!s.ok()) return void(exit_code = Failed(ctx, s));
      }
      camp->set_parent(ResourceName("campaigns", a->parent));
      camp->set_external_id(a->external_id);
      if (!a->utm_source.empty() || !a->utm_medium.empty() || !a->utm_campaign.empty()) {
        camp->mutable_utm()->set_source(a->utm_source);
        camp->mutable_utm()->set_medium(a->utm_medium);
        camp->mutable_utm()->set_campaign(a->utm_campaign);
      }
      req.set_request_id(a->request_id.empty() ? NewRequestId() : a->request_id);
      auto stub = Stub(ctx, exit_code);
      if (stub == nullptr) return;
      mv1::CreateCampaignResponse resp;
      grpc::Status s = stub->CreateCampaign(ctx.Call().get(), req, &resp);
      if (!s.ok()) return void(exit_code = CallFailed(ctx, "CreateCampaign", s));
      PrintCampaign(ctx, resp.campaign());
    });
  }
  {
    struct Args : Paging {
      std::string state;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("list", "List campaigns, oldest first (CampaignService.ListCampaigns)");
    c->add_option("--state", a->state, "Only campaigns in this state: draft, active, paused, completed, archived");
    a->AddTo(c, "Campaigns");
    c->callback([&ctx, &exit_code, a] {
      mv1::ListCampaignsRequest req;
      int state = 0;
      if (!OptionalEnum(ctx, exit_code, mv1::CampaignState_descriptor(), a->state, "--state", &state)) return;
      req.set_state(static_cast<mv1::CampaignState>(state));
      a->Fill(req);
      auto stub = Stub(ctx, exit_code);
      if (stub == nullptr) return;
      ListAndPrint<mv1::ListCampaignsResponse>(ctx, req, a->all,
                   [&](grpc::ClientContext* c, const auto& q, auto* r) { return stub->ListCampaigns(c, q, r); },
                   "ListCampaigns", [](const auto& p) -> const auto& { return p.campaigns(); }, kCampaignColumns, CampaignRow,
                   exit_code);
    });
  }
  AddGetCommand<mv1::CampaignService, mv1::GetCampaignRequest, mv1::GetCampaignResponse>(
      group, ctx, exit_code, "Show one campaign (GetCampaign)", "campaign", "campaigns", Peer::kMarketing,
      [](auto& stub, auto* cc, const auto& q, auto* r) { return stub.GetCampaign(cc, q, r); }, "GetCampaign",
      [&ctx](const mv1::GetCampaignResponse& r) { PrintCampaign(ctx, r.campaign()); });
  {
    struct Args {
      std::string id, request_id;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("archive", "Archive a campaign: read-only from then on (ArchiveCampaign)");
    c->add_option("campaign", a->id, "campaigns/ID or ID")->required();
    c->add_option("--request_id", a->request_id, "Idempotency key (default: a new one)");
    c->callback([&ctx, &exit_code, a] {
      auto stub = Stub(ctx, exit_code);
      if (stub == nullptr) return;
      mv1::ArchiveCampaignRequest req;
      req.set_name(ResourceName("campaigns", a->id));
      req.set_request_id(a->request_id.empty() ? NewRequestId() : a->request_id);
      mv1::ArchiveCampaignResponse resp;
      grpc::Status s = stub->ArchiveCampaign(ctx.Call().get(), req, &resp);
      if (!s.ok()) return void(exit_code = CallFailed(ctx, "ArchiveCampaign", s));
      PrintCampaign(ctx, resp.campaign());
    });
  }
  {
    struct Args {
      std::string id, amount, currency = "EUR", note, over_budget_reason, request_id;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("spend", "Record money spent on a campaign, capped by its budget (RecordSpend)");
    c->add_option("campaign", a->id, "campaigns/ID or ID")->required();
    c->add_option("amount", a->amount, "Amount in the currency's units, e.g. 250 or 249.99")->required();
    c->add_option("--currency", a->currency, "ISO 4217 code (the budget's)")->capture_default_str();
    c->add_option("--note", a->note, "What the money went on");
    c->add_option("--over_budget_reason", a->over_budget_reason,
                  "Allow the total past the budget, for this reason (recorded)");
    c->add_option("--request_id", a->request_id, "Idempotency key (default: a new one)");
    c->callback([&ctx, &exit_code, a] {
      absl::StatusOr<int64_t> amount = ParseAmount(a->amount, a->currency, "amount");
      if (!amount.ok()) return void(exit_code = Failed(ctx, amount.status()));
      auto stub = Stub(ctx, exit_code);
      if (stub == nullptr) return;
      mv1::RecordSpendRequest req;
      req.set_campaign(ResourceName("campaigns", a->id));
      req.mutable_amount()->set_amount_minor(*amount);
      req.mutable_amount()->set_currency_code(a->currency);
      req.set_note(a->note);
      if (!a->over_budget_reason.empty()) {
        req.set_allow_over_budget(true);
        req.set_over_budget_reason(a->over_budget_reason);
      }
      req.set_request_id(a->request_id.empty() ? NewRequestId() : a->request_id);
      mv1::RecordSpendResponse resp;
      grpc::Status s = stub->RecordSpend(ctx.Call().get(), req, &resp);
      if (!s.ok()) return void(exit_code = CallFailed(ctx, "RecordSpend", s));
      PrintCampaign(ctx, resp.campaign());
    });
  }
}

}  // namespace handoff::ctl
