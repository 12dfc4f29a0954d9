#include "marketing-service/domain/scoring_policy.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/validation.h"

namespace handoff::marketing {

ScoringPolicy ScoringPolicy::Default() {
  ScoringPolicy p;
  auto set = [&p](TouchType t, int points) { p.points_per_touch[static_cast<int>(t)] = points; };
  set(TouchType::kEmailOpened, 3);
  set(TouchType::kEmailClicked, 8);
  set(TouchType::kAdClick, 5);
  set(TouchType::kFormSubmit, 15);
  set(TouchType::kWebVisit, 2);
  set(TouchType::kEventAttended, 25);
  set(TouchType::kContentDownload, 10);
  set(TouchType::kSocialEngagement, 4);
  set(TouchType::kPrintResponse, 10);
  return p;
}

absl::Status NormalizePolicy(ScoringPolicy& p) {
  auto in_range = [](int v, const char* field) -> absl::Status {
    if (v < -1000 || v > 1000) {
      return absl::InvalidArgumentError(absl::StrCat(field, " must be -1000 to 1000"));
    }
    return absl::OkStatus();
  };
  for (int t = 1; t <= kTouchTypeMax; ++t) {
    if (absl::Status s = in_range(p.points_per_touch[t], "policy.touch_points.points"); !s.ok()) return s;
  }
  for (auto [v, f] : {std::pair{p.title_points, "policy.title_points"},
                      std::pair{p.company_points, "policy.company_points"},
                      std::pair{p.country_points, "policy.country_points"}}) {
    if (absl::Status s = in_range(v, f); !s.ok()) return s;
  }
  for (std::string& k : p.title_keywords) {
    k = absl::AsciiStrToLower(absl::StripAsciiWhitespace(k));
    if (k.empty() || k.size() > 100) {
      return absl::InvalidArgumentError("policy.title_keywords: each keyword must be 1 to 100 characters");
    }
  }
  for (std::string& c : p.target_countries) {
    c = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(c));
    if (c.size() != 2 || !absl::ascii_isalpha(static_cast<unsigned char>(c[0])) ||
        !absl::ascii_isalpha(static_cast<unsigned char>(c[1]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "policy.target_countries: ", Quote(c), " is not an ISO 3166-1 alpha-2 code"));
    }
  }
  if (p.decay_half_life < absl::ZeroDuration() || p.decay_half_life > absl::Hours(24 * 3650)) {
    return absl::InvalidArgumentError("policy.decay_half_life must be 0 to 3650 days");
  }
  if (p.mql_threshold < 1 || p.mql_threshold > 100000) {
    return absl::InvalidArgumentError("policy.mql_threshold must be 1 to 100000");
  }
  return absl::OkStatus();
}

const char* TouchTypeName(TouchType type) {
  switch (type) {
    case TouchType::kEmailSent: return "TOUCH_TYPE_EMAIL_SENT";
    case TouchType::kEmailOpened: return "TOUCH_TYPE_EMAIL_OPENED";
    case TouchType::kEmailClicked: return "TOUCH_TYPE_EMAIL_CLICKED";
    case TouchType::kAdClick: return "TOUCH_TYPE_AD_CLICK";
    case TouchType::kFormSubmit: return "TOUCH_TYPE_FORM_SUBMIT";
    case TouchType::kWebVisit: return "TOUCH_TYPE_WEB_VISIT";
    case TouchType::kEventAttended: return "TOUCH_TYPE_EVENT_ATTENDED";
    case TouchType::kContentDownload: return "TOUCH_TYPE_CONTENT_DOWNLOAD";
    case TouchType::kSocialEngagement: return "TOUCH_TYPE_SOCIAL_ENGAGEMENT";
    case TouchType::kPrintResponse: return "TOUCH_TYPE_PRINT_RESPONSE";
    case TouchType::kMailSent: return "TOUCH_TYPE_MAIL_SENT";
    case TouchType::kSmsSent: return "TOUCH_TYPE_SMS_SENT";
    case TouchType::kCallMade: return "TOUCH_TYPE_CALL_MADE";
    case TouchType::kUnspecified: break;
  }
  return "TOUCH_TYPE_UNSPECIFIED";
}

ScoreResult ComputeScore(const ScoringPolicy& policy, const std::vector<TouchAt>& touches,
                         const Contact& contact, absl::Time now) {
  std::array<int, kTouchTypeMax + 1> count{};
  std::array<double, kTouchTypeMax + 1> points{};
  const bool decays = policy.decay_half_life > absl::ZeroDuration();
  for (const TouchAt& t : touches) {
    const int type = static_cast<int>(t.type);
    if (type <= 0 || type > kTouchTypeMax) continue;
    double weight = 1.0;
    if (decays) {
      const double age = absl::FDivDuration(std::max(absl::ZeroDuration(), now - t.time),
                                            policy.decay_half_life);
      weight = std::exp2(-age);
    }
    ++count[type];
    points[type] += policy.points_per_touch[type] * weight;
  }
  ScoreResult r;
  for (int t = 1; t <= kTouchTypeMax; ++t) {
    if (count[t] == 0) continue;
    const int rounded = static_cast<int>(std::lround(points[t]));
    r.breakdown.push_back({absl::StrCat("touch:", TouchTypeName(static_cast<TouchType>(t))), count[t], rounded});
    r.score += rounded;
  }
  const std::string title = absl::AsciiStrToLower(contact.title);
  const bool title_fits =
      !title.empty() && (policy.title_keywords.empty() ||
                         std::any_of(policy.title_keywords.begin(), policy.title_keywords.end(),
                                     [&](const std::string& k) { return absl::StrContains(title, k); }));
  const bool country_fits =
      !contact.country_code.empty() &&
      std::find(policy.target_countries.begin(), policy.target_countries.end(),
                contact.country_code) != policy.target_countries.end();
  for (auto [fits, reason, pts] : {std::tuple{title_fits, "profile:title", policy.title_points},
                                   std::tuple{!contact.company.empty(), "profile:company", policy.company_points},
                                   std::tuple{country_fits, "profile:country", policy.country_points}}) {
    if (!fits || pts == 0) continue;
    r.breakdown.push_back({reason, 1, pts});
    r.score += pts;
  }
  return r;
}

}  // namespace handoff::marketing
