// watch leads|deals; ops backlog|parked|retry
#include <memory>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "handoff/marketing/v1/lead_service.grpc.pb.h"
#include "handoff/ops/v1/delivery_service.grpc.pb.h"
#include "handoff/sales/v1/opportunity_service.grpc.pb.h"
#include "handoffctl/commands.h"
#include "handoffctl/render.h"

namespace handoff::ctl {
namespace {

namespace mv1 = ::handoff::marketing::v1;
namespace sv1 = ::handoff::sales::v1;
namespace ops = ::handoff::ops::v1;

struct WatchArgs {
  int64_t after = 0;
  bool from_now = false;
  std::vector<std::string> types;
  int64_t count = 0;
  std::string duration = "24h";
  void AddTo(CLI::App* c, const std::string& type_help) {
    c->add_option("--after", after, "Start after this sequence (0: the whole log)");
    c->add_flag("--from_now", from_now, "Only events committed from now on");
    c->add_option("--types", types, type_help)->delimiter(',');
    c->add_option("--count", count, "Stop after this many events (0: no limit)");
    c->add_option("--for", duration, "Stop after this long (the call's deadline)")->capture_default_str();
  }
};

// One event as a line: table columns of fixed width (a stream cannot be measured before
// it is printed), or a CSV record; the header before the first.
void PrintEventLine(Context& ctx, const std::vector<std::string>& headers, const std::vector<std::string>& cells,
                    bool first) {
  if (ctx.format() == OutputFormat::kCsv) {
    if (first) ctx.out() << CsvRecord(headers);
    ctx.out() << CsvRecord(cells) << std::flush;
    return;
  }
  const auto line = [&](const std::vector<std::string>& v) {
    std::string text;
    for (size_t i = 0; i < v.size(); ++i) {
      const size_t w = i == 0 ? 8 : (i == 1 ? 20 : 22);
      text += v[i];
      if (i + 1 < v.size()) text += std::string(v[i].size() < w ? w - v[i].size() : 1, ' ');
    }
    ctx.out() << text << "\n" << std::flush;
  };
  if (first) line(headers);
  line(cells);
}

template <typename Request, typename Response, typename StartStream, typename Row>
int RunWatch(Context& ctx, const WatchArgs& a, const google::protobuf::EnumDescriptor* types,
             const std::vector<std::string>& headers, StartStream start, Row row, const char* method) {
  absl::Duration bound;
  if (!absl::ParseDuration(a.duration, &bound) || bound <= absl::ZeroDuration()) {
    return Failed(ctx, absl::InvalidArgumentError(absl::StrCat("--for=", a.duration, ": not a positive duration")));
  }
  Request req;
  req.set_after_sequence(a.after);
  req.set_from_now(a.from_now);
  for (const std::string& t : a.types) {
    absl::StatusOr<int> v = ParseEnum(types, t, "--types");
    if (!v.ok()) return Failed(ctx, v.status());
    req.add_event_types(static_cast<decltype(req.event_types(0))>(*v));
  }
  std::unique_ptr<grpc::ClientContext> call = ctx.Call(bound);
  call->set_deadline(absl::ToChronoTime(absl::Now() + bound));
  auto stream = start(call.get(), req);
  if (stream == nullptr) return kExitCallFailed;
  Response r;
  int64_t seen = 0;
  while (stream->Read(&r)) {
    if (!r.has_event()) continue;  // a heartbeat
    if (ctx.format() == OutputFormat::kJson) {
      std::string json;
      google::protobuf::util::JsonPrintOptions o;
      o.preserve_proto_field_names = true;
      (void)google::protobuf::util::MessageToJsonString(r.event(), &json, o);
      ctx.out() << json << "\n" << std::flush;
    } else {
      PrintEventLine(ctx, headers, row(r.event()), seen == 0);
    }
    if (++seen == a.count) {
      call->TryCancel();
      break;
    }
  }
  grpc::Status s = stream->Finish();
  if (s.ok() || (a.count > 0 && seen >= a.count) || s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return kExitOk;
  }
  return CallFailed(ctx, method, s);
}

}  // namespace

void AddWatchCommands(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* group = app.add_subcommand("watch", "Follow lead or deal events as they happen");
  group->require_subcommand(1);
  {
    auto a = std::make_shared<WatchArgs>();
    CLI::App* c = group->add_subcommand("leads", "Marketing's lead events (WatchLeadEvents)");
    a->AddTo(c, "Only these: captured, merged, touched, handed_off, consent_changed, outcome_reported, ...");
    c->callback([&ctx, &exit_code, a] {
      auto stub = NewStub<mv1::LeadService>(ctx, Peer::kMarketing, exit_code);
      if (stub == nullptr) return;
      exit_code = RunWatch<mv1::WatchLeadEventsRequest, mv1::WatchLeadEventsResponse>(
          ctx, *a, mv1::LeadEventType_descriptor(), {"sequence", "time", "type", "lead", "stage", "owner", "score"},
          [&](grpc::ClientContext* cc, const auto& q) { return stub->WatchLeadEvents(cc, q); },
          [](const mv1::LeadEvent& e) -> std::vector<std::string> {
            return {absl::StrCat(e.sequence()),
                    FormatTime(e.time()),
                    EnumLabel(mv1::LeadEventType_descriptor(), e.type()),
                    e.lead(),
                    EnumLabel(mv1::LifecycleStage_descriptor(), e.lifecycle_stage()),
                    EnumLabel(mv1::Owner_descriptor(), e.owner()),
                    absl::StrCat(e.score())};
          },
          "WatchLeadEvents");
    });
  }
  {
    auto a = std::make_shared<WatchArgs>();
    CLI::App* c = group->add_subcommand("deals", "Sales' deal events (WatchDealEvents)");
    a->AddTo(c, "Only these: created, assigned, accepted, rejected, activity_logged, stage_advanced, won, lost, ...");
    c->callback([&ctx, &exit_code, a] {
      auto stub = NewStub<sv1::OpportunityService>(ctx, Peer::kSales, exit_code);
      if (stub == nullptr) return;
      exit_code = RunWatch<sv1::WatchDealEventsRequest, sv1::WatchDealEventsResponse>(
          ctx, *a, sv1::DealEventType_descriptor(),
          {"sequence", "time", "type", "opportunity", "stage", "rep", "amount"},
          [&](grpc::ClientContext* cc, const auto& q) { return stub->WatchDealEvents(cc, q); },
          [](const sv1::DealEvent& e) -> std::vector<std::string> {
            return {absl::StrCat(e.sequence()),
                    FormatTime(e.time()),
                    EnumLabel(sv1::DealEventType_descriptor(), e.type()),
                    e.opportunity(),
                    EnumLabel(sv1::Stage_descriptor(), e.stage()),
                    e.rep(),
                    FormatMoney(e.amount())};
          },
          "WatchDealEvents");
    });
  }
}

void AddOpsCommands(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* group = app.add_subcommand("ops", "The services' outboxes: backlog, parked messages, retry");
  group->require_subcommand(1);
  auto service = std::make_shared<std::string>("both");
  const auto peers = [service]() -> std::vector<std::pair<std::string, Peer>> {
    std::vector<std::pair<std::string, Peer>> out;
    if (*service == "both" || *service == "marketing") out.emplace_back("marketing", Peer::kMarketing);
    if (*service == "both" || *service == "sales") out.emplace_back("sales", Peer::kSales);
    return out;
  };
  {
    CLI::App* c = group->add_subcommand("backlog", "Messages waiting to be delivered, the oldest's age, parked (GetDeliveryBacklog)");
    c->add_option("--service", *service, "marketing, sales or both")->check(CLI::IsMember({"marketing", "sales", "both"}))
        ->capture_default_str();
    c->callback([&ctx, &exit_code, peers] {
      Table t({"service", "pending", "oldest_age_seconds", "parked"});
      std::vector<ops::GetDeliveryBacklogResponse> answers;
      for (const auto& [name, peer] : peers()) {
        auto stub = NewStub<ops::DeliveryService>(ctx, peer, exit_code);
        if (stub == nullptr) return;
        answers.emplace_back();
        grpc::Status s = stub->GetDeliveryBacklog(ctx.Call().get(), ops::GetDeliveryBacklogRequest(), &answers.back());
        if (!s.ok()) return void(exit_code = CallFailed(ctx, name + " GetDeliveryBacklog", s));
        const auto& r = answers.back();
        t.Add({name, FormatCount(r.pending()), absl::StrCat(r.oldest_age().seconds()), FormatCount(r.parked())});
      }
      std::vector<const google::protobuf::Message*> items;
      for (const auto& r : answers) items.push_back(&r);
      PrintList(ctx, items, t);
    });
  }
  {
    auto a = std::make_shared<Paging>();
    a->page_size = 100;
    auto which = std::make_shared<std::string>();
    CLI::App* c = group->add_subcommand("parked", "Messages that spent their retry budget, oldest first (ListParkedMessages)");
    c->add_option("--service", *which, "marketing or sales")->required()->check(CLI::IsMember({"marketing", "sales"}));
    a->AddTo(c, "Messages");
    c->callback([&ctx, &exit_code, a, which] {
      auto stub = NewStub<ops::DeliveryService>(ctx, *which == "sales" ? Peer::kSales : Peer::kMarketing, exit_code);
      if (stub == nullptr) return;
      ops::ListParkedMessagesRequest req;
      a->Fill(req);
      ListAndPrint<ops::ListParkedMessagesResponse>(ctx, req, a->all,
                   [&](grpc::ClientContext* cc, const auto& q, auto* r) { return stub->ListParkedMessages(cc, q, r); },
                   "ListParkedMessages", [](const auto& p) -> const auto& { return p.messages(); },
                   {"sequence", "topic", "key", "attempts", "created", "last_error"},
                   [](const ops::ParkedMessage& m) -> std::vector<std::string> {
                     return {absl::StrCat(m.sequence()), m.topic(), m.key(), absl::StrCat(m.attempts()),
                             FormatTime(m.create_time()), m.last_error()};
                   },
                   exit_code);
    });
  }
  {
    struct Args {
      std::vector<int64_t> sequences;
      bool all = false;
      std::string service;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("retry", "Send parked messages again with a fresh budget (RetryParkedMessages)");
    c->add_option("--service", a->service, "marketing or sales")->required()->check(CLI::IsMember({"marketing", "sales"}));
    c->add_option("sequences", a->sequences, "The parked messages' sequences (from ops parked)");
    c->add_flag("--all", a->all, "Every parked message");
    c->callback([&ctx, &exit_code, a] {
      if (a->all == !a->sequences.empty()) {
        return void(exit_code = Failed(ctx, absl::InvalidArgumentError("give the sequences to retry, or --all")));
      }
      auto stub = NewStub<ops::DeliveryService>(ctx, a->service == "sales" ? Peer::kSales : Peer::kMarketing, exit_code);
      if (stub == nullptr) return;
      ops::RetryParkedMessagesRequest req;
      for (int64_t s : a->sequences) req.add_sequences(s);
      req.set_all(a->all);
      ops::RetryParkedMessagesResponse r;
      grpc::Status s = stub->RetryParkedMessages(ctx.Call().get(), req, &r);
      if (!s.ok()) return void(exit_code = CallFailed(ctx, "RetryParkedMessages", s));
      if (ctx.format() == OutputFormat::kJson) return PrintJson(ctx.out(), r);
      Table t({"requeued"});
      t.Add({FormatCount(r.requeued())});
      t.Print(ctx.out(), ctx.format());
    });
  }
}

}  // namespace handoff::ctl
