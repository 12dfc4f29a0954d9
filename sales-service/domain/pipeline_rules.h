#ifndef HANDOFF_SALES_DOMAIN_PIPELINE_RULES_H_
#define HANDOFF_SALES_DOMAIN_PIPELINE_RULES_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sales-service/domain/model.h"

namespace handoff::sales {

// Win probability in percent per stage (index = Stage value), and the service levels
// between the departments.
struct PipelineConfig {
  std::array<int, kStageMax + 1> probability_percent{0, 10, 20, 40, 60, 80, 100, 0};
  // Accept or reject within this of handoff (or of the last reassignment).
  absl::Duration accept_sla = absl::Hours(24);
  // First contact within this of acceptance (new business only).
  absl::Duration first_touch_sla = absl::Hours(24);
  // On an accept breach, hand the opportunity to the next eligible rep.
  bool reassign_on_accept_breach = false;
};

// "10,20,40,60,80,100,0": seven whole percentages 0..100 for NEW..CLOSED_LOST.
// INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<std::array<int, kStageMax + 1>> ParseStageProbabilities(absl::string_view text,
                                                                       absl::string_view field);

// Forward only, never to or from a closed stage.
bool CanAdvance(Stage from, Stage to);

const char* StageName(Stage stage);

// A rep as assignment sees it.
struct RepLoad {
  std::string id;
  bool active = false;
  int capacity = 0;
  int open = 0;
  int64_t last_assigned_seq = 0;
  std::vector<std::string> territories;
};

struct AssignmentChoice {
  std::optional<std::string> rep_id;
  std::string unassigned_reason;  // set when rep_id is empty
};

// Eligible: active, below capacity and not `exclude_rep_id`. Reps covering
// `country_code` first, else every eligible rep; within them the one assigned least
// recently (ties: lowest open count, then id). Pure; see handoff_service.proto.
AssignmentChoice ChooseRep(const std::vector<RepLoad>& reps, const std::string& country_code,
                           const std::string& exclude_rep_id = "");

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_DOMAIN_PIPELINE_RULES_H_
