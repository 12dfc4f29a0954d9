// Refused calls through the real binaries carry google.rpc.Status details a program can act
// on (AIP-193): a stable ErrorInfo.reason per cause, BadRequest naming the field,
// PreconditionFailure naming the resource, ResourceInfo for what is missing.
#include <string>

#include "tests/integration/error_details.h"
#include "tests/integration/handoff_system.h"

namespace handoff::testing {
namespace {

namespace mv1 = ::handoff::marketing::v1;
namespace sv1 = ::handoff::sales::v1;

class ErrorDetailsTest : public HandoffSystem {
 protected:
  std::string CaptureWithEmailConsent(const std::string& email) {
    mv1::CaptureLeadRequest req;
    req.mutable_contact()->set_email(email);
    req.mutable_consent()->set_email(true);
    req.set_request_id(RequestId());
    return Capture(req);
  }

  // RecordTouch of an outbound e-mail; expects FAILED_PRECONDITION and returns the reason,
  // checking that PreconditionFailure names the same cause.
  std::string RefusedSend(const std::string& lead, const std::string& campaign, const std::string& touch_id) {
    mv1::RecordTouchResponse resp;
    const grpc::Status s = Touch(lead, campaign, mv1::TOUCH_TYPE_EMAIL_SENT, touch_id, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
    const auto failure = DetailOf<google::rpc::PreconditionFailure>(s);
    EXPECT_TRUE(failure.has_value()) << s.error_message();
    if (failure && failure->violations_size() == 1) {
      EXPECT_EQ(failure->violations(0).type(), ReasonOf(s));
      EXPECT_EQ(failure->violations(0).description(), s.error_message());
    }
    const auto info = DetailOf<google::rpc::ErrorInfo>(s);
    EXPECT_TRUE(info.has_value());
    if (info) {
      EXPECT_EQ(info->domain(), "handoff");
    }
    return ReasonOf(s);
  }
};

// The causes of RecordTouch's FAILED_PRECONDITION, which the code alone cannot tell apart.
TEST_F(ErrorDetailsTest, RecordTouchTellsItsRefusalsApartByReason) {
  const mv1::Campaign campaign = CreateCampaign(100000);

  const std::string no_consent = CaptureEmail("no-consent@example.org");
  EXPECT_EQ(RefusedSend(no_consent, campaign.name(), "a"), "CONSENT_MISSING");
  {
    mv1::RecordTouchResponse resp;
    const grpc::Status s = Touch(no_consent, campaign.name(), mv1::TOUCH_TYPE_EMAIL_SENT, "a2", &resp);
    const auto failure = DetailOf<google::rpc::PreconditionFailure>(s);
    ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->violations(0).subject(), no_consent);
  }

  // --outbound_cap is 3 by default: the fourth send within the window is refused.
  const std::string capped = CaptureWithEmailConsent("capped@example.org");
  for (int i = 0; i < 3; ++i) {
    mv1::RecordTouchResponse resp;
    ASSERT_TRUE(Touch(capped, campaign.name(), mv1::TOUCH_TYPE_EMAIL_SENT, "cap-" + std::to_string(i), &resp).ok());
  }
  EXPECT_EQ(RefusedSend(capped, campaign.name(), "cap-3"), "OUTBOUND_CAP_REACHED");

  const std::string dnc = CaptureWithEmailConsent("dnc@example.org");
  {
    mv1::UpdateConsentRequest req;
    req.set_lead(dnc);
    req.mutable_consent()->set_email(true);
    req.mutable_consent()->set_do_not_contact(true);
    req.set_request_id(RequestId());
    mv1::UpdateConsentResponse resp;
    ASSERT_TRUE(leads_->UpdateConsent(Ctx().get(), req, &resp).ok());
  }
  EXPECT_EQ(RefusedSend(dnc, campaign.name(), "b"), "DO_NOT_CONTACT");

  const std::string disqualified = CaptureWithEmailConsent("dq@example.org");
  {
    mv1::DisqualifyLeadRequest req;
    req.set_name(disqualified);
    req.set_reason("competitor");
    req.set_request_id(RequestId());
    mv1::DisqualifyLeadResponse resp;
    ASSERT_TRUE(leads_->DisqualifyLead(Ctx().get(), req, &resp).ok());
  }
  EXPECT_EQ(RefusedSend(disqualified, campaign.name(), "c"), "LEAD_DISQUALIFIED");

  const std::string with_sales = CaptureWithEmailConsent("sales@example.org");
  Qualify(with_sales);
  EXPECT_EQ(RefusedSend(with_sales, campaign.name(), "d"), "OWNED_BY_SALES");

  const std::string erased = CaptureWithEmailConsent("erased@example.org");
  {
    mv1::EraseContactRequest req;
    req.set_lead(erased);
    req.set_request_id(RequestId());
    mv1::EraseContactResponse resp;
    ASSERT_TRUE(leads_->EraseContact(Ctx().get(), req, &resp).ok());
  }
  EXPECT_EQ(RefusedSend(erased, campaign.name(), "e"), "LEAD_ERASED");

  const std::string fresh = CaptureWithEmailConsent("fresh@example.org");
  {
    mv1::ArchiveCampaignRequest req;
    req.set_name(campaign.name());
    req.set_request_id(RequestId());
    mv1::ArchiveCampaignResponse resp;
    ASSERT_TRUE(campaigns_->ArchiveCampaign(Ctx().get(), req, &resp).ok());
  }
  EXPECT_EQ(RefusedSend(fresh, campaign.name(), "f"), "CAMPAIGN_ARCHIVED");
}

TEST_F(ErrorDetailsTest, BadFieldsMissingResourcesAndConflictsAreNamed) {
  // INVALID_ARGUMENT names the field in BadRequest.
  {
    mv1::CaptureLeadRequest req;
    req.mutable_contact()->set_email("not an address");
    req.set_request_id(RequestId());
    mv1::CaptureLeadResponse resp;
    const grpc::Status s = leads_->CaptureLead(Ctx().get(), req, &resp);
    ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(ReasonOf(s), "FIELD_INVALID");
    EXPECT_EQ(BadFieldOf(s), "contact.email") << s.error_message();
  }
  // NOT_FOUND names the resource.
  {
    mv1::GetLeadRequest req;
    req.set_name("leads/does-not-exist");
    mv1::GetLeadResponse resp;
    const grpc::Status s = leads_->GetLead(Ctx().get(), req, &resp);
    ASSERT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(ReasonOf(s), "NOT_FOUND");
    const auto where = DetailOf<google::rpc::ResourceInfo>(s);
    ASSERT_TRUE(where.has_value()) << s.error_message();
    EXPECT_EQ(where->resource_type(), "leads");
    EXPECT_EQ(where->resource_name(), "leads/does-not-exist");
  }
  // Spend past the budget, and a request_id reused for another request.
  const mv1::Campaign campaign = CreateCampaign(1000);
  {
    mv1::RecordSpendRequest req;
    req.set_campaign(campaign.name());
    req.mutable_amount()->set_amount_minor(5000);
    req.mutable_amount()->set_currency_code("EUR");
    req.set_request_id("reused-id");
    mv1::RecordSpendResponse resp;
    const grpc::Status s = campaigns_->RecordSpend(Ctx().get(), req, &resp);
    ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(ReasonOf(s), "BUDGET_EXCEEDED");
    const std::string lead = [&] {
      mv1::CaptureLeadRequest capture;
      capture.mutable_contact()->set_email("reuse@example.org");
      capture.set_request_id("reused-id-2");
      return Capture(capture);
    }();
    mv1::QualifyLeadRequest q;
    q.set_name(lead);
    q.set_reason("x");
    q.set_request_id("reused-id-2");
    mv1::QualifyLeadResponse qr;
    const grpc::Status reused = leads_->QualifyLead(Ctx().get(), q, &qr);
    ASSERT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(ReasonOf(reused), "REQUEST_ID_REUSED");
    EXPECT_EQ(BadFieldOf(reused), "request_id");
  }
  // Sales: a second rep with the same e-mail.
  CreateRep("carla", "IT", 5);
  {
    sv1::CreateRepRequest req;
    req.mutable_rep()->set_display_name("carla again");
    req.mutable_rep()->set_email("carla@sales.example.com");
    req.mutable_rep()->set_capacity(5);
    req.set_request_id(RequestId());
    sv1::CreateRepResponse resp;
    const grpc::Status s = reps_->CreateRep(Ctx().get(), req, &resp);
    ASSERT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
    EXPECT_EQ(ReasonOf(s), "REP_EMAIL_TAKEN");
  }
}

// Each rejected ImportLeads row says why, as a refused CaptureLead would.
TEST_F(ErrorDetailsTest, ImportRejectionsCarryCodeReasonAndField) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  mv1::ImportLeadsResponse resp;
  auto writer = leads_->ImportLeads(&ctx, &resp);
  mv1::ImportLeadsRequest row;
  row.mutable_row()->mutable_contact()->set_email("good@example.org");
  ASSERT_TRUE(writer->Write(row));
  row.mutable_row()->mutable_contact()->set_email("bad address");
  ASSERT_TRUE(writer->Write(row));
  row.mutable_row()->mutable_contact()->set_email("other@example.org");
  row.mutable_row()->set_campaign("campaigns/none");
  ASSERT_TRUE(writer->Write(row));
  ASSERT_TRUE(writer->WritesDone());
  const grpc::Status s = writer->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.rejections_size(), 2);
  EXPECT_EQ(resp.rejections(0).row(), 1);
  EXPECT_EQ(resp.rejections(0).code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(resp.rejections(0).reason(), "FIELD_INVALID");
  EXPECT_EQ(resp.rejections(0).field(), "contact.email");
  EXPECT_EQ(resp.rejections(1).row(), 2);
  EXPECT_EQ(resp.rejections(1).code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(resp.rejections(1).reason(), "NOT_FOUND");
  EXPECT_EQ(resp.rejections(1).field(), "");
}

}  // namespace
}  // namespace handoff::testing
