#include "marketing-service/domain/campaign_workflow.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "common/ids.h"
#include "common/validation.h"
#include "marketing-service/domain/lifecycle.h"

namespace handoff::marketing {
namespace {

absl::Status ValidateCampaign(const Campaign& c) {
  if (absl::Status s = ValidateRequiredText(c.display_name, 200, "campaign.display_name"); !s.ok()) {
    return s;
  }
  const int channel = static_cast<int>(c.channel);
  if (channel <= 0 || channel > kChannelMax) {
    return absl::InvalidArgumentError("campaign.channel is required (CHANNEL_EMAIL, ...)");
  }
  if (absl::Status s = ValidateCurrency(c.budget.currency, "campaign.budget.currency_code"); !s.ok()) {
    return s;
  }
  if (c.budget.amount_minor < 0 || c.budget.amount_minor > kMaxAmountMinor) {
    return absl::InvalidArgumentError(absl::StrCat(
        "campaign.budget.amount_minor must be 0 to ", kMaxAmountMinor, " minor units"));
  }
  if (c.start_time != absl::InfinitePast() && c.end_time != absl::InfinitePast() &&
      c.end_time < c.start_time) {
    return absl::InvalidArgumentError("campaign.end_time is before campaign.start_time");
  }
  return absl::OkStatus();
}

// Lower-cases and trims the codes; INVALID_ARGUMENT for codes over 100 characters.
absl::StatusOr<UtmCodes> NormalizeUtm(const UtmCodes& in) {
  UtmCodes out;
  for (auto [from, to, field] : {std::make_tuple(&in.source, &out.source, "utm.source"),
                                 std::make_tuple(&in.medium, &out.medium, "utm.medium"),
                                 std::make_tuple(&in.campaign, &out.campaign, "utm.campaign")}) {
    *to = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*from));
    if (to->size() > 100) {
      return absl::InvalidArgumentError(absl::StrCat("campaign.", field, " is longer than 100 characters"));
    }
  }
  return out;
}

// The parent must exist, and following parents from it must never reach `id`.
absl::Status CheckParent(MarketingTx& tx, const std::string& id, const std::string& parent_id) {
  if (parent_id.empty()) return absl::OkStatus();
  std::string at = parent_id;
  for (int depth = 0; !at.empty(); ++depth) {
    if (at == id || depth > 100) {
      return absl::InvalidArgumentError("campaign.parent would make a cycle of parents");
    }
    absl::StatusOr<Campaign> c = tx.GetCampaign(at);
    if (!c.ok()) {
      if (c.status().code() == absl::StatusCode::kNotFound) {
        return absl::NotFoundError(absl::StrCat("campaign.parent: campaigns/", at, " does not exist"));
      }
      return c.status();
    }
    at = c->parent_id;
  }
  return absl::OkStatus();
}

// No other campaign has `external_id`; ALREADY_EXISTS naming it otherwise.
absl::Status CheckExternalIdFree(MarketingTx& tx, const std::string& id, const std::string& external_id) {
  if (absl::Status s = ValidateExternalId(external_id, "campaign.external_id"); !s.ok()) return s;
  if (external_id.empty()) return absl::OkStatus();
  absl::StatusOr<std::optional<Campaign>> other = tx.FindCampaignByExternalId(external_id);
  if (!other.ok()) return other.status();
  if (!other->has_value() || (*other)->id == id) return absl::OkStatus();
  const std::string name = absl::StrCat("campaigns/", (*other)->id);
  return WithReason(absl::AlreadyExistsError(absl::StrCat(name, " already has external_id ", Quote(external_id))),
                    reason::kExternalIdTaken, name);
}

}  // namespace

absl::StatusOr<UpsertResult> CampaignWorkflow::Upsert(MarketingTx& tx, const Campaign& campaign,
                                                      const CampaignPatch& patch) const {
  if (campaign.external_id.empty()) return absl::InvalidArgumentError("campaign.external_id is required");
  if (absl::Status s = ValidateExternalId(campaign.external_id, "campaign.external_id"); !s.ok()) return s;
  absl::StatusOr<std::optional<Campaign>> found = tx.FindCampaignByExternalId(campaign.external_id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    absl::StatusOr<Campaign> created = Create(tx, campaign);
    if (!created.ok()) return created.status();
    return UpsertResult{*std::move(created), true};
  }
  absl::StatusOr<Campaign> updated = Update(tx, (*found)->id, patch);
  if (!updated.ok()) return updated.status();
  return UpsertResult{*std::move(updated), false};
}

absl::StatusOr<Campaign> CampaignWorkflow::Create(MarketingTx& tx, Campaign c) const {
  if (c.state == CampaignState::kUnspecified) c.state = CampaignState::kDraft;
  if (c.state != CampaignState::kDraft && c.state != CampaignState::kActive) {
    return absl::InvalidArgumentError("campaign.state must be DRAFT or ACTIVE on create");
  }
  if (absl::Status s = ValidateCampaign(c); !s.ok()) return s;
  absl::StatusOr<UtmCodes> utm = NormalizeUtm(c.utm);
  if (!utm.ok()) return utm.status();
  c.utm = *utm;
  c.id = NewId();
  if (absl::Status s = CheckExternalIdFree(tx, c.id, c.external_id); !s.ok()) return s;
  if (absl::Status s = CheckParent(tx, c.id, c.parent_id); !s.ok()) return s;
  c.spent_minor = 0;
  c.create_time = c.update_time = clock_.Now();
  c.version = 1;
  if (absl::Status s = tx.InsertCampaign(c); !s.ok()) return s;
  return c;
}

absl::StatusOr<Campaign> CampaignWorkflow::Update(MarketingTx& tx, const std::string& id,
                                                  const CampaignPatch& patch) const {
  absl::StatusOr<Campaign> current = tx.GetCampaign(id);
  if (!current.ok()) return current.status();
  Campaign c = *current;
  if (patch.etag && *patch.etag != EtagOf(c.version)) {
    return WithReason(absl::AbortedError(absl::StrCat("campaigns/", id,
                                           " changed since etag ", *patch.etag,
                                           " was read; get it again and retry")), reason::kStaleEtag, absl::StrCat("campaigns/", id));
  }
  if (c.state == CampaignState::kArchived) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat("campaigns/", id, " is archived and read-only")), reason::kCampaignArchived, absl::StrCat("campaigns/", id));
  }
  if (patch.display_name) c.display_name = *patch.display_name;
  if (patch.state && *patch.state != c.state) {
    if (*patch.state == CampaignState::kArchived) {
      return absl::InvalidArgumentError("campaign.state: use ArchiveCampaign to archive");
    }
    if (static_cast<int>(*patch.state) <= 0 || static_cast<int>(*patch.state) > kCampaignStateMax) {
      return absl::InvalidArgumentError("campaign.state is not a valid state");
    }
    if (!CanMoveCampaign(c.state, *patch.state)) {
      return WithReason(absl::FailedPreconditionError(absl::StrCat(
          "campaign cannot move from ", CampaignStateName(c.state), " to ",
          CampaignStateName(*patch.state))), reason::kStageTransitionInvalid, absl::StrCat("campaigns/", id));
    }
    c.state = *patch.state;
  }
  if (patch.budget) {
    if (patch.budget->currency != c.budget.currency) {
      return absl::InvalidArgumentError(absl::StrCat(
          "campaign.budget.currency_code cannot change (is ", c.budget.currency, ")"));
    }
    if (patch.budget->amount_minor < c.spent_minor) {
      return absl::InvalidArgumentError(absl::StrCat(
          "campaign.budget.amount_minor ", patch.budget->amount_minor,
          " is below the spend already recorded (", c.spent_minor, ")"));
    }
    c.budget = *patch.budget;
  }
  if (patch.start_time) c.start_time = *patch.start_time;
  if (patch.end_time) c.end_time = *patch.end_time;
  if (patch.parent) {
    if (absl::Status s = CheckParent(tx, c.id, *patch.parent); !s.ok()) return s;
    c.parent_id = *patch.parent;
  }
  if (patch.utm) {
    absl::StatusOr<UtmCodes> utm = NormalizeUtm(*patch.utm);
    if (!utm.ok()) return utm.status();
    c.utm = *utm;
  }
  if (patch.external_id) {
    if (absl::Status s = CheckExternalIdFree(tx, c.id, *patch.external_id); !s.ok()) return s;
    c.external_id = *patch.external_id;
  }
  if (absl::Status s = ValidateCampaign(c); !s.ok()) return s;
  c.update_time = clock_.Now();
  ++c.version;
  if (absl::Status s = tx.UpdateCampaign(c); !s.ok()) return s;
  return c;
}

absl::StatusOr<Campaign> CampaignWorkflow::Archive(MarketingTx& tx, const std::string& id) const {
  absl::StatusOr<Campaign> c = tx.GetCampaign(id);
  if (!c.ok()) return c.status();
  if (c->state == CampaignState::kArchived) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat("campaigns/", id, " is already archived")), reason::kCampaignArchived, absl::StrCat("campaigns/", id));
  }
  c->state = CampaignState::kArchived;
  c->update_time = clock_.Now();
  ++c->version;
  if (absl::Status s = tx.UpdateCampaign(*c); !s.ok()) return s;
  return c;
}

absl::StatusOr<Campaign> CampaignWorkflow::RecordSpend(MarketingTx& tx,
                                                       const SpendRequest& spend) const {
  if (spend.amount.amount_minor <= 0 || spend.amount.amount_minor > kMaxAmountMinor) {
    return absl::InvalidArgumentError(absl::StrCat(
        "amount.amount_minor must be 1 to ", kMaxAmountMinor, " minor units"));
  }
  if (spend.allow_over_budget && absl::StripAsciiWhitespace(spend.over_budget_reason).empty()) {
    return absl::InvalidArgumentError(
        "over_budget_reason is required (not blank) when allow_over_budget is true");
  }
  if (spend.over_budget_reason.size() > 1000) {
    return absl::InvalidArgumentError("over_budget_reason is longer than 1000 characters");
  }
  if (spend.note.size() > 1000) return absl::InvalidArgumentError("note is longer than 1000 characters");
  if (spend.recorded_by.size() > 200) {
    return absl::InvalidArgumentError("recorded_by is longer than 200 characters");
  }
  absl::StatusOr<Campaign> c = tx.GetCampaign(spend.campaign_id);
  if (!c.ok()) return c.status();
  if (spend.amount.currency != c->budget.currency) {
    return absl::InvalidArgumentError(absl::StrCat("amount.currency_code must be the budget's (",
                                                   c->budget.currency, ")"));
  }
  if (c->state == CampaignState::kArchived) {
    return WithReason(absl::FailedPreconditionError(
        absl::StrCat("campaigns/", spend.campaign_id, " is archived; no spend can be recorded")), reason::kCampaignArchived, absl::StrCat("campaigns/", spend.campaign_id));
  }
  absl::StatusOr<int64_t> sum = AddToTotal(c->spent_minor, spend.amount.amount_minor,
                                            absl::StrCat("campaigns/", spend.campaign_id, "'s spend"));
  if (!sum.ok()) return sum.status();
  const int64_t total = *sum;
  if (total > c->budget.amount_minor && !spend.allow_over_budget) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
        "spend would reach ", total, " of a budget of ", c->budget.amount_minor, " ",
        c->budget.currency,
        " minor units; raise the budget or set allow_over_budget with over_budget_reason")), reason::kBudgetExceeded, absl::StrCat("campaigns/", spend.campaign_id));
  }
  c->spent_minor = total;
  c->update_time = clock_.Now();
  ++c->version;
  if (absl::Status s = tx.UpdateCampaign(*c); !s.ok()) return s;
  SpendEntry entry{0, spend.campaign_id, spend.amount.amount_minor, spend.note, spend.recorded_by,
                   spend.over_budget_reason, c->update_time};
  if (absl::Status s = tx.InsertSpend(entry); !s.ok()) return s;
  return c;
}

}  // namespace handoff::marketing
