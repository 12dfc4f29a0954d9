// leads capture|import|show|list
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "handoff/marketing/v1/lead_service.grpc.pb.h"
#include "handoffctl/commands.h"
#include "handoffctl/lead_import.h"
#include "handoffctl/render.h"

namespace handoff::ctl {
namespace {

namespace mv1 = ::handoff::marketing::v1;

const std::vector<std::string> kLeadColumns = {"name",  "email", "phone", "given_name", "family_name", "company",
                                                "stage", "owner", "score", "touches",    "campaign"};

std::vector<std::string> LeadRow(const mv1::Lead& l) {
  return {l.name(),
          l.contact().email(),
          l.contact().phone(),
          l.contact().given_name(),
          l.contact().family_name(),
          l.contact().company(),
          EnumLabel(mv1::LifecycleStage_descriptor(), l.lifecycle_stage()),
          EnumLabel(mv1::Owner_descriptor(), l.owner()),
          absl::StrCat(l.score()),
          absl::StrCat(l.touch_count()),
          l.source_campaign()};
}

std::string ConsentText(const common::v1::Consent& c) {
  std::vector<std::string> given;
  if (c.email()) given.push_back("email");
  if (c.phone()) given.push_back("phone");
  if (c.sms()) given.push_back("sms");
  if (c.mail()) given.push_back("mail");
  if (c.do_not_contact()) given.push_back("do_not_contact");
  return given.empty() ? "none" : absl::StrJoin(given, ", ");
}

// The lead as people read it: its fields, the score breakdown, the stage timeline.
void PrintLeadDetail(Context& ctx, const mv1::Lead& l) {
  if (ctx.format() == OutputFormat::kJson) return PrintJson(ctx.out(), l);
  if (ctx.format() == OutputFormat::kCsv) {
    Table t(kLeadColumns);
    t.Add(LeadRow(l));
    return t.Print(ctx.out(), ctx.format());
  }
  Table fields({"field", "value"});
  const auto add = [&](const char* k, const std::string& v) {
    if (!v.empty()) fields.Add({k, v});
  };
  add("name", l.name());
  add("email", l.contact().email());
  add("phone", l.contact().phone());
  add("person", absl::StrJoin({l.contact().given_name(), l.contact().family_name()}, " "));
  add("company", l.contact().company());
  add("title", l.contact().title());
  add("country", l.contact().country_code());
  add("consent", ConsentText(l.consent()));
  add("stage", EnumLabel(mv1::LifecycleStage_descriptor(), l.lifecycle_stage()));
  add("owner", EnumLabel(mv1::Owner_descriptor(), l.owner()));
  add("score", absl::StrCat(l.score()));
  add("touches", absl::StrCat(l.touch_count()));
  add("source campaign", l.source_campaign());
  add("opportunity", l.opportunity());
  if (l.last_outcome() != 0) add("last outcome", EnumLabel(mv1::Outcome_descriptor(), l.last_outcome()));
  add("won revenue", FormatMoney(l.won_revenue()));
  add("external id", l.external_id());
  add("merged into", l.merged_into());
  add("created", FormatTime(l.create_time()));
  add("updated", FormatTime(l.update_time()));
  fields.Print(ctx.out(), ctx.format());
  ctx.out() << "\nscore breakdown\n";
  Table score({"reason", "count", "points"});
  for (const mv1::ScoreComponent& c : l.score_breakdown()) {
    score.Add({c.reason(), absl::StrCat(c.count()), absl::StrCat(c.points())});
  }
  score.Add({"total", "", absl::StrCat(l.score())});
  score.Print(ctx.out(), ctx.format());
  ctx.out() << "\nstage timeline\n";
  Table stages({"time", "stage", "reason"});
  for (const mv1::StageChange& c : l.stage_history()) {
    stages.Add({FormatTime(c.time()), EnumLabel(mv1::LifecycleStage_descriptor(), c.stage()), c.reason()});
  }
  stages.Print(ctx.out(), ctx.format());
}

}  // namespace

void AddLeadCommands(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* group = app.add_subcommand("leads", "Leads: capture one, import a CSV file, show, list");
  group->require_subcommand(1);
  {
    struct Args {
      std::string email, phone, given_name, family_name, company, title, country_code, campaign, external_id,
          request_id;
      std::vector<std::string> consent;
      bool do_not_contact = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("capture", "Capture a person; merges into their lead if known (CaptureLead)");
    c->add_option("--email", a->email, "E-mail address (this or --phone is required)");
    c->add_option("--phone", a->phone, "Phone number, E.164 or national");
    c->add_option("--given_name", a->given_name, "Given name");
    c->add_option("--family_name", a->family_name, "Family name");
    c->add_option("--company", a->company, "Company");
    c->add_option("--title", a->title, "Job title");
    c->add_option("--country_code", a->country_code, "ISO 3166 country code");
    c->add_option("--consent", a->consent, "Channels consented to: email, phone, sms, mail (comma-separated)")
        ->delimiter(',');
    c->add_flag("--do_not_contact", a->do_not_contact, "The person asked not to be contacted");
    c->add_option("--campaign", a->campaign, "The campaign that brought them (campaigns/ID or ID)");
    c->add_option("--external_id", a->external_id, "Your system's id for the person");
    c->add_option("--request_id", a->request_id, "Idempotency key (default: a new one)");
    c->callback([&ctx, &exit_code, a] {
      mv1::CaptureLeadRequest req;
      common::v1::Contact* p = req.mutable_contact();
      p->set_email(a->email);
      p->set_phone(a->phone);
      p->set_given_name(a->given_name);
      p->set_family_name(a->family_name);
      p->set_company(a->company);
      p->set_title(a->title);
      p->set_country_code(a->country_code);
      for (const std::string& ch : a->consent) {
        if (ch == "email") {
          req.mutable_consent()->set_email(true);
        } else if (ch == "phone") {
          req.mutable_consent()->set_phone(true);
        } else if (ch == "sms") {
          req.mutable_consent()->set_sms(true);
        } else if (ch == "mail") {
          req.mutable_consent()->set_mail(true);
        } else {
          return void(exit_code = Failed(ctx, absl::InvalidArgumentError(
                                                  absl::StrCat("--consent=", ch, ": one of email, phone, sms, mail"))));
        }
      }
      if (a->do_not_contact) req.mutable_consent()->set_do_not_contact(true);
      req.set_campaign(ResourceName("campaigns", a->campaign));
      req.set_external_id(a->external_id);
      req.set_request_id(a->request_id.empty() ? NewRequestId() : a->request_id);
      auto stub = NewStub<mv1::LeadService>(ctx, Peer::kMarketing, exit_code);
      if (stub == nullptr) return;
      mv1::CaptureLeadResponse resp;
      grpc::Status s = stub->CaptureLead(ctx.Call().get(), req, &resp);
      if (!s.ok()) return void(exit_code = CallFailed(ctx, "CaptureLead", s));
      if (ctx.format() == OutputFormat::kJson) return PrintJson(ctx.out(), resp);
      std::vector<std::string> headers = kLeadColumns;
      headers.push_back("merged");
      std::vector<std::string> row = LeadRow(resp.lead());
      row.push_back(resp.merged() ? absl::StrCat("yes (", resp.matched_on(), ")") : "no");
      Table t(headers);
      t.Add(row);
      t.Print(ctx.out(), ctx.format());
    });
  }
  {
    auto a = std::make_shared<LeadImportOptions>();
    CLI::App* c = group->add_subcommand(
        "import", "Import a CSV file of people (LeadService.ImportLeads); the header names the columns: " +
                      absl::StrJoin(LeadImportColumns(), ", "));
    c->add_option("file", a->file, "The CSV file (RFC 4180, UTF-8, a header row first)")->required();
    c->add_option("--errors", a->errors_file, "Where the rejected rows go, as CSV (default FILE.errors.csv)");
    c->add_option("--column", a->column_maps, "HEADER=COLUMN: read the file's HEADER as COLUMN (HEADER=- skips it)");
    c->add_option("--campaign", a->campaign, "Campaign of rows without one (campaigns/ID or ID)");
    c->add_option("--batch_rows", a->batch_rows, "Rows per ImportLeads stream")->capture_default_str();
    c->add_option("--progress", a->progress, "auto (bar on a terminal, lines otherwise), bar, lines, none")
        ->capture_default_str();
    c->callback([&ctx, &exit_code, a] {
      LeadImportOptions o = *a;
      o.campaign = ResourceName("campaigns", o.campaign);
      exit_code = RunLeadImport(ctx, o);
    });
  }
  AddGetCommand<mv1::LeadService, mv1::GetLeadRequest, mv1::GetLeadResponse>(
      group, ctx, exit_code, "Show a lead: fields, score breakdown, stage timeline (GetLead)", "lead", "leads",
      Peer::kMarketing, [](auto& stub, auto* cc, const auto& q, auto* r) { return stub.GetLead(cc, q, r); },
      "GetLead", [&ctx](const mv1::GetLeadResponse& r) { PrintLeadDetail(ctx, r.lead()); });
  {
    struct Args : Paging {
      std::string stage, owner, campaign, email;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("list", "List leads in capture order (ListLeads)");
    c->add_option("--stage", a->stage, "Only this lifecycle stage: subscriber, lead, mql, sql, opportunity, customer, ...");
    c->add_option("--owner", a->owner, "Only this owner: marketing, sales_pending, sales");
    c->add_option("--campaign", a->campaign, "Only leads this campaign brought (campaigns/ID or ID)");
    c->add_option("--email", a->email, "Only the lead with this e-mail address");
    a->AddTo(c, "Leads");
    c->callback([&ctx, &exit_code, a] {
      mv1::ListLeadsRequest req;
      int stage = 0, owner = 0;
      if (!OptionalEnum(ctx, exit_code, mv1::LifecycleStage_descriptor(), a->stage, "--stage", &stage) ||
          !OptionalEnum(ctx, exit_code, mv1::Owner_descriptor(), a->owner, "--owner", &owner)) {
        return;
      }
      req.set_lifecycle_stage(static_cast<mv1::LifecycleStage>(stage));
      req.set_owner(static_cast<mv1::Owner>(owner));
      req.set_source_campaign(ResourceName("campaigns", a->campaign));
      req.set_email(a->email);
      a->Fill(req);
      auto stub = NewStub<mv1::LeadService>(ctx, Peer::kMarketing, exit_code);
      if (stub == nullptr) return;
      ListAndPrint<mv1::ListLeadsResponse>(ctx, req, a->all,
                   [&](grpc::ClientContext* cc, const auto& q, auto* r) { return stub->ListLeads(cc, q, r); },
                   "ListLeads", [](const auto& p) -> const auto& { return p.leads(); }, kLeadColumns, LeadRow, exit_code);
    });
  }
}

}  // namespace handoff::ctl
