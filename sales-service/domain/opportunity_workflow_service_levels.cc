// OpportunityWorkflow: the accept and first-touch service levels, reported and swept.

#include "sales-service/domain/opportunity_workflow.h"

#include "absl/strings/str_cat.h"
#include "sales-service/domain/opportunity_workflow_internal.h"

namespace handoff::sales {

using workflow_internal::RestartAcceptWindow;

absl::StatusOr<ServiceLevelReport> OpportunityWorkflow::ServiceLevels(SalesTx& tx, SlaKind kind, int limit,
                                                                      std::optional<TimeSeqCursor> after) const {
  const absl::Time now = clock_.Now();
  ServiceLevelReport report;
  // Each kind's due time is its column plus a fixed SLA, so the cursor on due times maps
  // onto each query's own order.
  auto shifted = [&](absl::Duration sla) {
    TimeSeqCursor c;
    if (after) c = {after->time_us - absl::ToInt64Microseconds(sla), after->seq};
    return c;
  };
  if (kind != SlaKind::kFirstTouch) {
    absl::StatusOr<std::vector<Opportunity>> late =
        tx.PendingSince(now - config_.accept_sla, false, limit + 1, shifted(config_.accept_sla));
    if (!late.ok()) return late.status();
    for (Opportunity& o : *late) {
      const absl::Time due = AcceptDue(o);
      report.breaches.push_back({std::move(o), SlaKind::kAccept, due, now - due});
    }
  }
  if (kind != SlaKind::kAccept) {
    absl::StatusOr<std::vector<Opportunity>> late =
        tx.UntouchedAcceptedBefore(now - config_.first_touch_sla, false, limit + 1, shifted(config_.first_touch_sla));
    if (!late.ok()) return late.status();
    for (Opportunity& o : *late) {
      const absl::Time due = FirstTouchDue(o);
      report.breaches.push_back({std::move(o), SlaKind::kFirstTouch, due, now - due});
    }
  }
  std::stable_sort(report.breaches.begin(), report.breaches.end(), [](const SlaBreach& a, const SlaBreach& b) {
    return a.due != b.due ? a.due < b.due : a.opportunity.seq < b.opportunity.seq;
  });
  if (static_cast<int>(report.breaches.size()) > limit) {
    report.breaches.resize(limit);
    const SlaBreach& last = report.breaches.back();
    report.next = TimeSeqCursor{absl::ToUnixMicros(last.due), last.opportunity.seq};
  }
  if (after) return report;
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
