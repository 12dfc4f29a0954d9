#include "marketing-service/grpc/convert.h"

#include "absl/strings/str_cat.h"
#include "common/grpc/convert.h"
#include "common/ids.h"

namespace handoff::marketing {

std::string CampaignName(const std::string& id) { return ResourceName("campaigns", id); }
std::string LeadName(const std::string& id) { return ResourceName("leads", id); }

absl::StatusOr<std::string> ParseCampaignName(const std::string& name, const std::string& field) {
  return ParseNameField(name, "campaigns", field);
}

absl::StatusOr<std::string> ParseLeadName(const std::string& name, const std::string& field) {
  return ParseNameField(name, "leads", field);
}

UtmCodes FromProto(const v1::UtmCodes& utm) { return UtmCodes{utm.source(), utm.medium(), utm.campaign()}; }

void ToProto(const Campaign& c, v1::Campaign* out) {
  out->set_name(CampaignName(c.id));
  out->set_display_name(c.display_name);
  out->set_channel(static_cast<v1::Channel>(c.channel));
  out->set_state(static_cast<v1::CampaignState>(c.state));
  handoff::ToProto(c.budget, out->mutable_budget());
  handoff::ToProto(Money{c.spent_minor, c.budget.currency}, out->mutable_spent());
  if (c.start_time != absl::InfinitePast()) handoff::ToProto(c.start_time, out->mutable_start_time());
  if (c.end_time != absl::InfinitePast()) handoff::ToProto(c.end_time, out->mutable_end_time());
  handoff::ToProto(c.create_time, out->mutable_create_time());
  handoff::ToProto(c.update_time, out->mutable_update_time());
  out->set_etag(EtagOf(c.version));
  out->set_external_id(c.external_id);
  if (!c.parent_id.empty()) out->set_parent(CampaignName(c.parent_id));
  if (!c.utm.source.empty() || !c.utm.medium.empty() || !c.utm.campaign.empty()) {
    out->mutable_utm()->set_source(c.utm.source);
    out->mutable_utm()->set_medium(c.utm.medium);
    out->mutable_utm()->set_campaign(c.utm.campaign);
  }
}

void ToProto(const LeadView& view, v1::Lead* out) {
  const Lead& l = view.lead;
  out->set_name(LeadName(l.id));
  handoff::ToProto(l.contact, out->mutable_contact());
  handoff::ToProto(l.consent, out->mutable_consent());
  out->set_lifecycle_stage(static_cast<v1::LifecycleStage>(l.stage));
  out->set_owner(static_cast<v1::Owner>(l.owner));
  out->set_score(l.score);
  for (const ScoreComponent& c : view.score_breakdown) {
    v1::ScoreComponent* p = out->add_score_breakdown();
    p->set_reason(c.reason);
    p->set_count(c.count);
    p->set_points(c.points);
  }
  if (!l.source_campaign_id.empty()) out->set_source_campaign(CampaignName(l.source_campaign_id));
  out->set_merged_capture_count(l.merged_capture_count);
  out->set_touch_count(l.touch_count);
  for (const StageChange& c : view.history) {
    v1::StageChange* p = out->add_stage_history();
    p->set_stage(static_cast<v1::LifecycleStage>(c.stage));
    handoff::ToProto(c.time, p->mutable_time());
    p->set_reason(c.reason);
  }
  out->set_opportunity(l.opportunity);
  out->set_last_outcome(static_cast<v1::Outcome>(l.last_outcome));
  out->set_last_outcome_reason(l.last_outcome_reason);
  if (!l.won_revenue.currency.empty()) handoff::ToProto(l.won_revenue, out->mutable_won_revenue());
  handoff::ToProto(l.create_time, out->mutable_create_time());
  handoff::ToProto(l.update_time, out->mutable_update_time());
  out->set_etag(EtagOf(l.version));
  out->set_erased(l.erased);
  handoff::ToProtoIfSet(l.erase_time, [&] { return out->mutable_erase_time(); });
  if (!l.merged_into.empty()) out->set_merged_into(LeadName(l.merged_into));
  out->set_external_id(l.external_id);
  handoff::ToProtoIfSet(l.merge_time, [&] { return out->mutable_merge_time(); });
}

}  // namespace handoff::marketing
