#ifndef HANDOFF_MARKETING_DOMAIN_MODEL_H_
#define HANDOFF_MARKETING_DOMAIN_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/model.h"

// Plain types of marketing's domain. Enum values equal the proto enum numbers so the
// transport layer converts with a cast.
namespace handoff::marketing {

enum class Channel {
  kUnspecified = 0, kEmail, kPrint, kAdvertising, kSocial, kPublicRelations,
  kBrandAwareness, kEvent, kWebinar, kContent, kReferral,
};
constexpr int kChannelMax = 10;

enum class CampaignState { kUnspecified = 0, kDraft, kActive, kPaused, kCompleted, kArchived };
constexpr int kCampaignStateMax = 5;

enum class LifecycleStage {
  kUnspecified = 0, kSubscriber, kLead, kMql, kSalesAccepted, kSalesQualified,
  kOpportunity, kCustomer, kRecycled, kDisqualified,
};
constexpr int kLifecycleStageMax = 9;

enum class Owner { kUnspecified = 0, kMarketing, kSalesPending, kSales };
constexpr int kOwnerMax = 3;
// handoff.marketing.v1.LegalBasis values run 0..kLegalBasisMax.
constexpr int kLegalBasisMax = 4;

enum class TouchType {
  kUnspecified = 0, kEmailSent, kEmailOpened, kEmailClicked, kAdClick, kFormSubmit,
  kWebVisit, kEventAttended, kContentDownload, kSocialEngagement, kPrintResponse,
  kMailSent, kSmsSent, kCallMade,
};
constexpr int kTouchTypeMax = 13;

enum class Outcome {
  kUnspecified = 0, kAccepted, kRejected, kWon, kLost, kSalesQualified, kOpportunity, kReopened,
};
constexpr int kOutcomeMax = 7;

struct UtmCodes {
  std::string source;
  std::string medium;
  std::string campaign;  // empty: the codes map nothing
};

struct Campaign {
  int64_t seq = 0;  // storage order (listing cursor); 0 before it is stored
  std::string id;
  std::string external_id;  // chosen by the caller's system; empty = none
  std::string parent_id;  // empty: none
  UtmCodes utm;
  std::string display_name;
  Channel channel = Channel::kUnspecified;
  CampaignState state = CampaignState::kDraft;
  Money budget;
  int64_t spent_minor = 0;
  absl::Time start_time = absl::InfinitePast();  // InfinitePast = not set
  absl::Time end_time = absl::InfinitePast();
  absl::Time create_time;
  absl::Time update_time;
  int64_t version = 1;
};

struct SpendEntry {
  int64_t sequence = 0;  // assigned when stored
  std::string campaign_id;
  int64_t amount_minor = 0;
  std::string note;
  std::string recorded_by;
  std::string over_budget_reason;
  absl::Time time;
};

struct StageChange {
  LifecycleStage stage = LifecycleStage::kUnspecified;
  absl::Time time;
  std::string reason;
};

struct ScoreComponent {
  std::string reason;
  int count = 0;
  int points = 0;
};

struct Lead {
  int64_t seq = 0;  // storage order (listing cursor); 0 before it is stored
  std::string id;
  std::string external_id;  // chosen by the caller's system; empty = none
  Contact contact;
  Consent consent;
  LifecycleStage stage = LifecycleStage::kLead;
  Owner owner = Owner::kMarketing;
  int score = 0;
  std::string source_campaign_id;
  int merged_capture_count = 0;
  int touch_count = 0;
  std::string opportunity;  // "opportunities/{id}" in sales
  Outcome last_outcome = Outcome::kUnspecified;
  std::string last_outcome_reason;
  Money won_revenue;
  // Ever-reached flags for reports: a lead counts once per milestone.
  bool ever_mql = false;
  bool ever_accepted = false;
  bool ever_rejected = false;
  int won_count = 0;
  bool erased = false;
  absl::Time erase_time = absl::InfinitePast();
  // Set once MergeLeads found this lead to be the same person as lead `merged_into`, which
  // now holds its touches, consent changes and outcomes.
  std::string merged_into;
  absl::Time merge_time = absl::InfinitePast();
  absl::Time create_time;
  absl::Time update_time;
  int64_t version = 1;
};

// Where a consent change comes from (ListConsentChanges).
struct ConsentProvenance {
  std::string source;               // "web-form:newsletter"; empty = the method's name
  int legal_basis = 0;              // handoff.marketing.v1.LegalBasis
  absl::Time time = absl::InfinitePast();  // InfinitePast = now
  std::string recorded_by;          // set by the service: the caller (or the rep it acts for)
};

// One kept change of a lead's consent.
struct ConsentChange {
  std::string lead_id;
  Consent consent;
  ConsentProvenance provenance;
  std::string method;  // "LeadService/UpdateConsent"
};

// One outcome sales reported, kept for reports by time.
struct OutcomeRecord {
  std::string lead_id;
  std::string opportunity;
  Outcome outcome = Outcome::kUnspecified;
  Money amount;  // for kWon
  absl::Time time;
};

struct Touch {
  std::string touch_id;
  std::string lead_id;
  std::string campaign_id;  // may be empty for a capture without campaign
  TouchType type = TouchType::kUnspecified;
  bool merged_capture = false;  // a capture that merged into an existing lead
  absl::Time time;
};


}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_DOMAIN_MODEL_H_
