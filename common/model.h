#ifndef HANDOFF_COMMON_MODEL_H_
#define HANDOFF_COMMON_MODEL_H_

#include <cstdint>
#include <string>

// Plain types both services share, mirroring handoff.common.v1.
namespace handoff {

struct Money {
  int64_t amount_minor = 0;
  std::string currency;  // ISO 4217
};

struct Contact {
  std::string email;
  std::string phone;
  std::string given_name;
  std::string family_name;
  std::string company;
  std::string title;
  std::string country_code;

  bool operator==(const Contact& o) const {
    return email == o.email && phone == o.phone && given_name == o.given_name && family_name == o.family_name &&
           company == o.company && title == o.title && country_code == o.country_code;
  }
};

struct Consent {
  bool email = false;
  bool phone = false;
  bool sms = false;
  bool mail = false;
  bool do_not_contact = false;

  bool operator==(const Consent& o) const {
    return email == o.email && phone == o.phone && sms == o.sms && mail == o.mail && do_not_contact == o.do_not_contact;
  }
  bool operator!=(const Consent& o) const { return !(*this == o); }
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_MODEL_H_
