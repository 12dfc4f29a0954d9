#ifndef HANDOFF_MARKETING_DOMAIN_SCORING_POLICY_H_
#define HANDOFF_MARKETING_DOMAIN_SCORING_POLICY_H_

#include <array>
#include <vector>

#include "marketing-service/domain/model.h"

namespace handoff::marketing {

// How leads are scored: points per touch type plus profile-fit points, and the score at
// which a lead becomes marketing-qualified.
struct ScoringPolicy {
  std::array<int, kTouchTypeMax + 1> points_per_touch{};
  int title_points = 5;
  int company_points = 5;
  int mql_threshold = 50;

  // The documented default (see lead_service.proto).
  static ScoringPolicy Default();
};

struct ScoreResult {
  int score = 0;
  std::vector<ScoreComponent> breakdown;
};

// Deterministic: the same touches and profile always give the same score and breakdown
// (components in touch-type order, then profile).
ScoreResult ComputeScore(const ScoringPolicy& policy, const TouchCounts& touches,
                         const Contact& contact);

// Name of a touch type as in the proto, e.g. "TOUCH_TYPE_FORM_SUBMIT".
const char* TouchTypeName(TouchType type);

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_DOMAIN_SCORING_POLICY_H_
