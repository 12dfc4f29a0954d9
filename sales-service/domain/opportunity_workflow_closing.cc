// OpportunityWorkflow: advancing, closing, reopening and upselling opportunities.

#include "sales-service/domain/opportunity_workflow.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "common/validation.h"
#include "common/trace_context.h"
#include "sales-service/domain/opportunity_workflow_internal.h"

namespace handoff::sales {

using workflow_internal::Notice;
using workflow_internal::OppName;

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
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
        OppName(id), " cannot move from ", StageName(opp->stage), " to ", StageName(to),
        "; stages only move forward")), reason::kStageTransitionInvalid, OppName(id));
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
    return WithReason(absl::FailedPreconditionError(
        absl::StrCat(OppName(won_id), " is not won; upsells grow from won deals")), reason::kDealNotWon, OppName(won_id));
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
  up.traceparent = CurrentTrace().ToTraceparent();
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
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
        OppName(id), " is ", opp->acceptance == Acceptance::kRejected ? "a rejected handoff" : StageName(opp->stage),
        "; only CLOSED_LOST deals are reopened (won deals grow with CreateUpsell, rejected "
        "handoffs come back through marketing)")), reason::kDealNotLost, OppName(id));
  }
  if (opp->kind == OpportunityKind::kNewBusiness) {
    absl::StatusOr<std::optional<Opportunity>> open = tx.FindOpenForLead(opp->lead);
    if (!open.ok()) return open.status();
    if (open->has_value() && (*open)->kind == OpportunityKind::kNewBusiness) {
      return WithReason(absl::FailedPreconditionError(absl::StrCat(
          opp->lead, " already has an open opportunity, ", OppName((*open)->id), "; work that one")), reason::kOpenDealExists, OppName((*open)->id));
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

}  // namespace handoff::sales
