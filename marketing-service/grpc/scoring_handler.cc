#include "absl/strings/str_cat.h"
#include "common/grpc/convert.h"
#include "common/idempotency.h"
#include "handoff/marketing/v1/scoring_policy.pb.h"
#include "marketing-service/grpc/handlers.h"

namespace handoff::marketing {
namespace {

void ToProto(const ScoringPolicy& p, v1::ScoringPolicy* out) {
  out->set_version(p.version);
  for (int t = 1; t <= kTouchTypeMax; ++t) {
    if (p.points_per_touch[t] == 0) continue;
    v1::TouchPoints* tp = out->add_touch_points();
    tp->set_touch_type(static_cast<v1::TouchType>(t));
    tp->set_points(p.points_per_touch[t]);
  }
  out->set_title_points(p.title_points);
  for (const std::string& k : p.title_keywords) out->add_title_keywords(k);
  out->set_company_points(p.company_points);
  out->set_country_points(p.country_points);
  for (const std::string& c : p.target_countries) out->add_target_countries(c);
  if (p.decay_half_life > absl::ZeroDuration()) handoff::ToProto(p.decay_half_life, out->mutable_decay_half_life());
  out->set_mql_threshold(p.mql_threshold);
  handoff::ToProto(p.create_time, out->mutable_create_time());
}

absl::StatusOr<ScoringPolicy> FromProto(const v1::ScoringPolicy& in) {
  ScoringPolicy p;
  p.points_per_touch.fill(0);
  std::array<bool, kTouchTypeMax + 1> seen{};
  for (const v1::TouchPoints& tp : in.touch_points()) {
    const int t = tp.touch_type();
    if (t <= 0 || t > kTouchTypeMax) {
      return absl::InvalidArgumentError("policy.touch_points.touch_type must be a touch type");
    }
    if (seen[t]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "policy.touch_points: ", TouchTypeName(static_cast<TouchType>(t)), " is listed twice"));
    }
    seen[t] = true;
    p.points_per_touch[t] = tp.points();
  }
  p.title_points = in.title_points();
  p.title_keywords.assign(in.title_keywords().begin(), in.title_keywords().end());
  p.company_points = in.company_points();
  p.country_points = in.country_points();
  p.target_countries.assign(in.target_countries().begin(), in.target_countries().end());
  p.decay_half_life = absl::Seconds(in.decay_half_life().seconds()) +
                      absl::Nanoseconds(in.decay_half_life().nanos());
  p.mql_threshold = in.mql_threshold();
  return p;
}

}  // namespace

grpc::ServerUnaryReactor* ScoringHandler::GetScoringPolicy(grpc::CallbackServerContext* ctx,
                                                           const v1::GetScoringPolicyRequest* req,
                                                           v1::GetScoringPolicyResponse* resp) {
  return d_.runner.Run(ctx, "ScoringService/GetScoringPolicy", *req, [this, req, resp] {
    return d_.store.Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<ScoringPolicy> p = d_.leads.Policy(tx, req->version());
      if (!p.ok()) return p.status();
      ToProto(*p, resp->mutable_policy());
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* ScoringHandler::UpdateScoringPolicy(
    grpc::CallbackServerContext* ctx, const v1::UpdateScoringPolicyRequest* req,
    v1::UpdateScoringPolicyResponse* resp) {
  return d_.runner.Run(ctx, "ScoringService/UpdateScoringPolicy", *req, [this, req, resp] {
    absl::StatusOr<ScoringPolicy> policy = FromProto(req->policy());
    if (!policy.ok()) return policy.status();
    return RunMutation(d_.store, d_.clock, "ScoringService/UpdateScoringPolicy", *req,
                       req->request_id(), resp, [&](MarketingTx& tx) -> absl::Status {
                         absl::StatusOr<ScoringPolicy> p =
                             d_.leads.UpdatePolicy(tx, *policy, req->expected_version());
                         if (!p.ok()) return p.status();
                         ToProto(*p, resp->mutable_policy());
                         return absl::OkStatus();
                       });
  });
}

}  // namespace handoff::marketing
