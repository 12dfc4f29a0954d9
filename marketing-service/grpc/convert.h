#ifndef HANDOFF_MARKETING_GRPC_CONVERT_H_
#define HANDOFF_MARKETING_GRPC_CONVERT_H_

#include <string>

#include "absl/status/statusor.h"
#include "handoff/marketing/v1/campaign.pb.h"
#include "handoff/marketing/v1/lead.pb.h"
#include "marketing-service/domain/lead_workflow.h"
#include "marketing-service/domain/model.h"

// Proto <-> domain for marketing's resources.
namespace handoff::marketing {

void ToProto(const Campaign& c, v1::Campaign* out);
UtmCodes FromProto(const v1::UtmCodes& utm);
void ToProto(const LeadView& view, v1::Lead* out);

// Parses "campaigns/{id}" / "leads/{id}"; INVALID_ARGUMENT naming `field`.
absl::StatusOr<std::string> ParseCampaignName(const std::string& name, const std::string& field);
absl::StatusOr<std::string> ParseLeadName(const std::string& name, const std::string& field);

std::string CampaignName(const std::string& id);
std::string LeadName(const std::string& id);

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_GRPC_CONVERT_H_
