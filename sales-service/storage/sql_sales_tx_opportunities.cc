// SqlSalesTx (sql_sales_tx.h): opportunities, their queues and report rows.

#include "sales-service/storage/sql_sales_tx.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace handoff::sales {

using sql::Statement;

namespace {

constexpr char kOppColumns[] =
    "seq, id, lead, email, phone, given_name, family_name, company, title, country_code,"
    " consent_email, consent_phone, consent_sms, consent_mail, do_not_contact, mkt_score,"
    " mkt_campaigns, mkt_touch_count, kind, parent_id, rep_id, unassigned_reason, acceptance,"
    " reject_reason, stage, amount_minor, currency, loss_reason, reason_text, competitor,"
    " handoff_us, accept_us, close_us, create_us, update_us, version, is_open,"
    " expected_close_us, committed, stage_us, first_touch_us, pending_since_us,"
    " accept_breached, first_touch_breached, reopen_count, mkt_first_touch_us,"
    " mkt_last_touch_us, mkt_touch_types, traceparent";
constexpr int kOppColumnCount = 48;  // without seq

// "TOUCH_TYPE_FORM_SUBMIT:3,TOUCH_TYPE_EMAIL_OPEN:1" <-> pairs (type names have no ':' or ',').
std::string JoinTallies(const std::vector<std::pair<std::string, int>>& tallies) {
  return absl::StrJoin(tallies, ",", [](std::string* out, const std::pair<std::string, int>& t) {
    absl::StrAppend(out, t.first, ":", t.second);
  });
}

std::vector<std::pair<std::string, int>> SplitTallies(const std::string& text) {
  std::vector<std::pair<std::string, int>> out;
  for (const std::string& item : SplitList(text)) {
    const std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits(':', 1));
    int count = 0;
    if (absl::SimpleAtoi(kv.second, &count)) out.emplace_back(kv.first, count);
  }
  return out;
}

Opportunity ReadOpp(const Statement& q) {
  Opportunity o;
  o.seq = q.Int(0);
  o.id = q.Text(1);
  o.lead = q.Text(2);
  o.contact = Contact{q.Text(3), q.Text(4), q.Text(5), q.Text(6), q.Text(7), q.Text(8), q.Text(9)};
  o.consent = Consent{q.Int(10) != 0, q.Int(11) != 0, q.Int(12) != 0, q.Int(13) != 0, q.Int(14) != 0};
  o.marketing.score = static_cast<int>(q.Int(15));
  o.marketing.campaigns = SplitList(q.Text(16));
  o.marketing.touch_count = static_cast<int>(q.Int(17));
  o.kind = static_cast<OpportunityKind>(q.Int(18));
  o.parent_opportunity_id = q.Text(19);
  o.rep_id = q.Text(20);
  o.unassigned_reason = q.Text(21);
  o.acceptance = static_cast<Acceptance>(q.Int(22));
  o.reject_reason = static_cast<RejectReason>(q.Int(23));
  o.stage = static_cast<Stage>(q.Int(24));
  o.amount = Money{q.Int(25), q.Text(26)};
  o.loss_reason = static_cast<LossReason>(q.Int(27));
  o.reason_text = q.Text(28);
  o.competitor = q.Text(29);
  o.handoff_time = q.OptionalTime(30);
  o.accept_time = q.OptionalTime(31);
  o.close_time = q.OptionalTime(32);
  o.create_time = q.Time(33);
  o.update_time = q.Time(34);
  o.version = q.Int(35);
  o.expected_close_time = q.OptionalTime(37);
  o.committed = q.Int(38) != 0;
  o.stage_time = q.Time(39);
  o.first_touch_time = q.OptionalTime(40);
  o.pending_since = q.Time(41);
  o.accept_breached = q.Int(42) != 0;
  o.first_touch_breached = q.Int(43) != 0;
  o.reopen_count = static_cast<int>(q.Int(44));
  o.marketing.first_touch_time = q.OptionalTime(45);
  o.marketing.last_touch_time = q.OptionalTime(46);
  o.marketing.touches_by_type = SplitTallies(q.Text(47));
  o.traceparent = q.Text(48);
  return o;
}

void BindOpp(Statement& q, const Opportunity& o) {
  q.Bind(1, o.id)
      .Bind(2, o.lead)
      .Bind(3, o.contact.email)
      .Bind(4, o.contact.phone)
      .Bind(5, o.contact.given_name)
      .Bind(6, o.contact.family_name)
      .Bind(7, o.contact.company)
      .Bind(8, o.contact.title)
      .Bind(9, o.contact.country_code)
      .Bind(10, int64_t{o.consent.email})
      .Bind(11, int64_t{o.consent.phone})
      .Bind(12, int64_t{o.consent.sms})
      .Bind(13, int64_t{o.consent.mail})
      .Bind(14, int64_t{o.consent.do_not_contact})
      .Bind(15, int64_t{o.marketing.score})
      .Bind(16, absl::StrJoin(o.marketing.campaigns, ","))
      .Bind(17, int64_t{o.marketing.touch_count})
      .Bind(18, int64_t{static_cast<int>(o.kind)})
      .Bind(19, o.parent_opportunity_id)
      .Bind(20, o.rep_id)
      .Bind(21, o.unassigned_reason)
      .Bind(22, int64_t{static_cast<int>(o.acceptance)})
      .Bind(23, int64_t{static_cast<int>(o.reject_reason)})
      .Bind(24, int64_t{static_cast<int>(o.stage)})
      .Bind(25, o.amount.amount_minor)
      .Bind(26, o.amount.currency)
      .Bind(27, int64_t{static_cast<int>(o.loss_reason)})
      .Bind(28, o.reason_text)
      .Bind(29, o.competitor);
  q.BindOptionalTime(30, o.handoff_time).BindOptionalTime(31, o.accept_time).BindOptionalTime(32, o.close_time);
  q.BindTime(33, o.create_time).BindTime(34, o.update_time).Bind(35, o.version).Bind(36, int64_t{o.is_open()});
  q.BindOptionalTime(37, o.expected_close_time)
      .Bind(38, int64_t{o.committed})
      .BindTime(39, o.stage_time)
      .BindOptionalTime(40, o.first_touch_time)
      .BindTime(41, o.pending_since)
      .Bind(42, int64_t{o.accept_breached})
      .Bind(43, int64_t{o.first_touch_breached})
      .Bind(44, int64_t{o.reopen_count})
      .BindOptionalTime(45, o.marketing.first_touch_time)
      .BindOptionalTime(46, o.marketing.last_touch_time)
      .Bind(47, JoinTallies(o.marketing.touches_by_type))
      .Bind(48, o.traceparent);
}

}  // namespace

absl::StatusOr<Opportunity> SqlSalesTx::GetOpportunity(const std::string& id) {
  absl::StatusOr<Statement> q =
      tx_.Prepare(absl::StrCat("SELECT ", kOppColumns, " FROM opportunities WHERE id = ?"));
  if (!q.ok()) return q.status();
  q->Bind(1, id);
  return sql::ReadOne<Opportunity>(*q, ReadOpp, absl::StrCat("opportunities/", id));
}

absl::Status SqlSalesTx::InsertOpportunity(const Opportunity& o) {
  std::string placeholders = "?";
  for (int i = 1; i < kOppColumnCount; ++i) placeholders += ",?";
  absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
      "INSERT INTO opportunities(", std::string(kOppColumns).substr(5), ") VALUES(",
      placeholders, ")"));
  if (!q.ok()) return q.status();
  BindOpp(*q, o);
  return q->Run();
}

absl::Status SqlSalesTx::UpdateOpportunity(const Opportunity& o) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "UPDATE opportunities SET lead = ?2, email = ?3, phone = ?4, given_name = ?5,"
      " family_name = ?6, company = ?7, title = ?8, country_code = ?9, consent_email = ?10,"
      " consent_phone = ?11, consent_sms = ?12, consent_mail = ?13, do_not_contact = ?14,"
      " mkt_score = ?15, mkt_campaigns = ?16, mkt_touch_count = ?17, kind = ?18,"
      " parent_id = ?19, rep_id = ?20, unassigned_reason = ?21, acceptance = ?22,"
      " reject_reason = ?23, stage = ?24, amount_minor = ?25, currency = ?26,"
      " loss_reason = ?27, reason_text = ?28, competitor = ?29, handoff_us = ?30,"
      " accept_us = ?31, close_us = ?32, create_us = ?33, update_us = ?34, version = ?35,"
      " is_open = ?36, expected_close_us = ?37, committed = ?38, stage_us = ?39,"
      " first_touch_us = ?40, pending_since_us = ?41, accept_breached = ?42,"
      " first_touch_breached = ?43, reopen_count = ?44, mkt_first_touch_us = ?45,"
      " mkt_last_touch_us = ?46, mkt_touch_types = ?47, traceparent = ?48 WHERE id = ?1");
  if (!q.ok()) return q.status();
  BindOpp(*q, o);
  return sql::RunOnOneRow(tx_, *q, absl::StrCat("opportunities/", o.id));
}

absl::StatusOr<Page<Opportunity>> SqlSalesTx::ListOpportunities(const OpportunityFilter& f, int64_t after,
                                                                int limit) {
  absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
      "SELECT ", kOppColumns, " FROM opportunities WHERE ",
      f.sync.by_update_time ? "(update_us > ?7 OR (update_us = ?7 AND seq > ?1))" : "seq > ?1",
      " AND update_us >= ?6 AND (?2 = '' OR rep_id = ?2)"
      " AND (?3 = 0 OR stage = ?3) AND (?4 = '' OR lead = ?4) ORDER BY ",
      f.sync.by_update_time ? "update_us, seq" : "seq", " LIMIT ?5"));
  if (!q.ok()) return q.status();
  q->Bind(6, f.sync.min_update_us);
  if (f.sync.by_update_time) q->Bind(7, f.sync.after_update_us);
  q->Bind(1, after)
      .Bind(2, f.rep_id)
      .Bind(3, int64_t{static_cast<int>(f.stage)})
      .Bind(4, f.lead)
      .Bind(5, int64_t{limit + 1});
  return sql::ReadPage<Opportunity>(*q, limit, ReadOpp);
}

absl::StatusOr<std::optional<Opportunity>> SqlSalesTx::FindOpenForLead(const std::string& lead) {
  absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
      "SELECT ", kOppColumns,
      " FROM opportunities WHERE lead = ? AND is_open = 1 ORDER BY seq LIMIT 1"));
  if (!q.ok()) return q.status();
  q->Bind(1, lead);
  return sql::ReadOptional<Opportunity>(*q, ReadOpp);
}

absl::StatusOr<int> SqlSalesTx::UpdateConsentForLead(const std::string& lead, const Consent& c) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "UPDATE opportunities SET consent_email = ?, consent_phone = ?, consent_sms = ?,"
      " consent_mail = ?, do_not_contact = ?, version = version + 1 WHERE lead = ?");
  if (!q.ok()) return q.status();
  absl::Status s = q->Bind(1, int64_t{c.email})
                       .Bind(2, int64_t{c.phone})
                       .Bind(3, int64_t{c.sms})
                       .Bind(4, int64_t{c.mail})
                       .Bind(5, int64_t{c.do_not_contact})
                       .Bind(6, lead)
                       .Run();
  if (!s.ok()) return s;
  return static_cast<int>(tx_.Changes());
}

absl::StatusOr<int> SqlSalesTx::UpdateContactForLead(const std::string& lead, const Contact& c) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "UPDATE opportunities SET email = ?, phone = ?, given_name = ?, family_name = ?, company = ?,"
      " title = ?, country_code = ?, version = version + 1 WHERE lead = ?");
  if (!q.ok()) return q.status();
  absl::Status s = q->Bind(1, c.email)
                       .Bind(2, c.phone)
                       .Bind(3, c.given_name)
                       .Bind(4, c.family_name)
                       .Bind(5, c.company)
                       .Bind(6, c.title)
                       .Bind(7, c.country_code)
                       .Bind(8, lead)
                       .Run();
  if (!s.ok()) return s;
  return static_cast<int>(tx_.Changes());
}

absl::StatusOr<std::vector<std::string>> SqlSalesTx::EraseLead(const std::string& lead,
                                                              int* opportunities) {
  std::vector<std::string> removed;
  {
    absl::StatusOr<Statement> q = tx_.Prepare(
        "SELECT DISTINCT email, phone FROM opportunities WHERE lead = ?");
    if (!q.ok()) return q.status();
    q->Bind(1, lead);
    while (true) {
      absl::StatusOr<bool> row = q->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      for (int c : {0, 1}) {
        if (!q->Text(c).empty()) removed.push_back(q->Text(c));
      }
    }
  }
  for (const char* sql :
       {"UPDATE activities SET summary = '', next_step = '' WHERE opportunity_id IN"
        " (SELECT id FROM opportunities WHERE lead = ?)",
        // Close and reopen reasons may quote the person.
        "UPDATE timeline SET reason = '' WHERE kind = 2 AND opportunity_id IN"
        " (SELECT id FROM opportunities WHERE lead = ?)"}) {
    absl::StatusOr<Statement> q = tx_.Prepare(sql);
    if (!q.ok()) return q.status();
    if (absl::Status s = q->Bind(1, lead).Run(); !s.ok()) return s;
  }
  absl::StatusOr<Statement> q = tx_.Prepare(
      "UPDATE opportunities SET email = '', phone = '', given_name = '', family_name = '',"
      " company = '', title = '', consent_email = 0, consent_phone = 0, consent_sms = 0,"
      " consent_mail = 0, do_not_contact = 1, reason_text = '', version = version + 1"
      " WHERE lead = ?");
  if (!q.ok()) return q.status();
  if (absl::Status s = q->Bind(1, lead).Run(); !s.ok()) return s;
  *opportunities = static_cast<int>(tx_.Changes());
  return removed;
}

absl::StatusOr<std::vector<Opportunity>> SqlSalesTx::PendingSince(absl::Time cutoff, bool unannounced_only, int limit,
                                                                  TimeSeqCursor after) {
  return Select(
      "acceptance = 1 AND pending_since_us < ?1 AND (?2 = 0 OR accept_breached = 0)"
      " AND (pending_since_us > ?4 OR (pending_since_us = ?4 AND seq > ?5))"
      " ORDER BY pending_since_us, seq LIMIT ?3",
      {absl::ToUnixMicros(cutoff), int64_t{unannounced_only}, int64_t{limit}, after.time_us, after.seq});
}

absl::StatusOr<std::vector<Opportunity>> SqlSalesTx::UntouchedAcceptedBefore(absl::Time cutoff, bool unannounced_only,
                                                                             int limit, TimeSeqCursor after) {
  return Select(
      "acceptance = 2 AND is_open = 1 AND kind = 1 AND first_touch_us IS NULL AND accept_us < ?1"
      " AND (?2 = 0 OR first_touch_breached = 0) AND (accept_us > ?4 OR (accept_us = ?4 AND seq > ?5))"
      " ORDER BY accept_us, seq LIMIT ?3",
      {absl::ToUnixMicros(cutoff), int64_t{unannounced_only}, int64_t{limit}, after.time_us, after.seq});
}

absl::StatusOr<std::vector<Opportunity>> SqlSalesTx::UnassignedPending(int limit) {
  return Select("acceptance = 1 AND rep_id = '' ORDER BY pending_since_us LIMIT ?1",
                {int64_t{limit}});
}

absl::StatusOr<std::vector<PipelineRow>> SqlSalesTx::PipelineRows(const std::string& rep_id,
                                                                  const std::string& currency) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT rep_id, stage, COUNT(*),"
      " CAST(COALESCE(SUM(CASE WHEN currency = ?2 THEN amount_minor ELSE 0 END), 0) AS BIGINT),"
      " CAST(COALESCE(SUM(CASE WHEN stage = 6 THEN close_us - create_us ELSE 0 END), 0) AS BIGINT)"
      " FROM opportunities WHERE acceptance <> 3 AND (?1 = '' OR rep_id = ?1)"
      " GROUP BY rep_id, stage");
  if (!q.ok()) return q.status();
  q->Bind(1, rep_id).Bind(2, currency);
  return sql::ReadAll<PipelineRow>(*q, [](const Statement& r) {
    return PipelineRow{r.Text(0), static_cast<Stage>(r.Int(1)), r.Int(2), r.Int(3), r.Int(4)};
  });
}

absl::StatusOr<std::vector<OpenPipelineLine>> SqlSalesTx::OpenPipeline() {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT stage, currency, COUNT(*), CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT)"
      " FROM opportunities WHERE stage < 6 AND acceptance <> 3 GROUP BY stage, currency");
  if (!q.ok()) return q.status();
  return sql::ReadAll<OpenPipelineLine>(*q, [](const Statement& r) {
    return OpenPipelineLine{static_cast<Stage>(r.Int(0)), r.Text(1), r.Int(2), r.Int(3)};
  });
}

absl::StatusOr<std::vector<ForecastRow>> SqlSalesTx::ForecastRows(const std::string& rep_id,
                                                                  const std::string& currency,
                                                                  absl::Time start, absl::Time end) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT rep_id, stage, COUNT(*),"
      " CAST(COALESCE(SUM(CASE WHEN currency = ?2 THEN amount_minor ELSE 0 END), 0) AS BIGINT),"
      " CAST(COALESCE(SUM(CASE WHEN currency = ?2 AND committed = 1 THEN amount_minor ELSE 0 END), 0) AS BIGINT)"
      " FROM opportunities WHERE (?1 = '' OR rep_id = ?1) AND"
      " ((stage = 6 AND close_us >= ?3 AND close_us < ?4) OR"
      "  (is_open = 1 AND expected_close_us >= ?3 AND expected_close_us < ?4))"
      " GROUP BY rep_id, stage");
  if (!q.ok()) return q.status();
  q->Bind(1, rep_id).Bind(2, currency).BindTime(3, start).BindTime(4, end);
  return sql::ReadAll<ForecastRow>(*q, [](const Statement& r) {
    return ForecastRow{r.Text(0), static_cast<Stage>(r.Int(1)), r.Int(2), r.Int(3), r.Int(4)};
  });
}

// Opportunities matching `where`, whose ?1, ?2, ... are `params` in order.
absl::StatusOr<std::vector<Opportunity>> SqlSalesTx::Select(const char* where, std::initializer_list<int64_t> params) {
  absl::StatusOr<Statement> q =
      tx_.Prepare(absl::StrCat("SELECT ", kOppColumns, " FROM opportunities WHERE ", where));
  if (!q.ok()) return q.status();
  int index = 0;
  for (int64_t p : params) q->Bind(++index, p);
  return sql::ReadAll<Opportunity>(*q, ReadOpp);
}

}  // namespace handoff::sales
