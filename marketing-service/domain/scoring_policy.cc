#include "marketing-service/domain/scoring_policy.h"

#include "absl/strings/str_cat.h"

namespace handoff::marketing {

ScoringPolicy ScoringPolicy::Default() {
  ScoringPolicy p;
  auto set = [&p](TouchType t, int points) { p.points_per_touch[static_cast<int>(t)] = points; };
  set(TouchType::kEmailSent, 0);
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

ScoreResult ComputeScore(const ScoringPolicy& policy, const TouchCounts& touches,
                         const Contact& contact) {
  ScoreResult r;
  for (int t = 1; t <= kTouchTypeMax && t < static_cast<int>(touches.size()); ++t) {
    if (touches[t] == 0) continue;
    const int points = touches[t] * policy.points_per_touch[t];
    r.breakdown.push_back(
        {absl::StrCat("touch:", TouchTypeName(static_cast<TouchType>(t))), touches[t], points});
    r.score += points;
  }
  if (!contact.title.empty()) {
    r.breakdown.push_back({"profile:title", 1, policy.title_points});
    r.score += policy.title_points;
  }
  if (!contact.company.empty()) {
    r.breakdown.push_back({"profile:company", 1, policy.company_points});
    r.score += policy.company_points;
  }
  return r;
}

}  // namespace handoff::marketing
