// Transport security and per-method authorization of the real binaries: mTLS with the
// certificates scripts/dev-certs.sh makes, the policies shipped in deploy/authz, rotation
// of both without a restart, and the start-up checks that refuse a bad configuration.
//
// The test clients use grpc::SslCredentials, not the TlsCredentials the services use, so
// the two sides of each handshake are configured independently.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <grpc/grpc_security_constants.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/error_details.h"
#include "tests/integration/handoff_system.h"
#include "tests/integration/lead_flow.h"

namespace handoff::testing {
namespace {

const std::string kSource = HANDOFF_SOURCE_DIR;
const char* const kIdentities[] = {"marketing", "sales", "ops", "crm-frontend"};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  // Beside the final name, then renamed: the watcher never reads half a file.
  {
    std::ofstream out(path + ".tmp", std::ios::binary | std::ios::trunc);
    out << text;
  }
  ASSERT_EQ(std::rename((path + ".tmp").c_str(), path.c_str()), 0) << path;
}

// Runs scripts/dev-certs.sh DIR: a CA on the first run, new leaves on every run.
void DevCerts(const std::string& dir) {
  const std::string command = kSource + "/scripts/dev-certs.sh " + dir + " >/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

// A client identity `name` from `dir`, trusting the CA in `ca_dir` (default: the same).
std::shared_ptr<grpc::ChannelCredentials> Identity(const std::string& dir, const std::string& name,
                                                   const std::string& ca_dir = "") {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile((ca_dir.empty() ? dir : ca_dir) + "/ca.pem");
  ssl.pem_cert_chain = ReadFile(dir + "/" + name + ".pem");
  ssl.pem_private_key = ReadFile(dir + "/" + name + ".key");
  return grpc::SslCredentials(ssl);
}

// A channel of its own (its own subchannel pool: a new connection, a new handshake).
std::shared_ptr<grpc::Channel> NewChannel(const std::string& address,
                                          const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, credentials, args);
}

// Calls `method` ("/package.Service/Method") with an empty request message. The server's
// authorization runs before the handler, so a denied call is PERMISSION_DENIED whatever
// the request; an allowed one reaches the handler (and is mostly INVALID_ARGUMENT).
grpc::Status CallEmpty(const std::shared_ptr<grpc::Channel>& channel, const std::string& method) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1500));
  grpc::Slice empty(std::string{});
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

// Calls `method` with `request`, acting for `actor` (x-handoff-actor) when it is not empty.
grpc::Status CallAs(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                    const google::protobuf::Message& request, const std::string& actor) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  if (!actor.empty()) ctx.AddMetadata("x-handoff-actor", actor);
  grpc::Slice bytes(request.SerializeAsString());
  grpc::ByteBuffer buffer(&bytes, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &buffer, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

// The certificate (PEM) a server presented on the call `ctx` made.
std::string ServerCertificate(const grpc::ClientContext& ctx) {
  const std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  if (auth == nullptr) return "";
  const std::vector<grpc::string_ref> pem = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  return pem.empty() ? "" : std::string(pem.front().data(), pem.front().size());
}

bool StartsWith(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// The least-privilege rules the shipped policies are to enforce, restated independently
// of their JSON: may `identity` call `method` of `service` on `server`?
bool Allowed(const std::string& server, const std::string& identity, const std::string& service,
             const std::string& method) {
  if (service == "grpc.health.v1.Health") return true;
  const bool read = StartsWith(method, "Get") || StartsWith(method, "Lookup") || StartsWith(method, "List") ||
                    StartsWith(method, "Watch");
  if (service == "handoff.ops.v1.DeliveryService" || service == "handoff.ops.v1.AuditService") {
    return identity == "ops";
  }
  if (server == "marketing") {
    if (service == "handoff.marketing.v1.LeadService" && method == "ReportOutcome") return identity == "sales";
    if (service == "handoff.marketing.v1.CampaignService" || service == "handoff.marketing.v1.LeadService") {
      return identity == "crm-frontend" || (identity == "ops" && read);
    }
    if (service == "handoff.marketing.v1.ScoringService") {
      return identity == "ops" || (identity == "crm-frontend" && read);
    }
    if (service == "handoff.marketing.v1.MarketingReportService") return identity == "ops" || identity == "crm-frontend";
  } else {
    if (service == "handoff.sales.v1.HandoffService") return identity == "marketing";
    if (service == "handoff.sales.v1.OpportunityService" || service == "handoff.sales.v1.RepService") {
      return identity == "crm-frontend" || (identity == "ops" && read);
    }
    if (service == "handoff.sales.v1.PipelineReportService") return identity == "ops" || identity == "crm-frontend";
  }
  ADD_FAILURE() << "no rule for " << server << " " << service << "/" << method;
  return false;
}

// Both services with mTLS required (certificates in dir_/certs, re-read every second) and
// the policies shipped in deploy/authz; the fixture's stubs are the CRM front end.
class SecureSystemTest : public HandoffSystem {
 protected:
  std::string certs() const { return dir_.path() + "/certs"; }
  std::string m_addr() const { return "127.0.0.1:" + std::to_string(marketing_port_); }
  std::string s_addr() const { return "127.0.0.1:" + std::to_string(sales_port_); }

  std::vector<std::string> TlsFlags(const std::string& name) const {
    return {"--tls_cert=" + certs() + "/" + name + ".pem", "--tls_key=" + certs() + "/" + name + ".key",
            "--tls_ca=" + certs() + "/ca.pem", "--tls_client_auth=require", "--tls_refresh_interval=1s"};
  }
  virtual std::string MarketingPolicy() const { return kSource + "/deploy/authz/marketing-service.json"; }
  std::vector<std::string> ExtraMarketingFlags() const override {
    std::vector<std::string> flags = TlsFlags("marketing");
    flags.push_back("--authz_policy=" + MarketingPolicy());
    flags.push_back("--authz_refresh_interval=1s");
    return flags;
  }
  std::vector<std::string> ExtraSalesFlags() const override {
    std::vector<std::string> flags = TlsFlags("sales");
    flags.push_back("--authz_policy=" + kSource + "/deploy/authz/sales-service.json");
    return flags;
  }
  void BeforeStart() override { DevCerts(certs()); }
  std::shared_ptr<grpc::ChannelCredentials> ClientCredentials() override { return Identity(certs(), "crm-frontend"); }

  // A channel to marketing (or sales) as `identity`.
  std::shared_ptr<grpc::Channel> As(const std::string& identity, bool to_marketing = true) const {
    return NewChannel(to_marketing ? m_addr() : s_addr(), Identity(certs(), identity));
  }
};

TEST_F(SecureSystemTest, LeadsGoThroughTheWholeFlowOverMutualTlsUnderTheShippedPolicies) {
  CreateRep("ada", "", 100);
  LeadFlow flow("mtls", 3);
  const LeadFlow::Stubs stubs{leads_.get(), opportunities_.get()};
  for (int i = 0; i < 3; ++i) EXPECT_EQ(flow.Drive(i, stubs), "") << "lead " << i;
  // Outcomes travel back asynchronously; the delivery backlogs are for ops to read.
  auto marketing_ops = ops::v1::DeliveryService::NewStub(As("ops"));
  auto sales_ops = ops::v1::DeliveryService::NewStub(As("ops", /*to_marketing=*/false));
  ASSERT_TRUE(Eventually([&] { return LeadFlow::Drained(*marketing_ops) && LeadFlow::Drained(*sales_ops); }));
  LeadFlow::ExpectClean(flow.Check(stubs, *marketing_reports_, *pipeline_), 3);
  EXPECT_NE(marketing_->Log().find("transport security: mTLS (client certificates required), authorization policy"),
            std::string::npos)
      << marketing_->Log();
}

// Every change is in the audit log of the service that made it, with the identity that
// asked for it; a call the rules refused is there with its code; only ops may read it.
TEST_F(SecureSystemTest, EveryMutationIsAuditedWithItsCallerResourceAndCode) {
  CreateRep("ada", "", 100);
  LeadFlow flow("audited", 1);
  const LeadFlow::Stubs stubs{leads_.get(), opportunities_.get()};
  ASSERT_EQ(flow.Drive(0, stubs), "");
  auto marketing_ops = ops::v1::DeliveryService::NewStub(As("ops"));
  auto sales_ops = ops::v1::DeliveryService::NewStub(As("ops", /*to_marketing=*/false));
  ASSERT_TRUE(Eventually([&] { return LeadFlow::Drained(*marketing_ops) && LeadFlow::Drained(*sales_ops); }));
  const std::string lead = flow.lead_names()[0];
  const std::string opportunity = OpportunitiesOf(lead).at(0).name();
  // Closing it again breaks a rule: FAILED_PRECONDITION, audited.
  sales::v1::CloseWonRequest again;
  again.set_name(opportunity);
  again.mutable_amount()->set_amount_minor(5);
  again.mutable_amount()->set_currency_code("EUR");
  again.set_request_id("won-again");
  sales::v1::CloseWonResponse closed;
  ASSERT_EQ(opportunities_->CloseWon(Ctx().get(), again, &closed).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  auto records = [&](bool marketing, ops::v1::ListAuditRecordsRequest req) {
    auto audit = ops::v1::AuditService::NewStub(As("ops", marketing));
    std::vector<ops::v1::AuditRecord> out;
    for (int page = 0; page < 100; ++page) {
      ops::v1::ListAuditRecordsResponse resp;
      const grpc::Status s = audit->ListAuditRecords(Ctx().get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      out.insert(out.end(), resp.records().begin(), resp.records().end());
      if (!s.ok() || resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return out;
  };
  auto describe = [](const std::vector<ops::v1::AuditRecord>& rs) {
    std::string out;
    for (const ops::v1::AuditRecord& r : rs) {
      out += r.method() + " by " + r.principal() + " on " + r.resource() + " code " + std::to_string(r.code()) + "\n";
    }
    return out;
  };
  ops::v1::ListAuditRecordsRequest about_lead;
  about_lead.set_resource(lead);
  about_lead.set_page_size(1);  // one record a page: the paging is exercised too
  const std::vector<ops::v1::AuditRecord> in_marketing = records(true, about_lead);
  const std::string m = describe(in_marketing);
  EXPECT_NE(m.find("LeadService/CaptureLead by spiffe://handoff.local/crm-frontend on " + lead + " code 0"),
            std::string::npos) << m;
  EXPECT_NE(m.find("LeadService/QualifyLead by spiffe://handoff.local/crm-frontend on " + lead + " code 0"),
            std::string::npos) << m;
  EXPECT_NE(m.find("LeadService/ReportOutcome by spiffe://handoff.local/sales on " + lead + " code 0"),
            std::string::npos) << m;
  for (size_t i = 1; i < in_marketing.size(); ++i) {
    EXPECT_GT(in_marketing[i - 1].sequence(), in_marketing[i].sequence()) << "newest first";
  }
  ASSERT_FALSE(in_marketing.empty());
  EXPECT_EQ(in_marketing.back().request_id(), "audited-capture-0");

  const std::string s = describe(records(false, {}));
  // A handoff is about the opportunity it creates (the resource its response names).
  EXPECT_NE(s.find("HandoffService/HandoffLead by spiffe://handoff.local/marketing on " + opportunity + " code 0"),
            std::string::npos) << s;
  EXPECT_NE(s.find("OpportunityService/AcceptOpportunity by spiffe://handoff.local/crm-frontend on " + opportunity +
                   " code 0"), std::string::npos) << s;
  EXPECT_NE(s.find("OpportunityService/CloseWon by spiffe://handoff.local/crm-frontend on " + opportunity + " code 0"),
            std::string::npos) << s;
  EXPECT_NE(s.find("OpportunityService/CloseWon by spiffe://handoff.local/crm-frontend on " + opportunity + " code 9"),
            std::string::npos) << s;
  EXPECT_NE(s.find("RepService/CreateRep by spiffe://handoff.local/crm-frontend"), std::string::npos) << s;

  // Filters: the refused calls alone, and a bad filter.
  ops::v1::ListAuditRecordsRequest refused;
  refused.mutable_code()->set_value(9);
  const std::vector<ops::v1::AuditRecord> failed = records(false, refused);
  ASSERT_EQ(failed.size(), 1u) << describe(failed);
  EXPECT_EQ(failed[0].request_id(), "won-again");
  auto audit = ops::v1::AuditService::NewStub(As("ops", false));
  ops::v1::ListAuditRecordsRequest bad;
  bad.mutable_code()->set_value(17);
  ops::v1::ListAuditRecordsResponse none;
  EXPECT_EQ(audit->ListAuditRecords(Ctx().get(), bad, &none).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Reads are not audited.
  EXPECT_EQ(s.find("List"), std::string::npos) << s;
}

// A call the front end makes for a rep (x-handoff-actor) may change only that rep's
// opportunities: every opportunity mutation is refused for another rep's deal before it
// changes anything, and what the rep does is recorded as done by the rep.
TEST_F(SecureSystemTest, ARepActingThroughTheFrontEndChangesOnlyItsOwnOpportunities) {
  const std::string ada = CreateRep("ada", "", 100).name();
  const std::string bo = CreateRep("bo", "", 100).name();
  const std::string lead = CaptureEmail("acting0@example.org");
  Qualify(lead);
  const std::vector<sales::v1::Opportunity> opps = AwaitOpportunities(lead);
  ASSERT_EQ(opps.size(), 1u);
  const std::string opportunity = opps[0].name();
  sales::v1::AssignOpportunityRequest assign;  // by the system (no actor): to ada
  assign.set_name(opportunity);
  assign.set_rep(ada);
  assign.set_request_id("assign-to-ada");
  sales::v1::AssignOpportunityResponse assigned;
  ASSERT_TRUE(opportunities_->AssignOpportunity(Ctx().get(), assign, &assigned).ok());

  const std::shared_ptr<grpc::Channel> front = As("crm-frontend", /*to_marketing=*/false);
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName("handoff.sales.v1.OpportunityService");
  ASSERT_NE(service, nullptr);
  google::protobuf::DynamicMessageFactory factory;
  int mutations = 0;
  for (int m = 0; m < service->method_count(); ++m) {
    const google::protobuf::MethodDescriptor* method = service->method(m);
    const std::string name = method->name();
    if (StartsWith(name, "Get") || StartsWith(name, "List") || StartsWith(name, "Watch")) continue;
    ++mutations;
    std::unique_ptr<google::protobuf::Message> req(factory.GetPrototype(method->input_type())->New());
    const google::protobuf::Reflection* r = req->GetReflection();
    const google::protobuf::Descriptor* d = req->GetDescriptor();
    if (const auto* f = d->FindFieldByName("name")) r->SetString(req.get(), f, opportunity);
    if (const auto* f = d->FindFieldByName("opportunity")) {
      if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
        r->SetString(req.get(), f, opportunity);
      } else {  // UpdateOpportunity: the opportunity itself
        google::protobuf::Message* o = r->MutableMessage(req.get(), f, &factory);
        o->GetReflection()->SetString(o, o->GetDescriptor()->FindFieldByName("name"), opportunity);
      }
    }
    if (const auto* f = d->FindFieldByName("activity"); f != nullptr && name == "UpdateActivity") {
      google::protobuf::Message* a = r->MutableMessage(req.get(), f, &factory);
      a->GetReflection()->SetString(a, a->GetDescriptor()->FindFieldByName("name"), opportunity + "/activities/x");
      a->GetReflection()->SetString(a, a->GetDescriptor()->FindFieldByName("summary"), "corrected");
    }
    if (const auto* f = d->FindFieldByName("request_id")) r->SetString(req.get(), f, "bo-" + name);
    const grpc::Status s = CallAs(front, "/handoff.sales.v1.OpportunityService/" + name, *req, bo);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << name << ": " << s.error_message();
    EXPECT_NE(s.error_message().find(bo + " may change only opportunities assigned to it"), std::string::npos)
        << name << ": " << s.error_message();
  }
  EXPECT_EQ(mutations, 11);
  sales::v1::GetOpportunityRequest get;
  get.set_name(opportunity);
  sales::v1::GetOpportunityResponse unchanged;
  ASSERT_TRUE(opportunities_->GetOpportunity(Ctx().get(), get, &unchanged).ok());
  EXPECT_EQ(unchanged.opportunity().etag(), assigned.opportunity().etag()) << "a refused call changed it";

  // Ada may: she accepts, and her note is recorded as hers, in the activity and in the
  // audit log.
  auto front_stub = sales::v1::OpportunityService::NewStub(front);
  grpc::ClientContext accept_as_ada;
  accept_as_ada.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  accept_as_ada.AddMetadata("x-handoff-actor", ada);
  sales::v1::AcceptOpportunityRequest accept;
  accept.set_name(opportunity);
  accept.set_request_id("ada-accept");
  sales::v1::AcceptOpportunityResponse accepted;
  const grpc::Status took = front_stub->AcceptOpportunity(&accept_as_ada, accept, &accepted);
  ASSERT_TRUE(took.ok()) << took.error_message();
  sales::v1::LogActivityRequest note;
  note.set_opportunity(opportunity);
  note.mutable_activity()->set_type(sales::v1::ACTIVITY_TYPE_NOTE);
  note.mutable_activity()->set_summary("called back later");
  note.set_request_id("ada-note");
  grpc::ClientContext as_ada;
  as_ada.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  as_ada.AddMetadata("x-handoff-actor", ada);
  sales::v1::LogActivityResponse logged;
  const grpc::Status ok = front_stub->LogActivity(&as_ada, note, &logged);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(logged.activity().performed_by(), ada);
  note.set_request_id("system-note");
  ASSERT_TRUE(opportunities_->LogActivity(Ctx().get(), note, &logged).ok());
  EXPECT_EQ(logged.activity().performed_by(), "spiffe://handoff.local/crm-frontend");
  auto audit = ops::v1::AuditService::NewStub(As("ops", false));
  ops::v1::ListAuditRecordsRequest by_method;
  by_method.set_method("OpportunityService/LogActivity");
  ops::v1::ListAuditRecordsResponse records;
  ASSERT_TRUE(audit->ListAuditRecords(Ctx().get(), by_method, &records).ok());
  std::set<std::string> actors;
  for (const ops::v1::AuditRecord& rec : records.records()) actors.insert(rec.actor() + "/" + std::to_string(rec.code()));
  EXPECT_EQ(actors, (std::set<std::string>{ada + "/0", bo + "/7", "/0"}));

  // Only trusted callers may name an actor, and only as "reps/{id}".
  marketing::v1::ListCampaignsRequest list;
  const grpc::Status untrusted = CallAs(As("ops"), "/handoff.marketing.v1.CampaignService/ListCampaigns", list, ada);
  EXPECT_EQ(untrusted.error_code(), grpc::StatusCode::PERMISSION_DENIED) << untrusted.error_message();
  EXPECT_NE(untrusted.error_message().find("may not act for a rep"), std::string::npos) << untrusted.error_message();
  const grpc::Status malformed = CallAs(front, "/handoff.sales.v1.OpportunityService/GetOpportunity", get, "ada");
  EXPECT_EQ(malformed.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << malformed.error_message();
}

TEST_F(SecureSystemTest, APlaintextClientIsRefusedAndWritesNothing) {
  for (const std::string& address : {m_addr(), s_addr()}) {
    auto plain = marketing::v1::CampaignService::NewStub(NewChannel(address, grpc::InsecureChannelCredentials()));
    marketing::v1::CreateCampaignRequest req;
    req.mutable_campaign()->set_display_name("Sneaky");
    req.set_request_id("plain-1");
    marketing::v1::CreateCampaignResponse resp;
    const grpc::Status s = plain->CreateCampaign(Ctx().get(), req, &resp);
    // The TLS listener cannot even read the HTTP/2 preface: the connection fails.
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << address << ": " << s.error_message();
  }
  marketing::v1::ListCampaignsRequest list;
  marketing::v1::ListCampaignsResponse listed;
  ASSERT_TRUE(campaigns_->ListCampaigns(Ctx().get(), list, &listed).ok());
  EXPECT_EQ(listed.campaigns_size(), 0);
}

// A certificate the services' CA did not sign, or none at all, fails the TLS handshake
// (tls_client_auth=require): the call ends UNAVAILABLE before any RPC exists, so there is
// no RPC for the server to answer UNAUTHENTICATED; the server logs the handshake failure.
TEST_F(SecureSystemTest, AClientCertificateFromAnotherCaOrNoneIsRefusedAtTheHandshake) {
  const std::string stranger = dir_.path() + "/stranger";
  DevCerts(stranger);  // another CA, and an "ops" leaf that claims the ops identity
  grpc::SslCredentialsOptions no_cert;
  no_cert.pem_root_certs = ReadFile(certs() + "/ca.pem");
  const std::vector<std::pair<std::string, std::shared_ptr<grpc::ChannelCredentials>>> clients = {
      {"ops signed by another CA", Identity(stranger, "ops", certs())},
      {"no client certificate", grpc::SslCredentials(no_cert)}};
  for (const auto& [what, credentials] : clients) {
    for (const std::string& address : {m_addr(), s_addr()}) {
      const grpc::Status s = CallEmpty(NewChannel(address, credentials), "/handoff.ops.v1.DeliveryService/GetDeliveryBacklog");
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << what << " to " << address << ": " << s.error_message();
    }
  }
  // And a client that does not trust the services' CA refuses them in turn.
  const grpc::Status s = CallEmpty(NewChannel(m_addr(), Identity(stranger, "ops")), "/grpc.health.v1.Health/Check");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

// Every method of every service, for every identity: PERMISSION_DENIED exactly where the
// rules say no.
TEST_F(SecureSystemTest, EachIdentityIsDeniedExactlyTheMethodsItsRoleForbids) {
  const std::map<std::string, std::vector<std::string>> services = {
      {"marketing",
       {"handoff.marketing.v1.CampaignService", "handoff.marketing.v1.LeadService",
        "handoff.marketing.v1.ScoringService", "handoff.marketing.v1.MarketingReportService",
        "handoff.ops.v1.DeliveryService", "handoff.ops.v1.AuditService", "grpc.health.v1.Health"}},
      {"sales",
       {"handoff.sales.v1.HandoffService", "handoff.sales.v1.OpportunityService", "handoff.sales.v1.RepService",
        "handoff.sales.v1.PipelineReportService", "handoff.ops.v1.DeliveryService", "handoff.ops.v1.AuditService",
        "grpc.health.v1.Health"}}};
  int denied = 0;
  int allowed = 0;
  for (const auto& [server, names] : services) {
    for (const char* identity : kIdentities) {
      const std::shared_ptr<grpc::Channel> channel = As(identity, server == "marketing");
      for (const std::string& name : names) {
        const google::protobuf::ServiceDescriptor* service =
            google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
        ASSERT_NE(service, nullptr) << name;
        for (int m = 0; m < service->method_count(); ++m) {
          const std::string method = service->method(m)->name();
          if (name == "grpc.health.v1.Health" && method == "Watch") continue;  // a stream that never ends
          const grpc::Status s = CallEmpty(channel, "/" + name + "/" + method);
          if (Allowed(server, identity, name, method)) {
            ++allowed;
            EXPECT_NE(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
                << identity << " -> " << server << " " << name << "/" << method << ": " << s.error_message();
            EXPECT_NE(s.error_code(), grpc::StatusCode::UNAVAILABLE) << identity << " -> " << name << "/" << method;
          } else {
            ++denied;
            EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
                << identity << " -> " << server << " " << name << "/" << method << ": " << s.error_message();
          }
        }
      }
    }
  }
  // The named rules of the issue, among them: sales cannot change budgets or scoring;
  // marketing cannot close deals; only marketing hands off and only sales reports outcomes.
  EXPECT_GT(denied, 100);
  EXPECT_GT(allowed, 50);
}

TEST_F(SecureSystemTest, RotatedCertificatesAreServedToNewConnectionsWithoutARestart) {
  const std::string before = ReadFile(certs() + "/marketing.pem");
  grpc::ClientContext first;
  first.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  marketing::v1::ListCampaignsResponse listed;
  ASSERT_TRUE(campaigns_->ListCampaigns(&first, marketing::v1::ListCampaignsRequest(), &listed).ok());
  ASSERT_EQ(ServerCertificate(first), before);

  DevCerts(certs());  // same CA, new leaves for everyone (the client's included)
  const std::string after = ReadFile(certs() + "/marketing.pem");
  ASSERT_NE(after, before);
  std::string served;
  EXPECT_TRUE(Eventually([&] {
    auto stub = marketing::v1::CampaignService::NewStub(As("crm-frontend"));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    if (!stub->ListCampaigns(&ctx, marketing::v1::ListCampaignsRequest(), &listed).ok()) return false;
    served = ServerCertificate(ctx);
    return served == after;
  })) << "marketing still serves the old certificate";
  // The open connection keeps working, and the services reach each other with their new
  // certificates: a lead captured now is handed off and closed.
  EXPECT_TRUE(campaigns_->ListCampaigns(Ctx().get(), marketing::v1::ListCampaignsRequest(), &listed).ok());
  // Restarting sales drops marketing's connection to it: marketing reconnects presenting
  // its rotated client certificate, which sales verifies.
  sales_->Stop();
  ASSERT_TRUE(sales_->Start()) << sales_->Log();
  CreateRep("ada", "", 100);
  LeadFlow flow("rotated", 1);
  const LeadFlow::Stubs stubs{leads_.get(), opportunities_.get()};
  EXPECT_EQ(flow.Drive(0, stubs), "");
}

// The policy is a copy in the test's directory, edited while marketing runs.
class PolicyReloadTest : public SecureSystemTest {
 protected:
  std::string MarketingPolicy() const override { return dir_.path() + "/marketing-authz.json"; }
  void BeforeStart() override {
    SecureSystemTest::BeforeStart();
    WriteFile(MarketingPolicy(), ReadFile(kSource + "/deploy/authz/marketing-service.json"));
  }
};

TEST_F(PolicyReloadTest, AnEditedPolicyTakesEffectAndABadEditKeepsTheLastGoodOne) {
  const std::shared_ptr<grpc::Channel> ops = As("ops");
  const std::string create = "/handoff.marketing.v1.CampaignService/CreateCampaign";
  ASSERT_EQ(CallEmpty(ops, create).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  std::string policy = ReadFile(MarketingPolicy());
  const std::string anchor = "\"allow_rules\": [";
  ASSERT_NE(policy.find(anchor), std::string::npos);
  policy.insert(policy.find(anchor) + anchor.size(),
                R"({"name": "ops-creates-campaigns", "source": {"principals": ["spiffe://handoff.local/ops"]},
                   "request": {"paths": [")" + create + R"("]}},)");
  WriteFile(MarketingPolicy(), policy);
  EXPECT_TRUE(Eventually([&] { return CallEmpty(ops, create).error_code() == grpc::StatusCode::INVALID_ARGUMENT; }))
      << "the edited policy was not loaded";

  WriteFile(MarketingPolicy(), "{\"name\": \"broken\", \"allow_rules\": [");
  std::this_thread::sleep_for(std::chrono::seconds(3));  // three refresh intervals
  EXPECT_EQ(CallEmpty(ops, create).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "the last good policy was dropped";
  EXPECT_EQ(CallEmpty(As("sales"), create).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // The watcher lives on after a bad file: the shipped policy, written back, applies again.
  WriteFile(MarketingPolicy(), ReadFile(kSource + "/deploy/authz/marketing-service.json"));
  EXPECT_TRUE(Eventually([&] { return CallEmpty(ops, create).error_code() == grpc::StatusCode::PERMISSION_DENIED; }));
}

// With --tls_client_auth=request a caller may connect without a certificate; it is then
// anonymous, and the policy lets it call only rules without a source (health).
class RequestClientAuthTest : public SecureSystemTest {
 protected:
  std::vector<std::string> ExtraMarketingFlags() const override {
    std::vector<std::string> flags = SecureSystemTest::ExtraMarketingFlags();
    flags.push_back("--tls_client_auth=request");  // the later flag wins
    return flags;
  }
};

TEST_F(RequestClientAuthTest, ACallerWithoutACertificateIsUnauthenticatedExceptForHealth) {
  grpc::SslCredentialsOptions no_cert;
  no_cert.pem_root_certs = ReadFile(certs() + "/ca.pem");
  const std::shared_ptr<grpc::Channel> anonymous = NewChannel(m_addr(), grpc::SslCredentials(no_cert));
  const grpc::Status list = CallEmpty(anonymous, "/handoff.marketing.v1.CampaignService/ListCampaigns");
  EXPECT_EQ(list.error_code(), grpc::StatusCode::UNAUTHENTICATED) << list.error_message();
  auto health = grpc::health::v1::Health::NewStub(anonymous);
  grpc::health::v1::HealthCheckResponse serving;
  EXPECT_TRUE(health->Check(Ctx().get(), {}, &serving).ok());
  // A certificate, when sent, is still verified and names the caller.
  EXPECT_EQ(CallEmpty(As("sales"), "/handoff.marketing.v1.CampaignService/ListCampaigns").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CallEmpty(As("ops"), "/handoff.marketing.v1.CampaignService/ListCampaigns").error_code(),
            grpc::StatusCode::OK);
}

// Limits on what one caller may take (OWASP API4), on marketing: 2 Watch streams and 3
// concurrent calls per connection, 64 KiB messages.
class CallLimitsTest : public SecureSystemTest {
 protected:
  std::vector<std::string> ExtraMarketingFlags() const override {
    std::vector<std::string> flags = SecureSystemTest::ExtraMarketingFlags();
    for (const char* f : {"--max_watch_per_connection=2", "--max_streams_per_connection=3", "--max_message_bytes=65536"}) {
      flags.push_back(f);
    }
    return flags;
  }
};

// And a rate of 5 calls/s per identity (burst 5).
class RateLimitTest : public SecureSystemTest {
 protected:
  std::vector<std::string> ExtraMarketingFlags() const override {
    std::vector<std::string> flags = SecureSystemTest::ExtraMarketingFlags();
    flags.push_back("--rate_limit=5");
    flags.push_back("--rate_limit_burst=5");
    return flags;
  }
};

// A WatchLeadEvents stream read on a thread of its own until it ends; cancelled and
// joined on destruction.
class OpenWatch {
 public:
  explicit OpenWatch(marketing::v1::LeadService::Stub& stub) {
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    reader_ = stub.WatchLeadEvents(&ctx_, marketing::v1::WatchLeadEventsRequest());
    ended_ = done_.get_future();
    thread_ = std::thread([this] {
      marketing::v1::WatchLeadEventsResponse event;
      while (reader_->Read(&event)) {
      }
      done_.set_value(reader_->Finish());
    });
  }
  ~OpenWatch() {
    ctx_.TryCancel();
    thread_.join();
  }
  // OK while the stream is still open half a second after it was opened; else how it ended.
  grpc::Status Status() {
    if (ended_.wait_for(std::chrono::milliseconds(500)) != std::future_status::ready) return grpc::Status::OK;
    return ended_.get();
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<marketing::v1::WatchLeadEventsResponse>> reader_;
  std::promise<grpc::Status> done_;
  std::future<grpc::Status> ended_;
  std::thread thread_;
};

TEST_F(RateLimitTest, ACallerOverItsRateIsToldWhenToRetryAndOthersAreNotSlowed) {
  auto ops = marketing::v1::CampaignService::NewStub(As("ops"));
  marketing::v1::ListCampaignsResponse listed;
  grpc::Status over;
  int admitted = 0;
  for (int i = 0; i < 20 && over.ok(); ++i) {
    over = ops->ListCampaigns(Ctx().get(), marketing::v1::ListCampaignsRequest(), &listed);
    if (over.ok()) ++admitted;
  }
  ASSERT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << over.error_message();
  EXPECT_GE(admitted, 5);  // the burst, plus what refilled meanwhile
  EXPECT_LE(admitted, 7);
  EXPECT_NE(over.error_message().find("spiffe://handoff.local/ops is over its rate limit of 5 calls/s"),
            std::string::npos)
      << over.error_message();
  EXPECT_EQ(ReasonOf(over), "RATE_LIMITED");
  const absl::Duration delay = RetryDelayOf(over);
  EXPECT_GT(delay, absl::ZeroDuration());
  EXPECT_LE(delay, absl::Milliseconds(200));  // one token at 5/s
  // Another identity has its own budget.
  EXPECT_TRUE(campaigns_->ListCampaigns(Ctx().get(), marketing::v1::ListCampaignsRequest(), &listed).ok());
  // After the delay the caller is served again.
  std::this_thread::sleep_for(absl::ToChronoMilliseconds(delay) + std::chrono::milliseconds(20));
  EXPECT_TRUE(ops->ListCampaigns(Ctx().get(), marketing::v1::ListCampaignsRequest(), &listed).ok());
}

TEST_F(CallLimitsTest, AnOversizedMessageIsRefusedAndWritesNothing) {
  marketing::v1::CaptureLeadRequest req;
  req.mutable_contact()->set_email("big@example.org");
  req.mutable_contact()->set_company(std::string(100 * 1024, 'x'));
  req.set_request_id("big-1");
  marketing::v1::CaptureLeadResponse resp;
  const grpc::Status s = leads_->CaptureLead(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  marketing::v1::ListLeadsResponse listed;
  ASSERT_TRUE(leads_->ListLeads(Ctx().get(), marketing::v1::ListLeadsRequest(), &listed).ok());
  EXPECT_EQ(listed.leads_size(), 0);
}

TEST_F(CallLimitsTest, LongCallsNeedADeadline) {
  grpc::ClientContext report;
  marketing::v1::GetLifecycleFunnelResponse funnel;
  grpc::Status s = marketing_reports_->GetLifecycleFunnel(&report, {}, &funnel);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("needs a deadline"), std::string::npos) << s.error_message();
  grpc::ClientContext import;
  marketing::v1::ImportLeadsResponse imported;
  auto writer = leads_->ImportLeads(&import, &imported);
  marketing::v1::ImportLeadsRequest row;
  row.mutable_row()->mutable_contact()->set_email("row@example.org");
  writer->Write(row);  // may fail: the server may have ended the call already
  writer->WritesDone();
  s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  marketing::v1::ListLeadsResponse listed;
  ASSERT_TRUE(leads_->ListLeads(Ctx().get(), marketing::v1::ListLeadsRequest(), &listed).ok());
  EXPECT_EQ(listed.leads_size(), 0);
  // With a deadline both are served.
  EXPECT_TRUE(marketing_reports_->GetLifecycleFunnel(Ctx().get(), {}, &funnel).ok());
}

TEST_F(CallLimitsTest, AConnectionHoldsAtMostItsWatchStreamsAndItsConcurrentCalls) {
  auto stub = marketing::v1::LeadService::NewStub(As("crm-frontend"));
  auto w1 = std::make_unique<OpenWatch>(*stub);
  OpenWatch w2(*stub);
  ASSERT_TRUE(w1->Status().ok());
  ASSERT_TRUE(w2.Status().ok());
  {
    OpenWatch w3(*stub);
    const grpc::Status third = w3.Status();
    EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << third.error_message();
    EXPECT_NE(third.error_message().find("--max_watch_per_connection"), std::string::npos) << third.error_message();
  }
  // Another connection has slots of its own.
  auto other = marketing::v1::LeadService::NewStub(As("crm-frontend"));
  OpenWatch elsewhere(*other);
  EXPECT_TRUE(elsewhere.Status().ok());

  // Two streams open, three allowed at once: an open import takes the third, and the next
  // call on that connection waits for a free stream (here until its deadline).
  grpc::ClientContext import;
  import.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  marketing::v1::ImportLeadsResponse imported;
  auto writer = stub->ImportLeads(&import, &imported);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  grpc::ClientContext waiting;
  waiting.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  marketing::v1::ListLeadsResponse listed;
  const grpc::Status waited = stub->ListLeads(&waiting, marketing::v1::ListLeadsRequest(), &listed);
  EXPECT_EQ(waited.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << waited.error_message();
  EXPECT_TRUE(other->ListLeads(Ctx().get(), marketing::v1::ListLeadsRequest(), &listed).ok());
  writer->WritesDone();
  EXPECT_TRUE(writer->Finish().ok());

  // A freed Watch slot is taken again.
  w1.reset();
  EXPECT_TRUE(Eventually([&] { return OpenWatch(*stub).Status().ok(); }));
}

// Start-up refuses what would run insecure or fail every handshake later: exit 1, the
// flag named, before the database is opened.
TEST(SecurityStartup, ABadCertificateKeyPolicyOrNetworkPlaintextStopsTheServiceWithTheFlagNamed) {
  TempDir dir;
  const std::string c = dir.path() + "/certs";
  DevCerts(c);
  WriteFile(dir.path() + "/bad-policy.json", "{\"name\": \"x\", \"allow_rules\": [{\"name\": \"r\", \"request\": 7}]}");
  WriteFile(dir.path() + "/not-a-cert.pem", "hello\n");
  const std::string tls = "--tls_cert=" + c + "/marketing.pem";
  const std::string key = "--tls_key=" + c + "/marketing.key";
  const std::string ca = "--tls_ca=" + c + "/ca.pem";
  const int port = FreeLoopbackPort();
  const std::string listen = "--listen=127.0.0.1:" + std::to_string(port);
  const std::string database = "--database=sqlite:" + dir.path() + "/m.db";
  struct Case {
    std::vector<std::string> flags;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{listen, "--authz_policy=" + dir.path() + "/bad-policy.json"}, "--authz_policy="},
      {{listen, "--authz_policy=" + dir.path() + "/absent.json"}, "--authz_policy="},
      {{listen, tls, ca}, "--tls_cert needs --tls_key"},
      {{listen, tls, "--tls_key=" + c + "/sales.key", ca}, "does not belong to the certificate"},
      {{listen, "--tls_cert=" + dir.path() + "/not-a-cert.pem", key, ca}, "no PEM certificate"},
      {{listen, tls, key}, "needs --tls_ca"},
      {{listen, tls, key, ca, "--tls_client_auth=maybe"}, "--tls_client_auth=maybe"},
      {{listen, tls, key, ca, "--plaintext"}, "--plaintext and --tls_cert"},
      {{"--listen=0.0.0.0:" + std::to_string(port)}, "--plaintext"},
      {{listen, "--sales_address=sales.example.com:50052"}, "--plaintext"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& test = cases[i];
    std::vector<std::string> flags = test.flags;
    flags.push_back(database);
    ServiceProcess marketing(HANDOFF_MARKETING_BINARY, flags, dir.path() + "/m" + std::to_string(i) + ".log");
    EXPECT_FALSE(marketing.Start()) << test.says;
    EXPECT_EQ(marketing.exit_code(), 1) << test.says;
    EXPECT_NE(marketing.Log().find(test.says), std::string::npos) << marketing.Log();
    EXPECT_NE(std::ifstream(dir.path() + "/m.db").good(), true) << "the database was opened: " << test.says;
  }
  // Network plaintext when asked for explicitly.
  ServiceProcess open(HANDOFF_MARKETING_BINARY,
                      {"--listen=0.0.0.0:" + std::to_string(port), "--plaintext", database}, dir.path() + "/open.log");
  ASSERT_TRUE(open.Start()) << open.Log();
  EXPECT_NE(open.Log().find("transport security: plaintext (--plaintext)"), std::string::npos) << open.Log();
  EXPECT_EQ(open.Stop(), 0);
}

}  // namespace
}  // namespace handoff::testing
