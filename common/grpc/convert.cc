#include "common/grpc/convert.h"

namespace handoff {

Money FromProto(const common::v1::Money& m) { return Money{m.amount_minor(), m.currency_code()}; }

void ToProto(const Money& m, common::v1::Money* out) {
  out->set_amount_minor(m.amount_minor);
  out->set_currency_code(m.currency);
}

Contact FromProto(const common::v1::Contact& c) {
  return Contact{c.email(),   c.phone(), c.given_name(),  c.family_name(),
                 c.company(), c.title(), c.country_code()};
}

void ToProto(const Contact& c, common::v1::Contact* out) {
  out->set_email(c.email);
  out->set_phone(c.phone);
  out->set_given_name(c.given_name);
  out->set_family_name(c.family_name);
  out->set_company(c.company);
  out->set_title(c.title);
  out->set_country_code(c.country_code);
}

Consent FromProto(const common::v1::Consent& c) {
  return Consent{c.email(), c.phone(), c.sms(), c.mail(), c.do_not_contact()};
}

void ToProto(const Consent& c, common::v1::Consent* out) {
  out->set_email(c.email);
  out->set_phone(c.phone);
  out->set_sms(c.sms);
  out->set_mail(c.mail);
  out->set_do_not_contact(c.do_not_contact);
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return absl::InfinitePast();
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

void ToProto(absl::Time t, google::protobuf::Timestamp* out) {
  if (t == absl::InfinitePast()) return;
  const int64_t micros = absl::ToUnixMicros(t);
  int64_t secs = micros / 1000000;
  int64_t rem = micros % 1000000;
  if (rem < 0) {
    rem += 1000000;
    --secs;
  }
  out->set_seconds(secs);
  out->set_nanos(static_cast<int32_t>(rem * 1000));
}

void ToProto(absl::Duration d, google::protobuf::Duration* out) {
  const int64_t micros = absl::ToInt64Microseconds(d);
  out->set_seconds(micros / 1000000);
  out->set_nanos(static_cast<int32_t>((micros % 1000000) * 1000));
}

}  // namespace handoff
