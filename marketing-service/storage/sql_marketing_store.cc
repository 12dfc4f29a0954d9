#include "marketing-service/storage/sql_marketing_store.h"

#include <limits>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/sql/unit_of_work.h"
#include "common/validation.h"

namespace handoff::marketing {
namespace {

using sql::Statement;

// Microseconds for range bounds; infinite bounds become the int64 extremes.
int64_t Micros(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixMicros(t);
}

constexpr char kCampaignColumns[] =
    "seq, id, display_name, channel, state, budget_minor, currency, spent_minor, start_us,"
    " end_us, create_us, update_us, version, parent_id, utm_source, utm_medium, utm_campaign";

Campaign ReadCampaign(const Statement& q) {
  Campaign c;
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
  return c;
}

constexpr char kLeadColumns[] =
    "seq, id, email, phone, given_name, family_name, company, title, country_code,"
    " consent_email, consent_phone, consent_sms, consent_mail, do_not_contact, stage, owner,"
    " score, source_campaign_id, merged_capture_count, touch_count, opportunity, last_outcome,"
    " last_outcome_reason, won_minor, won_currency, ever_mql, ever_accepted, ever_rejected,"
    " won_count, create_us, update_us, version, erased, erase_us";

Lead ReadLead(const Statement& q) {
  Lead l;
  l.id = q.Text(1);
  l.contact.email = q.Text(2);
  l.contact.phone = q.Text(3);
  l.contact.given_name = q.Text(4);
  l.contact.family_name = q.Text(5);
  l.contact.company = q.Text(6);
  l.contact.title = q.Text(7);
  l.contact.country_code = q.Text(8);
  l.consent.email = q.Int(9) != 0;
  l.consent.phone = q.Int(10) != 0;
  l.consent.sms = q.Int(11) != 0;
  l.consent.mail = q.Int(12) != 0;
  l.consent.do_not_contact = q.Int(13) != 0;
  l.stage = static_cast<LifecycleStage>(q.Int(14));
  l.owner = static_cast<Owner>(q.Int(15));
  l.score = static_cast<int>(q.Int(16));
  l.source_campaign_id = q.Text(17);
  l.merged_capture_count = static_cast<int>(q.Int(18));
  l.touch_count = static_cast<int>(q.Int(19));
  l.opportunity = q.Text(20);
  l.last_outcome = static_cast<Outcome>(q.Int(21));
  l.last_outcome_reason = q.Text(22);
  l.won_revenue.amount_minor = q.Int(23);
  l.won_revenue.currency = q.Text(24);
  l.ever_mql = q.Int(25) != 0;
  l.ever_accepted = q.Int(26) != 0;
  l.ever_rejected = q.Int(27) != 0;
  l.won_count = static_cast<int>(q.Int(28));
  l.create_time = q.Time(29);
  l.update_time = q.Time(30);
  l.version = q.Int(31);
  l.erased = q.Int(32) != 0;
  l.erase_time = q.OptionalTime(33);
  return l;
}

// Binds every lead column but seq, starting at index 1, in kLeadColumns order.
void BindLead(Statement& q, const Lead& l) {
  q.Bind(1, l.id)
      .Bind(2, l.contact.email)
      .Bind(3, l.contact.phone)
      .Bind(4, l.contact.given_name)
      .Bind(5, l.contact.family_name)
      .Bind(6, l.contact.company)
      .Bind(7, l.contact.title)
      .Bind(8, l.contact.country_code)
      .Bind(9, int64_t{l.consent.email})
      .Bind(10, int64_t{l.consent.phone})
      .Bind(11, int64_t{l.consent.sms})
      .Bind(12, int64_t{l.consent.mail})
      .Bind(13, int64_t{l.consent.do_not_contact})
      .Bind(14, int64_t{static_cast<int>(l.stage)})
      .Bind(15, int64_t{static_cast<int>(l.owner)})
      .Bind(16, int64_t{l.score})
      .Bind(17, l.source_campaign_id)
      .Bind(18, int64_t{l.merged_capture_count})
      .Bind(19, int64_t{l.touch_count})
      .Bind(20, l.opportunity)
      .Bind(21, int64_t{static_cast<int>(l.last_outcome)})
      .Bind(22, l.last_outcome_reason)
      .Bind(23, l.won_revenue.amount_minor)
      .Bind(24, l.won_revenue.currency)
      .Bind(25, int64_t{l.ever_mql})
      .Bind(26, int64_t{l.ever_accepted})
      .Bind(27, int64_t{l.ever_rejected})
      .Bind(28, int64_t{l.won_count})
      .BindTime(29, l.create_time)
      .BindTime(30, l.update_time)
      .Bind(31, l.version)
      .Bind(32, int64_t{l.erased});
  q.BindOptionalTime(33, l.erase_time);
}

class SqlMarketingTx final : public sql::UnitOfWorkOn<MarketingTx> {
 public:
  using UnitOfWorkOn::UnitOfWorkOn;

  absl::StatusOr<Campaign> GetCampaign(const std::string& id) override {
    absl::StatusOr<Statement> q =
        tx_.Prepare(absl::StrCat("SELECT ", kCampaignColumns, " FROM campaigns WHERE id = ?"));
    if (!q.ok()) return q.status();
    q->Bind(1, id);
    return sql::ReadOne<Campaign>(*q, ReadCampaign, absl::StrCat("campaigns/", id));
  }

  absl::Status InsertCampaign(const Campaign& c) override {
    absl::StatusOr<Statement> q = tx_.Prepare(
        "INSERT INTO campaigns(id, display_name, channel, state, budget_minor, currency,"
        " spent_minor, start_us, end_us, create_us, update_us, version, parent_id, utm_source,"
        " utm_medium, utm_campaign) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!q.ok()) return q.status();
    BindCampaign(*q, c);
    return UtmTaken(q->Run(), c.utm);
  }

  absl::Status UpdateCampaign(const Campaign& c) override {
    absl::StatusOr<Statement> q = tx_.Prepare(
        "UPDATE campaigns SET id = ?1, display_name = ?2, channel = ?3, state = ?4,"
        " budget_minor = ?5, currency = ?6, spent_minor = ?7, start_us = ?8, end_us = ?9,"
        " create_us = ?10, update_us = ?11, version = ?12, parent_id = ?13, utm_source = ?14,"
        " utm_medium = ?15, utm_campaign = ?16 WHERE id = ?1");
    if (!q.ok()) return q.status();
    BindCampaign(*q, c);
    if (absl::Status s = UtmTaken(q->Run(), c.utm); !s.ok()) return s;
    if (tx_.Changes() != 1) return absl::NotFoundError(absl::StrCat("campaigns/", c.id, " does not exist"));
    return absl::OkStatus();
  }

  absl::StatusOr<Page<Campaign>> ListCampaigns(CampaignState state, int64_t after,
                                               int limit) override {
    absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
        "SELECT ", kCampaignColumns,
        " FROM campaigns WHERE seq > ?1 AND (?2 = 0 OR state = ?2) ORDER BY seq LIMIT ?3"));
    if (!q.ok()) return q.status();
    q->Bind(1, after).Bind(2, int64_t{static_cast<int>(state)}).Bind(3, int64_t{limit + 1});
    return sql::ReadPage<Campaign>(*q, limit, ReadCampaign);
  }

  absl::Status InsertSpend(const SpendEntry& e) override {
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

  absl::StatusOr<Page<SpendEntry>> ListSpend(const std::string& campaign_id, int64_t after,
                                             int limit) override {
    absl::StatusOr<Statement> q = tx_.Prepare(
        "SELECT id, campaign_id, amount_minor, note, recorded_by, over_budget_reason, time_us"
        " FROM campaign_spend WHERE campaign_id = ? AND id > ? ORDER BY id LIMIT ?");
    if (!q.ok()) return q.status();
    q->Bind(1, campaign_id).Bind(2, after).Bind(3, int64_t{limit + 1});
    return sql::ReadPage<SpendEntry>(*q, limit, [](const Statement& r) {
      return SpendEntry{r.Int(0), r.Text(1), r.Int(2), r.Text(3), r.Text(4), r.Text(5), r.Time(6)};
    });
  }

  absl::StatusOr<std::optional<Campaign>> FindCampaignByUtm(const UtmCodes& utm) override {
    absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
        "SELECT ", kCampaignColumns,
        " FROM campaigns WHERE utm_source = ? AND utm_medium = ? AND utm_campaign = ?"
        " AND utm_campaign <> ''"));  // lets SQLite use the partial index
    if (!q.ok()) return q.status();
    q->Bind(1, utm.source).Bind(2, utm.medium).Bind(3, utm.campaign);
    return sql::ReadOptional<Campaign>(*q, ReadCampaign);
  }

  absl::StatusOr<Lead> GetLead(const std::string& id) override {
    absl::StatusOr<std::optional<Lead>> l = FindLeadBy("id", id);
    if (!l.ok()) return l.status();
    if (!l->has_value()) return absl::NotFoundError(absl::StrCat("leads/", id, " does not exist"));
    return **std::move(l);
  }
  absl::StatusOr<std::optional<Lead>> FindLeadByEmail(const std::string& email) override {
    return FindLeadBy("email", email);
  }
  absl::StatusOr<std::optional<Lead>> FindLeadByPhone(const std::string& phone) override {
    return FindLeadBy("phone", phone);
  }

  absl::Status InsertLead(const Lead& l) override {
    absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
        "INSERT INTO leads(", std::string(kLeadColumns).substr(5),
        ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    if (!q.ok()) return q.status();
    BindLead(*q, l);
    return q->Run();
  }

  absl::Status UpdateLead(const Lead& l) override {
    absl::StatusOr<Statement> q = tx_.Prepare(
        "UPDATE leads SET email = ?2, phone = ?3, given_name = ?4, family_name = ?5,"
        " company = ?6, title = ?7, country_code = ?8, consent_email = ?9, consent_phone = ?10,"
        " consent_sms = ?11, consent_mail = ?12, do_not_contact = ?13, stage = ?14, owner = ?15,"
        " score = ?16, source_campaign_id = ?17, merged_capture_count = ?18, touch_count = ?19,"
        " opportunity = ?20, last_outcome = ?21, last_outcome_reason = ?22, won_minor = ?23,"
        " won_currency = ?24, ever_mql = ?25, ever_accepted = ?26, ever_rejected = ?27,"
        " won_count = ?28, create_us = ?29, update_us = ?30, version = ?31, erased = ?32,"
        " erase_us = ?33 WHERE id = ?1");
    if (!q.ok()) return q.status();
    BindLead(*q, l);
    return sql::RunOnOneRow(tx_, *q, absl::StrCat("leads/", l.id));
  }

  absl::StatusOr<Page<Lead>> ListLeads(const LeadFilter& f, int64_t after, int limit) override {
    // By e-mail, the partial e-mail index finds the one lead; otherwise walk by seq.
    absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
        "SELECT ", kLeadColumns, " FROM leads WHERE ",
        f.email.empty() ? "?6 = '' AND " : "email = ?6 AND email <> '' AND ",
        "seq > ?1 AND (?2 = 0 OR stage = ?2) AND (?3 = 0 OR owner = ?3)"
        " AND (?4 = '' OR source_campaign_id = ?4) ORDER BY seq LIMIT ?5"));
    if (!q.ok()) return q.status();
    q->Bind(1, after)
        .Bind(2, int64_t{static_cast<int>(f.stage)})
        .Bind(3, int64_t{static_cast<int>(f.owner)})
        .Bind(4, f.source_campaign_id)
        .Bind(5, int64_t{limit + 1})
        .Bind(6, f.email);
    return sql::ReadPage<Lead>(*q, limit, ReadLead);
  }

  // Appends to the history and keeps the funnel projections (version 6) in step with it.
  absl::Status AppendStageChange(const std::string& lead_id, const StageChange& c) override {
    const int64_t stage = static_cast<int>(c.stage);
    // The stay that this change ends.
    absl::StatusOr<Statement> last = tx_.Prepare(
        "SELECT stage, time_us FROM lead_stage_history WHERE lead_id = ? ORDER BY id DESC LIMIT 1");
    if (!last.ok()) return last.status();
    last->Bind(1, lead_id);
    absl::StatusOr<bool> had = last->Step();
    if (!had.ok()) return had.status();
    if (*had) {
      const int64_t from = last->Int(0);
      const int64_t stay_us = absl::ToUnixMicros(c.time) - last->Int(1);
      if (absl::Status s = Exec("INSERT INTO stage_stays(stage, duration_us) VALUES(?, ?)", {from, stay_us});
          !s.ok()) {
        return s;
      }
      if (absl::Status s = Exec("UPDATE funnel_stages SET current_count = current_count - 1, stays = stays + 1"
                                " WHERE stage = ?",
                                {from});
          !s.ok()) {
        return s;
      }
    }
    absl::StatusOr<bool> entered = HasEntered(lead_id, stage, 0);
    if (!entered.ok()) return entered.status();
    if (absl::Status s = Exec("UPDATE funnel_stages SET current_count = current_count + 1,"
                              " ever_entered = ever_entered + ? WHERE stage = ?",
                              {*entered ? 0 : 1, stage});
        !s.ok()) {
      return s;
    }
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
      if (absl::Status s = Exec("UPDATE funnel_conversions SET converted = converted + 1"
                                " WHERE from_stage = ? AND to_stage = ?",
                                {from, stage});
          !s.ok()) {
        return s;
      }
    }
    absl::StatusOr<Statement> q = tx_.Prepare(
        "INSERT INTO lead_stage_history(lead_id, stage, time_us, reason) VALUES(?,?,?,?)");
    if (!q.ok()) return q.status();
    return q->Bind(1, lead_id).Bind(2, stage).BindTime(3, c.time).Bind(4, c.reason).Run();
  }

  absl::StatusOr<FunnelCounts> GetFunnelCounts() override {
    FunnelCounts f;
    absl::StatusOr<Statement> q =
        tx_.Prepare("SELECT stage, current_count, ever_entered, stays FROM funnel_stages ORDER BY stage");
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
    absl::StatusOr<Statement> c =
        tx_.Prepare("SELECT from_stage, to_stage, converted FROM funnel_conversions ORDER BY from_stage");
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

  absl::StatusOr<absl::Duration> NthShortestStay(LifecycleStage stage, int64_t n) override {
    absl::StatusOr<Statement> q = tx_.Prepare(
        "SELECT duration_us FROM stage_stays WHERE stage = ? ORDER BY duration_us LIMIT 1 OFFSET ?");
    if (!q.ok()) return q.status();
    q->Bind(1, int64_t{static_cast<int>(stage)}).Bind(2, n);
    return sql::ReadOne<absl::Duration>(
        *q, [](const Statement& r) { return absl::Microseconds(r.Int(0)); }, "the stay");
  }

  absl::StatusOr<std::vector<StageChange>> StageHistory(const std::string& lead_id) override {
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

  absl::Status RecordErasure(const std::string& fingerprint, absl::Time time) override {
    absl::StatusOr<Statement> q = tx_.Prepare(
        "INSERT INTO erased_contacts(fingerprint, time_us) VALUES(?, ?)"
        " ON CONFLICT(fingerprint) DO UPDATE SET time_us = excluded.time_us");
    if (!q.ok()) return q.status();
    return q->Bind(1, fingerprint).BindTime(2, time).Run();
  }

  absl::StatusOr<bool> IsErased(const std::string& fingerprint) override {
    absl::StatusOr<Statement> q =
        tx_.Prepare("SELECT 1 FROM erased_contacts WHERE fingerprint = ?");
    if (!q.ok()) return q.status();
    q->Bind(1, fingerprint);
    return q->Step();
  }

  absl::StatusOr<bool> InsertTouch(const Touch& t) override {
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
    return tx_.Changes() == 1;
  }

  absl::StatusOr<std::vector<TouchAt>> TouchHistory(const std::string& lead_id) override {
    absl::StatusOr<Statement> q =
        tx_.Prepare("SELECT type, time_us FROM touches WHERE lead_id = ? ORDER BY id");
    if (!q.ok()) return q.status();
    q->Bind(1, lead_id);
    return sql::ReadAll<TouchAt>(*q, [](const Statement& r) {
      return TouchAt{static_cast<TouchType>(r.Int(0)), r.Time(1)};
    });
  }

  absl::StatusOr<std::optional<ScoringPolicy>> GetScoringPolicy(int64_t version) override {
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

  absl::Status InsertScoringPolicy(const ScoringPolicy& p) override {
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

  absl::StatusOr<int64_t> CountTouchesBetween(const std::string& lead_id,
                                              const std::vector<TouchType>& types, absl::Time from,
                                              absl::Time to) override {
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

  absl::StatusOr<std::vector<std::string>> TouchedCampaigns(const std::string& lead_id) override {
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

  absl::StatusOr<CampaignCounts> CountForCampaign(const std::string& campaign_id, absl::Time from,
                                                  absl::Time to) override {
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

  absl::StatusOr<int64_t> SpendBetween(const std::string& campaign_id, absl::Time from,
                                       absl::Time to) override {
    absl::StatusOr<Statement> q = tx_.Prepare(
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM campaign_spend"
        " WHERE campaign_id = ? AND time_us >= ? AND time_us < ?");
    if (!q.ok()) return q.status();
    q->Bind(1, campaign_id).Bind(2, Micros(from)).Bind(3, Micros(to));
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    return q->Int(0);
  }

  absl::StatusOr<int64_t> InsertOutcome(const OutcomeRecord& o) override {
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

  absl::Status InsertAttribution(int64_t outcome_id, const std::string& campaign_id, AttributionModel model,
                                 const Money& share, absl::Time time) override {
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

  absl::StatusOr<AttributedTotals> SumAttributed(const std::string& campaign_id, AttributionModel model,
                                                 absl::Time from, absl::Time to,
                                                 const std::string& currency) override {
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

  absl::StatusOr<bool> TakeAttributionBackfill() override {
    absl::StatusOr<Statement> q = tx_.Prepare("DELETE FROM attribution_backfill");
    if (!q.ok()) return q.status();
    if (absl::Status s = q->Run(); !s.ok()) return s;
    return tx_.Changes() > 0;
  }

  absl::StatusOr<std::vector<std::pair<int64_t, OutcomeRecord>>> UnattributedWins() override {
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

  absl::StatusOr<std::vector<CampaignTouch>> CampaignTouchesUntil(const std::string& lead_id,
                                                                  absl::Time before) override {
    absl::StatusOr<Statement> q = tx_.Prepare(
        "SELECT campaign_id, time_us FROM touches WHERE lead_id = ? AND campaign_id <> ''"
        " AND time_us <= ? ORDER BY time_us, id");
    if (!q.ok()) return q.status();
    q->Bind(1, lead_id).Bind(2, Micros(before));
    return sql::ReadAll<CampaignTouch>(*q, [](const Statement& r) {
      return CampaignTouch{r.Text(0), r.Time(1)};
    });
  }

  absl::StatusOr<std::optional<absl::Time>> LastHandoffUntil(const std::string& lead_id,
                                                             absl::Time before) override {
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

 private:
  // Runs a statement without results, binding `params` to ?1, ?2, ...
  absl::Status Exec(const char* sql, std::initializer_list<int64_t> params) {
    absl::StatusOr<Statement> q = tx_.Prepare(sql);
    if (!q.ok()) return q.status();
    int i = 0;
    for (const int64_t p : params) q->Bind(++i, p);
    return q->Run();
  }

  // Whether the lead's history has an entry into `stage` after history row `after_id`.
  absl::StatusOr<bool> HasEntered(const std::string& lead_id, int64_t stage, int64_t after_id) {
    absl::StatusOr<Statement> q = tx_.Prepare(
        "SELECT 1 FROM lead_stage_history WHERE lead_id = ? AND stage = ? AND id > ? LIMIT 1");
    if (!q.ok()) return q.status();
    q->Bind(1, lead_id).Bind(2, stage).Bind(3, after_id);
    return q->Step();
  }

  static void BindCampaign(Statement& q, const Campaign& c) {
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
  }

  // The unique UTM index speaks for the caller: say which codes are taken.
  static absl::Status UtmTaken(absl::Status s, const UtmCodes& utm) {
    if (s.code() != absl::StatusCode::kAlreadyExists) return s;
    return absl::AlreadyExistsError(absl::StrCat("another campaign already has the UTM codes source=",
                                                 Quote(utm.source), " medium=", Quote(utm.medium),
                                                 " campaign=", Quote(utm.campaign)));
  }

  absl::StatusOr<std::optional<Lead>> FindLeadBy(const char* column, const std::string& value) {
    absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
        "SELECT ", kLeadColumns, " FROM leads WHERE ", column, " = ?1 AND ", column,
        " <> '' ORDER BY seq LIMIT 1"));  // "<> ''" lets SQLite use the partial index
    if (!q.ok()) return q.status();
    q->Bind(1, value);
    return sql::ReadOptional<Lead>(*q, ReadLead);
  }
};

}  // namespace

namespace migrations {
// Generated from storage/migrations/<backend>/*.sql (common/sql/embed_migrations.cmake).
std::vector<sql::Migration> Sqlite();
std::vector<sql::Migration> Postgres();
}  // namespace migrations

std::vector<sql::Migration> SqlMarketingStore::SqliteMigrations() { return migrations::Sqlite(); }
std::vector<sql::Migration> SqlMarketingStore::PostgresMigrations() { return migrations::Postgres(); }

absl::StatusOr<std::unique_ptr<SqlMarketingStore>> SqlMarketingStore::Open(const std::string& url,
                                                             const DatabaseOptions& options) {
  absl::StatusOr<std::unique_ptr<sql::Database>> db =
      OpenDatabase(url, SqliteMigrations(), PostgresMigrations(), options);
  if (!db.ok()) return db.status();
  return std::make_unique<SqlMarketingStore>(*std::move(db));
}

absl::StatusOr<std::unique_ptr<SqlMarketingStore>> SqlMarketingStore::OpenSqlite(const std::string& path,
                                                                   const DatabaseOptions& options) {
  return Open(absl::StrCat("sqlite:", path), options);
}

absl::Status SqlMarketingStore::Run(absl::FunctionRef<absl::Status(MarketingTx&)> work) {
  return sql::RunTransaction<SqlMarketingTx>(*db_, work);
}

absl::Status SqlMarketingStore::Read(absl::FunctionRef<absl::Status(MarketingTx&)> work) {
  return sql::RunRead<SqlMarketingTx>(*db_, work);
}

}  // namespace handoff::marketing
