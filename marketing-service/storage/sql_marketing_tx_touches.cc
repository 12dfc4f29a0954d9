// SqlMarketingTx (sql_marketing_tx.h): touches and scoring policies.

#include "marketing-service/storage/sql_marketing_tx.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace handoff::marketing {

using sql::Statement;

absl::StatusOr<bool> SqlMarketingTx::InsertTouch(const Touch& t) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "INSERT INTO touches(touch_id, lead_id, campaign_id, type, merged_capture, time_us)"
      " VALUES(?,?,?,?,?,?) ON CONFLICT(touch_id) DO NOTHING");
  if (!q.ok()) return q.status();
  absl::Status s = q->Bind(1, t.touch_id)
                       .Bind(2, t.lead_id)
                       .Bind(3, t.campaign_id)
                       .Bind(4, int64_t{static_cast<int>(t.type)})
                       .Bind(5, int64_t{t.merged_capture})
                       .BindTime(6, t.time)
                       .Run();
  if (!s.ok()) return s;
  if (tx_.Changes() != 1) return false;
  if (auto fresh = new_leads_.find(t.lead_id); fresh != new_leads_.end()) {
    fresh->second.touches.push_back(TouchAt{t.type, t.time});
  }
  return true;
}

absl::StatusOr<std::vector<TouchAt>> SqlMarketingTx::TouchHistory(const std::string& lead_id) {
  if (auto fresh = new_leads_.find(lead_id); fresh != new_leads_.end()) return fresh->second.touches;
  absl::StatusOr<Statement> q =
      tx_.Prepare("SELECT type, time_us FROM touches WHERE lead_id = ? ORDER BY id");
  if (!q.ok()) return q.status();
  q->Bind(1, lead_id);
  return sql::ReadAll<TouchAt>(*q, [](const Statement& r) {
    return TouchAt{static_cast<TouchType>(r.Int(0)), r.Time(1)};
  });
}

absl::StatusOr<std::optional<ScoringPolicy>> SqlMarketingTx::GetScoringPolicy(int64_t version) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT version, touch_points, title_points, title_keywords, company_points,"
      " country_points, target_countries, decay_half_life_us, mql_threshold, create_us"
      " FROM scoring_policies WHERE (?1 = 0 OR version = ?1) ORDER BY version DESC LIMIT 1");
  if (!q.ok()) return q.status();
  q->Bind(1, version);
  return sql::ReadOptional<ScoringPolicy>(*q, [](const Statement& r) {
    ScoringPolicy p;
    p.version = r.Int(0);
    for (absl::string_view pair : absl::StrSplit(r.Text(1), ',', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv = absl::StrSplit(pair, ':');
      int type = 0, points = 0;
      if (absl::SimpleAtoi(kv.first, &type) && absl::SimpleAtoi(kv.second, &points) && type > 0 &&
          type <= kTouchTypeMax) {
        p.points_per_touch[type] = points;
      }
    }
    p.title_points = static_cast<int>(r.Int(2));
    p.title_keywords = absl::StrSplit(r.Text(3), '\n', absl::SkipEmpty());
    p.company_points = static_cast<int>(r.Int(4));
    p.country_points = static_cast<int>(r.Int(5));
    p.target_countries = absl::StrSplit(r.Text(6), ',', absl::SkipEmpty());
    p.decay_half_life = absl::Microseconds(r.Int(7));
    p.mql_threshold = static_cast<int>(r.Int(8));
    p.create_time = r.Time(9);
    return p;
  });
}

absl::Status SqlMarketingTx::InsertScoringPolicy(const ScoringPolicy& p) {
  std::vector<std::string> points;
  for (int t = 1; t <= kTouchTypeMax; ++t) {
    if (p.points_per_touch[t] != 0) points.push_back(absl::StrCat(t, ":", p.points_per_touch[t]));
  }
  absl::StatusOr<Statement> q = tx_.Prepare(
      "INSERT INTO scoring_policies(version, touch_points, title_points, title_keywords,"
      " company_points, country_points, target_countries, decay_half_life_us, mql_threshold,"
      " create_us) VALUES(?,?,?,?,?,?,?,?,?,?)");
  if (!q.ok()) return q.status();
  return q->Bind(1, p.version)
      .Bind(2, absl::StrJoin(points, ","))
      .Bind(3, int64_t{p.title_points})
      .Bind(4, absl::StrJoin(p.title_keywords, "\n"))
      .Bind(5, int64_t{p.company_points})
      .Bind(6, int64_t{p.country_points})
      .Bind(7, absl::StrJoin(p.target_countries, ","))
      .Bind(8, absl::ToInt64Microseconds(p.decay_half_life))
      .Bind(9, int64_t{p.mql_threshold})
      .BindTime(10, p.create_time)
      .Run();
}

absl::StatusOr<int64_t> SqlMarketingTx::CountTouchesBetween(const std::string& lead_id,
                                                            const std::vector<TouchType>& types, absl::Time from,
                                                            absl::Time to) {
  // One query: the type list is a handful of enum values, written into the SQL.
  std::vector<int> codes;
  for (TouchType type : types) codes.push_back(static_cast<int>(type));
  if (codes.empty()) return 0;
  absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
      "SELECT COUNT(*) FROM touches WHERE lead_id = ? AND type IN (", absl::StrJoin(codes, ","),
      ") AND time_us > ? AND time_us <= ?"));
  if (!q.ok()) return q.status();
  q->Bind(1, lead_id).BindTime(2, from).BindTime(3, to);
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  return q->Int(0);
}

absl::StatusOr<std::vector<std::string>> SqlMarketingTx::TouchedCampaigns(const std::string& lead_id) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT campaign_id FROM touches WHERE lead_id = ? AND campaign_id <> ''"
      " GROUP BY campaign_id ORDER BY MIN(id)");
  if (!q.ok()) return q.status();
  q->Bind(1, lead_id);
  std::vector<std::string> out;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(q->Text(0));
  }
}

absl::StatusOr<std::vector<CampaignTouch>> SqlMarketingTx::CampaignTouchesUntil(const std::string& lead_id,
                                                                                absl::Time before) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT campaign_id, time_us FROM touches WHERE lead_id = ? AND campaign_id <> ''"
      " AND time_us <= ? ORDER BY time_us, id");
  if (!q.ok()) return q.status();
  q->Bind(1, lead_id).Bind(2, Micros(before));
  return sql::ReadAll<CampaignTouch>(*q, [](const Statement& r) {
    return CampaignTouch{r.Text(0), r.Time(1)};
  });
}

absl::StatusOr<Page<Touch>> SqlMarketingTx::ListTouches(const std::string& lead_id, int64_t after, int limit) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT id, touch_id, lead_id, campaign_id, type, merged_capture, time_us FROM touches"
      " WHERE lead_id = ? AND id > ? ORDER BY id LIMIT ?");  // touches_by_lead
  if (!q.ok()) return q.status();
  q->Bind(1, lead_id).Bind(2, after).Bind(3, int64_t{limit + 1});
  return sql::ReadPage<Touch>(*q, limit, [](const Statement& r) {
    return Touch{r.Text(1), r.Text(2), r.Text(3), static_cast<TouchType>(r.Int(4)), r.Int(5) != 0, r.Time(6)};
  });
}

}  // namespace handoff::marketing
