// SqlMarketingTx (sql_marketing_tx.h): outcomes and attributed revenue.

#include "marketing-service/storage/sql_marketing_tx.h"


namespace handoff::marketing {

using sql::Statement;

absl::StatusOr<int64_t> SqlMarketingTx::InsertOutcome(const OutcomeRecord& o) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "INSERT INTO outcomes(lead_id, opportunity, outcome, amount_minor, currency, time_us)"
      " VALUES(?,?,?,?,?,?) RETURNING id");
  if (!q.ok()) return q.status();
  q->Bind(1, o.lead_id)
      .Bind(2, o.opportunity)
      .Bind(3, int64_t{static_cast<int>(o.outcome)})
      .Bind(4, o.amount.amount_minor)
      .Bind(5, o.amount.currency)
      .BindTime(6, o.time);
  absl::StatusOr<int64_t> id = sql::ReadOne<int64_t>(*q, [](const Statement& r) { return r.Int(0); }, "outcome");
  if (!id.ok()) return id.status();
  if (absl::Status s = q->Run(); !s.ok()) return s;  // finish the statement
  return *id;
}

absl::Status SqlMarketingTx::InsertAttribution(int64_t outcome_id, const std::string& campaign_id, AttributionModel model,
                                               const Money& share, absl::Time time) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "INSERT INTO attributed_revenue(outcome_id, campaign_id, model, amount_minor, currency, time_us)"
      " VALUES(?,?,?,?,?,?)");
  if (!q.ok()) return q.status();
  return q->Bind(1, outcome_id)
      .Bind(2, campaign_id)
      .Bind(3, int64_t{static_cast<int>(model)})
      .Bind(4, share.amount_minor)
      .Bind(5, share.currency)
      .BindTime(6, time)
      .Run();
}

absl::StatusOr<AttributedTotals> SqlMarketingTx::SumAttributed(const std::string& campaign_id, AttributionModel model,
                                                               absl::Time from, absl::Time to,
                                                               const std::string& currency) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT COUNT(*), CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM attributed_revenue"
      " WHERE campaign_id = ? AND model = ? AND time_us >= ? AND time_us < ? AND currency = ?");
  if (!q.ok()) return q.status();
  q->Bind(1, campaign_id)
      .Bind(2, int64_t{static_cast<int>(model)})
      .Bind(3, Micros(from))
      .Bind(4, Micros(to))
      .Bind(5, currency);
  return sql::ReadOne<AttributedTotals>(
      *q, [](const Statement& r) { return AttributedTotals{r.Int(0), r.Int(1)}; }, "attribution");
}

absl::StatusOr<bool> SqlMarketingTx::TakeAttributionBackfill() {
  absl::StatusOr<Statement> q = tx_.Prepare("DELETE FROM attribution_backfill");
  if (!q.ok()) return q.status();
  if (absl::Status s = q->Run(); !s.ok()) return s;
  return tx_.Changes() > 0;
}

absl::StatusOr<std::vector<std::pair<int64_t, OutcomeRecord>>> SqlMarketingTx::UnattributedWins() {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT id, lead_id, opportunity, outcome, amount_minor, currency, time_us FROM outcomes o"
      " WHERE outcome = ? AND NOT EXISTS (SELECT 1 FROM attributed_revenue a WHERE a.outcome_id = o.id)"
      " ORDER BY id");
  if (!q.ok()) return q.status();
  q->Bind(1, int64_t{static_cast<int>(Outcome::kWon)});
  return sql::ReadAll<std::pair<int64_t, OutcomeRecord>>(*q, [](const Statement& r) {
    return std::make_pair(r.Int(0), OutcomeRecord{r.Text(1), r.Text(2), static_cast<Outcome>(r.Int(3)),
                                                  Money{r.Int(4), r.Text(5)}, r.Time(6)});
  });
}

}  // namespace handoff::marketing
