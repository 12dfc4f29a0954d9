#ifndef HANDOFF_SALES_DOMAIN_MODEL_H_
#define HANDOFF_SALES_DOMAIN_MODEL_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/model.h"

// Plain types of sales' domain. Enum values equal the proto enum numbers.
namespace handoff::sales {

enum class RepStatus { kUnspecified = 0, kActive, kAway };
constexpr int kRepStatusMax = 2;

enum class Stage {
  kUnspecified = 0, kNew, kContacted, kQualified, kProposal, kNegotiation, kClosedWon, kClosedLost,
};
constexpr int kStageMax = 7;

enum class Acceptance { kUnspecified = 0, kPending, kAccepted, kRejected };
enum class RejectReason { kUnspecified = 0, kNotAFit, kBadContactData, kDuplicate, kNoBudget, kBadTiming, kOther };
constexpr int kRejectReasonMax = 6;
enum class LossReason { kUnspecified = 0, kPrice, kCompetitor, kProductFit, kNoDecision, kTiming, kOther };
constexpr int kLossReasonMax = 6;
enum class OpportunityKind { kUnspecified = 0, kNewBusiness, kUpsell };
enum class ActivityType { kUnspecified = 0, kCall, kEmail, kSocial, kMeeting, kDemo, kNote };
constexpr int kActivityTypeMax = 6;
enum class CallOutcome { kUnspecified = 0, kConnected, kVoicemail, kNoAnswer, kWrongNumber };
constexpr int kCallOutcomeMax = 4;
enum class MeetingStatus { kUnspecified = 0, kScheduled, kHeld, kNoShow };
constexpr int kMeetingStatusMax = 3;

// Outcomes reported to marketing (values of handoff.marketing.v1.Outcome).
enum class Outcome {
  kUnspecified = 0, kAccepted, kRejected, kWon, kLost, kSalesQualified, kOpportunity, kReopened,
};

struct Rep {
  int64_t seq = 0;  // storage order (listing cursor); 0 before it is stored
  std::string id;
  std::string display_name;
  std::string email;
  std::vector<std::string> territories;
  int capacity = 0;
  RepStatus status = RepStatus::kActive;
  int open_opportunities = 0;     // derived when read
  int64_t last_assigned_seq = 0;  // rotation order; 0 = never assigned
  absl::Time create_time;
  absl::Time update_time;
  int64_t version = 1;
};

struct MarketingContext {
  int score = 0;
  std::vector<std::string> campaigns;
  int touch_count = 0;
  absl::Time first_touch_time = absl::InfinitePast();
  absl::Time last_touch_time = absl::InfinitePast();
  std::vector<std::pair<std::string, int>> touches_by_type;  // marketing TouchType name, count
};

struct Opportunity {
  int64_t seq = 0;  // storage order (listing cursor); 0 before it is stored
  std::string id;
  std::string lead;  // "leads/{id}" in marketing
  Contact contact;
  Consent consent;
  MarketingContext marketing;
  OpportunityKind kind = OpportunityKind::kNewBusiness;
  std::string parent_opportunity_id;
  std::string rep_id;  // empty = unassigned
  std::string unassigned_reason;
  Acceptance acceptance = Acceptance::kPending;
  RejectReason reject_reason = RejectReason::kUnspecified;
  Stage stage = Stage::kNew;
  Money amount;
  LossReason loss_reason = LossReason::kUnspecified;
  std::string reason_text;
  std::string competitor;
  absl::Time handoff_time = absl::InfinitePast();
  absl::Time accept_time = absl::InfinitePast();
  absl::Time close_time = absl::InfinitePast();
  absl::Time create_time;
  absl::Time update_time;
  int64_t version = 1;
  // Forecast: when the rep expects it to close (InfinitePast = not said) and whether the
  // rep commits to it.
  absl::Time expected_close_time = absl::InfinitePast();
  bool committed = false;
  absl::Time stage_time;  // entered the current stage
  absl::Time first_touch_time = absl::InfinitePast();
  // Service levels: the accept window starts at handoff and again at each reassignment;
  // the flags say a breach was already announced (one event per missed deadline).
  absl::Time pending_since;
  bool accept_breached = false;
  bool first_touch_breached = false;
  int reopen_count = 0;
  // W3C traceparent of the handoff that opened it (of the call that opened an upsell):
  // outcomes of calls that bring no trace of their own continue it.
  std::string traceparent;

  bool is_open() const {
    return acceptance != Acceptance::kRejected && stage != Stage::kClosedWon &&
           stage != Stage::kClosedLost;
  }
};

struct Activity {
  std::string id;
  std::string opportunity_id;
  ActivityType type = ActivityType::kUnspecified;
  CallOutcome call_outcome = CallOutcome::kUnspecified;
  MeetingStatus meeting_status = MeetingStatus::kUnspecified;
  std::string summary;
  std::string next_step;
  absl::Time next_step_due = absl::InfinitePast();
  absl::Time time = absl::InfinitePast();  // when it happened; InfinitePast = now
  std::string rep_id;
  // Who logged it: the acting rep ("reps/{id}") when the call named one, else the calling
  // system's principal; "" for activities logged before this was kept.
  std::string performed_by;
  absl::Time update_time = absl::InfinitePast();  // logged or last corrected
  int64_t version = 1;                            // its etag (EtagOf)
};

// History entries of an opportunity (ListTimeline).
struct StageChange {
  Stage from = Stage::kUnspecified;  // kUnspecified at creation
  Stage to = Stage::kUnspecified;
  absl::Duration time_in_from = absl::ZeroDuration();
  std::string reason;
  std::string rep_id;
};

struct AssignmentRecord {
  std::string rep_id;
  std::string reason;
};

struct TimelineEntry {
  enum class Kind { kActivity = 1, kStageChange = 2, kAssignment = 3 };
  Kind kind = Kind::kActivity;
  absl::Time time;
  Activity activity;           // kind kActivity
  StageChange stage_change;    // kind kStageChange
  AssignmentRecord assignment; // kind kAssignment
};

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_DOMAIN_MODEL_H_
