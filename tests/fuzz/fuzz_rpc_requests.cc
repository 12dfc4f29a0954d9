// libFuzzer target: the request of any RPC of either service, as bytes off the wire, run
// through what the services do with a request before (and while) acting on it: decoding,
// timestamp ranges, request_id, page tokens, resource names, contact normalization,
// money and text checks, fingerprints and the audit record's resource. Input: one byte
// choosing the method (modulo the number of methods), then the request bytes.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/grpc/convert.h"
#include "common/grpc/request_validation.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "common/page_token.h"
#include "common/validation.h"
#include "handoff/common/v1/contact.pb.h"
#include "handoff/common/v1/money.pb.h"
#include "marketing-service/domain/contact_rules.h"
#include "marketing-service/grpc/convert.h"
#include "sales-service/grpc/convert.h"
#include "tests/fuzz/fuzz_services.h"

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Every set string field that names a resource, parsed as the handlers parse it; every
// Contact, Consent and Money normalized and checked as the domain does.
void Walk(const Message& m, int depth) {
  if (depth > 8) return;
  const google::protobuf::Descriptor* d = m.GetDescriptor();
  const google::protobuf::Reflection* r = m.GetReflection();
  if (d->full_name() == "handoff.common.v1.Contact") {
    const handoff::Contact c = handoff::FromProto(static_cast<const handoff::common::v1::Contact&>(m));
    (void)handoff::marketing::NormalizeContact(c);
  } else if (d->full_name() == "handoff.common.v1.Consent") {
    (void)handoff::FromProto(static_cast<const handoff::common::v1::Consent&>(m));
  } else if (d->full_name() == "handoff.common.v1.Money") {
    const handoff::Money money = handoff::FromProto(static_cast<const handoff::common::v1::Money&>(m));
    (void)handoff::ValidatePositiveMoney(money, "amount");
    (void)handoff::ValidateCurrency(money.currency, "amount.currency_code");
  } else if (d->full_name() == "handoff.sales.v1.Activity") {
    (void)handoff::sales::FromProto(static_cast<const handoff::sales::v1::Activity&>(m));
  } else if (d->full_name() == "handoff.marketing.v1.UtmCodes") {
    (void)handoff::marketing::FromProto(static_cast<const handoff::marketing::v1::UtmCodes&>(m));
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING && !f->is_repeated()) {
      const std::string value = r->GetString(m, f);
      (void)handoff::ValidateLength(value, 4000, f->name());
      (void)handoff::ValidateRequiredText(value, 200, f->name());
      (void)handoff::Quote(value);
      if (f->name() == "lead" || f->name() == "name") (void)handoff::marketing::ParseLeadName(value, f->name());
      if (f->name() == "campaign" || f->name() == "parent") {
        (void)handoff::marketing::ParseCampaignName(value, f->name());
      }
      if (f->name() == "rep") (void)handoff::sales::ParseOptionalRep(value);
      (void)handoff::ParseNameField(value, "opportunities", f->name());
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int j = 0; j < r->FieldSize(m, f) && j < 16; ++j) Walk(r->GetRepeatedMessage(m, f, j), depth + 1);
      } else if (r->HasField(m, f)) {
        Walk(r->GetMessage(m, f), depth + 1);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<const google::protobuf::MethodDescriptor*> methods = handoff::fuzz::AllMethods();
  if (size < 1) return 0;
  const google::protobuf::MethodDescriptor* method = methods[data[0] % methods.size()];
  std::unique_ptr<Message> request(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
  if (!request->ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;  // gRPC refuses it
  (void)handoff::ValidateTimestamps(*request);
  if (const FieldDescriptor* id = request->GetDescriptor()->FindFieldByName("request_id")) {
    (void)handoff::ValidateRequestId(request->GetReflection()->GetString(*request, id));
  }
  if (request->GetDescriptor()->FindFieldByName("page_token") != nullptr) {
    (void)handoff::DecodePageToken(*request);
    (void)handoff::DecodePairPageToken(*request);
    (void)handoff::ClampPageSize(static_cast<int32_t>(size));
  }
  (void)handoff::Fingerprint(*request);
  (void)handoff::AuditResource(*request, nullptr);
  Walk(*request, 0);
  return 0;
}
