#ifndef HANDOFF_MARKETING_DOMAIN_LIFECYCLE_H_
#define HANDOFF_MARKETING_DOMAIN_LIFECYCLE_H_

#include "absl/status/status.h"
#include "marketing-service/domain/model.h"

namespace handoff::marketing {

// Whether a lead may move from one lifecycle stage to another (see lead.proto).
bool CanMoveStage(LifecycleStage from, LifecycleStage to);

// Whether a campaign may move between states (see campaign.proto); ARCHIVED is reached
// only by archiving, which any non-archived state allows.
bool CanMoveCampaign(CampaignState from, CampaignState to);

const char* StageName(LifecycleStage stage);
const char* CampaignStateName(CampaignState state);

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_DOMAIN_LIFECYCLE_H_
