#include "sales-service/domain/opportunity_workflow.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/contact_address.h"
#include "common/error_details.h"
#include "common/ids.h"
#include "common/trace_context.h"
#include "common/validation.h"
#include "sales-service/domain/opportunity_workflow_internal.h"

namespace handoff::sales {

using workflow_internal::Notice;
using workflow_internal::OppName;
using workflow_internal::RestartAcceptWindow;

absl::StatusOr<Opportunity> OpportunityWorkflow::Load(SalesTx& tx, const std::string& id,
                                                      const std::string& etag) const {
  absl::StatusOr<Opportunity> opp = tx.GetOpportunity(id);
  if (!opp.ok()) return opp.status();
  if (!etag.empty() && etag != EtagOf(opp->version)) {
    return WithReason(absl::AbortedError(absl::StrCat(OppName(id), " changed since etag ", etag,
                                           " was read; get it again and retry")), reason::kStaleEtag, OppName(id));
  }
  return opp;
}

absl::Status OpportunityWorkflow::CheckActor(SalesTx& tx, const std::string& id, const std::string& actor) const {
  if (actor.empty()) return absl::OkStatus();
  absl::StatusOr<Opportunity> opp = tx.GetOpportunity(id);
  if (!opp.ok()) return opp.status();
  if (!opp->rep_id.empty() && actor == absl::StrCat("reps/", opp->rep_id)) return absl::OkStatus();
  return WithReason(absl::PermissionDeniedError(
      absl::StrCat(actor, " may change only opportunities assigned to it; ", OppName(id), " is assigned to ",
                   opp->rep_id.empty() ? std::string("no rep") : absl::StrCat("reps/", opp->rep_id))), reason::kNotAssignedToActor, OppName(id));
}

absl::Status OpportunityWorkflow::Save(SalesTx& tx, Opportunity& opp, DealEventType type) const {
  opp.update_time = clock_.Now();
  ++opp.version;
  if (absl::Status s = tx.UpdateOpportunity(opp); !s.ok()) return s;
  return events_.Record(tx, type, opp);
}

absl::Status OpportunityWorkflow::RequireWorkable(const Opportunity& opp) const {
  if (opp.acceptance != Acceptance::kAccepted) {
    return WithReason(absl::FailedPreconditionError(
        absl::StrCat(OppName(opp.id), " has not been accepted; accept it first")), reason::kNotAccepted, OppName(opp.id));
  }
  if (!opp.is_open()) {
    return WithReason(absl::FailedPreconditionError(
        absl::StrCat(OppName(opp.id), " is closed (", StageName(opp.stage), ")")), reason::kDealClosed, OppName(opp.id));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> OpportunityWorkflow::TryAssign(SalesTx& tx, Opportunity& opp,
                                                    const std::string& exclude_rep_id,
                                                    const std::string& reason,
                                                    std::string* why_not) const {
  absl::StatusOr<std::vector<Rep>> reps = tx.AllReps();
  if (!reps.ok()) return reps.status();
  std::vector<RepLoad> loads;
  loads.reserve(reps->size());
  for (const Rep& r : *reps) {
    loads.push_back({r.id, r.status == RepStatus::kActive, r.capacity, r.open_opportunities,
                     r.last_assigned_seq, r.territories});
  }
  const AssignmentChoice choice = ChooseRep(loads, opp.contact.country_code, exclude_rep_id);
  if (!choice.rep_id) {
    *why_not = choice.unassigned_reason;
    return false;
  }
  auto rep = std::find_if(reps->begin(), reps->end(), [&](const Rep& r) { return r.id == *choice.rep_id; });
  absl::StatusOr<int64_t> seq = tx.NextAssignmentSeq();
  if (!seq.ok()) return seq.status();
  rep->last_assigned_seq = *seq;
  if (absl::Status s = tx.UpdateRep(*rep); !s.ok()) return s;
  opp.rep_id = rep->id;
  opp.unassigned_reason.clear();
  if (absl::Status s = tx.RecordAssignment(opp.id, rep->id, clock_.Now(), reason); !s.ok()) return s;
  return true;
}

absl::Status OpportunityWorkflow::EnterStage(SalesTx& tx, Opportunity& opp, Stage to, absl::Time when,
                                             std::string reason) const {
  StageChange change{opp.stage, to, absl::ZeroDuration(), std::move(reason), opp.rep_id};
  if (opp.stage != Stage::kUnspecified) change.time_in_from = std::max(absl::ZeroDuration(), when - opp.stage_time);
  opp.stage = to;
  opp.stage_time = when;
  return tx.RecordStageChange(opp.id, when, change);
}

absl::Status OpportunityWorkflow::ReportProgress(SalesTx& tx, const Opportunity& opp, Stage from,
                                                 Stage to) const {
  // An upsell's lead is a customer already: marketing only hears about new business.
  if (opp.kind != OpportunityKind::kNewBusiness) return absl::OkStatus();
  std::optional<Outcome> progress;
  if (from < Stage::kProposal && to >= Stage::kProposal) {
    progress = Outcome::kOpportunity;
  } else if (from < Stage::kQualified && to >= Stage::kQualified) {
    progress = Outcome::kSalesQualified;
  }
  if (!progress) return absl::OkStatus();
  return marketing_.QueueOutcome(tx, Notice(opp, *progress, "", clock_.Now()));
}

absl::Status OpportunityWorkflow::Announce(SalesTx& tx, const Opportunity& opp, DealEventType type) const {
  if (absl::Status s = tx.UpdateOpportunity(opp); !s.ok()) return s;
  return events_.Record(tx, type, opp);
}

absl::Time OpportunityWorkflow::AcceptDue(const Opportunity& opp) const {
  if (opp.acceptance != Acceptance::kPending) return absl::InfinitePast();
  return opp.pending_since + config_.accept_sla;
}

absl::Time OpportunityWorkflow::FirstTouchDue(const Opportunity& opp) const {
  if (opp.acceptance != Acceptance::kAccepted || !opp.is_open() ||
      opp.kind != OpportunityKind::kNewBusiness || opp.first_touch_time != absl::InfinitePast()) {
    return absl::InfinitePast();
  }
  return opp.accept_time + config_.first_touch_sla;
}

absl::StatusOr<HandoffResult> OpportunityWorkflow::Handoff(SalesTx& tx, const HandoffInput& in) const {
  if (!ParseResourceName(in.lead, "leads")) {
    return absl::InvalidArgumentError("lead must be of the form leads/{id}");
  }
  if (in.contact.email.empty() && in.contact.phone.empty()) {
    return absl::InvalidArgumentError("contact: email or phone is required");
  }
  // Marketing sends normalised addresses; anything else is a bad request, not a contact.
  if (!in.contact.email.empty()) {
    if (absl::Status s = NormalizeEmail(in.contact.email, "contact.email").status(); !s.ok()) return s;
  }
  if (!in.contact.phone.empty()) {
    if (absl::Status s = NormalizePhone(in.contact.phone, "contact.phone").status(); !s.ok()) return s;
  }
  absl::StatusOr<std::optional<Opportunity>> open = tx.FindOpenForLead(in.lead);
  if (!open.ok()) return open.status();
  if (open->has_value()) return HandoffResult{**open, true};
  const absl::Time now = clock_.Now();
  Opportunity opp;
  opp.id = NewId();
  opp.lead = in.lead;
  opp.contact = in.contact;
  opp.consent = in.consent;
  opp.marketing = in.marketing;
  opp.kind = OpportunityKind::kNewBusiness;
  opp.acceptance = Acceptance::kPending;
  opp.handoff_time = in.handoff_time == absl::InfinitePast() ? now : in.handoff_time;
  opp.create_time = opp.update_time = now;
  // The accept clock starts when sales has it, not when marketing queued it.
  opp.pending_since = now;
  opp.traceparent = CurrentTrace().ToTraceparent();
  opp.stage = Stage::kUnspecified;  // entering NEW is the first history entry
  if (absl::Status s = EnterStage(tx, opp, Stage::kNew, now, "handed off by marketing"); !s.ok()) return s;
  if (absl::Status s = tx.InsertOpportunity(opp); !s.ok()) return s;
  absl::StatusOr<bool> assigned = TryAssign(tx, opp, "", "automatic assignment", &opp.unassigned_reason);
  if (!assigned.ok()) return assigned.status();
  if (absl::Status s = tx.UpdateOpportunity(opp); !s.ok()) return s;
  if (absl::Status s = events_.Record(tx, DealEventType::kCreated, opp); !s.ok()) return s;
  return HandoffResult{opp, false};
}

absl::StatusOr<int> OpportunityWorkflow::UpdateConsent(SalesTx& tx, const std::string& lead,
                                                       const Consent& consent) const {
  if (!ParseResourceName(lead, "leads")) {
    return absl::InvalidArgumentError("lead must be of the form leads/{id}");
  }
  return tx.UpdateConsentForLead(lead, consent);
}

absl::StatusOr<int> OpportunityWorkflow::UpdateContact(SalesTx& tx, const std::string& lead,
                                                       const Contact& contact) const {
  if (!ParseResourceName(lead, "leads")) {
    return absl::InvalidArgumentError("lead must be of the form leads/{id}");
  }
  if (contact.email.empty() && contact.phone.empty()) {
    return absl::InvalidArgumentError("contact: email or phone is required");
  }
  return tx.UpdateContactForLead(lead, contact);
}

absl::StatusOr<int> OpportunityWorkflow::EraseLead(SalesTx& tx, const std::string& lead) const {
  if (!ParseResourceName(lead, "leads")) {
    return absl::InvalidArgumentError("lead must be of the form leads/{id}");
  }
  int erased = 0;
  absl::StatusOr<std::vector<std::string>> removed = tx.EraseLead(lead, &erased);
  if (!removed.ok()) return removed.status();
  if (absl::Status s = tx.ForgetResponsesContaining(*removed); !s.ok()) return s;
  return erased;
}

absl::StatusOr<Opportunity> OpportunityWorkflow::Accept(SalesTx& tx, const std::string& id,
                                                        const std::string& etag) const {
  absl::StatusOr<Opportunity> opp = Load(tx, id, etag);
  if (!opp.ok()) return opp.status();
  if (opp->acceptance != Acceptance::kPending) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(OppName(id), " is not pending acceptance")), reason::kNotPendingAcceptance, OppName(id));
  }
  if (opp->rep_id.empty()) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
        OppName(id), " has no rep (", opp->unassigned_reason, "); assign one with AssignOpportunity first")), reason::kNoRepAssigned, OppName(id));
  }
  const absl::Time now = clock_.Now();
  opp->acceptance = Acceptance::kAccepted;
  opp->accept_time = now;
  if (absl::Status s = Save(tx, *opp, DealEventType::kAccepted); !s.ok()) return s;
  if (absl::Status s = marketing_.QueueOutcome(tx, Notice(*opp, Outcome::kAccepted, "", now));
      !s.ok()) {
    return s;
  }
  return opp;
}

absl::StatusOr<Opportunity> OpportunityWorkflow::Reject(SalesTx& tx, const std::string& id,
                                                        RejectReason reason, const std::string& text,
                                                        const std::string& etag) const {
  const int r = static_cast<int>(reason);
  if (r <= 0 || r > kRejectReasonMax) {
    return absl::InvalidArgumentError("reason is required (REJECT_REASON_NOT_A_FIT, ...)");
  }
  if (reason == RejectReason::kOther && text.empty()) {
    return absl::InvalidArgumentError("reason_text is required for REJECT_REASON_OTHER");
  }
  if (absl::Status s = ValidateLength(text, 1000, "reason_text"); !s.ok()) return s;
  absl::StatusOr<Opportunity> opp = Load(tx, id, etag);
  if (!opp.ok()) return opp.status();
  if (opp->acceptance != Acceptance::kPending) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(OppName(id), " is not pending acceptance")), reason::kNotPendingAcceptance, OppName(id));
  }
  const absl::Time now = clock_.Now();
  opp->acceptance = Acceptance::kRejected;
  opp->reject_reason = reason;
  opp->reason_text = text;
  opp->close_time = now;
  if (absl::Status s = Save(tx, *opp, DealEventType::kRejected); !s.ok()) return s;
  static const char* const kNames[] = {"", "not a fit", "bad contact data", "duplicate",
                                       "no budget", "bad timing", "other"};
  std::string why = kNames[r];
  if (!text.empty()) absl::StrAppend(&why, ": ", text);
  if (absl::Status s = marketing_.QueueOutcome(tx, Notice(*opp, Outcome::kRejected, why, now));
      !s.ok()) {
    return s;
  }
  return opp;
}

absl::StatusOr<Opportunity> OpportunityWorkflow::Assign(SalesTx& tx, const std::string& id,
                                                        const std::string& rep_id,
                                                        const std::string& etag) const {
  absl::StatusOr<Opportunity> opp = Load(tx, id, etag);
  if (!opp.ok()) return opp.status();
  if (!opp->is_open()) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(OppName(id), " is closed or rejected")), reason::kDealClosed, OppName(id));
  }
  absl::StatusOr<Rep> rep = tx.GetRep(rep_id);
  if (!rep.ok()) return rep.status();
  if (opp->rep_id == rep_id) return opp;
  if (rep->status != RepStatus::kActive) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat("reps/", rep_id, " is away")), reason::kRepAway, absl::StrCat("reps/", rep_id));
  }
  if (rep->open_opportunities >= rep->capacity) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat("reps/", rep_id, " is at capacity (",
                                                      rep->capacity, " open opportunities)")), reason::kRepAtCapacity, absl::StrCat("reps/", rep_id));
  }
  opp->rep_id = rep_id;
  opp->unassigned_reason.clear();
  if (opp->acceptance == Acceptance::kPending) RestartAcceptWindow(*opp, clock_.Now());
  if (absl::Status s = Save(tx, *opp, DealEventType::kAssigned); !s.ok()) return s;
  if (absl::Status s = tx.RecordAssignment(id, rep_id, clock_.Now(), "assigned by hand"); !s.ok()) return s;
  return opp;
}

absl::StatusOr<Activity> OpportunityWorkflow::LogActivity(SalesTx& tx, const std::string& id,
                                                          Activity a, const std::string& etag) const {
  const int type = static_cast<int>(a.type);
  if (type <= 0 || type > kActivityTypeMax) {
    return absl::InvalidArgumentError("activity.type is required (ACTIVITY_TYPE_CALL, ...)");
  }
  const int call = static_cast<int>(a.call_outcome);
  if (a.type == ActivityType::kCall && (call <= 0 || call > kCallOutcomeMax)) {
    return absl::InvalidArgumentError("activity.call_outcome is required for a call");
  }
  const int meeting = static_cast<int>(a.meeting_status);
  if (a.type == ActivityType::kMeeting && (meeting <= 0 || meeting > kMeetingStatusMax)) {
    return absl::InvalidArgumentError("activity.meeting_status is required for a meeting");
  }
  if (absl::Status s = ValidateLength(a.summary, 4000, "activity.summary"); !s.ok()) return s;
  if (absl::Status s = ValidateLength(a.next_step, 1000, "activity.next_step"); !s.ok()) return s;
  absl::StatusOr<Opportunity> opp = Load(tx, id, etag);
  if (!opp.ok()) return opp.status();
  if (absl::Status s = RequireWorkable(*opp); !s.ok()) return s;
  const Consent& c = opp->consent;
  if (a.type != ActivityType::kNote && c.do_not_contact) {
    return WithReason(absl::FailedPreconditionError(
        "the person asked not to be contacted (consent.do_not_contact); only notes may be logged"), reason::kDoNotContact, OppName(id));
  }
  if (a.type == ActivityType::kCall && !c.phone) {
    return WithReason(absl::FailedPreconditionError("the person has not consented to phone calls (consent.phone)"), reason::kConsentMissing, OppName(id));
  }
  if (a.type == ActivityType::kEmail && !c.email) {
    return WithReason(absl::FailedPreconditionError("the person has not consented to e-mail (consent.email)"), reason::kConsentMissing, OppName(id));
  }
  a.id = NewId();
  a.opportunity_id = id;
  if (a.time == absl::InfinitePast()) a.time = clock_.Now();
  a.update_time = clock_.Now();
  a.version = 1;
  a.rep_id = opp->rep_id;
  if (absl::Status s = tx.InsertActivity(a); !s.ok()) return s;
  if (a.type != ActivityType::kNote && opp->first_touch_time == absl::InfinitePast()) {
    opp->first_touch_time = a.time;
  }
  // The timeline changed: new etag and an event.
  if (absl::Status s = Save(tx, *opp, DealEventType::kActivityLogged); !s.ok()) return s;
  return a;
}

absl::StatusOr<Activity> OpportunityWorkflow::GetActivity(SalesTx& tx, const std::string& opportunity_id,
                                                          const std::string& activity_id) const {
  return tx.GetActivity(opportunity_id, activity_id);
}

absl::StatusOr<Activity> OpportunityWorkflow::UpdateActivity(SalesTx& tx, const std::string& opportunity_id,
                                                             const std::string& activity_id,
                                                             const ActivityPatch& patch,
                                                             const std::string& etag) const {
  absl::StatusOr<Activity> a = tx.GetActivity(opportunity_id, activity_id);
  if (!a.ok()) return a.status();
  const std::string name = absl::StrCat(OppName(opportunity_id), "/activities/", activity_id);
  if (!patch.etag.empty() && patch.etag != EtagOf(a->version)) {
    return WithReason(absl::AbortedError(absl::StrCat(name, " changed since etag ", patch.etag,
                                                      " was read; get it again and retry")),
                      reason::kStaleEtag, name);
  }
  if (patch.meeting_status) {
    const int status = static_cast<int>(*patch.meeting_status);
    if (a->type != ActivityType::kMeeting) {
      return absl::InvalidArgumentError("activity.meeting_status: only a meeting has one");
    }
    if (status <= 0 || status > kMeetingStatusMax) {
      return absl::InvalidArgumentError("activity.meeting_status is not a valid MeetingStatus");
    }
    if (*patch.meeting_status != a->meeting_status && a->meeting_status != MeetingStatus::kScheduled) {
      return WithReason(absl::FailedPreconditionError(absl::StrCat(
                            name, " is no longer scheduled; a held or missed meeting keeps its status")),
                        reason::kMeetingStatusFinal, name);
    }
    a->meeting_status = *patch.meeting_status;
  }
  if (patch.call_outcome) {
    const int outcome = static_cast<int>(*patch.call_outcome);
    if (a->type != ActivityType::kCall) return absl::InvalidArgumentError("activity.call_outcome: only a call has one");
    if (outcome <= 0 || outcome > kCallOutcomeMax) {
      return absl::InvalidArgumentError("activity.call_outcome is not a valid CallOutcome");
    }
    a->call_outcome = *patch.call_outcome;
  }
  if (patch.summary) {
    if (absl::Status s = ValidateLength(*patch.summary, 4000, "activity.summary"); !s.ok()) return s;
    a->summary = *patch.summary;
  }
  if (patch.next_step) {
    if (absl::Status s = ValidateLength(*patch.next_step, 1000, "activity.next_step"); !s.ok()) return s;
    a->next_step = *patch.next_step;
  }
  if (patch.next_step_due) a->next_step_due = *patch.next_step_due;
  absl::StatusOr<Opportunity> opp = Load(tx, opportunity_id, etag);
  if (!opp.ok()) return opp.status();
  if (absl::Status s = RequireWorkable(*opp); !s.ok()) return s;
  a->update_time = clock_.Now();
  ++a->version;
  if (absl::Status s = tx.UpdateActivity(*a); !s.ok()) return s;
  // The opportunity's history changed: new etag and an event, as when it was logged.
  if (absl::Status s = Save(tx, *opp, DealEventType::kActivityLogged); !s.ok()) return s;
  return a;
}

absl::StatusOr<Opportunity> OpportunityWorkflow::Update(SalesTx& tx, const std::string& id,
                                                        const ForecastPatch& patch,
                                                        const std::string& etag) const {
  if (!patch.amount && !patch.expected_close && !patch.committed) {
    return absl::InvalidArgumentError("update_mask: name at least one of amount, expected_close_time, committed");
  }
  if (patch.amount && patch.amount->has_value()) {
    if (absl::Status s = ValidatePositiveMoney(**patch.amount, "opportunity.amount"); !s.ok()) return s;
  }
  absl::StatusOr<Opportunity> opp = Load(tx, id, etag);
  if (!opp.ok()) return opp.status();
  if (!opp->is_open()) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(OppName(id), " is closed or rejected; its figures are final")), reason::kDealClosed, OppName(id));
  }
  if (patch.amount) opp->amount = patch.amount->value_or(Money{});
  if (patch.expected_close) opp->expected_close_time = *patch.expected_close;
  if (patch.committed) opp->committed = *patch.committed;
  if (absl::Status s = Save(tx, *opp, DealEventType::kUpdated); !s.ok()) return s;
  return opp;
}

}  // namespace handoff::sales
