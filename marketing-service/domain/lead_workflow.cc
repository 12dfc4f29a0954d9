#include "marketing-service/domain/lead_workflow.h"

#include <algorithm>
#include <iterator>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/call_identity.h"
#include "common/contact_fingerprint.h"
#include "common/error_details.h"
#include "common/ids.h"
#include "common/validation.h"
#include "marketing-service/domain/campaign_report.h"
#include "marketing-service/domain/contact_rules.h"
#include "marketing-service/domain/lifecycle.h"

namespace handoff::marketing {
namespace {

// A campaign that exists and can still collect leads and touches.
absl::Status CheckCampaignOpen(MarketingTx& tx, const std::string& campaign_id) {
  absl::StatusOr<Campaign> c = tx.GetCampaign(campaign_id);
  if (!c.ok()) return c.status();
  if (c->state == CampaignState::kArchived) {
    return WithReason(absl::FailedPreconditionError(
        absl::StrCat("campaigns/", campaign_id, " is archived and takes no leads or touches")), reason::kCampaignArchived, absl::StrCat("campaigns/", campaign_id));
  }
  return absl::OkStatus();
}

// An erased lead is an anonymous record: nothing may bring it back into the funnel or
// reach the person through it. The person returns only through a fresh capture with
// consent, which makes a new lead.
absl::Status CheckNotErased(const Lead& lead, absl::string_view action) {
  if (!lead.erased) return absl::OkStatus();
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
      "leads/", lead.id, " was erased at the person's request; it cannot be ", action,
      ". Capture the person again with fresh consent (a new lead)")), reason::kLeadErased, absl::StrCat("leads/", lead.id));
}

// A lead merged into another is a pointer to it: changes go to the lead kept.
absl::Status CheckNotMerged(const Lead& lead) {
  if (lead.merged_into.empty()) return absl::OkStatus();
  const std::string kept = absl::StrCat("leads/", lead.merged_into);
  return WithReason(absl::FailedPreconditionError(absl::StrCat("leads/", lead.id, " was merged into ", kept,
                                                               " (the same person); use ", kept)),
                    reason::kLeadMerged, kept);
}

// The lead itself, or the lead it was merged into.
absl::StatusOr<Lead> FollowMerge(MarketingTx& tx, Lead lead) {
  if (lead.merged_into.empty()) return lead;
  return tx.GetLead(lead.merged_into);
}

constexpr TouchType kOutbound[] = {TouchType::kEmailSent, TouchType::kMailSent, TouchType::kSmsSent,
                                   TouchType::kCallMade};

bool IsOutbound(TouchType t) {
  return std::find(std::begin(kOutbound), std::end(kOutbound), t) != std::end(kOutbound);
}

// The consent an outbound touch needs: its flag and its name in the API.
std::pair<bool, const char*> ConsentFor(TouchType t, const Consent& c) {
  switch (t) {
    case TouchType::kMailSent: return {c.mail, "consent.mail"};
    case TouchType::kSmsSent: return {c.sms, "consent.sms"};
    case TouchType::kCallMade: return {c.phone, "consent.phone"};
    default: return {c.email, "consent.email"};
  }
}

}  // namespace

absl::Status LeadWorkflow::MoveStage(MarketingTx& tx, Lead& lead, LifecycleStage to,
                                     absl::Time now, const std::string& reason) const {
  if (!CanMoveStage(lead.stage, to)) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
        "leads/", lead.id, " cannot move from ", StageName(lead.stage), " to ", StageName(to))), reason::kStageTransitionInvalid, absl::StrCat("leads/", lead.id));
  }
  lead.stage = to;
  return tx.AppendStageChange(lead.id, StageChange{to, now, reason});
}

absl::StatusOr<bool> LeadWorkflow::Engage(MarketingTx& tx, Lead& lead, absl::Time now,
                                          const std::string& why) const {
  if (lead.stage != LifecycleStage::kSubscriber) return false;
  if (absl::Status s = MoveStage(tx, lead, LifecycleStage::kLead, now, why); !s.ok()) return s;
  if (absl::Status s = events_.Record(tx, LeadEventType::kEngaged, lead); !s.ok()) return s;
  return true;
}

absl::Status LeadWorkflow::PromoteToMql(MarketingTx& tx, Lead& lead, absl::Time now,
                                        const std::string& reason, std::vector<TouchAt> touches) const {
  if (absl::Status s = MoveStage(tx, lead, LifecycleStage::kMql, now, reason); !s.ok()) return s;
  lead.owner = Owner::kSalesPending;
  lead.ever_mql = true;
  absl::StatusOr<std::vector<std::string>> campaigns = tx.TouchedCampaigns(lead.id);
  if (!campaigns.ok()) return campaigns.status();
  return sales_.QueueHandoff(tx, HandoffNotice{lead, *std::move(campaigns), now, std::move(touches)});
}

absl::Status LeadWorkflow::TellSales(MarketingTx& tx, const Lead& lead,
                                     absl::Status (SalesGateway::*queue)(UnitOfWork&, const Lead&),
                                     bool skip_lead) const {
  if (lead.ever_mql && !skip_lead) {
    if (absl::Status s = (sales_.*queue)(tx, lead); !s.ok()) return s;
  }
  absl::StatusOr<std::vector<Lead>> merged = tx.LeadsMergedInto(lead.id);
  if (!merged.ok()) return merged.status();
  for (const Lead& m : *merged) {
    if (!m.ever_mql) continue;
    Lead as_known = lead;  // the person, under the name sales was handed
    as_known.id = m.id;
    if (absl::Status s = (sales_.*queue)(tx, as_known); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status LeadWorkflow::Save(MarketingTx& tx, Lead& lead, absl::Time now, LeadEventType type,
                                bool handed_off, bool is_new) const {
  lead.update_time = now;
  ++lead.version;
  if (absl::Status s = is_new ? tx.InsertLead(lead) : tx.UpdateLead(lead); !s.ok()) return s;
  if (absl::Status s = events_.Record(tx, type, lead); !s.ok()) return s;
  if (handed_off) return events_.Record(tx, LeadEventType::kHandedOff, lead);
  return absl::OkStatus();
}

absl::Status LeadWorkflow::Rescore(MarketingTx& tx, Lead& lead, absl::Time now,
                                   bool* handed_off, ScoreInputs* scored) const {
  absl::StatusOr<ScoringPolicy> policy = CurrentPolicy(tx);
  if (!policy.ok()) return policy.status();
  absl::StatusOr<std::vector<TouchAt>> touches = tx.TouchHistory(lead.id);
  if (!touches.ok()) return touches.status();
  lead.score = ComputeScore(*policy, *touches, lead.contact, now).score;
  // Automatic qualification only for leads marketing has never handed off; recycled leads
  // and customers come back through QualifyLead, so a past high score does not bounce them
  // straight back to sales.
  const bool fresh = lead.stage == LifecycleStage::kSubscriber || lead.stage == LifecycleStage::kLead;
  absl::Status promoted;
  if (fresh && !lead.erased && lead.owner == Owner::kMarketing && lead.score >= policy->mql_threshold) {
    *handed_off = true;
    promoted = PromoteToMql(tx, lead, now,
                            absl::StrCat("score ", lead.score, " reached threshold ",
                                         policy->mql_threshold, " (scoring policy v",
                                         policy->version, ")"),
                            scored != nullptr ? *touches : *std::move(touches));
  }
  if (scored != nullptr) *scored = ScoreInputs{*std::move(policy), *std::move(touches)};
  return promoted;
}

absl::StatusOr<CaptureResult> LeadWorkflow::Capture(MarketingTx& tx, const CaptureInput& in) const {
  absl::StatusOr<Contact> contact = NormalizeContact(in.contact);
  if (!contact.ok()) return contact.status();
  CaptureResult result;
  result.campaign_id = in.campaign_id;
  if (!result.campaign_id.empty()) {
    if (absl::Status s = CheckCampaignOpen(tx, result.campaign_id); !s.ok()) return s;
  } else if (!in.utm.campaign.empty()) {
    const UtmCodes utm{absl::AsciiStrToLower(absl::StripAsciiWhitespace(in.utm.source)),
                       absl::AsciiStrToLower(absl::StripAsciiWhitespace(in.utm.medium)),
                       absl::AsciiStrToLower(absl::StripAsciiWhitespace(in.utm.campaign))};
    absl::StatusOr<std::optional<Campaign>> by_utm = tx.FindCampaignByUtm(utm);
    if (!by_utm.ok()) return by_utm.status();
    // Codes of no (or an archived) campaign must not lose the lead: capture without one.
    if (by_utm->has_value() && (*by_utm)->state != CampaignState::kArchived) {
      result.campaign_id = (*by_utm)->id;
    }
  }
  if (absl::Status s = ValidateExternalId(in.external_id, "external_id"); !s.ok()) return s;
  const absl::Time now = TimeOr(in.time);
  std::optional<Lead> existing;
  // The person's lead: by the caller's own id first (it names the lead whatever the
  // contact), then by e-mail, then by phone.
  for (const auto& [value, find, key] :
       {std::tuple{&in.external_id, &MarketingTx::FindLeadByExternalId, "external_id"},
        std::tuple{&std::as_const(contact->email), &MarketingTx::FindLeadByEmail, "email"},
        std::tuple{&std::as_const(contact->phone), &MarketingTx::FindLeadByPhone, "phone"}}) {
    if (existing || value->empty()) continue;
    absl::StatusOr<std::optional<Lead>> found = (tx.*find)(*value);
    if (!found.ok()) return found.status();
    if (!found->has_value()) continue;
    absl::StatusOr<Lead> person = FollowMerge(tx, **found);
    if (!person.ok()) return person.status();
    existing = *std::move(person);
    result.matched_on = key;
  }
  Lead lead;
  if (!existing) {
    // A person who had their data erased comes back only with fresh consent.
    const bool grants = in.consent.email || in.consent.phone || in.consent.sms || in.consent.mail;
    for (const std::string* value : {&contact->email, &contact->phone}) {
      if (value->empty()) continue;
      absl::StatusOr<bool> erased = tx.IsErased(ContactFingerprint(*value));
      if (!erased.ok()) return erased.status();
      if (*erased && (!grants || in.consent.do_not_contact)) {
        return WithReason(absl::FailedPreconditionError(
            "this person's data was erased at their request; capture them again only with "
            "fresh consent (consent.email, consent.phone, consent.sms or consent.mail)"), reason::kPersonErased);
      }
    }
  }
  if (existing && !in.external_id.empty() && result.matched_on != "external_id") {
    if (!existing->external_id.empty()) {
      const std::string name = absl::StrCat("leads/", existing->id);
      return WithReason(absl::FailedPreconditionError(absl::StrCat(
                            name, " has this ", result.matched_on, " and external_id ", Quote(existing->external_id),
                            ", not ", Quote(in.external_id), ": the caller's system has two records of one person")),
                        reason::kExternalIdConflict, name);
    }
    existing->external_id = in.external_id;  // the person's lead takes the caller's id
  }
  Consent consent_before;  // a new lead starts with none
  if (existing) {
    lead = *std::move(existing);
    consent_before = lead.consent;
    result.merged = true;
    FillGaps(lead.contact, *contact);
    lead.consent.email |= in.consent.email;
    lead.consent.phone |= in.consent.phone;
    lead.consent.sms |= in.consent.sms;
    lead.consent.mail |= in.consent.mail;
    lead.consent.do_not_contact |= in.consent.do_not_contact;
    ++lead.merged_capture_count;
    if (lead.source_campaign_id.empty()) lead.source_campaign_id = result.campaign_id;
    if (!in.subscribe_only) {
      absl::StatusOr<bool> engaged = Engage(tx, lead, now, "captured with a buying signal");
      if (!engaged.ok()) return engaged.status();
    }
  } else {
    lead.id = NewId();
    lead.external_id = in.external_id;
    lead.contact = *contact;
    lead.consent = in.consent;
    lead.stage = in.subscribe_only ? LifecycleStage::kSubscriber : LifecycleStage::kLead;
    lead.owner = Owner::kMarketing;
    lead.source_campaign_id = result.campaign_id;
    lead.create_time = now;
    // The lead's row is inserted once, by Save, when its score and stage are known.
    if (absl::Status s = tx.AppendFirstStage(
            lead.id, {lead.stage, now, in.subscribe_only ? "subscribed" : "captured"});
        !s.ok()) {
      return s;
    }
  }
  if (lead.consent != consent_before) {
    if (absl::Status s = RecordConsent(tx, lead, "LeadService/CaptureLead", {}); !s.ok()) return s;
  }
  absl::StatusOr<bool> inserted = tx.InsertTouch(Touch{
      absl::StrCat("capture:", in.capture_id), lead.id, result.campaign_id, TouchType::kFormSubmit,
      result.merged, now});
  if (!inserted.ok()) return inserted.status();
  if (*inserted) ++lead.touch_count;
  bool handed_off = false;
  if (absl::Status s = Rescore(tx, lead, now, &handed_off, &result.scored); !s.ok()) return s;
  if (absl::Status s = Save(tx, lead, now,
                            result.merged ? LeadEventType::kMerged : LeadEventType::kCaptured,
                            handed_off, /*is_new=*/!result.merged);
      !s.ok()) {
    return s;
  }
  result.lead = std::move(lead);
  return result;
}

absl::StatusOr<TouchResult> LeadWorkflow::RecordTouch(MarketingTx& tx, const TouchInput& in) const {
  const int type = static_cast<int>(in.type);
  if (type <= 0 || type > kTouchTypeMax) {
    return absl::InvalidArgumentError("touch_type is required (TOUCH_TYPE_EMAIL_OPENED, ...)");
  }
  if (in.touch_id.empty() || in.touch_id.size() > 128) {
    return absl::InvalidArgumentError("touch_id must be 1 to 128 characters");
  }
  absl::StatusOr<Lead> lead = tx.GetLead(in.lead_id);
  if (!lead.ok()) return lead.status();
  if (absl::Status s = CheckNotMerged(*lead); !s.ok()) return s;
  if (absl::Status s = CheckNotErased(*lead, "touched"); !s.ok()) return s;
  if (!in.campaign_id.empty()) {
    if (absl::Status s = CheckCampaignOpen(tx, in.campaign_id); !s.ok()) return s;
  }
  if (IsOutbound(in.type)) {
    if (lead->stage == LifecycleStage::kDisqualified) {
      return WithReason(absl::FailedPreconditionError(
          absl::StrCat("leads/", lead->id, " is disqualified; marketing sends it nothing")), reason::kLeadDisqualified, absl::StrCat("leads/", lead->id));
    }
    if (lead->owner != Owner::kMarketing) {
      return WithReason(absl::FailedPreconditionError(absl::StrCat(
          "leads/", lead->id, " is owned by sales; marketing sends no promotional outreach "
          "while a deal is open")), reason::kOwnedBySales, absl::StrCat("leads/", lead->id));
    }
    if (lead->consent.do_not_contact) {
      return WithReason(absl::FailedPreconditionError(
          absl::StrCat("leads/", lead->id, " asked not to be contacted (do_not_contact)")), reason::kDoNotContact, absl::StrCat("leads/", lead->id));
    }
    const auto [allowed, consent] = ConsentFor(in.type, lead->consent);
    if (!allowed) {
      return WithReason(absl::FailedPreconditionError(absl::StrCat(
          "leads/", lead->id, " has not consented to ", TouchTypeName(in.type), " (", consent, ")")), reason::kConsentMissing, absl::StrCat("leads/", lead->id));
    }
  }
  const absl::Time now = TimeOr(in.time);
  if (IsOutbound(in.type)) {
    absl::StatusOr<int64_t> recent = tx.CountTouchesBetween(
        lead->id, {std::begin(kOutbound), std::end(kOutbound)}, now - outreach_.window, now);
    if (!recent.ok()) return recent.status();
    if (*recent >= outreach_.max_outbound) {
      return WithReason(absl::FailedPreconditionError(absl::StrCat(
          "leads/", lead->id, " already had ", *recent, " outbound touches within ",
          absl::FormatDuration(outreach_.window), " (cap ", outreach_.max_outbound,
          " per person across all campaigns); try again later")), reason::kOutboundCapReached, absl::StrCat("leads/", lead->id));
    }
  }
  absl::StatusOr<bool> inserted = tx.InsertTouch(
      Touch{in.touch_id, lead->id, in.campaign_id, in.type, false, now});
  if (!inserted.ok()) return inserted.status();
  TouchResult result;
  if (!*inserted) {
    result.duplicate = true;
    result.lead = *std::move(lead);
    return result;
  }
  ++lead->touch_count;
  if (!IsOutbound(in.type)) {
    absl::StatusOr<bool> engaged =
        Engage(tx, *lead, now, absl::StrCat("engaged: ", TouchTypeName(in.type)));
    if (!engaged.ok()) return engaged.status();
  }
  bool handed_off = false;
  if (absl::Status s = Rescore(tx, *lead, clock_.Now(), &handed_off, &result.scored.emplace()); !s.ok()) {
    return s;
  }
  if (absl::Status s = Save(tx, *lead, clock_.Now(), LeadEventType::kTouched, handed_off); !s.ok()) {
    return s;
  }
  result.lead = *std::move(lead);
  return result;
}

absl::StatusOr<Lead> LeadWorkflow::Qualify(MarketingTx& tx, const std::string& lead_id,
                                           const std::string& reason) const {
  if (reason.size() > 1000) return absl::InvalidArgumentError("reason is longer than 1000 characters");
  absl::StatusOr<Lead> lead = tx.GetLead(lead_id);
  if (!lead.ok()) return lead.status();
  if (absl::Status s = CheckNotMerged(*lead); !s.ok()) return s;
  if (absl::Status s = CheckNotErased(*lead, "qualified"); !s.ok()) return s;
  if (lead->owner != Owner::kMarketing) {
    return WithReason(absl::FailedPreconditionError(
        absl::StrCat("leads/", lead_id, " is already with sales")), reason::kOwnedBySales, absl::StrCat("leads/", lead_id));
  }
  const absl::Time now = clock_.Now();
  absl::StatusOr<std::vector<TouchAt>> touches = tx.TouchHistory(lead->id);
  if (!touches.ok()) return touches.status();
  if (absl::Status s = PromoteToMql(tx, *lead, now,
                                    reason.empty() ? "qualified by hand" : absl::StrCat("qualified by hand: ", reason),
                                    *std::move(touches));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Save(tx, *lead, now, LeadEventType::kHandedOff, false); !s.ok()) return s;
  return lead;
}

absl::StatusOr<Lead> LeadWorkflow::Disqualify(MarketingTx& tx, const std::string& lead_id,
                                              const std::string& reason) const {
  if (reason.empty() || reason.size() > 1000) {
    return absl::InvalidArgumentError("reason must be 1 to 1000 characters");
  }
  absl::StatusOr<Lead> lead = tx.GetLead(lead_id);
  if (!lead.ok()) return lead.status();
  if (absl::Status s = CheckNotMerged(*lead); !s.ok()) return s;
  if (lead->owner != Owner::kMarketing) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
        "leads/", lead_id, " is with sales; sales rejects it (RejectOpportunity) instead")), reason::kOwnedBySales, absl::StrCat("leads/", lead_id));
  }
  const absl::Time now = clock_.Now();
  if (absl::Status s = MoveStage(tx, *lead, LifecycleStage::kDisqualified, now,
                                 absl::StrCat("disqualified: ", reason));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Save(tx, *lead, now, LeadEventType::kDisqualified, false); !s.ok()) return s;
  return lead;
}

absl::Status LeadWorkflow::RecordConsent(MarketingTx& tx, const Lead& lead, absl::string_view method,
                                         ConsentProvenance provenance) const {
  if (provenance.source.empty()) provenance.source = std::string(method.substr(method.find('/') + 1));
  if (provenance.time == absl::InfinitePast()) provenance.time = clock_.Now();
  const CallIdentity& who = CurrentCallIdentity();
  provenance.recorded_by = who.actor.empty() ? who.principal : who.actor;
  return tx.InsertConsentChange({lead.id, lead.consent, std::move(provenance), std::string(method)});
}

absl::StatusOr<Lead> LeadWorkflow::UpdateConsent(MarketingTx& tx, const std::string& lead_id, const Consent& consent,
                                                 const ConsentProvenance& provenance) const {
  if (absl::Status s = ValidateLength(provenance.source, 200, "provenance.source"); !s.ok()) return s;
  if (provenance.legal_basis < 0 || provenance.legal_basis > kLegalBasisMax) {
    return absl::InvalidArgumentError("provenance.legal_basis is not a valid LegalBasis");
  }
  if (provenance.time != absl::InfinitePast() && provenance.time > clock_.Now() + absl::Minutes(5)) {
    return absl::InvalidArgumentError("provenance.time is in the future");
  }
  absl::StatusOr<Lead> lead = tx.GetLead(lead_id);
  if (!lead.ok()) return lead.status();
  if (absl::Status s = CheckNotMerged(*lead); !s.ok()) return s;
  if (absl::Status s = CheckNotErased(*lead, "given consent"); !s.ok()) return s;
  lead->consent = consent;
  if (absl::Status s = RecordConsent(tx, *lead, "LeadService/UpdateConsent", provenance); !s.ok()) return s;
  if (absl::Status s = Save(tx, *lead, clock_.Now(), LeadEventType::kConsentChanged, false); !s.ok()) {
    return s;
  }
  if (absl::Status s = TellSales(tx, *lead, &SalesGateway::QueueConsentChange, false); !s.ok()) return s;
  return lead;
}

const std::vector<std::string>& ContactFieldNames() {
  static const std::vector<std::string> names = {"email",   "phone", "given_name",  "family_name",
                                                 "company", "title", "country_code"};
  return names;
}

namespace {

std::string* ContactField(Contact& c, absl::string_view name) {
  if (name == "email") return &c.email;
  if (name == "phone") return &c.phone;
  if (name == "given_name") return &c.given_name;
  if (name == "family_name") return &c.family_name;
  if (name == "company") return &c.company;
  if (name == "title") return &c.title;
  if (name == "country_code") return &c.country_code;
  return nullptr;
}

}  // namespace

absl::StatusOr<Lead> LeadWorkflow::UpdateContact(MarketingTx& tx, const std::string& lead_id,
                                                 const ContactPatch& patch) const {
  absl::StatusOr<Lead> lead = tx.GetLead(lead_id);
  if (!lead.ok()) return lead.status();
  const std::string name = absl::StrCat("leads/", lead_id);
  if (absl::Status s = CheckNotMerged(*lead); !s.ok()) return s;
  if (absl::Status s = CheckNotErased(*lead, "corrected"); !s.ok()) return s;
  if (!patch.etag.empty() && patch.etag != EtagOf(lead->version)) {
    return WithReason(absl::AbortedError(absl::StrCat(name, " changed since etag ", patch.etag,
                                                      " was read; get it again and retry")),
                      reason::kStaleEtag, name);
  }
  Contact wanted = lead->contact;
  Contact given = patch.contact;
  for (const std::string& field : patch.fields) {
    std::string* to = ContactField(wanted, field);
    if (to == nullptr) return absl::InvalidArgumentError(absl::StrCat("update_mask: unknown contact field ", field));
    *to = *ContactField(given, field);
  }
  absl::StatusOr<Contact> contact = NormalizeContact(wanted);
  if (!contact.ok()) return contact.status();
  // One record per person: an e-mail or phone another lead has makes the two one person.
  const bool grants = lead->consent.email || lead->consent.phone || lead->consent.sms || lead->consent.mail;
  std::vector<Lead> releasing;  // leads merged into this one that give up the value
  for (const auto& [value, old, find, field] :
       {std::tuple{contact->email, lead->contact.email, &MarketingTx::FindLeadByEmail, &Contact::email},
        std::tuple{contact->phone, lead->contact.phone, &MarketingTx::FindLeadByPhone, &Contact::phone}}) {
    if (value.empty() || value == old) continue;
    absl::StatusOr<std::optional<Lead>> other = (tx.*find)(value);
    if (!other.ok()) return other.status();
    if (other->has_value() && (*other)->merged_into == lead->id) {
      // The person's own value, kept on a lead merged into this one: it moves here.
      auto same = std::find_if(releasing.begin(), releasing.end(),
                               [&](const Lead& l) { return l.id == (*other)->id; });
      Lead& from = same != releasing.end() ? *same : releasing.emplace_back(**other);
      from.contact.*field = "";
    } else if (other->has_value() && (*other)->id != lead->id) {
      const std::string other_name =
          absl::StrCat("leads/", (*other)->merged_into.empty() ? (*other)->id : (*other)->merged_into);
      return WithReason(absl::AlreadyExistsError(absl::StrCat(other_name, " already has this ",
                                                              value == contact->email ? "e-mail" : "phone",
                                                              ": the two leads are one person")),
                        reason::kContactTaken, other_name);
    }
    absl::StatusOr<bool> erased = tx.IsErased(ContactFingerprint(value));
    if (!erased.ok()) return erased.status();
    if (*erased && (!grants || lead->consent.do_not_contact)) {
      return WithReason(absl::FailedPreconditionError(
                            "this e-mail or phone is an erased person's, and the lead has no consent to "
                            "contact them; record their fresh consent first (UpdateConsent)"),
                        reason::kPersonErased, name);
    }
  }
  if (patch.external_id && *patch.external_id != lead->external_id) {
    if (absl::Status s = ValidateExternalId(*patch.external_id, "external_id"); !s.ok()) return s;
    absl::StatusOr<std::optional<Lead>> other =
        patch.external_id->empty() ? std::optional<Lead>() : tx.FindLeadByExternalId(*patch.external_id);
    if (!other.ok()) return other.status();
    if (other->has_value() && (*other)->merged_into == lead->id) {
      // Kept by a lead merged into this one: it moves here.
      auto same = std::find_if(releasing.begin(), releasing.end(),
                               [&](const Lead& l) { return l.id == (*other)->id; });
      Lead& from = same != releasing.end() ? *same : releasing.emplace_back(**other);
      from.external_id.clear();
    } else if (other->has_value()) {
      const std::string other_name =
          absl::StrCat("leads/", (*other)->merged_into.empty() ? (*other)->id : (*other)->merged_into);
      return WithReason(absl::AlreadyExistsError(absl::StrCat(other_name, " already has external_id ",
                                                              Quote(*patch.external_id))),
                        reason::kExternalIdTaken, other_name);
    }
  }
  const bool external_id_changes = patch.external_id && *patch.external_id != lead->external_id;
  if (*contact == lead->contact && !external_id_changes) return lead;  // no new version, no event
  if (external_id_changes) lead->external_id = *patch.external_id;
  const bool contact_changes = !(*contact == lead->contact);
  lead->contact = *std::move(contact);
  const absl::Time now = clock_.Now();
  for (Lead& from : releasing) {
    if (absl::Status s = Save(tx, from, now, LeadEventType::kContactUpdated, false); !s.ok()) return s;
  }
  bool handed_off = false;
  if (absl::Status s = Rescore(tx, *lead, now, &handed_off); !s.ok()) return s;
  if (absl::Status s = Save(tx, *lead, now, LeadEventType::kContactUpdated, handed_off); !s.ok()) return s;
  // Sales keeps a snapshot on its opportunities; a handoff made just now already has it.
  if (contact_changes) {
    if (absl::Status s = TellSales(tx, *lead, &SalesGateway::QueueContactChange, handed_off); !s.ok()) return s;
  }
  return lead;
}

absl::Status LeadWorkflow::MoveForOutcome(MarketingTx& tx, Lead& lead, const OutcomeInput& in,
                                          absl::Time now) const {
  auto wrong_state = [&](const char* expected) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
        "leads/", lead.id, " is ", StageName(lead.stage), "; this outcome needs ", expected)), reason::kOutcomeOutOfOrder, absl::StrCat("leads/", lead.id));
  };
  switch (in.outcome) {
    case Outcome::kAccepted:
      if (lead.owner != Owner::kSalesPending) return wrong_state("a lead pending with sales");
      if (absl::Status s = MoveStage(tx, lead, LifecycleStage::kSalesAccepted, now, "sales accepted"); !s.ok()) {
        return s;
      }
      lead.owner = Owner::kSales;
      lead.ever_accepted = true;
      return absl::OkStatus();
    case Outcome::kRejected:
      if (lead.owner != Owner::kSalesPending) return wrong_state("a lead pending with sales");
      if (absl::Status s = MoveStage(tx, lead, LifecycleStage::kRecycled, now,
                                     absl::StrCat("sales rejected: ", in.reason));
          !s.ok()) {
        return s;
      }
      lead.owner = Owner::kMarketing;
      lead.ever_rejected = true;
      return absl::OkStatus();
    case Outcome::kWon: {
      const bool repeat = lead.stage == LifecycleStage::kCustomer;  // an upsell was won
      if (lead.owner != Owner::kSales && !repeat) return wrong_state("a lead accepted by sales");
      if (!repeat) {
        if (absl::Status s = MoveStage(tx, lead, LifecycleStage::kCustomer, now, "deal won"); !s.ok()) return s;
      }
      lead.owner = Owner::kMarketing;  // marketing is forever: repeat business
      return absl::OkStatus();
    }
    case Outcome::kSalesQualified:
    case Outcome::kOpportunity: {
      if (lead.owner != Owner::kSales) return wrong_state("a lead accepted by sales");
      const LifecycleStage to = in.outcome == Outcome::kSalesQualified ? LifecycleStage::kSalesQualified
                                                                       : LifecycleStage::kOpportunity;
      if (lead.stage == to) return absl::OkStatus();  // already there
      return MoveStage(tx, lead, to, now,
                       in.outcome == Outcome::kSalesQualified ? "sales qualified" : "proposal sent");
    }
    case Outcome::kLost:
      // A lost upsell leaves a customer a customer.
      if (lead.stage == LifecycleStage::kCustomer) return absl::OkStatus();
      if (lead.owner != Owner::kSales) return wrong_state("a lead accepted by sales");
      if (absl::Status s = MoveStage(tx, lead, LifecycleStage::kRecycled, now,
                                     absl::StrCat("deal lost: ", in.reason));
          !s.ok()) {
        return s;
      }
      lead.owner = Owner::kMarketing;
      return absl::OkStatus();
    case Outcome::kReopened: {
      // Recycled after the loss, or qualified again and waiting for sales (sales answered
      // that handoff with the reopened deal): either way sales owns it again.
      const bool recycled = lead.owner == Owner::kMarketing && lead.stage == LifecycleStage::kRecycled;
      const bool pending = lead.owner == Owner::kSalesPending;
      if (!recycled && !pending) return wrong_state("a recycled lead or one pending with sales");
      if (absl::Status s = MoveStage(tx, lead, LifecycleStage::kSalesAccepted, now, "lost deal reopened");
          !s.ok()) {
        return s;
      }
      lead.owner = Owner::kSales;
      return absl::OkStatus();
    }
    case Outcome::kUnspecified:
      break;
  }
  return absl::OkStatus();
}

absl::StatusOr<Lead> LeadWorkflow::ReportOutcome(MarketingTx& tx, const OutcomeInput& in) const {
  const int outcome = static_cast<int>(in.outcome);
  if (outcome <= 0 || outcome > kOutcomeMax) {
    return absl::InvalidArgumentError("outcome is required (OUTCOME_ACCEPTED, ...)");
  }
  if (in.opportunity.empty()) return absl::InvalidArgumentError("opportunity is required");
  const bool needs_reason = in.outcome == Outcome::kRejected || in.outcome == Outcome::kLost;
  if (needs_reason && in.reason.empty()) {
    return absl::InvalidArgumentError("reason is required for OUTCOME_REJECTED and OUTCOME_LOST");
  }
  if (in.reason.size() > 1000) return absl::InvalidArgumentError("reason is longer than 1000 characters");
  if (in.outcome == Outcome::kWon) {
    if (absl::Status s = ValidatePositiveMoney(in.amount, "amount"); !s.ok()) return s;
  }
  absl::StatusOr<Lead> handed = tx.GetLead(in.lead_id);
  if (!handed.ok()) return handed.status();
  // Sales knows the lead by the name it was handed; after MergeLeads the person's outcomes
  // belong to the lead kept.
  const bool merged = !handed->merged_into.empty();
  absl::StatusOr<Lead> lead = FollowMerge(tx, *std::move(handed));
  if (!lead.ok()) return lead.status();
  if (in.outcome == Outcome::kWon && !lead->won_revenue.currency.empty() &&
      lead->won_revenue.currency != in.amount.currency) {
    return absl::InvalidArgumentError(absl::StrCat(
        "amount.currency_code ", in.amount.currency, " differs from this lead's revenue currency ",
        lead->won_revenue.currency));
  }
  const absl::Time now = TimeOr(in.time);
  absl::Status moved = MoveForOutcome(tx, *lead, in, now);
  // The deal of a lead since merged into this one: the lead kept has its own place in the
  // funnel, so an outcome that does not fit it is kept (reports, revenue) without moving it.
  const bool kept_only = merged && ReasonOf(moved) == reason::kOutcomeOutOfOrder;
  if (!moved.ok() && !kept_only) return moved;
  if (in.outcome == Outcome::kWon) {
    absl::StatusOr<int64_t> revenue = AddToTotal(lead->won_revenue.amount_minor, in.amount.amount_minor,
                                                 absl::StrCat("leads/", lead->id, "'s won revenue"));
    if (!revenue.ok()) return revenue.status();
    lead->won_revenue.currency = in.amount.currency;
    lead->won_revenue.amount_minor = *revenue;
    ++lead->won_count;
  }
  const OutcomeRecord record{lead->id, in.opportunity, in.outcome,
                             in.outcome == Outcome::kWon ? in.amount : Money{}, now};
  absl::StatusOr<int64_t> outcome_id = tx.InsertOutcome(record);
  if (!outcome_id.ok()) return outcome_id.status();
  if (in.outcome == Outcome::kWon) {
    if (absl::Status s = RecordWinAttribution(tx, *outcome_id, record); !s.ok()) return s;
  }
  if (!kept_only) {
    lead->opportunity = in.opportunity;
    lead->last_outcome = in.outcome;
    lead->last_outcome_reason = in.reason;
  }
  if (absl::Status s = Save(tx, *lead, clock_.Now(), LeadEventType::kOutcomeReported, false); !s.ok()) {
    return s;
  }
  return lead;
}

absl::StatusOr<UpsertLeadResult> LeadWorkflow::Upsert(MarketingTx& tx, const UpsertLeadInput& in) const {
  const std::string& key = in.capture.external_id;
  // Field names as within the lead (the transport prefixes "lead.").
  if (key.empty()) return absl::InvalidArgumentError("external_id is required");
  if (absl::Status s = ValidateExternalId(key, "external_id"); !s.ok()) return s;
  absl::StatusOr<std::optional<Lead>> found = tx.FindLeadByExternalId(key);
  if (!found.ok()) return found.status();
  std::string id;
  if (found->has_value()) {
    absl::StatusOr<Lead> person = FollowMerge(tx, **found);
    if (!person.ok()) return person.status();
    id = person->id;
  } else {
    // Made as CaptureLead makes it; the person may already be a lead (by e-mail or phone),
    // which then takes the external_id and the values given.
    absl::StatusOr<CaptureResult> captured = Capture(tx, in.capture);
    if (!captured.ok()) return captured.status();
    if (!captured->merged) return UpsertLeadResult{std::move(captured->lead), true};
    id = captured->lead.id;
  }
  ContactPatch patch = in.patch;
  patch.external_id.reset();  // the key stays
  absl::StatusOr<Lead> updated = UpdateContact(tx, id, patch);
  if (!updated.ok()) return updated.status();
  return UpsertLeadResult{*std::move(updated), false};
}

absl::StatusOr<MergeResult> LeadWorkflow::Merge(MarketingTx& tx, const MergeInput& in) const {
  if (in.lead_id == in.merged_lead_id) {
    return absl::InvalidArgumentError("merged_lead must name another lead than lead");
  }
  absl::StatusOr<Lead> kept = tx.GetLead(in.lead_id);
  if (!kept.ok()) return kept.status();
  absl::StatusOr<Lead> gone = tx.GetLead(in.merged_lead_id);
  if (!gone.ok()) return gone.status();
  // Done before (a retry): the same answer, nothing written.
  if (gone->merged_into == kept->id) return MergeResult{*std::move(kept), *std::move(gone)};
  for (const Lead* l : {&*kept, &*gone}) {
    if (absl::Status s = CheckNotMerged(*l); !s.ok()) return s;
    if (absl::Status s = CheckNotErased(*l, "merged"); !s.ok()) return s;
  }
  for (const auto& [l, etag] : {std::pair{&*kept, &in.etag}, std::pair{&*gone, &in.merged_lead_etag}}) {
    if (etag->empty() || *etag == EtagOf(l->version)) continue;
    const std::string name = absl::StrCat("leads/", l->id);
    return WithReason(absl::AbortedError(absl::StrCat(name, " changed since etag ", *etag,
                                                      " was read; get it again and retry")),
                      reason::kStaleEtag, name);
  }
  const std::string gone_name = absl::StrCat("leads/", gone->id);
  if (gone->owner != Owner::kMarketing) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
                          gone_name, " is with sales (a handoff or deal is open), so it cannot be merged into "
                          "another lead; keep it instead (merge leads/", kept->id,
                          " into it), or merge once sales has closed")),
                      reason::kOwnedBySales, gone_name);
  }
  if (!kept->won_revenue.currency.empty() && !gone->won_revenue.currency.empty() &&
      kept->won_revenue.currency != gone->won_revenue.currency) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
                          "leads/", kept->id, " has revenue in ", kept->won_revenue.currency, " and ", gone_name,
                          " in ", gone->won_revenue.currency, "; a lead's revenue has one currency")),
                      reason::kCurrencyMismatch, gone_name);
  }
  const absl::Time now = clock_.Now();
  // The person's latest word on consent wins (captures, UpdateConsent); the lead kept's
  // when neither has one.
  absl::StatusOr<int64_t> kept_said = tx.LastConsentChange(kept->id);
  if (!kept_said.ok()) return kept_said.status();
  absl::StatusOr<int64_t> gone_said = tx.LastConsentChange(gone->id);
  if (!gone_said.ok()) return gone_said.status();
  const Consent consent_before = kept->consent;
  if (*gone_said > *kept_said) kept->consent = gone->consent;
  FillGaps(kept->contact, gone->contact);
  // E-mails are unique: one the lead kept takes leaves the merged lead. The merged lead
  // keeps the others, so captures by them still find the person.
  if (kept->contact.email == gone->contact.email) gone->contact.email.clear();
  if (kept->contact.phone == gone->contact.phone) gone->contact.phone.clear();
  if (kept->external_id.empty()) kept->external_id = std::exchange(gone->external_id, "");

  if (absl::Status s = tx.MoveLeadRecords(gone->id, kept->id); !s.ok()) return s;
  if (absl::Status s = tx.LeaveFunnel(gone->id, now); !s.ok()) return s;
  kept->touch_count += gone->touch_count;
  kept->merged_capture_count += gone->merged_capture_count + 1;
  kept->ever_mql |= gone->ever_mql;
  kept->ever_accepted |= gone->ever_accepted;
  kept->ever_rejected |= gone->ever_rejected;
  kept->won_count += gone->won_count;
  if (gone->won_count > 0) {
    absl::StatusOr<int64_t> revenue = AddToTotal(kept->won_revenue.amount_minor, gone->won_revenue.amount_minor,
                                                 absl::StrCat("leads/", kept->id, "'s won revenue"));
    if (!revenue.ok()) return revenue.status();
    kept->won_revenue = Money{*revenue, gone->won_revenue.currency};
  }
  if (kept->source_campaign_id.empty()) kept->source_campaign_id = gone->source_campaign_id;
  if (kept->opportunity.empty()) {
    kept->opportunity = gone->opportunity;
    kept->last_outcome = gone->last_outcome;
    kept->last_outcome_reason = gone->last_outcome_reason;
  }
  // The merged lead is a pointer now: what it counted moved to the lead kept, and campaign
  // reports count its capture as a merged one, not as a lead.
  gone->merged_into = kept->id;
  gone->merge_time = now;
  gone->source_campaign_id.clear();
  gone->score = 0;
  gone->touch_count = 0;
  gone->merged_capture_count = 0;
  gone->won_count = 0;
  gone->won_revenue = Money{};
  if (absl::Status s = Save(tx, *gone, now, LeadEventType::kLeadsMerged, false); !s.ok()) return s;
  // Leads merged into the merged lead before point to the lead kept (no chains).
  absl::StatusOr<std::vector<Lead>> earlier = tx.LeadsMergedInto(gone->id);
  if (!earlier.ok()) return earlier.status();
  for (Lead& l : *earlier) {
    l.merged_into = kept->id;
    if (absl::Status s = Save(tx, l, now, LeadEventType::kLeadsMerged, false); !s.ok()) return s;
  }
  if (kept->consent != consent_before) {
    ConsentProvenance from;
    from.source = absl::StrCat("merge:", gone_name);
    if (absl::Status s = RecordConsent(tx, *kept, "LeadService/MergeLeads", from); !s.ok()) return s;
  }
  bool handed_off = false;
  if (absl::Status s = Rescore(tx, *kept, now, &handed_off); !s.ok()) return s;
  if (absl::Status s = Save(tx, *kept, now, LeadEventType::kLeadsMerged, handed_off); !s.ok()) return s;
  // Sales' snapshots of the person follow, under both names (a handoff made just now
  // already has it all under the lead kept's).
  for (const auto queue : {&SalesGateway::QueueContactChange, &SalesGateway::QueueConsentChange}) {
    if (absl::Status s = TellSales(tx, *kept, queue, handed_off); !s.ok()) return s;
  }
  return MergeResult{*std::move(kept), *std::move(gone)};
}

absl::Status LeadWorkflow::EraseOne(MarketingTx& tx, Lead& lead, absl::Time now) const {
  std::vector<std::string> personal;
  for (const std::string& value : {lead.contact.email, lead.contact.phone}) {
    if (value.empty()) continue;
    if (absl::Status s = tx.RecordErasure(ContactFingerprint(value), now); !s.ok()) return s;
    personal.push_back(value);
  }
  if (absl::Status s = tx.ForgetResponsesContaining(personal); !s.ok()) return s;
  // Country stays: it identifies no one and keeps territory figures intact.
  lead.contact = Contact{"", "", "", "", "", "", lead.contact.country_code};
  lead.external_id.clear();  // it names the person in the caller's system
  lead.consent = Consent{false, false, false, false, true};
  if (absl::Status s = RecordConsent(tx, lead, "LeadService/EraseContact", {}); !s.ok()) return s;
  lead.erased = true;
  lead.erase_time = now;
  if (absl::Status s = Save(tx, lead, now, LeadEventType::kErased, false); !s.ok()) return s;
  if (lead.ever_mql) return sales_.QueueErasure(tx, lead);
  return absl::OkStatus();
}

absl::StatusOr<Lead> LeadWorkflow::Erase(MarketingTx& tx, const std::string& lead_id) const {
  absl::StatusOr<Lead> found = tx.GetLead(lead_id);
  if (!found.ok()) return found.status();
  // The person is erased: the lead kept and every lead merged into it.
  absl::StatusOr<Lead> lead = FollowMerge(tx, *std::move(found));
  if (!lead.ok()) return lead.status();
  if (lead->erased) return lead;
  const absl::Time now = clock_.Now();
  absl::StatusOr<std::vector<Lead>> merged = tx.LeadsMergedInto(lead->id);
  if (!merged.ok()) return merged.status();
  for (Lead& other : *merged) {
    if (absl::Status s = EraseOne(tx, other, now); !s.ok()) return s;
  }
  if (absl::Status s = EraseOne(tx, *lead, now); !s.ok()) return s;
  return lead;
}

absl::StatusOr<LeadView> LeadWorkflow::View(MarketingTx& tx, const Lead& lead, const ScoreInputs* scored) const {
  ScoreInputs read;
  if (scored == nullptr) {
    absl::StatusOr<ScoringPolicy> policy = CurrentPolicy(tx);
    if (!policy.ok()) return policy.status();
    absl::StatusOr<std::vector<TouchAt>> touches = tx.TouchHistory(lead.id);
    if (!touches.ok()) return touches.status();
    read = ScoreInputs{*std::move(policy), *std::move(touches)};
    scored = &read;
  }
  absl::StatusOr<std::vector<StageChange>> history = tx.StageHistory(lead.id);
  if (!history.ok()) return history.status();
  LeadView v;
  v.lead = lead;
  // The score as of now under the current policy, so it always equals its breakdown.
  ScoreResult score = ComputeScore(scored->policy, scored->touches, lead.contact, clock_.Now());
  v.lead.score = score.score;
  v.score_breakdown = std::move(score.breakdown);
  v.history = *std::move(history);
  return v;
}

absl::StatusOr<ScoringPolicy> LeadWorkflow::CurrentPolicy(MarketingTx& tx) const {
  return Policy(tx, 0);
}

absl::StatusOr<ScoringPolicy> LeadWorkflow::Policy(MarketingTx& tx, int64_t version) const {
  if (version < 0) return absl::InvalidArgumentError("version must not be negative");
  absl::StatusOr<std::optional<ScoringPolicy>> stored = tx.GetScoringPolicy(version);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) return **stored;
  // Until the first update nothing is stored, and version 1 is the initial policy.
  if (version == 0) return initial_policy_;
  if (version == 1) {
    absl::StatusOr<std::optional<ScoringPolicy>> newest = tx.GetScoringPolicy(0);
    if (!newest.ok()) return newest.status();
    if (!newest->has_value()) return initial_policy_;
  }
  return absl::NotFoundError(absl::StrCat("scoring policy version ", version, " does not exist"));
}

absl::StatusOr<ScoringPolicy> LeadWorkflow::UpdatePolicy(MarketingTx& tx, ScoringPolicy policy,
                                                         int64_t expected_version) const {
  if (absl::Status s = NormalizePolicy(policy); !s.ok()) return s;
  absl::StatusOr<std::optional<ScoringPolicy>> stored = tx.GetScoringPolicy(0);
  if (!stored.ok()) return stored.status();
  const ScoringPolicy current = stored->value_or(initial_policy_);
  if (expected_version > 0 && expected_version != current.version) {
    return WithReason(absl::AbortedError(absl::StrCat("the scoring policy is at version ", current.version,
                                           ", not ", expected_version, "; get it again and retry")), reason::kStaleEtag);
  }
  if (!stored->has_value()) {
    // Keep version 1 (the initial policy) in the history before the first change.
    if (absl::Status s = tx.InsertScoringPolicy(current); !s.ok()) return s;
  }
  policy.version = current.version + 1;
  policy.create_time = clock_.Now();
  if (absl::Status s = tx.InsertScoringPolicy(policy); !s.ok()) return s;
  return policy;
}

}  // namespace handoff::marketing
