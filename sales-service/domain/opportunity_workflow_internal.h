#ifndef HANDOFF_SALES_DOMAIN_OPPORTUNITY_WORKFLOW_INTERNAL_H_
#define HANDOFF_SALES_DOMAIN_OPPORTUNITY_WORKFLOW_INTERNAL_H_

// Internal to sales-service/domain: helpers shared by the files that implement
// OpportunityWorkflow (opportunity_workflow*.cc).

#include <string>
#include <utility>

#include "common/ids.h"
#include "sales-service/domain/model.h"
#include "sales-service/domain/ports.h"

namespace handoff::sales::workflow_internal {

inline std::string OppName(const std::string& id) { return ResourceName("opportunities", id); }

// What marketing hears about `opp`; `amount` only for a win.
inline OutcomeNotice Notice(const Opportunity& opp, Outcome outcome, std::string reason, absl::Time time,
                            Money amount = Money()) {
  OutcomeNotice n;
  n.lead = opp.lead;
  n.opportunity_id = opp.id;
  n.outcome = outcome;
  n.reason = std::move(reason);
  n.amount = std::move(amount);
  n.time = time;
  n.traceparent = opp.traceparent;
  return n;
}

// A pending opportunity that (re)gets a rep gets a full accept window, not yet breached.
inline void RestartAcceptWindow(Opportunity& opp, absl::Time now) {
  opp.pending_since = now;
  opp.accept_breached = false;
}

}  // namespace handoff::sales::workflow_internal

#endif  // HANDOFF_SALES_DOMAIN_OPPORTUNITY_WORKFLOW_INTERNAL_H_
