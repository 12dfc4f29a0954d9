#include "sales-service/domain/pipeline_rules.h"

#include <algorithm>
#include <tuple>

namespace handoff::sales {

bool CanAdvance(Stage from, Stage to) {
  const auto f = static_cast<int>(from);
  const auto t = static_cast<int>(to);
  const int last_open = static_cast<int>(Stage::kNegotiation);
  return f >= 1 && f <= last_open && t > f && t <= last_open;
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

AssignmentChoice ChooseRep(const std::vector<RepLoad>& reps, const std::string& country_code) {
  std::vector<const RepLoad*> eligible;
  for (const RepLoad& r : reps) {
    if (r.active && r.open < r.capacity) eligible.push_back(&r);
  }
  if (eligible.empty()) {
    return {std::nullopt, reps.empty() ? "no reps exist" : "no active rep with free capacity"};
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
