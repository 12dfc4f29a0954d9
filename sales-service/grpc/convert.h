#ifndef HANDOFF_SALES_GRPC_CONVERT_H_
#define HANDOFF_SALES_GRPC_CONVERT_H_

#include <string>

#include "absl/status/statusor.h"
#include "handoff/sales/v1/opportunity.pb.h"
#include "handoff/sales/v1/rep.pb.h"
#include "sales-service/domain/model.h"
#include "sales-service/domain/opportunity_workflow.h"

// Proto <-> domain for sales' resources.
namespace handoff::sales {

void ToProto(const Rep& r, v1::Rep* out);
void ToProto(const Opportunity& o, const OpportunityWorkflow& rules, v1::Opportunity* out);
void ToProto(const Activity& a, v1::Activity* out);
void ToProto(const TimelineEntry& e, v1::TimelineEntry* out);
Activity FromProto(const v1::Activity& a);
// The id of an optional "reps/{id}" filter field named `rep`: "" when empty,
// INVALID_ARGUMENT naming the field when malformed.
absl::StatusOr<std::string> ParseOptionalRep(const std::string& name);

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_GRPC_CONVERT_H_
