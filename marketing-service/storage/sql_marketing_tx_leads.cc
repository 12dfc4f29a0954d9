// SqlMarketingTx (sql_marketing_tx.h): leads and erased contacts.

#include "marketing-service/storage/sql_marketing_tx.h"

#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace handoff::marketing {

using sql::Statement;

namespace {

// Every column of leads but seq, in the order they are bound; ReadLead reads them after
// seq in this order too (LeadColumns()).
constexpr int kLeadValueCount = 36;
constexpr const char* kLeadValueNames[kLeadValueCount] = {
    "id", "email", "phone", "given_name", "family_name", "company", "title", "country_code",
    "consent_email", "consent_phone", "consent_sms", "consent_mail", "do_not_contact", "stage", "owner",
    "score", "source_campaign_id", "merged_capture_count", "touch_count", "opportunity", "last_outcome",
    "last_outcome_reason", "won_minor", "won_currency", "ever_mql", "ever_accepted", "ever_rejected",
    "won_count", "create_us", "update_us", "version", "erased", "erase_us", "merged_into", "merge_us",
    "external_id"};

// "seq, id, email, ...": what the queries select and ReadLead reads.
const std::string& LeadColumns() {
  static const std::string* const columns =
      new std::string(absl::StrCat("seq, ", absl::StrJoin(kLeadValueNames, ", ")));
  return *columns;
}

Lead ReadLead(const Statement& q) {
  Lead l;
  l.seq = q.Int(0);
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
  l.merged_into = q.Text(34);
  l.merge_time = q.OptionalTime(35);
  l.external_id = q.Text(36);
  return l;
}

// A lead's column values but seq, in kLeadValueNames order (monostate: NULL).
using LeadRow = SqlMarketingTx::LeadRow;
using ColumnValue = LeadRow::value_type;

ColumnValue OptionalMicros(absl::Time t) {
  if (t == absl::InfinitePast()) return std::monostate();
  return absl::ToUnixMicros(t);
}

LeadRow LeadValues(const Lead& l) {
  return {l.id,
          l.contact.email,
          l.contact.phone,
          l.contact.given_name,
          l.contact.family_name,
          l.contact.company,
          l.contact.title,
          l.contact.country_code,
          int64_t{l.consent.email},
          int64_t{l.consent.phone},
          int64_t{l.consent.sms},
          int64_t{l.consent.mail},
          int64_t{l.consent.do_not_contact},
          int64_t{static_cast<int>(l.stage)},
          int64_t{static_cast<int>(l.owner)},
          int64_t{l.score},
          l.source_campaign_id,
          int64_t{l.merged_capture_count},
          int64_t{l.touch_count},
          l.opportunity,
          int64_t{static_cast<int>(l.last_outcome)},
          l.last_outcome_reason,
          l.won_revenue.amount_minor,
          l.won_revenue.currency,
          int64_t{l.ever_mql},
          int64_t{l.ever_accepted},
          int64_t{l.ever_rejected},
          int64_t{l.won_count},
          absl::ToUnixMicros(l.create_time),
          absl::ToUnixMicros(l.update_time),
          l.version,
          int64_t{l.erased},
          OptionalMicros(l.erase_time),
          l.merged_into,
          OptionalMicros(l.merge_time),
          l.external_id};
}

void BindValue(Statement& q, int index, const ColumnValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) {
    q.Bind(index, *i);
  } else if (const auto* text = std::get_if<std::string>(&v)) {
    q.Bind(index, *text);
  } else {
    q.BindNull(index);
  }
}

}  // namespace

absl::StatusOr<Lead> SqlMarketingTx::GetLead(const std::string& id) {
  absl::StatusOr<std::optional<Lead>> l = FindLeadBy("id", id);
  if (!l.ok()) return l.status();
  if (!l->has_value()) return absl::NotFoundError(absl::StrCat("leads/", id, " does not exist"));
  return **std::move(l);
}

absl::StatusOr<std::optional<Lead>> SqlMarketingTx::FindLeadByEmail(const std::string& email) {
  return FindLeadBy("email", email);
}

absl::StatusOr<std::optional<Lead>> SqlMarketingTx::FindLeadByPhone(const std::string& phone) {
  return FindLeadBy("phone", phone);
}

absl::StatusOr<std::optional<Lead>> SqlMarketingTx::FindLeadByExternalId(const std::string& external_id) {
  return FindLeadBy("external_id", external_id);
}

absl::Status SqlMarketingTx::InsertLead(const Lead& l) {
  static const std::string* const sql = new std::string(absl::StrCat(
      "INSERT INTO leads(", absl::StrJoin(kLeadValueNames, ", "), ") VALUES(",
      absl::StrJoin(std::vector<std::string>(kLeadValueCount, "?"), ","), ")"));
  absl::StatusOr<Statement> q = tx_.Prepare(*sql);
  if (!q.ok()) return q.status();
  LeadRow values = LeadValues(l);
  for (int i = 0; i < kLeadValueCount; ++i) BindValue(*q, i + 1, values[i]);
  absl::Status s = q->Run();
  if (s.ok()) stored_leads_.insert_or_assign(l.id, std::move(values));
  return s;
}

absl::Status SqlMarketingTx::UpdateLead(const Lead& l) {
  LeadRow now = LeadValues(l);
  // The columns that changed since this transaction read or wrote the row; every column
  // when it has not (or when nothing changed: the row must still be there).
  std::vector<int> set;
  if (auto stored = stored_leads_.find(l.id); stored != stored_leads_.end()) {
    for (int i = 1; i < kLeadValueCount; ++i) {  // 0 is the id
      if (now[i] != stored->second[i]) set.push_back(i);
    }
  }
  if (set.empty()) {
    for (int i = 1; i < kLeadValueCount; ++i) set.push_back(i);
  }
  std::string sql = "UPDATE leads SET ";
  for (size_t k = 0; k < set.size(); ++k) {
    absl::StrAppend(&sql, k == 0 ? "" : ", ", kLeadValueNames[set[k]], " = ?", k + 2);
  }
  absl::StrAppend(&sql, " WHERE id = ?1");
  absl::StatusOr<Statement> q = tx_.Prepare(sql);
  if (!q.ok()) return q.status();
  q->Bind(1, l.id);
  for (size_t k = 0; k < set.size(); ++k) BindValue(*q, static_cast<int>(k) + 2, now[set[k]]);
  if (absl::Status s = sql::RunOnOneRow(tx_, *q, absl::StrCat("leads/", l.id)); !s.ok()) return s;
  stored_leads_.insert_or_assign(l.id, std::move(now));
  return absl::OkStatus();
}

absl::StatusOr<Page<Lead>> SqlMarketingTx::ListLeads(const LeadFilter& f, int64_t after, int limit) {
  // By e-mail, the partial e-mail index finds the one lead; otherwise walk by seq, or by
  // (update_us, seq) over leads_by_update.
  absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
      "SELECT ", LeadColumns(), " FROM leads WHERE ",
      f.email.empty() ? "?6 = '' AND " : "email = ?6 AND email <> '' AND ",
      f.sync.by_update_time ? "(update_us > ?8 OR (update_us = ?8 AND seq > ?1))" : "seq > ?1",
      " AND update_us >= ?7 AND (?2 = 0 OR stage = ?2) AND (?3 = 0 OR owner = ?3)"
      " AND (?4 = '' OR source_campaign_id = ?4) ORDER BY ",
      f.sync.by_update_time ? "update_us, seq" : "seq", " LIMIT ?5"));
  if (!q.ok()) return q.status();
  q->Bind(7, f.sync.min_update_us);
  if (f.sync.by_update_time) q->Bind(8, f.sync.after_update_us);
  q->Bind(1, after)
      .Bind(2, int64_t{static_cast<int>(f.stage)})
      .Bind(3, int64_t{static_cast<int>(f.owner)})
      .Bind(4, f.source_campaign_id)
      .Bind(5, int64_t{limit + 1})
      .Bind(6, f.email);
  return sql::ReadPage<Lead>(*q, limit, ReadLead);
}

absl::StatusOr<int64_t> SqlMarketingTx::LastConsentChange(const std::string& lead_id) {
  absl::StatusOr<Statement> q =
      tx_.Prepare("SELECT COALESCE(MAX(seq), 0) FROM consent_changes WHERE lead_id = ?");  // consent_changes_by_lead
  if (!q.ok()) return q.status();
  q->Bind(1, lead_id);
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  return q->Int(0);
}

absl::Status SqlMarketingTx::MoveLeadRecords(const std::string& from, const std::string& to) {
  new_leads_.erase(from);
  new_leads_.erase(to);
  // A capture of the merged lead is now one more capture of the person (campaign reports
  // count it as a merged capture, no longer as a new lead).
  for (const char* sql : {"UPDATE touches SET lead_id = ?2, merged_capture = CASE WHEN touch_id LIKE 'capture:%'"
                          " THEN 1 ELSE merged_capture END WHERE lead_id = ?1",
                          "UPDATE consent_changes SET lead_id = ?2 WHERE lead_id = ?1",
                          "UPDATE outcomes SET lead_id = ?2 WHERE lead_id = ?1"}) {
    absl::StatusOr<Statement> q = tx_.Prepare(sql);
    if (!q.ok()) return q.status();
    if (absl::Status s = q->Bind(1, from).Bind(2, to).Run(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Lead>> SqlMarketingTx::LeadsMergedInto(const std::string& id) {
  absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
      "SELECT ", LeadColumns(), " FROM leads WHERE merged_into = ?1 AND merged_into <> '' ORDER BY seq"));
  if (!q.ok()) return q.status();
  q->Bind(1, id);
  return sql::ReadAll<Lead>(*q, ReadLead);
}

absl::Status SqlMarketingTx::RecordErasure(const std::string& fingerprint, absl::Time time) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "INSERT INTO erased_contacts(fingerprint, time_us) VALUES(?, ?)"
      " ON CONFLICT(fingerprint) DO UPDATE SET time_us = excluded.time_us");
  if (!q.ok()) return q.status();
  return q->Bind(1, fingerprint).BindTime(2, time).Run();
}

absl::StatusOr<bool> SqlMarketingTx::IsErased(const std::string& fingerprint) {
  absl::StatusOr<Statement> q =
      tx_.Prepare("SELECT 1 FROM erased_contacts WHERE fingerprint = ?");
  if (!q.ok()) return q.status();
  q->Bind(1, fingerprint);
  return q->Step();
}

absl::StatusOr<std::optional<Lead>> SqlMarketingTx::FindLeadBy(const char* column, const std::string& value) {
  absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
      "SELECT ", LeadColumns(), " FROM leads WHERE ", column, " = ?1 AND ", column,
      " <> '' ORDER BY seq LIMIT 1"));  // "<> ''" lets SQLite use the partial index
  if (!q.ok()) return q.status();
  q->Bind(1, value);
  absl::StatusOr<std::optional<Lead>> found = sql::ReadOptional<Lead>(*q, ReadLead);
  if (found.ok() && found->has_value()) stored_leads_.insert_or_assign((*found)->id, LeadValues(**found));
  return found;
}

absl::Status SqlMarketingTx::InsertConsentChange(const ConsentChange& c) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "INSERT INTO consent_changes(lead_id, consent_email, consent_phone, consent_sms, consent_mail,"
      " do_not_contact, source, legal_basis, time_us, recorded_by, method) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  if (!q.ok()) return q.status();
  return q->Bind(1, c.lead_id)
      .Bind(2, int64_t{c.consent.email})
      .Bind(3, int64_t{c.consent.phone})
      .Bind(4, int64_t{c.consent.sms})
      .Bind(5, int64_t{c.consent.mail})
      .Bind(6, int64_t{c.consent.do_not_contact})
      .Bind(7, c.provenance.source)
      .Bind(8, int64_t{c.provenance.legal_basis})
      .BindTime(9, c.provenance.time)
      .Bind(10, c.provenance.recorded_by)
      .Bind(11, c.method)
      .Run();
}

absl::StatusOr<Page<ConsentChange>> SqlMarketingTx::ListConsentChanges(const std::string& lead_id, int64_t after,
                                                                       int limit) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "SELECT seq, lead_id, consent_email, consent_phone, consent_sms, consent_mail, do_not_contact, source,"
      " legal_basis, time_us, recorded_by, method FROM consent_changes WHERE lead_id = ? AND seq > ?"
      " ORDER BY seq LIMIT ?");
  if (!q.ok()) return q.status();
  q->Bind(1, lead_id).Bind(2, after).Bind(3, int64_t{limit + 1});
  return sql::ReadPage<ConsentChange>(*q, limit, [](const Statement& r) {
    ConsentChange c;
    c.lead_id = r.Text(1);
    c.consent = Consent{r.Int(2) != 0, r.Int(3) != 0, r.Int(4) != 0, r.Int(5) != 0, r.Int(6) != 0};
    c.provenance.source = r.Text(7);
    c.provenance.legal_basis = static_cast<int>(r.Int(8));
    c.provenance.time = r.Time(9);
    c.provenance.recorded_by = r.Text(10);
    c.method = r.Text(11);
    return c;
  });
}

}  // namespace handoff::marketing
