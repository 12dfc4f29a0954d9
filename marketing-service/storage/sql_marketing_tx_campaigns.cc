// SqlMarketingTx (sql_marketing_tx.h): campaigns, their spend and UTM codes.

#include "marketing-service/storage/sql_marketing_tx.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "common/validation.h"

namespace handoff::marketing {

using sql::Statement;

namespace {

constexpr char kCampaignColumns[] =
    "seq, id, display_name, channel, state, budget_minor, currency, spent_minor, start_us,"
    " end_us, create_us, update_us, version, parent_id, utm_source, utm_medium, utm_campaign, external_id";

Campaign ReadCampaign(const Statement& q) {
  Campaign c;
  c.seq = q.Int(0);
  c.id = q.Text(1);
  c.display_name = q.Text(2);
  c.channel = static_cast<Channel>(q.Int(3));
  c.state = static_cast<CampaignState>(q.Int(4));
  c.budget.amount_minor = q.Int(5);
  c.budget.currency = q.Text(6);
  c.spent_minor = q.Int(7);
  c.start_time = q.OptionalTime(8);
  c.end_time = q.OptionalTime(9);
  c.create_time = q.Time(10);
  c.update_time = q.Time(11);
  c.version = q.Int(12);
  c.parent_id = q.Text(13);
  c.utm = UtmCodes{q.Text(14), q.Text(15), q.Text(16)};
  c.external_id = q.Text(17);
  return c;
}

void BindCampaign(Statement& q, const Campaign& c) {
  q.Bind(1, c.id)
      .Bind(2, c.display_name)
      .Bind(3, int64_t{static_cast<int>(c.channel)})
      .Bind(4, int64_t{static_cast<int>(c.state)})
      .Bind(5, c.budget.amount_minor)
      .Bind(6, c.budget.currency)
      .Bind(7, c.spent_minor);
  q.BindOptionalTime(8, c.start_time).BindOptionalTime(9, c.end_time);
  q.BindTime(10, c.create_time).BindTime(11, c.update_time).Bind(12, c.version);
  q.Bind(13, c.parent_id).Bind(14, c.utm.source).Bind(15, c.utm.medium).Bind(16, c.utm.campaign);
  q.Bind(17, c.external_id);
}

// The unique indexes speak for the caller: say which value is taken (the domain checks
// first; this answers a concurrent writer that got there in between).
absl::Status UtmTaken(absl::Status s, const Campaign& c) {
  if (s.code() != absl::StatusCode::kAlreadyExists) return s;
  const UtmCodes& utm = c.utm;
  if (absl::StrContains(s.message(), "campaigns.external_id") || absl::StrContains(s.message(), "campaigns_by_external_id")) {
    return WithReason(absl::AlreadyExistsError(absl::StrCat("another campaign already has external_id ",
                                                            Quote(c.external_id))),
                      reason::kExternalIdTaken);
  }
  return WithReason(absl::AlreadyExistsError(absl::StrCat("another campaign already has the UTM codes source=",
                                               Quote(utm.source), " medium=", Quote(utm.medium),
                                               " campaign=", Quote(utm.campaign))), reason::kUtmCodesTaken);
}

}  // namespace

absl::StatusOr<Campaign> SqlMarketingTx::GetCampaign(const std::string& id) {
  absl::StatusOr<Statement> q =
      tx_.Prepare(absl::StrCat("SELECT ", kCampaignColumns, " FROM campaigns WHERE id = ?"));
  if (!q.ok()) return q.status();
  q->Bind(1, id);
  return sql::ReadOne<Campaign>(*q, ReadCampaign, absl::StrCat("campaigns/", id));
}

absl::Status SqlMarketingTx::InsertCampaign(const Campaign& c) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "INSERT INTO campaigns(id, display_name, channel, state, budget_minor, currency,"
      " spent_minor, start_us, end_us, create_us, update_us, version, parent_id, utm_source,"
      " utm_medium, utm_campaign, external_id) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!q.ok()) return q.status();
  BindCampaign(*q, c);
  return UtmTaken(q->Run(), c);
}

absl::Status SqlMarketingTx::UpdateCampaign(const Campaign& c) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "UPDATE campaigns SET id = ?1, display_name = ?2, channel = ?3, state = ?4,"
      " budget_minor = ?5, currency = ?6, spent_minor = ?7, start_us = ?8, end_us = ?9,"
      " create_us = ?10, update_us = ?11, version = ?12, parent_id = ?13, utm_source = ?14,"
      " utm_medium = ?15, utm_campaign = ?16, external_id = ?17 WHERE id = ?1");
  if (!q.ok()) return q.status();
  BindCampaign(*q, c);
  if (absl::Status s = UtmTaken(q->Run(), c); !s.ok()) return s;
  if (tx_.Changes() != 1) return absl::NotFoundError(absl::StrCat("campaigns/", c.id, " does not exist"));
  return absl::OkStatus();
}

absl::StatusOr<Page<Campaign>> SqlMarketingTx::ListCampaigns(CampaignState state, const UpdateOrder& sync,
                                                             int64_t after, int limit) {
  absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
      "SELECT ", kCampaignColumns, " FROM campaigns WHERE ",
      sync.by_update_time ? "(update_us > ?5 OR (update_us = ?5 AND seq > ?1))" : "seq > ?1",
      " AND update_us >= ?4 AND (?2 = 0 OR state = ?2) ORDER BY ",
      sync.by_update_time ? "update_us, seq" : "seq", " LIMIT ?3"));
  if (!q.ok()) return q.status();
  q->Bind(1, after).Bind(2, int64_t{static_cast<int>(state)}).Bind(3, int64_t{limit + 1}).Bind(4, sync.min_update_us);
  if (sync.by_update_time) q->Bind(5, sync.after_update_us);
  return sql::ReadPage<Campaign>(*q, limit, ReadCampaign);
}

absl::Status SqlMarketingTx::InsertSpend(const SpendEntry& e) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "INSERT INTO campaign_spend(campaign_id, amount_minor, note, recorded_by,"
      " over_budget_reason, time_us) VALUES(?,?,?,?,?,?)");
  if (!q.ok()) return q.status();
  return q->Bind(1, e.campaign_id)
      .Bind(2, e.amount_minor)
      .Bind(3, e.note)
      .Bind(4, e.recorded_by)
      .Bind(5, e.over_budget_reason)
      .BindTime(6, e.time)
      .Run();
}

absl::StatusOr<Page<SpendEntry>> SqlMarketingTx::ListSpend(const std::string& campaign_id, int64_t after,
                                                           int limit) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT id, campaign_id, amount_minor, note, recorded_by, over_budget_reason, time_us"
      " FROM campaign_spend WHERE campaign_id = ? AND id > ? ORDER BY id LIMIT ?");
  if (!q.ok()) return q.status();
  q->Bind(1, campaign_id).Bind(2, after).Bind(3, int64_t{limit + 1});
  return sql::ReadPage<SpendEntry>(*q, limit, [](const Statement& r) {
    return SpendEntry{r.Int(0), r.Text(1), r.Int(2), r.Text(3), r.Text(4), r.Text(5), r.Time(6)};
  });
}

absl::StatusOr<std::optional<Campaign>> SqlMarketingTx::FindCampaignByExternalId(const std::string& external_id) {
  absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
      "SELECT ", kCampaignColumns, " FROM campaigns WHERE external_id = ? AND external_id <> ''"));
  if (!q.ok()) return q.status();
  q->Bind(1, external_id);
  return sql::ReadOptional<Campaign>(*q, ReadCampaign);
}

absl::StatusOr<std::optional<Campaign>> SqlMarketingTx::FindCampaignByUtm(const UtmCodes& utm) {
  absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
      "SELECT ", kCampaignColumns,
      " FROM campaigns WHERE utm_source = ? AND utm_medium = ? AND utm_campaign = ?"
      " AND utm_campaign <> ''"));  // lets SQLite use the partial index
  if (!q.ok()) return q.status();
  q->Bind(1, utm.source).Bind(2, utm.medium).Bind(3, utm.campaign);
  return sql::ReadOptional<Campaign>(*q, ReadCampaign);
}

absl::StatusOr<CampaignCounts> SqlMarketingTx::CountForCampaign(const std::string& campaign_id, absl::Time from,
                                                                absl::Time to) {
  CampaignCounts c;
  {
    absl::StatusOr<Statement> q = tx_.Prepare(
        "SELECT COUNT(*), CAST(COALESCE(SUM(ever_mql), 0) AS BIGINT), CAST(COALESCE(SUM(ever_accepted), 0) AS BIGINT),"
        " CAST(COALESCE(SUM(ever_rejected), 0) AS BIGINT) FROM leads"
        " WHERE source_campaign_id = ? AND create_us >= ? AND create_us < ?");
    if (!q.ok()) return q.status();
    q->Bind(1, campaign_id).Bind(2, Micros(from)).Bind(3, Micros(to));
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    c.leads = q->Int(0);
    c.mqls = q->Int(1);
    c.accepted = q->Int(2);
    c.rejected = q->Int(3);
  }
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT COUNT(*) FROM touches WHERE campaign_id = ? AND merged_capture = 1"
      " AND time_us >= ? AND time_us < ?");
  if (!q.ok()) return q.status();
  q->Bind(1, campaign_id).Bind(2, Micros(from)).Bind(3, Micros(to));
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  c.merged_captures = q->Int(0);
  return c;
}

absl::StatusOr<int64_t> SqlMarketingTx::SpendBetween(const std::string& campaign_id, absl::Time from,
                                                     absl::Time to) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM campaign_spend"
      " WHERE campaign_id = ? AND time_us >= ? AND time_us < ?");
  if (!q.ok()) return q.status();
  q->Bind(1, campaign_id).Bind(2, Micros(from)).Bind(3, Micros(to));
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  return q->Int(0);
}

}  // namespace handoff::marketing
