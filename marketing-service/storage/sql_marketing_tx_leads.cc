// SqlMarketingTx (sql_marketing_tx.h): leads and erased contacts.

#include "marketing-service/storage/sql_marketing_tx.h"

#include "absl/strings/str_cat.h"

namespace handoff::marketing {

using sql::Statement;

namespace {

constexpr char kLeadColumns[] =
    "seq, id, email, phone, given_name, family_name, company, title, country_code,"
    " consent_email, consent_phone, consent_sms, consent_mail, do_not_contact, stage, owner,"
    " score, source_campaign_id, merged_capture_count, touch_count, opportunity, last_outcome,"
    " last_outcome_reason, won_minor, won_currency, ever_mql, ever_accepted, ever_rejected,"
    " won_count, create_us, update_us, version, erased, erase_us, merged_into, merge_us, external_id";

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
  q.Bind(34, l.merged_into);
  q.BindOptionalTime(35, l.merge_time);
  q.Bind(36, l.external_id);
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
      "INSERT INTO leads(", std::string(kLeadColumns).substr(5),
      ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  absl::StatusOr<Statement> q = tx_.Prepare(*sql);
  if (!q.ok()) return q.status();
  BindLead(*q, l);
  return q->Run();
}

absl::Status SqlMarketingTx::UpdateLead(const Lead& l) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "UPDATE leads SET email = ?2, phone = ?3, given_name = ?4, family_name = ?5,"
      " company = ?6, title = ?7, country_code = ?8, consent_email = ?9, consent_phone = ?10,"
      " consent_sms = ?11, consent_mail = ?12, do_not_contact = ?13, stage = ?14, owner = ?15,"
      " score = ?16, source_campaign_id = ?17, merged_capture_count = ?18, touch_count = ?19,"
      " opportunity = ?20, last_outcome = ?21, last_outcome_reason = ?22, won_minor = ?23,"
      " won_currency = ?24, ever_mql = ?25, ever_accepted = ?26, ever_rejected = ?27,"
      " won_count = ?28, create_us = ?29, update_us = ?30, version = ?31, erased = ?32,"
      " erase_us = ?33, merged_into = ?34, merge_us = ?35, external_id = ?36 WHERE id = ?1");
  if (!q.ok()) return q.status();
  BindLead(*q, l);
  return sql::RunOnOneRow(tx_, *q, absl::StrCat("leads/", l.id));
}

absl::StatusOr<Page<Lead>> SqlMarketingTx::ListLeads(const LeadFilter& f, int64_t after, int limit) {
  // By e-mail, the partial e-mail index finds the one lead; otherwise walk by seq, or by
  // (update_us, seq) over leads_by_update.
  absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
      "SELECT ", kLeadColumns, " FROM leads WHERE ",
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
      "SELECT ", kLeadColumns, " FROM leads WHERE merged_into = ?1 AND merged_into <> '' ORDER BY seq"));
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
      "SELECT ", kLeadColumns, " FROM leads WHERE ", column, " = ?1 AND ", column,
      " <> '' ORDER BY seq LIMIT 1"));  // "<> ''" lets SQLite use the partial index
  if (!q.ok()) return q.status();
  q->Bind(1, value);
  return sql::ReadOptional<Lead>(*q, ReadLead);
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
