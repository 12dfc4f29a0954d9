#ifndef HANDOFF_MARKETING_DOMAIN_SCORING_POLICY_H_
#define HANDOFF_MARKETING_DOMAIN_SCORING_POLICY_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "marketing-service/domain/model.h"

namespace handoff::marketing {

// How leads are scored (see scoring_policy.proto): points per touch type, decayed with a
// half-life, plus profile-fit points; and the MQL threshold.
struct ScoringPolicy {
  int64_t version = 1;
  std::array<int, kTouchTypeMax + 1> points_per_touch{};
  int title_points = 5;
  std::vector<std::string> title_keywords;  // lower case; empty: any title fits
  int company_points = 5;
  int country_points = 0;
  std::vector<std::string> target_countries;  // upper case
  absl::Duration decay_half_life = absl::ZeroDuration();  // zero: no decay
  int mql_threshold = 50;
  absl::Time create_time = absl::InfinitePast();

  // The documented default (see lead_service.proto), version 1.
  static ScoringPolicy Default();
};

// Checks ranges and normalises keywords (lower case) and countries (upper case);
// INVALID_ARGUMENT naming the field.
absl::Status NormalizePolicy(ScoringPolicy& policy);

// One touch as scoring sees it.
struct TouchAt {
  TouchType type = TouchType::kUnspecified;
  absl::Time time;
};

struct ScoreResult {
  int score = 0;
  std::vector<ScoreComponent> breakdown;
};

// Deterministic for the same touches, profile and `now`: components in touch-type order,
// then title, company, country; each component rounded to whole points and the score is
// their sum, so the breakdown always adds up.
ScoreResult ComputeScore(const ScoringPolicy& policy, const std::vector<TouchAt>& touches,
                         const Contact& contact, absl::Time now);

// Name of a touch type as in the proto, e.g. "TOUCH_TYPE_FORM_SUBMIT".
const char* TouchTypeName(TouchType type);

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_DOMAIN_SCORING_POLICY_H_
