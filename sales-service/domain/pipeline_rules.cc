#include "sales-service/domain/pipeline_rules.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace handoff::sales {

bool CanAdvance(Stage from, Stage to) {
  const auto f = static_cast<int>(from);
  const auto t = static_cast<int>(to);
  const int last_open = static_cast<int>(Stage::kNegotiation);
  return f >= 1 && f <= last_open && t > f && t <= last_open;
}

absl::StatusOr<std::array<int, kStageMax + 1>> ParseStageProbabilities(absl::string_view text,
                                                                       absl::string_view field) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ',');
  std::array<int, kStageMax + 1> out{};
  if (parts.size() != kStageMax) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", text, "\" must list ", kStageMax,
        " percentages for NEW, CONTACTED, QUALIFIED, PROPOSAL, NEGOTIATION, CLOSED_WON, CLOSED_LOST"));
  }
  for (int i = 0; i < kStageMax; ++i) {
    int p = 0;
    if (!absl::SimpleAtoi(parts[i], &p) || p < 0 || p > 100) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": \"", parts[i], "\" (",
                                                     StageName(static_cast<Stage>(i + 1)),
                                                     ") is not a whole percentage 0 to 100"));
    }
    out[i + 1] = p;
  }
  return out;
}

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kNew: return "NEW";
    case Stage::kContacted: return "CONTACTED";
    case Stage::kQualified: return "QUALIFIED";
    case Stage::kProposal: return "PROPOSAL";
    case Stage::kNegotiation: return "NEGOTIATION";
    case Stage::kClosedWon: return "CLOSED_WON";
    case Stage::kClosedLost: return "CLOSED_LOST";
    case Stage::kUnspecified: break;
  }
  return "UNSPECIFIED";
}

AssignmentChoice ChooseRep(const std::vector<RepLoad>& reps, const std::string& country_code,
                           const std::string& exclude_rep_id) {
  std::vector<const RepLoad*> eligible;
  for (const RepLoad& r : reps) {
    if (r.active && r.open < r.capacity && r.id != exclude_rep_id) eligible.push_back(&r);
  }
  if (eligible.empty()) {
    if (reps.empty()) return {std::nullopt, "no reps exist"};
    return {std::nullopt, exclude_rep_id.empty() ? "no active rep with free capacity"
                                                 : "no other active rep with free capacity"};
  }
  std::vector<const RepLoad*> local;
  if (!country_code.empty()) {
    for (const RepLoad* r : eligible) {
      if (std::find(r->territories.begin(), r->territories.end(), country_code) !=
          r->territories.end()) {
        local.push_back(r);
      }
    }
  }
  const std::vector<const RepLoad*>& pool = local.empty() ? eligible : local;
  const RepLoad* best = *std::min_element(pool.begin(), pool.end(), [](const RepLoad* a, const RepLoad* b) {
    return std::tie(a->last_assigned_seq, a->open, a->id) < std::tie(b->last_assigned_seq, b->open, b->id);
  });
  return {best->id, ""};
}

}  // namespace handoff::sales
