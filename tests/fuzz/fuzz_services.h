#ifndef HANDOFF_TESTS_FUZZ_FUZZ_SERVICES_H_
#define HANDOFF_TESTS_FUZZ_FUZZ_SERVICES_H_

#include <google/protobuf/descriptor.h>

#include <vector>

#include "handoff/marketing/v1/campaign_service.pb.h"
#include "handoff/marketing/v1/lead_service.pb.h"
#include "handoff/marketing/v1/report_service.pb.h"
#include "handoff/marketing/v1/scoring_service.pb.h"
#include "handoff/ops/v1/audit_service.pb.h"
#include "handoff/ops/v1/delivery_service.pb.h"
#include "handoff/sales/v1/handoff_service.pb.h"
#include "handoff/sales/v1/opportunity_service.pb.h"
#include "handoff/sales/v1/pipeline_report_service.pb.h"
#include "handoff/sales/v1/rep_service.pb.h"

namespace handoff::fuzz {

// Every RPC the two services serve, in a fixed order (the fuzz input's first byte picks one).
inline std::vector<const google::protobuf::MethodDescriptor*> AllMethods() {
  const google::protobuf::FileDescriptor* files[] = {
      marketing::v1::CreateCampaignRequest::descriptor()->file(),
      marketing::v1::CaptureLeadRequest::descriptor()->file(),
      marketing::v1::GetCampaignPerformanceRequest::descriptor()->file(),
      marketing::v1::GetScoringPolicyRequest::descriptor()->file(),
      ops::v1::ListAuditRecordsRequest::descriptor()->file(),
      ops::v1::GetDeliveryBacklogRequest::descriptor()->file(),
      sales::v1::HandoffLeadRequest::descriptor()->file(),
      sales::v1::GetOpportunityRequest::descriptor()->file(),
      sales::v1::GetPipelineReportRequest::descriptor()->file(),
      sales::v1::CreateRepRequest::descriptor()->file(),
  };
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  for (const google::protobuf::FileDescriptor* file : files) {
    for (int s = 0; s < file->service_count(); ++s) {
      for (int m = 0; m < file->service(s)->method_count(); ++m) methods.push_back(file->service(s)->method(m));
    }
  }
  return methods;
}

}  // namespace handoff::fuzz

#endif  // HANDOFF_TESTS_FUZZ_FUZZ_SERVICES_H_
