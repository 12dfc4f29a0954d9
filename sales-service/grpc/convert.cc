#include "sales-service/grpc/convert.h"

#include "absl/strings/str_cat.h"
#include "common/grpc/convert.h"
#include "common/ids.h"

namespace handoff::sales {

void ToProto(const Rep& r, v1::Rep* out) {
  out->set_name(ResourceName("reps", r.id));
  out->set_display_name(r.display_name);
  out->set_email(r.email);
  for (const std::string& t : r.territories) out->add_territories(t);
  out->set_capacity(r.capacity);
  out->set_status(static_cast<v1::RepStatus>(r.status));
  out->set_open_opportunities(r.open_opportunities);
  handoff::ToProto(r.create_time, out->mutable_create_time());
  handoff::ToProto(r.update_time, out->mutable_update_time());
  out->set_etag(EtagOf(r.version));
}

void ToProto(const Opportunity& o, const OpportunityWorkflow& rules, v1::Opportunity* out) {
  out->set_name(ResourceName("opportunities", o.id));
  out->set_lead(o.lead);
  handoff::ToProto(o.contact, out->mutable_contact());
  handoff::ToProto(o.consent, out->mutable_consent());
  out->mutable_marketing_context()->set_score(o.marketing.score);
  for (const std::string& c : o.marketing.campaigns) out->mutable_marketing_context()->add_campaigns(c);
  out->mutable_marketing_context()->set_touch_count(o.marketing.touch_count);
  handoff::ToProtoIfSet(o.marketing.first_touch_time,
                        [&] { return out->mutable_marketing_context()->mutable_first_touch_time(); });
  handoff::ToProtoIfSet(o.marketing.last_touch_time,
                        [&] { return out->mutable_marketing_context()->mutable_last_touch_time(); });
  for (const auto& [type, count] : o.marketing.touches_by_type) {
    v1::TouchTally* t = out->mutable_marketing_context()->add_touches_by_type();
    t->set_touch_type(type);
    t->set_count(count);
  }
  out->set_kind(static_cast<v1::OpportunityKind>(o.kind));
  if (!o.parent_opportunity_id.empty()) {
    out->set_parent_opportunity(ResourceName("opportunities", o.parent_opportunity_id));
  }
  if (!o.rep_id.empty()) out->set_rep(ResourceName("reps", o.rep_id));
  out->set_unassigned_reason(o.unassigned_reason);
  out->set_acceptance(static_cast<v1::Acceptance>(o.acceptance));
  out->set_reject_reason(static_cast<v1::RejectReason>(o.reject_reason));
  out->set_stage(static_cast<v1::Stage>(o.stage));
  out->set_probability_percent(rules.Probability(o.stage));
  if (!o.amount.currency.empty()) handoff::ToProto(o.amount, out->mutable_amount());
  out->set_loss_reason(static_cast<v1::LossReason>(o.loss_reason));
  out->set_reason_text(o.reason_text);
  out->set_competitor(o.competitor);
  handoff::ToProtoIfSet(o.handoff_time, [&] { return out->mutable_handoff_time(); });
  handoff::ToProtoIfSet(o.accept_time, [&] { return out->mutable_accept_time(); });
  handoff::ToProtoIfSet(o.close_time, [&] { return out->mutable_close_time(); });
  handoff::ToProto(o.create_time, out->mutable_create_time());
  handoff::ToProto(o.update_time, out->mutable_update_time());
  out->set_etag(EtagOf(o.version));
  handoff::ToProtoIfSet(o.expected_close_time, [&] { return out->mutable_expected_close_time(); });
  out->set_committed(o.committed);
  handoff::ToProto(o.stage_time, out->mutable_stage_change_time());
  handoff::ToProtoIfSet(o.first_touch_time, [&] { return out->mutable_first_touch_time(); });
  handoff::ToProtoIfSet(rules.AcceptDue(o), [&] { return out->mutable_accept_due_time(); });
  handoff::ToProtoIfSet(rules.FirstTouchDue(o), [&] { return out->mutable_first_touch_due_time(); });
  out->set_reopen_count(o.reopen_count);
}

void ToProto(const TimelineEntry& e, v1::TimelineEntry* out) {
  handoff::ToProto(e.time, out->mutable_time());
  switch (e.kind) {
    case TimelineEntry::Kind::kActivity:
      ToProto(e.activity, out->mutable_activity());
      break;
    case TimelineEntry::Kind::kStageChange: {
      v1::StageChange* c = out->mutable_stage_change();
      c->set_from_stage(static_cast<v1::Stage>(e.stage_change.from));
      c->set_to_stage(static_cast<v1::Stage>(e.stage_change.to));
      handoff::ToProto(e.stage_change.time_in_from, c->mutable_time_in_from_stage());
      c->set_reason(e.stage_change.reason);
      if (!e.stage_change.rep_id.empty()) c->set_rep(ResourceName("reps", e.stage_change.rep_id));
      break;
    }
    case TimelineEntry::Kind::kAssignment:
      out->mutable_assignment()->set_rep(ResourceName("reps", e.assignment.rep_id));
      out->mutable_assignment()->set_reason(e.assignment.reason);
      break;
  }
}

void ToProto(const Activity& a, v1::Activity* out) {
  out->set_name(absl::StrCat("opportunities/", a.opportunity_id, "/activities/", a.id));
  out->set_type(static_cast<v1::ActivityType>(a.type));
  out->set_call_outcome(static_cast<v1::CallOutcome>(a.call_outcome));
  out->set_meeting_status(static_cast<v1::MeetingStatus>(a.meeting_status));
  out->set_summary(a.summary);
  out->set_next_step(a.next_step);
  handoff::ToProtoIfSet(a.next_step_due, [&] { return out->mutable_next_step_due_time(); });
  handoff::ToProto(a.time, out->mutable_occur_time());
  if (!a.rep_id.empty()) out->set_rep(ResourceName("reps", a.rep_id));
  out->set_performed_by(a.performed_by);
  handoff::ToProtoIfSet(a.update_time, [&] { return out->mutable_update_time(); });
  out->set_etag(EtagOf(a.version));
}

Activity FromProto(const v1::Activity& p) {
  Activity a;
  a.type = static_cast<ActivityType>(p.type());
  a.call_outcome = static_cast<CallOutcome>(p.call_outcome());
  a.meeting_status = static_cast<MeetingStatus>(p.meeting_status());
  a.summary = p.summary();
  a.next_step = p.next_step();
  a.next_step_due = handoff::FromProto(p.next_step_due_time());
  a.time = handoff::FromProto(p.occur_time());
  return a;
}

absl::StatusOr<std::string> ParseOptionalRep(const std::string& name) {
  if (name.empty()) return std::string();
  return ParseNameField(name, "reps", "rep");
}

}  // namespace handoff::sales
