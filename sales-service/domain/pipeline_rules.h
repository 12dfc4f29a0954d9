#ifndef HANDOFF_SALES_DOMAIN_PIPELINE_RULES_H_
#define HANDOFF_SALES_DOMAIN_PIPELINE_RULES_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "sales-service/domain/model.h"

namespace handoff::sales {

// Win probability in percent per stage (index = Stage value).
struct PipelineConfig {
  std::array<int, kStageMax + 1> probability_percent{0, 10, 20, 40, 60, 80, 100, 0};
};

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

// Eligible: active and below capacity. Reps covering `country_code` first, else every
// eligible rep; within them the one assigned least recently (ties: lowest open count,
// then id). Pure; see handoff_service.proto.
AssignmentChoice ChooseRep(const std::vector<RepLoad>& reps, const std::string& country_code);

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_DOMAIN_PIPELINE_RULES_H_
