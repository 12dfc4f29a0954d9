#ifndef HANDOFF_COMMON_GRPC_AUDIT_HANDLER_H_
#define HANDOFF_COMMON_GRPC_AUDIT_HANDLER_H_

#include "common/audit_log.h"
#include "common/grpc/parse_check.h"
#include "common/grpc/unary.h"
#include "handoff/ops/v1/audit_service.grpc.pb.h"

namespace handoff {

// handoff.ops.v1.AuditService over a service's audit log.
class AuditHandler final : public ParseCheckedService<ops::v1::AuditService::CallbackService> {
 public:
  AuditHandler(AuditLog& log, UnaryRunner& runner) : log_(log), runner_(runner) {
    CheckParsing(this, &AuditHandler::ListAuditRecords);
  }

  grpc::ServerUnaryReactor* ListAuditRecords(grpc::CallbackServerContext* ctx,
                                             const ops::v1::ListAuditRecordsRequest* req,
                                             ops::v1::ListAuditRecordsResponse* resp) override;

 private:
  AuditLog& log_;
  UnaryRunner& runner_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_AUDIT_HANDLER_H_
