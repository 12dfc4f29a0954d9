#ifndef HANDOFF_MARKETING_DOMAIN_LEAD_WORKFLOW_H_
#define HANDOFF_MARKETING_DOMAIN_LEAD_WORKFLOW_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/unit_of_work.h"
#include "marketing-service/domain/model.h"
#include "marketing-service/domain/scoring_policy.h"
#include "marketing-service/domain/ports.h"

namespace handoff::marketing {

// What marketing tells sales when it hands a lead off.
struct CaptureInput {
  Contact contact;
  Consent consent;
  std::string campaign_id;  // may be empty
  UtmCodes utm;             // used when campaign_id is empty
  bool subscribe_only = false;  // a new lead starts as SUBSCRIBER
  absl::Time time = absl::InfinitePast();  // InfinitePast = now
  std::string capture_id;   // unique id of this capture (becomes the touch id)
  std::string external_id;  // the caller's id of the person; may be empty
};

// What a lead's score was just computed from, in the transaction that stored it: the
// response's view uses it instead of reading both again.
struct ScoreInputs {
  ScoringPolicy policy;
  std::vector<TouchAt> touches;
};

struct CaptureResult {
  Lead lead;
  ScoreInputs scored;
  bool merged = false;
  std::string matched_on;  // "external_id" / "email" / "phone" when merged
  std::string campaign_id;  // the campaign counted (given or matched by UTM); may be empty
};

struct TouchInput {
  std::string lead_id;
  std::string campaign_id;
  TouchType type = TouchType::kUnspecified;
  std::string touch_id;
  absl::Time time = absl::InfinitePast();  // InfinitePast = now
};

struct TouchResult {
  Lead lead;
  std::optional<ScoreInputs> scored;  // unset for a duplicate (nothing was rescored)
  bool duplicate = false;
};

struct OutcomeInput {
  std::string lead_id;
  std::string opportunity;
  Outcome outcome = Outcome::kUnspecified;
  std::string reason;
  Money amount;
  absl::Time time = absl::InfinitePast();  // InfinitePast = now
};

// A correction of a lead's contact data (UpdateLead).
struct ContactPatch {
  Contact contact;                  // the new values
  std::vector<std::string> fields;  // contact fields to take from it ("email", "phone", ...)
  std::optional<std::string> external_id;  // the new external_id (empty clears); unset keeps it
  std::string etag;                 // when set, the lead's current etag
};

// UpsertLead: the lead with external_id corrected by `patch`, or captured when none has it.
struct UpsertLeadInput {
  CaptureInput capture;  // capture.external_id is the key
  ContactPatch patch;
};

struct UpsertLeadResult {
  Lead lead;
  bool created = false;
};

// Two leads found to be one person (MergeLeads): `merged_lead_id` is merged into `lead_id`.
struct MergeInput {
  std::string lead_id;          // the lead kept
  std::string merged_lead_id;   // the lead that then points to it
  std::string etag;             // when set, lead_id's current etag
  std::string merged_lead_etag; // when set, merged_lead_id's current etag
};

struct MergeResult {
  Lead lead;         // the lead kept, after the merge
  Lead merged_lead;  // the lead merged into it
};

// The Contact fields UpdateLead may change, by name.
const std::vector<std::string>& ContactFieldNames();

// A lead with what explains it.
struct LeadView {
  Lead lead;
  std::vector<ScoreComponent> score_breakdown;
  std::vector<StageChange> history;
};

// How much outreach marketing allows per person: at most `max_outbound` outbound touches
// (any campaign) within `window` before a new one.
struct OutreachPolicy {
  int max_outbound = 3;
  absl::Duration window = absl::Hours(24 * 7);
};

// The rules of a lead's life in marketing: one lead per person, scoring, the MQL handoff,
// consent, and the outcome sales reports back.
class LeadWorkflow {
 public:
  // `initial_policy` is version 1 until UpdatePolicy stores another.
  LeadWorkflow(const Clock& clock, ScoringPolicy initial_policy, SalesGateway& sales,
               LeadEventLog& events, OutreachPolicy outreach = {})
      : clock_(clock), initial_policy_(initial_policy), sales_(sales), events_(events), outreach_(outreach) {
    initial_policy_.version = 1;
  }

  absl::StatusOr<CaptureResult> Capture(MarketingTx& tx, const CaptureInput& in) const;
  absl::StatusOr<TouchResult> RecordTouch(MarketingTx& tx, const TouchInput& in) const;
  absl::StatusOr<Lead> Qualify(MarketingTx& tx, const std::string& lead_id,
                               const std::string& reason) const;
  absl::StatusOr<Lead> Disqualify(MarketingTx& tx, const std::string& lead_id,
                                  const std::string& reason) const;
  absl::StatusOr<Lead> UpdateConsent(MarketingTx& tx, const std::string& lead_id, const Consent& consent,
                                     const ConsentProvenance& provenance = {}) const;
  // Corrects contact data; see UpdateLead in lead_service.proto.
  absl::StatusOr<Lead> UpdateContact(MarketingTx& tx, const std::string& lead_id, const ContactPatch& patch) const;
  absl::StatusOr<Lead> ReportOutcome(MarketingTx& tx, const OutcomeInput& in) const;
  // See UpsertLead in lead_service.proto.
  absl::StatusOr<UpsertLeadResult> Upsert(MarketingTx& tx, const UpsertLeadInput& in) const;
  // Makes two leads one; see MergeLeads in lead_service.proto.
  absl::StatusOr<MergeResult> Merge(MarketingTx& tx, const MergeInput& in) const;
  // Removes the person's personal data; see EraseContact in lead_service.proto.
  absl::StatusOr<Lead> Erase(MarketingTx& tx, const std::string& lead_id) const;
  // The lead as the API shows it: its score as of now with the breakdown, and its stage
  // history. `scored`, when given, is what the transaction has just read for the score.
  absl::StatusOr<LeadView> View(MarketingTx& tx, const Lead& lead, const ScoreInputs* scored = nullptr) const;

  // The scoring policy in force, and any stored version (0 = current).
  absl::StatusOr<ScoringPolicy> CurrentPolicy(MarketingTx& tx) const;
  absl::StatusOr<ScoringPolicy> Policy(MarketingTx& tx, int64_t version) const;
  // Stores `policy` as the next version; ABORTED when expected_version > 0 is not current.
  absl::StatusOr<ScoringPolicy> UpdatePolicy(MarketingTx& tx, ScoringPolicy policy,
                                             int64_t expected_version) const;

 private:
  absl::Time TimeOr(absl::Time t) const { return t == absl::InfinitePast() ? clock_.Now() : t; }
  // Recomputes the score from the stored touches and hands the lead off when it crosses
  // the threshold (then `*handed_off` is set). What the score came from goes to `*scored`
  // when given.
  absl::Status Rescore(MarketingTx& tx, Lead& lead, absl::Time now, bool* handed_off,
                       ScoreInputs* scored = nullptr) const;
  // Keeps the lead's current consent as a change made by `method` ("LeadService/...").
  absl::Status RecordConsent(MarketingTx& tx, const Lead& lead, absl::string_view method,
                             ConsentProvenance provenance) const;
  // Queues `queue` to sales for the lead, unless skip_lead, and for the leads merged into
  // it, each under its own name: sales knows the person by every lead it was handed.
  absl::Status TellSales(MarketingTx& tx, const Lead& lead,
                         absl::Status (SalesGateway::*queue)(UnitOfWork&, const Lead&), bool skip_lead) const;
  // Stores the lead (new version; inserted when `is_new`, which a capture's new lead is
  // only once all its rows are known) and records `type`, then HANDED_OFF if `handed_off`.
  absl::Status Save(MarketingTx& tx, Lead& lead, absl::Time now, LeadEventType type,
                    bool handed_off, bool is_new = false) const;
  // Moves the lead as outcome `in` says; FAILED_PRECONDITION (OUTCOME_OUT_OF_ORDER) when
  // the outcome does not fit the lead's stage and owner.
  absl::Status MoveForOutcome(MarketingTx& tx, Lead& lead, const OutcomeInput& in, absl::Time now) const;
  // Erases one lead's personal data (Erase does it for the person's every lead).
  absl::Status EraseOne(MarketingTx& tx, Lead& lead, absl::Time now) const;
  absl::Status MoveStage(MarketingTx& tx, Lead& lead, LifecycleStage to, absl::Time now,
                         const std::string& reason) const;
  // A subscriber that showed a buying signal becomes a LEAD; true when it moved.
  absl::StatusOr<bool> Engage(MarketingTx& tx, Lead& lead, absl::Time now, const std::string& why) const;
  // Makes the lead an MQL and queues its handoff; `touches` is its touch history, oldest
  // first (the caller has usually just read it for the score).
  absl::Status PromoteToMql(MarketingTx& tx, Lead& lead, absl::Time now, const std::string& reason,
                            std::vector<TouchAt> touches) const;

  const Clock& clock_;
  ScoringPolicy initial_policy_;
  SalesGateway& sales_;
  LeadEventLog& events_;
  OutreachPolicy outreach_;
};

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_DOMAIN_LEAD_WORKFLOW_H_
