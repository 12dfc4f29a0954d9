#include "marketing-service/domain/lifecycle.h"

namespace handoff::marketing {

bool CanMoveStage(LifecycleStage from, LifecycleStage to) {
  using S = LifecycleStage;
  if (to == S::kDisqualified) return from != S::kDisqualified;
  switch (from) {
    case S::kSubscriber: return to == S::kLead || to == S::kMql;
    case S::kLead: return to == S::kMql;
    case S::kMql: return to == S::kSalesAccepted || to == S::kRecycled;
    case S::kSalesAccepted:
      return to == S::kSalesQualified || to == S::kOpportunity || to == S::kCustomer ||
             to == S::kRecycled;
    case S::kSalesQualified:
      return to == S::kOpportunity || to == S::kCustomer || to == S::kRecycled;
    case S::kOpportunity: return to == S::kCustomer || to == S::kRecycled;
    // Marketing is forever: customers and recycled leads can be qualified again.
    case S::kCustomer: return to == S::kMql;
    // ...and a lost deal that sales reopens takes a recycled lead straight back.
    case S::kRecycled: return to == S::kMql || to == S::kSalesAccepted;
    case S::kDisqualified:
    case S::kUnspecified: return false;
  }
  return false;
}

bool CanMoveCampaign(CampaignState from, CampaignState to) {
  using C = CampaignState;
  if (to == C::kArchived) return from != C::kArchived;
  switch (from) {
    case C::kDraft: return to == C::kActive;
    case C::kActive: return to == C::kPaused || to == C::kCompleted;
    case C::kPaused: return to == C::kActive || to == C::kCompleted;
    default: return false;
  }
}

const char* StageName(LifecycleStage stage) {
  switch (stage) {
    case LifecycleStage::kSubscriber: return "SUBSCRIBER";
    case LifecycleStage::kLead: return "LEAD";
    case LifecycleStage::kMql: return "MQL";
    case LifecycleStage::kSalesAccepted: return "SALES_ACCEPTED";
    case LifecycleStage::kSalesQualified: return "SALES_QUALIFIED";
    case LifecycleStage::kOpportunity: return "OPPORTUNITY";
    case LifecycleStage::kCustomer: return "CUSTOMER";
    case LifecycleStage::kRecycled: return "RECYCLED";
    case LifecycleStage::kDisqualified: return "DISQUALIFIED";
    case LifecycleStage::kUnspecified: break;
  }
  return "UNSPECIFIED";
}

const char* CampaignStateName(CampaignState state) {
  switch (state) {
    case CampaignState::kDraft: return "DRAFT";
    case CampaignState::kActive: return "ACTIVE";
    case CampaignState::kPaused: return "PAUSED";
    case CampaignState::kCompleted: return "COMPLETED";
    case CampaignState::kArchived: return "ARCHIVED";
    case CampaignState::kUnspecified: break;
  }
  return "UNSPECIFIED";
}

}  // namespace handoff::marketing
