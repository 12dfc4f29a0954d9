#ifndef HANDOFF_HANDOFFCTL_COMMANDS_H_
#define HANDOFF_HANDOFFCTL_COMMANDS_H_

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/message.h"

#include "handoffctl/cli_context.h"
#include "handoffctl/render.h"

namespace handoff::ctl {

// Each adds its command group to `app`; a command run sets `exit_code`.
void AddCampaignCommands(CLI::App& app, Context& ctx, int& exit_code);   // campaigns ...
void AddLeadCommands(CLI::App& app, Context& ctx, int& exit_code);       // leads ...
void AddDealCommands(CLI::App& app, Context& ctx, int& exit_code);       // deals ...
void AddReportCommands(CLI::App& app, Context& ctx, int& exit_code);     // reports ...
void AddWatchCommands(CLI::App& app, Context& ctx, int& exit_code);      // watch ...
void AddOpsCommands(CLI::App& app, Context& ctx, int& exit_code);        // ops ...

// A fresh request_id for a mutation: random, so one run acts once (gRPC's retries of
// that run resend the same id), and a new run acts anew unless --request_id repeats one.
std::string NewRequestId();

// "campaigns/ID" from "ID" or "campaigns/ID" (so people may type either).
std::string ResourceName(const std::string& collection, const std::string& id_or_name);

// An optional enum filter of a list command: `*value` is 0 (unspecified: no filter) when
// `text` is empty, else the value `text` names. Otherwise prints why, naming `flag`, sets
// `exit_code` (2) and returns false.
bool OptionalEnum(Context& ctx, int& exit_code, const google::protobuf::EnumDescriptor* type, const std::string& text,
                  absl::string_view flag, int* value);

enum class Peer { kMarketing, kSales };

// A stub of `Service` on the channel to `peer`; null (and `exit_code` set, the error
// printed) when the channel cannot be made.
template <typename Service>
std::unique_ptr<typename Service::Stub> NewStub(Context& ctx, Peer peer, int& exit_code) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ch = peer == Peer::kMarketing ? ctx.Marketing() : ctx.Sales();
  if (!ch.ok()) {
    exit_code = Failed(ctx, ch.status());
    return nullptr;
  }
  return Service::NewStub(*ch);
}

// Calls a List method page by page (all of them with `all`, else the one asked for) and
// hands back the pages; false (error printed, exit_code set) when a call fails. Says on
// stderr how to go on when pages remain.
template <typename Request, typename Response, typename Method>
bool ListPages(Context& ctx, Request request, bool all, Method method, const char* name,
               std::vector<Response>* pages, int& exit_code) {
  do {
    pages->emplace_back();
    grpc::Status s = method(ctx.Call().get(), request, &pages->back());
    if (!s.ok()) {
      exit_code = CallFailed(ctx, name, s);
      return false;
    }
    request.set_page_token(pages->back().next_page_token());
  } while (all && !request.page_token().empty());
  if (!request.page_token().empty()) ctx.err() << "more: --page_token=" << request.page_token() << " (or --all)\n";
  return true;
}

// Adds `name` ("show"): a command taking one resource (`positional`: "ID or
// collection/ID"), calling `method(stub, context, request, response)` with the request's
// name set, and printing the response with `print`.
template <typename Service, typename Request, typename Response, typename Method, typename Print>
void AddGetCommand(CLI::App* group, Context& ctx, int& exit_code, const std::string& help,
                   const std::string& positional, const std::string& collection, Peer peer, Method method,
                   const char* method_name, Print print) {
  auto id = std::make_shared<std::string>();
  CLI::App* c = group->add_subcommand("show", help);
  c->add_option(positional, *id, collection + "/ID or ID")->required();
  c->callback([&ctx, &exit_code, id, collection, peer, method, method_name, print] {
    auto stub = NewStub<Service>(ctx, peer, exit_code);
    if (stub == nullptr) return;
    Request req;
    req.set_name(ResourceName(collection, *id));
    Response resp;
    grpc::Status s = method(*stub, ctx.Call().get(), req, &resp);
    if (!s.ok()) return void(exit_code = CallFailed(ctx, method_name, s));
    print(resp);
  });
}

// Prints `items` as a JSON array (protobuf's printer) or as `table` in the chosen format.
void PrintList(Context& ctx, const std::vector<const google::protobuf::Message*>& items, const Table& table);

// The paging flags of a list command: --page_size, --page_token, --all.
struct Paging {
  int page_size = 50;
  std::string page_token;
  bool all = false;
  void AddTo(CLI::App* c, const std::string& items) {
    c->add_option("--page_size", page_size, items + " per page")->capture_default_str();
    c->add_option("--page_token", page_token, "Continue from a previous page");
    c->add_flag("--all", all, "Follow every page to the end");
  }
  template <typename Request>
  void Fill(Request& req) const {
    req.set_page_size(page_size);
    req.set_page_token(page_token);
  }
};

// Prints the resources of every page: `items(page)` returns (a reference to) a page's,
// `row(resource)` makes its table row under `columns`.
template <typename Response, typename Items, typename Row>
void PrintPages(Context& ctx, const std::vector<Response>& pages, Items items, const std::vector<std::string>& columns,
                Row row) {
  std::vector<const google::protobuf::Message*> all;
  Table table(columns);
  for (const Response& page : pages) {
    for (const auto& resource : items(page)) {
      all.push_back(&resource);
      table.Add(row(resource));
    }
  }
  PrintList(ctx, all, table);
}

// A list command's calls and output: the pages ListPages fetches (`Response` each),
// printed as PrintPages does; nothing printed (error printed, exit_code set) when a call fails.
template <typename Response, typename Request, typename Method, typename Items, typename Row>
void ListAndPrint(Context& ctx, const Request& request, bool all, Method method, const char* name, Items items,
                  const std::vector<std::string>& columns, Row row, int& exit_code) {
  std::vector<Response> pages;
  if (ListPages(ctx, request, all, method, name, &pages, exit_code)) PrintPages(ctx, pages, items, columns, row);
}

}  // namespace handoff::ctl

#endif  // HANDOFF_HANDOFFCTL_COMMANDS_H_
