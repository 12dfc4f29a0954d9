#include "sales-service/domain/opportunity_workflow.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/contact_address.h"
#include "common/ids.h"
#include "common/validation.h"

namespace handoff::sales {
namespace {

std::string OppName(const std::string& id) { return ResourceName("opportunities", id); }

// What marketing hears about `opp`; `amount` only for a win.
OutcomeNotice Notice(const Opportunity& opp, Outcome outcome, std::string reason, absl::Time time,
                     Money amount = Money()) {
  OutcomeNotice n;
  n.lead = opp.lead;
  n.opportunity_id = opp.id;
  n.outcome = outcome;
  n.reason = std::move(reason);
  n.amount = std::move(amount);
  n.time = time;
  return n;
}

// A pending opportunity that (re)gets a rep gets a full accept window, not yet breached.
void RestartAcceptWindow(Opportunity& opp, absl::Time now) {
  opp.pending_since = now;
  opp.accept_breached = false;
}

absl::Status ValidateRep(const Rep& r) {
  if (absl::Status s = ValidateRequiredText(r.display_name, 200, "rep.display_name"); !s.ok()) return s;
  if (absl::Status s = NormalizeEmail(r.email, "rep.email").status(); !s.ok()) return s;
  if (r.capacity < 1 || r.capacity > 10000) {
    return absl::InvalidArgumentError("rep.capacity must be 1 to 10000");
  }
  const int status = static_cast<int>(r.status);
  if (status < 1 || status > kRepStatusMax) {
    return absl::InvalidArgumentError("rep.status must be REP_STATUS_ACTIVE or REP_STATUS_AWAY");
  }
  for (const std::string& t : r.territories) {
    if (t.size() != 2 || !absl::ascii_isupper(static_cast<unsigned char>(t[0])) ||
        !absl::ascii_isupper(static_cast<unsigned char>(t[1]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rep.territories: ", Quote(t), " is not an upper-case ISO 3166-1 alpha-2 code"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> NormalizeTerritories(std::vector<std::string> t) {
  for (std::string& code : t) code = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(code));
  std::sort(t.begin(), t.end());
  t.erase(std::unique(t.begin(), t.end()), t.end());
  return t;
}

}  // namespace

absl::StatusOr<Opportunity> OpportunityWorkflow::Load(SalesTx& tx, const std::string& id,
                                                      const std::string& etag) const {
  absl::StatusOr<Opportunity> opp = tx.GetOpportunity(id);
  if (!opp.ok()) return opp.status();
  if (!etag.empty() && etag != EtagOf(opp->version)) {
    return absl::AbortedError(absl::StrCat(OppName(id), " changed since etag ", etag,
                                           " was read; get it again and retry"));
  }
  return opp;
}

absl::Status OpportunityWorkflow::Save(SalesTx& tx, Opportunity& opp, DealEventType type) const {
  opp.update_time = clock_.Now();
  ++opp.version;
  if (absl::Status s = tx.UpdateOpportunity(opp); !s.ok()) return s;
  return events_.Record(tx, type, opp);
}

absl::Status OpportunityWorkflow::RequireWorkable(const Opportunity& opp) const {
  if (opp.acceptance != Acceptance::kAccepted) {
    return absl::FailedPreconditionError(
        absl::StrCat(OppName(opp.id), " has not been accepted; accept it first"));
  }
  if (!opp.is_open()) {
    return absl::FailedPreconditionError(
        absl::StrCat(OppName(opp.id), " is closed (", StageName(opp.stage), ")"));
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
    return absl::FailedPreconditionError(absl::StrCat(OppName(id), " is not pending acceptance"));
  }
  if (opp->rep_id.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        OppName(id), " has no rep (", opp->unassigned_reason, "); assign one with AssignOpportunity first"));
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
    return absl::FailedPreconditionError(absl::StrCat(OppName(id), " is not pending acceptance"));
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
    return absl::FailedPreconditionError(absl::StrCat(OppName(id), " is closed or rejected"));
  }
  absl::StatusOr<Rep> rep = tx.GetRep(rep_id);
  if (!rep.ok()) return rep.status();
  if (opp->rep_id == rep_id) return opp;
  if (rep->status != RepStatus::kActive) {
    return absl::FailedPreconditionError(absl::StrCat("reps/", rep_id, " is away"));
  }
  if (rep->open_opportunities >= rep->capacity) {
    return absl::FailedPreconditionError(absl::StrCat("reps/", rep_id, " is at capacity (",
                                                      rep->capacity, " open opportunities)"));
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
    return absl::FailedPreconditionError(
        "the person asked not to be contacted (consent.do_not_contact); only notes may be logged");
  }
  if (a.type == ActivityType::kCall && !c.phone) {
    return absl::FailedPreconditionError("the person has not consented to phone calls (consent.phone)");
  }
  if (a.type == ActivityType::kEmail && !c.email) {
    return absl::FailedPreconditionError("the person has not consented to e-mail (consent.email)");
  }
  a.id = NewId();
  a.opportunity_id = id;
  if (a.time == absl::InfinitePast()) a.time = clock_.Now();
  a.rep_id = opp->rep_id;
  if (absl::Status s = tx.InsertActivity(a); !s.ok()) return s;
  if (a.type != ActivityType::kNote && opp->first_touch_time == absl::InfinitePast()) {
    opp->first_touch_time = a.time;
  }
  // The timeline changed: new etag and an event.
  if (absl::Status s = Save(tx, *opp, DealEventType::kActivityLogged); !s.ok()) return s;
  return a;
}

absl::StatusOr<Opportunity> OpportunityWorkflow::Advance(SalesTx& tx, const std::string& id, Stage to,
                                                         const std::optional<Money>& amount,
                                                         const std::string& etag) const {
  const int t = static_cast<int>(to);
  if (t <= 0 || t > kStageMax) return absl::InvalidArgumentError("stage is required");
  if (to == Stage::kClosedWon || to == Stage::kClosedLost) {
    return absl::InvalidArgumentError("stage: use CloseWon or CloseLost to close an opportunity");
  }
  if (amount) {
    if (absl::Status s = ValidatePositiveMoney(*amount, "amount"); !s.ok()) return s;
  }
  absl::StatusOr<Opportunity> opp = Load(tx, id, etag);
  if (!opp.ok()) return opp.status();
  if (absl::Status s = RequireWorkable(*opp); !s.ok()) return s;
  if (!CanAdvance(opp->stage, to)) {
    return absl::FailedPreconditionError(absl::StrCat(
        OppName(id), " cannot move from ", StageName(opp->stage), " to ", StageName(to),
        "; stages only move forward"));
  }
  const Stage from = opp->stage;
  if (absl::Status s = EnterStage(tx, *opp, to, clock_.Now(), ""); !s.ok()) return s;
  if (amount) opp->amount = *amount;
  if (absl::Status s = Save(tx, *opp, DealEventType::kStageAdvanced); !s.ok()) return s;
  if (absl::Status s = ReportProgress(tx, *opp, from, to); !s.ok()) return s;
  return opp;
}

absl::StatusOr<Opportunity> OpportunityWorkflow::CloseWon(SalesTx& tx, const std::string& id,
                                                          const Money& amount, absl::Time close_time,
                                                          const std::string& etag) const {
  if (absl::Status s = ValidatePositiveMoney(amount, "amount"); !s.ok()) return s;
  absl::StatusOr<Opportunity> opp = Load(tx, id, etag);
  if (!opp.ok()) return opp.status();
  if (absl::Status s = RequireWorkable(*opp); !s.ok()) return s;
  absl::StatusOr<absl::Time> closed = CloseTime(*opp, close_time);
  if (!closed.ok()) return closed.status();
  const absl::Time when = *closed;
  if (absl::Status s = EnterStage(tx, *opp, Stage::kClosedWon, when, "won"); !s.ok()) return s;
  opp->amount = amount;
  opp->close_time = when;
  if (absl::Status s = Save(tx, *opp, DealEventType::kWon); !s.ok()) return s;
  if (absl::Status s = marketing_.QueueOutcome(tx, Notice(*opp, Outcome::kWon, "", when, amount));
      !s.ok()) {
    return s;
  }
  return opp;
}

absl::StatusOr<absl::Time> OpportunityWorkflow::CloseTime(const Opportunity& opp,
                                                          absl::Time requested) const {
  const absl::Time now = clock_.Now();
  if (requested == absl::InfinitePast()) return now;
  if (requested < opp.create_time) {
    return absl::InvalidArgumentError(absl::StrCat(
        "close_time ", absl::FormatTime(requested), " is before ", OppName(opp.id), " was created (",
        absl::FormatTime(opp.create_time), ")"));
  }
  if (requested > now + kClockSkew) {
    return absl::InvalidArgumentError(absl::StrCat("close_time ", absl::FormatTime(requested),
                                                   " is in the future; a deal closes when it closes"));
  }
  return std::min(requested, now);
}

absl::StatusOr<Opportunity> OpportunityWorkflow::CloseLost(SalesTx& tx, const std::string& id,
                                                           LossReason reason, const std::string& text,
                                                           const std::string& competitor,
                                                           absl::Time close_time,
                                                           const std::string& etag) const {
  const int r = static_cast<int>(reason);
  if (r <= 0 || r > kLossReasonMax) {
    return absl::InvalidArgumentError("reason is required (LOSS_REASON_PRICE, ...)");
  }
  if (reason == LossReason::kOther && text.empty()) {
    return absl::InvalidArgumentError("reason_text is required for LOSS_REASON_OTHER");
  }
  if (absl::Status s = ValidateLength(text, 1000, "reason_text"); !s.ok()) return s;
  if (absl::Status s = ValidateLength(competitor, 200, "competitor"); !s.ok()) return s;
  absl::StatusOr<Opportunity> opp = Load(tx, id, etag);
  if (!opp.ok()) return opp.status();
  if (absl::Status s = RequireWorkable(*opp); !s.ok()) return s;
  absl::StatusOr<absl::Time> closed = CloseTime(*opp, close_time);
  if (!closed.ok()) return closed.status();
  const absl::Time when = *closed;
  static const char* const kNames[] = {"", "price", "competitor", "product fit",
                                       "no decision", "timing", "other"};
  std::string why = kNames[r];
  if (!competitor.empty()) absl::StrAppend(&why, " (", competitor, ")");
  if (!text.empty()) absl::StrAppend(&why, ": ", text);
  if (absl::Status s = EnterStage(tx, *opp, Stage::kClosedLost, when, absl::StrCat("lost: ", why)); !s.ok()) {
    return s;
  }
  opp->loss_reason = reason;
  opp->reason_text = text;
  opp->competitor = competitor;
  opp->close_time = when;
  if (absl::Status s = Save(tx, *opp, DealEventType::kLost); !s.ok()) return s;
  if (absl::Status s = marketing_.QueueOutcome(tx, Notice(*opp, Outcome::kLost, why, when));
      !s.ok()) {
    return s;
  }
  return opp;
}

absl::StatusOr<Opportunity> OpportunityWorkflow::CreateUpsell(SalesTx& tx, const std::string& won_id,
                                                              const std::optional<Money>& amount) const {
  if (amount) {
    if (absl::Status s = ValidatePositiveMoney(*amount, "amount"); !s.ok()) return s;
  }
  absl::StatusOr<Opportunity> won = tx.GetOpportunity(won_id);
  if (!won.ok()) return won.status();
  if (won->stage != Stage::kClosedWon) {
    return absl::FailedPreconditionError(
        absl::StrCat(OppName(won_id), " is not won; upsells grow from won deals"));
  }
  const absl::Time now = clock_.Now();
  Opportunity up;
  up.id = NewId();
  up.lead = won->lead;
  up.contact = won->contact;
  up.consent = won->consent;
  up.marketing = won->marketing;
  up.kind = OpportunityKind::kUpsell;
  up.parent_opportunity_id = won_id;
  up.rep_id = won->rep_id;
  up.acceptance = Acceptance::kAccepted;
  if (amount) up.amount = *amount;
  up.handoff_time = won->handoff_time;
  up.accept_time = now;
  up.create_time = up.update_time = now;
  up.pending_since = now;
  up.stage = Stage::kUnspecified;
  if (absl::Status s = EnterStage(tx, up, Stage::kNew, now, absl::StrCat("upsell of ", OppName(won_id)));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = tx.InsertOpportunity(up); !s.ok()) return s;
  if (absl::Status s = events_.Record(tx, DealEventType::kCreated, up); !s.ok()) return s;
  if (!up.rep_id.empty()) {
    if (absl::Status s = tx.RecordAssignment(up.id, up.rep_id, now, "upsell keeps the rep of the won deal");
        !s.ok()) {
      return s;
    }
  }
  return up;
}

absl::StatusOr<Rep> OpportunityWorkflow::CreateRep(SalesTx& tx, const RepInput& in) const {
  Rep r;
  r.id = NewId();
  r.display_name = std::string(absl::StripAsciiWhitespace(in.display_name));
  r.email = absl::AsciiStrToLower(absl::StripAsciiWhitespace(in.email));
  r.territories = NormalizeTerritories(in.territories);
  r.capacity = in.capacity;
  r.status = in.status == RepStatus::kUnspecified ? RepStatus::kActive : in.status;
  if (absl::Status s = ValidateRep(r); !s.ok()) return s;
  r.create_time = r.update_time = clock_.Now();
  if (absl::Status s = tx.InsertRep(r); !s.ok()) return s;
  return r;
}

absl::StatusOr<Rep> OpportunityWorkflow::UpdateRep(SalesTx& tx, const std::string& id,
                                                   const RepPatch& patch) const {
  absl::StatusOr<Rep> r = tx.GetRep(id);
  if (!r.ok()) return r.status();
  if (patch.etag && *patch.etag != EtagOf(r->version)) {
    return absl::AbortedError(absl::StrCat("reps/", id, " changed since etag ", *patch.etag,
                                           " was read; get it again and retry"));
  }
  if (patch.display_name) r->display_name = std::string(absl::StripAsciiWhitespace(*patch.display_name));
  if (patch.territories) r->territories = NormalizeTerritories(*patch.territories);
  if (patch.capacity) r->capacity = *patch.capacity;
  if (patch.status) r->status = *patch.status;
  if (absl::Status s = ValidateRep(*r); !s.ok()) return s;
  r->update_time = clock_.Now();
  ++r->version;
  if (absl::Status s = tx.UpdateRep(*r); !s.ok()) return s;
  return r;
}

absl::StatusOr<Opportunity> OpportunityWorkflow::Reopen(SalesTx& tx, const std::string& id, Stage to,
                                                        const std::string& reason_text,
                                                        const std::string& etag) const {
  const int t = static_cast<int>(to);
  if (t <= 0 || to >= Stage::kClosedWon) {
    return absl::InvalidArgumentError("stage must be an open stage (STAGE_NEW .. STAGE_NEGOTIATION)");
  }
  if (reason_text.empty()) return absl::InvalidArgumentError("reason_text is required: why is it back?");
  if (absl::Status s = ValidateLength(reason_text, 1000, "reason_text"); !s.ok()) return s;
  absl::StatusOr<Opportunity> opp = Load(tx, id, etag);
  if (!opp.ok()) return opp.status();
  if (opp->stage != Stage::kClosedLost) {
    return absl::FailedPreconditionError(absl::StrCat(
        OppName(id), " is ", opp->acceptance == Acceptance::kRejected ? "a rejected handoff" : StageName(opp->stage),
        "; only CLOSED_LOST deals are reopened (won deals grow with CreateUpsell, rejected "
        "handoffs come back through marketing)"));
  }
  if (opp->kind == OpportunityKind::kNewBusiness) {
    absl::StatusOr<std::optional<Opportunity>> open = tx.FindOpenForLead(opp->lead);
    if (!open.ok()) return open.status();
    if (open->has_value() && (*open)->kind == OpportunityKind::kNewBusiness) {
      return absl::FailedPreconditionError(absl::StrCat(
          opp->lead, " already has an open opportunity, ", OppName((*open)->id), "; work that one"));
    }
  }
  const absl::Time now = clock_.Now();
  if (absl::Status s = EnterStage(tx, *opp, to, now, absl::StrCat("reopened: ", reason_text)); !s.ok()) {
    return s;
  }
  opp->loss_reason = LossReason::kUnspecified;
  opp->reason_text.clear();
  opp->competitor.clear();
  opp->close_time = absl::InfinitePast();
  ++opp->reopen_count;
  if (absl::Status s = Save(tx, *opp, DealEventType::kReopened); !s.ok()) return s;
  if (opp->kind == OpportunityKind::kNewBusiness) {
    if (absl::Status s = marketing_.QueueOutcome(tx, Notice(*opp, Outcome::kReopened, reason_text, now));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = ReportProgress(tx, *opp, Stage::kNew, to); !s.ok()) return s;
  }
  return opp;
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
    return absl::FailedPreconditionError(absl::StrCat(OppName(id), " is closed or rejected; its figures are final"));
  }
  if (patch.amount) opp->amount = patch.amount->value_or(Money{});
  if (patch.expected_close) opp->expected_close_time = *patch.expected_close;
  if (patch.committed) opp->committed = *patch.committed;
  if (absl::Status s = Save(tx, *opp, DealEventType::kUpdated); !s.ok()) return s;
  return opp;
}

absl::StatusOr<ServiceLevelReport> OpportunityWorkflow::ServiceLevels(SalesTx& tx, SlaKind kind,
                                                                      int limit) const {
  const absl::Time now = clock_.Now();
  ServiceLevelReport report;
  if (kind != SlaKind::kFirstTouch) {
    absl::StatusOr<std::vector<Opportunity>> late = tx.PendingSince(now - config_.accept_sla, false, limit);
    if (!late.ok()) return late.status();
    for (Opportunity& o : *late) {
      const absl::Time due = AcceptDue(o);
      report.breaches.push_back({std::move(o), SlaKind::kAccept, due, now - due});
    }
  }
  if (kind != SlaKind::kAccept) {
    absl::StatusOr<std::vector<Opportunity>> late =
        tx.UntouchedAcceptedBefore(now - config_.first_touch_sla, false, limit);
    if (!late.ok()) return late.status();
    for (Opportunity& o : *late) {
      const absl::Time due = FirstTouchDue(o);
      report.breaches.push_back({std::move(o), SlaKind::kFirstTouch, due, now - due});
    }
  }
  std::stable_sort(report.breaches.begin(), report.breaches.end(),
                   [](const SlaBreach& a, const SlaBreach& b) { return a.due < b.due; });
  if (static_cast<int>(report.breaches.size()) > limit) report.breaches.resize(limit);
  absl::StatusOr<std::vector<Opportunity>> waiting = tx.UnassignedPending(limit);
  if (!waiting.ok()) return waiting.status();
  report.unassigned = *std::move(waiting);
  return report;
}

absl::StatusOr<ServiceLevelSweep> OpportunityWorkflow::CheckServiceLevels(SalesTx& tx, int batch) const {
  const absl::Time now = clock_.Now();
  ServiceLevelSweep sweep;
  // Waiting without a rep: the first one that finds none means none is eligible now.
  absl::StatusOr<std::vector<Opportunity>> waiting = tx.UnassignedPending(batch);
  if (!waiting.ok()) return waiting.status();
  for (Opportunity& o : *waiting) {
    std::string why_not;
    absl::StatusOr<bool> assigned = TryAssign(tx, o, "", "automatic assignment (waited for a free rep)", &why_not);
    if (!assigned.ok()) return assigned.status();
    if (!*assigned) {
      if (why_not != o.unassigned_reason) {
        o.unassigned_reason = why_not;
        if (absl::Status s = tx.UpdateOpportunity(o); !s.ok()) return s;
      }
      break;
    }
    RestartAcceptWindow(o, now);
    if (absl::Status s = Save(tx, o, DealEventType::kAssigned); !s.ok()) return s;
    ++sweep.assigned;
  }
  sweep.more = static_cast<int>(waiting->size()) == batch && sweep.assigned == batch;

  absl::StatusOr<std::vector<Opportunity>> late = tx.PendingSince(now - config_.accept_sla, true, batch);
  if (!late.ok()) return late.status();
  for (Opportunity& o : *late) {
    o.accept_breached = true;
    if (absl::Status s = Announce(tx, o, DealEventType::kAcceptSlaBreached); !s.ok()) return s;
    ++sweep.accept_breaches;
    if (!config_.reassign_on_accept_breach || o.rep_id.empty()) continue;
    const std::string missed_by = o.rep_id;
    std::string why_not;
    absl::StatusOr<bool> moved = TryAssign(
        tx, o, missed_by, absl::StrCat("accept SLA missed by reps/", missed_by, ": reassigned"), &why_not);
    if (!moved.ok()) return moved.status();
    if (!*moved) continue;  // nobody else is free: it stays, breach announced
    RestartAcceptWindow(o, now);
    if (absl::Status s = Save(tx, o, DealEventType::kAssigned); !s.ok()) return s;
    ++sweep.reassigned;
  }
  sweep.more = sweep.more || static_cast<int>(late->size()) == batch;

  absl::StatusOr<std::vector<Opportunity>> untouched =
      tx.UntouchedAcceptedBefore(now - config_.first_touch_sla, true, batch);
  if (!untouched.ok()) return untouched.status();
  for (Opportunity& o : *untouched) {
    o.first_touch_breached = true;
    if (absl::Status s = Announce(tx, o, DealEventType::kFirstTouchSlaBreached); !s.ok()) return s;
    ++sweep.first_touch_breaches;
  }
  sweep.more = sweep.more || static_cast<int>(untouched->size()) == batch;
  return sweep;
}

}  // namespace handoff::sales
