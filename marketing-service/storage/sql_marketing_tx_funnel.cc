// SqlMarketingTx (sql_marketing_tx.h): lifecycle stage history and the funnel projections.

#include "marketing-service/storage/sql_marketing_tx.h"

namespace handoff::marketing {

using sql::Statement;

// Ends the stay in the lead's last stage (if any) in the funnel projections.
absl::Status SqlMarketingTx::LeaveFunnel(const std::string& lead_id, absl::Time time) {
  new_leads_.erase(lead_id);
  return EndStay(lead_id, time).status();
}

absl::StatusOr<bool> SqlMarketingTx::EndStay(const std::string& lead_id, absl::Time time) {
  absl::StatusOr<Statement> last = tx_.Prepare(
      "SELECT stage, time_us FROM lead_stage_history WHERE lead_id = ? ORDER BY id DESC LIMIT 1");
  if (!last.ok()) return last.status();
  last->Bind(1, lead_id);
  absl::StatusOr<bool> had = last->Step();
  if (!had.ok() || !*had) return had;
  const int64_t from = last->Int(0);
  const int64_t stay_us = absl::ToUnixMicros(time) - last->Int(1);
  if (absl::Status s = Exec("INSERT INTO stage_stays(stage, duration_us) VALUES(?, ?)", {from, stay_us}); !s.ok()) {
    return s;
  }
  if (absl::Status s = CountInStage(from, -1, 0, 1); !s.ok()) return s;
  return true;
}

// A lead's first stage: entered, with no stay to end and no conversion (a lead's first
// stage is entered after none).
absl::Status SqlMarketingTx::EnterFirstStage(const std::string& lead_id, const StageChange& c) {
  const int64_t stage = static_cast<int>(c.stage);
  if (absl::Status s = CountInStage(stage, 1, 1, 0); !s.ok()) return s;
  return InsertStageRow(lead_id, stage, c);
}

absl::Status SqlMarketingTx::AppendFirstStage(const std::string& lead_id, const StageChange& c) {
  if (absl::Status s = EnterFirstStage(lead_id, c); !s.ok()) return s;
  new_leads_[lead_id].history.push_back(c);
  return absl::OkStatus();
}

// Appends to the history and keeps the funnel projections (version 6) in step with it.
absl::Status SqlMarketingTx::AppendStageChange(const std::string& lead_id, const StageChange& c) {
  new_leads_.erase(lead_id);  // the reads below go to the table, which has this one's rows
  const int64_t stage = static_cast<int>(c.stage);
  // The stay that this change ends; a lead without one is entering its first stage.
  absl::StatusOr<bool> had_stage = EndStay(lead_id, c.time);
  if (!had_stage.ok()) return had_stage.status();
  if (!*had_stage) return EnterFirstStage(lead_id, c);
  absl::StatusOr<bool> entered = HasEntered(lead_id, stage, 0);
  if (!entered.ok()) return entered.status();
  if (absl::Status s = CountInStage(stage, 1, *entered ? 0 : 1, 0); !s.ok()) return s;
  // A conversion counts the first time the lead enters `to` after first entering `from`.
  absl::StatusOr<Statement> steps = tx_.Prepare("SELECT from_stage FROM funnel_conversions WHERE to_stage = ?");
  if (!steps.ok()) return steps.status();
  steps->Bind(1, stage);
  absl::StatusOr<std::vector<int64_t>> froms = sql::ReadAll<int64_t>(*steps, [](const Statement& r) { return r.Int(0); });
  if (!froms.ok()) return froms.status();
  for (const int64_t from : *froms) {
    absl::StatusOr<Statement> first = tx_.Prepare(
        "SELECT MIN(id) FROM lead_stage_history WHERE lead_id = ? AND stage = ?");
    if (!first.ok()) return first.status();
    first->Bind(1, lead_id).Bind(2, from);
    absl::StatusOr<bool> row = first->Step();
    if (!row.ok()) return row.status();
    if (first->IsNull(0)) continue;  // never entered `from`
    absl::StatusOr<bool> converted = HasEntered(lead_id, stage, first->Int(0));
    if (!converted.ok()) return converted.status();
    if (*converted) continue;
    const absl::Status s =
        tx_.dialect() == sql::Dialect::kPostgres
            ? Exec("INSERT INTO funnel_conversion_changes(from_stage, to_stage, converted) VALUES(?, ?, 1)",
                   {from, stage})
            : Exec("UPDATE funnel_conversions SET converted = converted + 1 WHERE from_stage = ? AND to_stage = ?",
                   {from, stage});
    if (!s.ok()) return s;
  }
  return InsertStageRow(lead_id, stage, c);
}

// Adds to a stage's counters. On PostgreSQL a row of changes (migration 11): an UPDATE of
// the stage's one row would keep every other transaction changing that stage from committing
// beside this one. SQLite runs one writer at a time, so it updates the row.
absl::Status SqlMarketingTx::CountInStage(int64_t stage, int64_t current, int64_t entered, int64_t stays) {
  if (tx_.dialect() == sql::Dialect::kPostgres) {
    return Exec("INSERT INTO funnel_stage_changes(stage, current_count, ever_entered, stays) VALUES(?, ?, ?, ?)",
                {stage, current, entered, stays});
  }
  return Exec("UPDATE funnel_stages SET current_count = current_count + ?2, ever_entered = ever_entered + ?3,"
              " stays = stays + ?4 WHERE stage = ?1",
              {stage, current, entered, stays});
}

absl::Status SqlMarketingTx::InsertStageRow(const std::string& lead_id, int64_t stage, const StageChange& c) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "INSERT INTO lead_stage_history(lead_id, stage, time_us, reason) VALUES(?,?,?,?)");
  if (!q.ok()) return q.status();
  return q->Bind(1, lead_id).Bind(2, stage).BindTime(3, c.time).Bind(4, c.reason).Run();
}

absl::StatusOr<FunnelCounts> SqlMarketingTx::GetFunnelCounts() {
  FunnelCounts f;
  const bool changes = tx_.dialect() == sql::Dialect::kPostgres;  // the rows not folded yet
  absl::StatusOr<Statement> q = tx_.Prepare(
      changes ? "SELECT stage, SUM(current_count)::BIGINT, SUM(ever_entered)::BIGINT, SUM(stays)::BIGINT FROM ("
                "SELECT stage, current_count, ever_entered, stays FROM funnel_stages UNION ALL "
                "SELECT stage, current_count, ever_entered, stays FROM funnel_stage_changes) AS counts"
                " GROUP BY stage ORDER BY stage"
              : "SELECT stage, current_count, ever_entered, stays FROM funnel_stages ORDER BY stage");
  if (!q.ok()) return q.status();
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const int64_t stage = q->Int(0);
    if (stage <= 0 || stage > kLifecycleStageMax) continue;
    f.current[stage] = q->Int(1);
    f.ever_entered[stage] = q->Int(2);
    f.stays[stage] = q->Int(3);
  }
  absl::StatusOr<Statement> c = tx_.Prepare(
      changes ? "SELECT f.from_stage, f.to_stage, f.converted + COALESCE((SELECT SUM(c.converted)::BIGINT"
                " FROM funnel_conversion_changes c WHERE c.from_stage = f.from_stage AND c.to_stage = f.to_stage), 0)"
                " FROM funnel_conversions f ORDER BY f.from_stage"
              : "SELECT from_stage, to_stage, converted FROM funnel_conversions ORDER BY from_stage");
  if (!c.ok()) return c.status();
  absl::StatusOr<std::vector<FunnelCounts::Step>> steps = sql::ReadAll<FunnelCounts::Step>(
      *c, [](const Statement& r) {
        return FunnelCounts::Step{static_cast<LifecycleStage>(r.Int(0)), static_cast<LifecycleStage>(r.Int(1)),
                                  r.Int(2)};
      });
  if (!steps.ok()) return steps.status();
  f.steps = *std::move(steps);
  return f;
}

// A grouped read over every lead, for the gauge (at most once a second). Not a projection
// kept with each change: counters updated by every hand-off and outcome are rows that
// concurrent transactions lock in different orders beside funnel_stages, and on
// PostgreSQL that deadlocked (a trigger-kept version, measured in the replica kill test).
absl::StatusOr<std::vector<LeadCount>> SqlMarketingTx::CountLeads() {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT stage, owner, COUNT(*) FROM leads WHERE merged_into = '' GROUP BY stage, owner ORDER BY stage, owner");
  if (!q.ok()) return q.status();
  return sql::ReadAll<LeadCount>(*q, [](const Statement& r) {
    return LeadCount{static_cast<LifecycleStage>(r.Int(0)), static_cast<Owner>(r.Int(1)), r.Int(2)};
  });
}

absl::StatusOr<absl::Duration> SqlMarketingTx::NthShortestStay(LifecycleStage stage, int64_t n) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT duration_us FROM stage_stays WHERE stage = ? ORDER BY duration_us LIMIT 1 OFFSET ?");
  if (!q.ok()) return q.status();
  q->Bind(1, int64_t{static_cast<int>(stage)}).Bind(2, n);
  return sql::ReadOne<absl::Duration>(
      *q, [](const Statement& r) { return absl::Microseconds(r.Int(0)); }, "the stay");
}

absl::StatusOr<std::vector<StageChange>> SqlMarketingTx::StageHistory(const std::string& lead_id) {
  if (auto fresh = new_leads_.find(lead_id); fresh != new_leads_.end()) return fresh->second.history;
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT stage, time_us, reason FROM lead_stage_history WHERE lead_id = ? ORDER BY id");
  if (!q.ok()) return q.status();
  q->Bind(1, lead_id);
  std::vector<StageChange> out;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back({static_cast<LifecycleStage>(q->Int(0)), q->Time(1), q->Text(2)});
  }
}

absl::StatusOr<std::optional<absl::Time>> SqlMarketingTx::LastHandoffUntil(const std::string& lead_id,
                                                                           absl::Time before) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT MAX(time_us) FROM lead_stage_history WHERE lead_id = ? AND stage = ?"
      " AND time_us <= ?");
  if (!q.ok()) return q.status();
  q->Bind(1, lead_id).Bind(2, int64_t{static_cast<int>(LifecycleStage::kMql)}).Bind(3, Micros(before));
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  if (q->IsNull(0)) return std::optional<absl::Time>();
  return std::optional<absl::Time>(q->Time(0));
}

// Runs a statement without results, binding `params` to ?1, ?2, ...
absl::Status SqlMarketingTx::Exec(const char* sql, std::initializer_list<int64_t> params) {
  absl::StatusOr<Statement> q = tx_.Prepare(sql);
  if (!q.ok()) return q.status();
  int i = 0;
  for (const int64_t p : params) q->Bind(++i, p);
  return q->Run();
}

// Whether the lead's history has an entry into `stage` after history row `after_id`.
absl::StatusOr<bool> SqlMarketingTx::HasEntered(const std::string& lead_id, int64_t stage, int64_t after_id) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT 1 FROM lead_stage_history WHERE lead_id = ? AND stage = ? AND id > ? LIMIT 1");
  if (!q.ok()) return q.status();
  q->Bind(1, lead_id).Bind(2, stage).Bind(3, after_id);
  return q->Step();
}

}  // namespace handoff::marketing
