// OpportunityWorkflow: the rep roster.

#include "sales-service/domain/opportunity_workflow.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/contact_address.h"
#include "common/error_details.h"
#include "common/ids.h"
#include "common/validation.h"

namespace handoff::sales {

namespace {

absl::Status ValidateRep(const Rep& r) {
  if (absl::Status s = ValidateRequiredText(r.display_name, 200, "rep.display_name"); !s.ok()) return s;
  if (absl::Status s = NormalizeEmail(r.email, "rep.email").status(); !s.ok()) return s;
  if (r.capacity < 1 || r.capacity > 10000) {
    return absl::InvalidArgumentError("rep.capacity must be 1 to 10000");
  }
  const int status = static_cast<int>(r.status);
  if (status < 1 || status > kRepStatusMax) {
    return absl::InvalidArgumentError("rep.status must be REP_STATUS_ACTIVE or REP_STATUS_AWAY");
  }
  for (const std::string& t : r.territories) {
    if (t.size() != 2 || !absl::ascii_isupper(static_cast<unsigned char>(t[0])) ||
        !absl::ascii_isupper(static_cast<unsigned char>(t[1]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rep.territories: ", Quote(t), " is not an upper-case ISO 3166-1 alpha-2 code"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> NormalizeTerritories(std::vector<std::string> t) {
  for (std::string& code : t) code = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(code));
  std::sort(t.begin(), t.end());
  t.erase(std::unique(t.begin(), t.end()), t.end());
  return t;
}

}  // namespace

absl::StatusOr<Rep> OpportunityWorkflow::CreateRep(SalesTx& tx, const RepInput& in) const {
  Rep r;
  r.id = NewId();
  r.display_name = std::string(absl::StripAsciiWhitespace(in.display_name));
  r.email = absl::AsciiStrToLower(absl::StripAsciiWhitespace(in.email));
  r.territories = NormalizeTerritories(in.territories);
  r.capacity = in.capacity;
  r.status = in.status == RepStatus::kUnspecified ? RepStatus::kActive : in.status;
  if (absl::Status s = ValidateRep(r); !s.ok()) return s;
  r.create_time = r.update_time = clock_.Now();
  if (absl::Status s = tx.InsertRep(r); !s.ok()) return s;
  return r;
}

absl::StatusOr<Rep> OpportunityWorkflow::UpdateRep(SalesTx& tx, const std::string& id,
                                                   const RepPatch& patch) const {
  absl::StatusOr<Rep> r = tx.GetRep(id);
  if (!r.ok()) return r.status();
  if (patch.etag && *patch.etag != EtagOf(r->version)) {
    return WithReason(absl::AbortedError(absl::StrCat("reps/", id, " changed since etag ", *patch.etag,
                                           " was read; get it again and retry")), reason::kStaleEtag, absl::StrCat("reps/", id));
  }
  if (patch.display_name) r->display_name = std::string(absl::StripAsciiWhitespace(*patch.display_name));
  if (patch.territories) r->territories = NormalizeTerritories(*patch.territories);
  if (patch.capacity) r->capacity = *patch.capacity;
  if (patch.status) r->status = *patch.status;
  if (absl::Status s = ValidateRep(*r); !s.ok()) return s;
  r->update_time = clock_.Now();
  ++r->version;
  if (absl::Status s = tx.UpdateRep(*r); !s.ok()) return s;
  return r;
}

}  // namespace handoff::sales
